/* Prometheus metrics: exact text, bounded labels, concurrent updates. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "err.h"
#include "metrics.h"

static char *
render(mp_metrics *m)
{
	mp_buf *b = mp_buf_new(1 << 20);
	char *s;

	ck_assert_int_eq(mp_metrics_render(m, b), MP_OK);
	s = strdup(mp_buf_str(b));
	mp_buf_free(b);
	return s;
}

START_TEST(test_render_exact)
{
	mp_metrics *m = mp_metrics_new();
	char *s;

	mp_metrics_observe(m, "admin", 200, 500);     /* 0.0005 s */
	mp_metrics_observe(m, "admin", 200, 1000);    /* exactly 0.001 s: le="0.001" */
	mp_metrics_observe(m, "admin", 404, 2000000); /* 2 s */
	mp_metrics_observe(m, "ocsp", 200, 20000000); /* 20 s: only +Inf */
	atomic_fetch_add(mp_metrics_connections(m, "admin"), 2);
	atomic_fetch_add(mp_metrics_db_errors(m), 3);
	s = render(m);
	ck_assert_str_eq(s,
	    "# HELP midpki_http_requests_total HTTP responses by listener and status code.\n"
	    "# TYPE midpki_http_requests_total counter\n"
	    "midpki_http_requests_total{listener=\"admin\",code=\"200\"} 2\n"
	    "midpki_http_requests_total{listener=\"admin\",code=\"404\"} 1\n"
	    "midpki_http_requests_total{listener=\"ocsp\",code=\"200\"} 1\n"
	    "# HELP midpki_http_request_duration_seconds Time from the first byte of a request to "
	    "the end of its response.\n"
	    "# TYPE midpki_http_request_duration_seconds histogram\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"admin\",le=\"0.001\"} 2\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"admin\",le=\"0.0025\"} 2\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"admin\",le=\"0.005\"} 2\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"admin\",le=\"0.01\"} 2\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"admin\",le=\"0.025\"} 2\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"admin\",le=\"0.05\"} 2\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"admin\",le=\"0.1\"} 2\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"admin\",le=\"0.25\"} 2\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"admin\",le=\"0.5\"} 2\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"admin\",le=\"1\"} 2\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"admin\",le=\"2.5\"} 3\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"admin\",le=\"5\"} 3\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"admin\",le=\"10\"} 3\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"admin\",le=\"+Inf\"} 3\n"
	    "midpki_http_request_duration_seconds_sum{listener=\"admin\"} 2.001500\n"
	    "midpki_http_request_duration_seconds_count{listener=\"admin\"} 3\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"ocsp\",le=\"0.001\"} 0\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"ocsp\",le=\"0.0025\"} 0\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"ocsp\",le=\"0.005\"} 0\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"ocsp\",le=\"0.01\"} 0\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"ocsp\",le=\"0.025\"} 0\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"ocsp\",le=\"0.05\"} 0\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"ocsp\",le=\"0.1\"} 0\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"ocsp\",le=\"0.25\"} 0\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"ocsp\",le=\"0.5\"} 0\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"ocsp\",le=\"1\"} 0\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"ocsp\",le=\"2.5\"} 0\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"ocsp\",le=\"5\"} 0\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"ocsp\",le=\"10\"} 0\n"
	    "midpki_http_request_duration_seconds_bucket{listener=\"ocsp\",le=\"+Inf\"} 1\n"
	    "midpki_http_request_duration_seconds_sum{listener=\"ocsp\"} 20.000000\n"
	    "midpki_http_request_duration_seconds_count{listener=\"ocsp\"} 1\n"
	    "# HELP midpki_http_connections_open Open client connections by listener.\n"
	    "# TYPE midpki_http_connections_open gauge\n"
	    "midpki_http_connections_open{listener=\"admin\"} 2\n"
	    "midpki_http_connections_open{listener=\"ocsp\"} 0\n"
	    "# HELP midpki_db_errors_total Database statements that failed.\n"
	    "# TYPE midpki_db_errors_total counter\n"
	    "midpki_db_errors_total 3\n");
	free(s);
	mp_metrics_free(m);
}
END_TEST

