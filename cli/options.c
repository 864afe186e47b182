#include "options.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "log.h"

/* The option every subcommand has that sets a key; a subcommand may add its own. */
static const cli_config_option state_dir_option = { "--state-dir", "state", "dir" };

/* The option of opts (or --state-dir) named name, or NULL. */
static const cli_config_option *
find_option(const char *name, const cli_config_option *opts, size_t nopts)
{
	if (strcmp(name, state_dir_option.flag) == 0)
		return &state_dir_option;
	for (size_t i = 0; i < nopts; i++)
		if (strcmp(name, opts[i].flag) == 0)
			return &opts[i];
	return NULL;
}

int
cli_load_config(int argc, char **argv, const char *usage, mp_config **out)
{
	return cli_load_config_with(argc, argv, usage, NULL, 0, out);
}

int
cli_load_config_with(int argc, char **argv, const char *usage, const cli_config_option *opts,
    size_t nopts, mp_config **out)
{
	const char *config_path = NULL;
	mp_config *c = NULL;
	mp_log_level level;
	char err[1024], source[96];

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 1;
		}
		if (i + 1 < argc &&
		    (strcmp(argv[i], "--config") == 0 || find_option(argv[i], opts, nopts) != NULL)) {
			if (strcmp(argv[i], "--config") == 0)
				config_path = argv[i + 1];
			i++;
			continue;
		}
		fprintf(stderr, "midpki: unknown or incomplete option '%s'\n%s", argv[i], usage);
		return 2;
	}
	if (mp_config_load(config_path, &c, err, sizeof(err)) != MP_OK) {
		fprintf(stderr, "midpki: %s\n", err);
		return 2;
	}
	for (int i = 0; i + 1 < argc; i++) {
		const cli_config_option *o = find_option(argv[i], opts, nopts);

		if (strcmp(argv[i], "--config") == 0) {
			i++;
			continue;
		}
		snprintf(source, sizeof(source), "option %s", argv[i]);
		if (o != NULL && mp_config_set(c, o->section, o->key, argv[++i], source, err,
		    sizeof(err)) != MP_OK) {
			fprintf(stderr, "midpki: %s\n", err);
			mp_config_free(c);
			return 2;
		}
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
