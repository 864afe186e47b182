#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "config.h"
#include "err.h"

static char path[64];

static void
write_file(const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/midpki-config-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
}

START_TEST(defaults_without_file)
{
	mp_config *c = NULL;
	char err[512];

	ck_assert_int_eq(mp_config_load(NULL, &c, err, sizeof(err)), MP_OK);
	ck_assert_str_eq(c->admin_listen, "127.0.0.1:9443");
	ck_assert_str_eq(c->est_listen, "127.0.0.1:8443");
	ck_assert_str_eq(c->ocsp_listen, "127.0.0.1:8080");
	ck_assert_str_eq(c->lorawan_listen, "127.0.0.1:8090");
	ck_assert_str_eq(c->fdo_listen, "127.0.0.1:8040");
	ck_assert_str_eq(c->database_url, "");
	ck_assert(c->http_max_body_bytes == 1048576);
	ck_assert(c->http_idle_timeout_ms == 30000);
	mp_config_free(c);
}
END_TEST

START_TEST(file_then_environment)
{
	mp_config *c = NULL;
	char err[512];

	write_file("# comment\n[admin]\nlisten = 127.0.0.1:19443\n\n[http]\n"
		   "idle_timeout = 5m\nmax_body_bytes = 2048\n[ocsp]\nlisten = \"\"\n");
	setenv("MIDPKI_ADMIN_LISTEN", "[::1]:29443", 1);
	setenv("MIDPKI_LOG_FORMAT", "json", 1);
	setenv("MIDPKI_UNRELATED_THING", "ignored", 1);
	ck_assert_int_eq(mp_config_load(path, &c, err, sizeof(err)), MP_OK);
	ck_assert_str_eq(c->admin_listen, "[::1]:29443");
	ck_assert_str_eq(c->ocsp_listen, "");
	ck_assert_str_eq(c->log_format, "json");
	ck_assert(c->http_idle_timeout_ms == 300000);
	ck_assert(c->http_max_body_bytes == 2048);
	unsetenv("MIDPKI_ADMIN_LISTEN");
	unsetenv("MIDPKI_LOG_FORMAT");
	unsetenv("MIDPKI_UNRELATED_THING");
	mp_config_free(c);
	unlink(path);
}
END_TEST

/* Each bad file gives MP_ERR_CONFIG and a message naming file:line and the key. */
START_TEST(errors_name_file_line_key)
{
	static const struct { const char *text; const char *want; } cases[] = {
		{ "[admin]\nlisten = 127.0.0.1:9443\nlisen = x\n", ":3: unknown key 'lisen' in section [admin]" },
		{ "[admin]\nlisten = nonsense\n", ":2: key 'listen' in [admin]: invalid listen address 'nonsense'" },
		{ "[http]\nmax_body_bytes = 12\n", ":2: key 'max_body_bytes' in [http]: '12' is not a whole number from 1024" },
		{ "[http]\nidle_timeout = soon\n", ":2: key 'idle_timeout' in [http]: 'soon' is not a duration" },
		{ "[nosuch]\n", ":1: unknown section [nosuch]" },
		{ "listen = 1\n", ":1: key 'listen' outside any [section]" },
		{ "[log]\nformat = xml\n", ":2: key 'format' in [log]: 'xml' is not one of |text|json|" },
		{ "[fdo]\ntls = yes\n", ":2: key 'tls' in [fdo]: 'yes' is not a boolean" },
		{ "[state]\njust words\n", ":2: expected 'key = value'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mp_config *c = NULL;
		char err[512], want[600];

		write_file(cases[i].text);
		snprintf(want, sizeof(want), "%s%s", path, cases[i].want);
		ck_assert_int_eq(mp_config_load(path, &c, err, sizeof(err)), MP_ERR_CONFIG);
		ck_assert_ptr_null(c);
		ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got '%s', want '%s'", err,
		    want);
		unlink(path);
	}
}
END_TEST

