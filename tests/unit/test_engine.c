#include "check_main.h"
Suite *suite_make(void) { return suite_create("x"); }