START_TEST(test_module_counters)
{
	static char values[MP_METRICS_MAX_COUNTERS + 1][8];
	mp_metrics *m = mp_metrics_new();
	atomic_uint_fast64_t *good, *bad, *plain;
	char *s;

	ck_assert_ptr_nonnull(good = mp_metrics_counter(m, "x_total", "Xs.", "status", "good"));
	ck_assert_ptr_nonnull(plain = mp_metrics_counter(m, "y_total", "Ys.", NULL, NULL));
	ck_assert_ptr_nonnull(bad = mp_metrics_counter(m, "x_total", "Xs.", "status", "bad"));
	ck_assert_ptr_eq(mp_metrics_counter(m, "x_total", "Xs.", "status", "good"), good);
	atomic_fetch_add(good, 2);
	atomic_fetch_add(bad, 1);
	atomic_fetch_add(plain, 5);
	s = render(m);
	ck_assert_ptr_nonnull(strstr(s, "midpki_db_errors_total 0\n"
	    "# HELP x_total Xs.\n# TYPE x_total counter\n"
	    "x_total{status=\"good\"} 2\nx_total{status=\"bad\"} 1\n"
	    "# HELP y_total Ys.\n# TYPE y_total counter\ny_total 5\n"));
	free(s);
	/* the table is bounded */
	for (int i = 3; i <= MP_METRICS_MAX_COUNTERS; i++) {
		snprintf(values[i], sizeof(values[i]), "%d", i);
		if (i < MP_METRICS_MAX_COUNTERS)
			ck_assert_ptr_nonnull(mp_metrics_counter(m, "z_total", "Zs.", "n", values[i]));
		else
			ck_assert_ptr_null(mp_metrics_counter(m, "z_total", "Zs.", "n", values[i]));
	}
	ck_assert_ptr_null(mp_metrics_counter(NULL, "x_total", "Xs.", NULL, NULL));
	mp_metrics_free(m);
}
END_TEST

START_TEST(test_bounded_labels)
{
	mp_metrics *m = mp_metrics_new();
	char name[32], *s;

	for (int i = 0; i < MP_METRICS_MAX_LISTENERS + 4; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		mp_metrics_observe(m, name, 200, 1);
	}
	for (int code = 100; code < 100 + MP_METRICS_MAX_CODES + 5; code++)
		mp_metrics_observe(m, "l0", code, 1);
	mp_metrics_observe(m, "l0", 7, 1); /* not a status code */
	s = render(m);
	ck_assert_ptr_nonnull(strstr(s, "{listener=\"l15\",code=\"200\"} 1\n"));
	ck_assert_ptr_null(strstr(s, "listener=\"l16\""));
	/* l0 has 200 plus codes 100..130 in its 32 slots; 131..136 and 7 are "other" */
	ck_assert_ptr_nonnull(strstr(s, "{listener=\"l0\",code=\"130\"} 1\n"));
	ck_assert_ptr_null(strstr(s, "code=\"131\""));
	ck_assert_ptr_nonnull(strstr(s, "{listener=\"l0\",code=\"other\"} 7\n"));
	ck_assert_ptr_nonnull(strstr(s, "_count{listener=\"l0\"} 39\n"));
	ck_assert_ptr_null(mp_metrics_connections(m, "l99"));
	free(s);
	mp_metrics_free(m);
}
END_TEST

START_TEST(test_render_full_buffer)
{
	mp_metrics *m = mp_metrics_new();
	mp_buf *b = mp_buf_new(64);

	mp_metrics_observe(m, "admin", 200, 1);
	ck_assert_int_eq(mp_metrics_render(m, b), MP_ERR_TOO_LARGE);
	mp_buf_free(b);
	mp_metrics_free(m);
}
END_TEST

static void *
hammer(void *arg)
{
	mp_metrics *m = arg;
	static const char *names[] = { "admin", "est", "ocsp" };
	static const int codes[] = { 200, 404, 500, 413 };

	for (int i = 0; i < 20000; i++)
		mp_metrics_observe(m, names[i % 3], codes[i % 4], (uint64_t)i);
	return NULL;
}

START_TEST(test_concurrent)
{
	mp_metrics *m = mp_metrics_new();
	pthread_t t[4];
	char *s;

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, m), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	s = render(m);
	/* 80000 observations over 3 listeners x 4 codes: i%12 picks the pair */
	ck_assert_ptr_nonnull(strstr(s, "{listener=\"admin\",code=\"200\"} 6668\n"));
	ck_assert_ptr_nonnull(strstr(s, "_count{listener=\"admin\"} 26668\n"));
	ck_assert_ptr_nonnull(strstr(s, "_count{listener=\"est\"} 26668\n"));
	ck_assert_ptr_nonnull(strstr(s, "_count{listener=\"ocsp\"} 26664\n"));
	free(s);
	mp_metrics_free(m);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_test(tc, test_render_exact);
	tcase_add_test(tc, test_module_counters);
	tcase_add_test(tc, test_bounded_labels);
	tcase_add_test(tc, test_render_full_buffer);
	tcase_add_test(tc, test_concurrent);
	suite_add_tcase(s, tc);
	return s;
}
