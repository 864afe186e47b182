/* Filling a ca_detail (common/refusal.h): the field a refusal names and why. */
#ifndef CA_DETAIL_H
#define CA_DETAIL_H

#include "ca.h"
#include "refusal.h"

#define ca_detail_set mp_detail_set
#define ca_refuse mp_refuse

#endif
