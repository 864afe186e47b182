#include "options.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "log.h"

int
cli_load_config(int argc, char **argv, const char *usage, mp_config **out)
{
	const char *config_path = NULL, *state_dir = NULL;
	mp_config *c = NULL;
	mp_log_level level;
	char err[1024];

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 1;
		}
		if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "--state-dir") == 0) &&
		    i + 1 < argc) {
			if (argv[i][2] == 'c')
				config_path = argv[++i];
			else
				state_dir = argv[++i];
			continue;
		}
		fprintf(stderr, "midpki: unknown or incomplete option '%s'\n%s", argv[i], usage);
		return 2;
	}
	if (mp_config_load(config_path, &c, err, sizeof(err)) != MP_OK) {
		fprintf(stderr, "midpki: %s\n", err);
		return 2;
	}
	if (state_dir != NULL &&
	    mp_config_set(c, "state", "dir", state_dir, "option --state-dir", err, sizeof(err)) !=
		MP_OK) {
		fprintf(stderr, "midpki: %s\n", err);
		mp_config_free(c);
		return 2;
	}
	if (c->state_dir[0] == '\0') {
		fprintf(stderr, "midpki: the state directory must not be empty\n");
		mp_config_free(c);
		return 2;
	}
	if (mp_log_level_parse(c->log_level, &level) != MP_OK)
		level = MP_LOG_INFO;
	mp_log_setup(level, strcmp(c->log_format, "json") == 0);
	*out = c;
	return 0;
}
