/* Options every subcommand shares: --config FILE and --state-dir DIR. */
#ifndef CLI_OPTIONS_H
#define CLI_OPTIONS_H

#include "config.h"

/*
 * Parses argv (after the subcommand name) for --config and --state-dir, loads
 * the configuration and sets up logging. Prints the error and returns 2 for a
 * configuration or usage error, 1 when help was printed (caller exits 0), 0 on
 * success with *out set. usage is printed for --help.
 */
int cli_load_config(int argc, char **argv, const char *usage, mp_config **out);

/* An option that sets a configuration key, as --state-dir DIR sets [state] dir. */
typedef struct cli_config_option {
	const char *flag, *section, *key;
} cli_config_option;

/* cli_load_config that also takes the nopts options opts, each followed by its value. */
int cli_load_config_with(int argc, char **argv, const char *usage, const cli_config_option *opts,
    size_t nopts, mp_config **out);

#endif