START_TEST(environment_typo_is_an_error)
{
	mp_config *c = NULL;
	char err[512];

	setenv("MIDPKI_ADMIN_LISTN", "127.0.0.1:1", 1);
	ck_assert_int_eq(mp_config_load(NULL, &c, err, sizeof(err)), MP_ERR_CONFIG);
	ck_assert_str_eq(err, "environment variable MIDPKI_ADMIN_LISTN: unknown key 'listn' in "
			      "section [admin]");
	unsetenv("MIDPKI_ADMIN_LISTN");
	setenv("MIDPKI_HTTP_WORKERS", "many", 1);
	ck_assert_int_eq(mp_config_load(NULL, &c, err, sizeof(err)), MP_ERR_CONFIG);
	unsetenv("MIDPKI_HTTP_WORKERS");
}
END_TEST

/* [ocsp] refresh_before must stay under response_validity, from the file or the environment. */
START_TEST(ocsp_times)
{
	mp_config *c = NULL;
	char err[512];

	ck_assert_int_eq(mp_config_load(NULL, &c, err, sizeof(err)), MP_OK);
	ck_assert(c->ocsp_response_validity_ms == 24 * 3600000ULL);
	ck_assert(c->ocsp_refresh_before_ms == 12 * 3600000ULL);
	mp_config_free(c);
	write_file("[ocsp]\nresponse_validity = 2h\nrefresh_before = 90m\n");
	ck_assert_int_eq(mp_config_load(path, &c, err, sizeof(err)), MP_OK);
	ck_assert(c->ocsp_response_validity_ms == 7200000);
	ck_assert(c->ocsp_refresh_before_ms == 5400000);
	mp_config_free(c);
	c = NULL;
	setenv("MIDPKI_OCSP_REFRESH_BEFORE", "2h", 1);
	ck_assert_int_eq(mp_config_load(path, &c, err, sizeof(err)), MP_ERR_CONFIG);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err, "[ocsp] refresh_before (7200000ms) must be shorter than"
	    " response_validity (7200000ms)");
	unsetenv("MIDPKI_OCSP_REFRESH_BEFORE");
	unlink(path);
	write_file("[ocsp]\nresponse_validity = 8d\n");
	ck_assert_int_eq(mp_config_load(path, &c, err, sizeof(err)), MP_ERR_CONFIG);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(err, ":2: key 'response_validity' in [ocsp]: '8d' is not a"
	    " duration from 60000ms to 604800000ms"));
	unlink(path);
}
END_TEST

START_TEST(listen_parse)
{
	char host[64];
	uint16_t port = 0;

	ck_assert_int_eq(mp_listen_parse("127.0.0.1:8080", host, sizeof(host), &port), MP_OK);
	ck_assert_str_eq(host, "127.0.0.1");
	ck_assert_uint_eq(port, 8080);
	ck_assert_int_eq(mp_listen_parse("[::1]:443", host, sizeof(host), &port), MP_OK);
	ck_assert_str_eq(host, "::1");
	ck_assert_int_eq(mp_listen_parse("::1:443", host, sizeof(host), &port), MP_ERR_INVALID);
	ck_assert_int_eq(mp_listen_parse("host:0", host, sizeof(host), &port), MP_ERR_INVALID);
	ck_assert_int_eq(mp_listen_parse("host:70000", host, sizeof(host), &port), MP_ERR_INVALID);
	ck_assert_int_eq(mp_listen_parse(":80", host, sizeof(host), &port), MP_ERR_INVALID);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, defaults_without_file);
	tcase_add_test(tc, file_then_environment);
	tcase_add_test(tc, errors_name_file_line_key);
	tcase_add_test(tc, environment_typo_is_an_error);
	tcase_add_test(tc, ocsp_times);
	tcase_add_test(tc, listen_parse);
	suite_add_tcase(s, tc);
	return s;
}
