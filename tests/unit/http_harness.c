#include "http_harness.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"

uint16_t
hh_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

void
hh_init(struct http_harness *h, char *addr, size_t addrsz)
{
	memset(h, 0, sizeof(*h));
	ck_assert_ptr_nonnull(h->cfg = mp_config_defaults());
	h->cfg->http_workers = 2;
	h->port = hh_free_port();
	snprintf(addr, addrsz, "127.0.0.1:%u", h->port);
}

void
hh_new_server(struct http_harness *h)
{
	ck_assert_ptr_nonnull(h->srv = mp_http_server_new(h->cfg, h->metrics));
}

static void *
run_thread(void *arg)
{
	struct http_harness *h = arg;

	h->run_rc = mp_http_server_run(h->srv);
	return NULL;
}

void
hh_run(struct http_harness *h)
{
	ck_assert_int_eq(pthread_create(&h->thread, NULL, run_thread, h), 0);
}

void
hh_join(struct http_harness *h)
{
	ck_assert_int_eq(pthread_join(h->thread, NULL), 0);
	ck_assert_int_eq(h->run_rc, MP_OK);
}

void
hh_free(struct http_harness *h)
{
	mp_http_server_free(h->srv);
	mp_metrics_free(h->metrics);
	mp_config_free(h->cfg);
}

void
hh_stop(struct http_harness *h)
{
	mp_http_server_stop(h->srv);
	hh_join(h);
	hh_free(h);
}
