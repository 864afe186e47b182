/* The HTTP server: routing, limits, connection count, drain, metrics, worker hooks. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "err.h"
#include "http_harness.h"

static int fini_calls;
static int worker_tag = 42;

static void
h_hello(mp_http_req *req, void *arg)
{
	(void)arg;
	mp_http_reply(req, 200, "text/plain", "hello", 5);
}

static void
h_json(mp_http_req *req, void *arg)
{
	(void)arg;
	mp_http_reply_json(req, 200, json_pack("{s:b}", "ok", 1));
}

static void
h_echo(mp_http_req *req, void *arg)
{
	const char *v = mp_http_req_query(req, "name");
	char out[512];

	(void)arg;
	snprintf(out, sizeof(out), "%s|%s|%s|%s", mp_http_req_method(req), mp_http_req_path(req),
	    v != NULL ? v : "(none)", mp_http_req_listener(req));
	mp_http_reply(req, 200, "text/plain", out, strlen(out));
}

static void
h_body(mp_http_req *req, void *arg)
{
	size_t len;
	const uint8_t *b = mp_http_req_body(req, &len);

	(void)arg;
	mp_http_reply(req, 200, "application/octet-stream", b, len);
}

static void
h_worker(mp_http_req *req, void *arg)
{
	int *tag = mp_http_req_worker(req);
	char out[64];

	(void)arg;
	snprintf(out, sizeof(out), "%d %s", tag != NULL ? *tag : -1, mp_http_req_remote(req));
	mp_http_reply(req, 200, "text/plain", out, strlen(out));
}

static void
h_silent(mp_http_req *req, void *arg)
{
	(void)req;
	(void)arg;
}

static void
h_field(mp_http_req *req, void *arg)
{
	(void)arg;
	mp_http_reply_error(req, 422, "invalid_field", "serial is too long", "serial");
}

static const mp_http_route routes[] = {
	{ "GET", "/hello", h_hello },
	{ "GET", "/json", h_json },
	{ "GET", "/echo", h_echo },
	{ "DELETE", "/echo", h_echo },
	{ "GET", "/api/v1/*", h_echo },
	{ "POST", "/body", h_body },
	{ "GET", "/worker", h_worker },
	{ "GET", "/silent", h_silent },
	{ "GET", "/field", h_field },
};

static int
init_hook(void *arg, void **ctx)
{
	*ctx = arg;
	return 0;
}

static int
failing_init(void *arg, void **ctx)
{
	(void)arg;
	(void)ctx;
	return -1;
}

static void
fini_hook(void *ctx)
{
	ck_assert_ptr_eq(ctx, &worker_tag);
	__atomic_add_fetch(&fini_calls, 1, __ATOMIC_SEQ_CST);
}

/* The server under test: small limits so that tests can cross them. */
static void
fx_setup(struct http_harness *f, uint64_t max_conns)
{
	char addr[64], err[256];

	hh_init(f, addr, sizeof(addr));
	f->cfg->http_max_header_bytes = 1024;
	f->cfg->http_max_body_bytes = 1024;
	f->cfg->http_max_connections = max_conns;
	f->cfg->http_request_timeout_ms = 1500;
	f->cfg->http_drain_timeout_ms = 3000;
	ck_assert_ptr_nonnull(f->metrics = mp_metrics_new());
	hh_new_server(f);
	ck_assert_int_eq(mp_http_server_set_worker_hooks(f->srv, init_hook, fini_hook, &worker_tag),
	    MP_OK);
	ck_assert_int_eq(mp_http_listen(f->srv, "admin", addr, NULL, routes,
	                     sizeof(routes) / sizeof(routes[0]), NULL, err, sizeof(err)),
	    MP_OK);
}

static int
connect_port(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return; /* the server may close early on purpose */
		p += w;
		n -= (size_t)w;
	}
}

static void
sends(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/* Reads until EOF or timeout_ms; returns the bytes read (NUL-terminated). */
static size_t
read_all(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t off = 0;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (off + 1 < cap && poll(&pfd, 1, timeout_ms) == 1) {
		ssize_t n = recv(fd, buf + off, cap - 1 - off, 0);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	return off;
}

/* Sends raw request bytes on a new connection and reads the whole answer. */
static int
raw(uint16_t port, const char *req, size_t reqlen, char *resp, size_t cap)
{
	int fd = connect_port(port), status = 0;

	send_all(fd, req, reqlen);
	read_all(fd, resp, cap, 5000);
	close(fd);
	if (strncmp(resp, "HTTP/1.1 ", 9) == 0)
		for (int i = 9; i < 12 && resp[i] >= '0' && resp[i] <= '9'; i++)
			status = status * 10 + (resp[i] - '0');
	return status;
}

static int
raws(uint16_t port, const char *req, char *resp, size_t cap)
{
	return raw(port, req, strlen(req), resp, cap);
}

static int
get(uint16_t port, const char *target, char *resp, size_t cap)
{
	char req[2048];
	int n = snprintf(req, sizeof(req),
	    "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", target);

	return raw(port, req, (size_t)n, resp, cap);
}

static const char *
body_of(const char *resp)
{
	const char *p = strstr(resp, "\r\n\r\n");

	return p != NULL ? p + 4 : "";
}

/* Polls the metrics text until it contains line (up to 3 s). */
static bool
metrics_has(mp_metrics *m, const char *line)
{
	for (int i = 0; i < 300; i++) {
		mp_buf *b = mp_buf_new(1 << 16);
		bool found;

		ck_assert_int_eq(mp_metrics_render(m, b), MP_OK);
		found = strstr(mp_buf_str(b), line) != NULL;
		mp_buf_free(b);
		if (found)
			return true;
		usleep(10000);
	}
	return false;
}

START_TEST(test_ok_and_json)
{
	struct http_harness f;
	char resp[8192];

	fx_setup(&f, 100);
	hh_run(&f);
	ck_assert_int_eq(get(f.port, "/hello", resp, sizeof(resp)), 200);
	ck_assert_ptr_nonnull(strstr(resp, "Content-Type: text/plain\r\n"));
	ck_assert_str_eq(body_of(resp), "hello");
	ck_assert_int_eq(get(f.port, "/json", resp, sizeof(resp)), 200);
	ck_assert_ptr_nonnull(strstr(resp, "Content-Type: application/json\r\n"));
	ck_assert_ptr_nonnull(strstr(resp, "Cache-Control: no-store\r\n"));
	ck_assert_str_eq(body_of(resp), "{\"ok\":true}");
	ck_assert_int_eq(get(f.port, "/field", resp, sizeof(resp)), 422);
	ck_assert_str_eq(body_of(resp),
	    "{\"error\":{\"code\":\"invalid_field\",\"message\":\"serial is too long\","
	    "\"field\":\"serial\"}}");
	ck_assert_int_eq(get(f.port, "/silent", resp, sizeof(resp)), 500);
	ck_assert_str_eq(body_of(resp), "{\"error\":{\"code\":\"internal\",\"message\":\"internal error\"}}");
	hh_stop(&f);
}
END_TEST

START_TEST(test_404_405)
{
	struct http_harness f;
	char resp[8192];

	fx_setup(&f, 100);
	hh_run(&f);
	ck_assert_int_eq(get(f.port, "/nope", resp, sizeof(resp)), 404);
	ck_assert_ptr_nonnull(strstr(resp, "Content-Type: application/json\r\n"));
	ck_assert_str_eq(body_of(resp), "{\"error\":{\"code\":\"not_found\",\"message\":\"no such path\"}}");
	ck_assert_int_eq(raws(f.port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
	                              "Connection: close\r\n\r\n", resp, sizeof(resp)), 405);
	ck_assert_ptr_nonnull(strstr(resp, "Allow: GET, HEAD, DELETE\r\n"));
	ck_assert_str_eq(body_of(resp),
	    "{\"error\":{\"code\":\"method_not_allowed\",\"message\":\"this method is not allowed on "
	    "this path\"}}");
	ck_assert_int_eq(raws(f.port, "TRACE /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	                     resp, sizeof(resp)), 501);
	ck_assert_ptr_nonnull(strstr(body_of(resp), "\"code\":\"method_not_implemented\""));
	ck_assert_int_eq(raws(f.port, "garbage\r\n\r\n", resp, sizeof(resp)), 400);
	ck_assert_str_eq(body_of(resp),
	    "{\"error\":{\"code\":\"bad_request\",\"message\":\"the request is not valid HTTP/1.1\"}}");
	hh_stop(&f);
}
END_TEST

START_TEST(test_path_query)
{
	struct http_harness f;
	char resp[8192];

	fx_setup(&f, 100);
	hh_run(&f);
	ck_assert_int_eq(get(f.port, "/echo?name=a%20b+c&x=1", resp, sizeof(resp)), 200);
	ck_assert_str_eq(body_of(resp), "GET|/echo|a b c|admin");
	ck_assert_int_eq(get(f.port, "/echo?x=1", resp, sizeof(resp)), 200);
	ck_assert_str_eq(body_of(resp), "GET|/echo|(none)|admin");
	ck_assert_int_eq(get(f.port, "/api/v1/devices/%41b", resp, sizeof(resp)), 200);
	ck_assert_str_eq(body_of(resp), "GET|/api/v1/devices/Ab|(none)|admin");
	ck_assert_int_eq(get(f.port, "/api/v1", resp, sizeof(resp)), 404);
	ck_assert_int_eq(get(f.port, "/echo%zz", resp, sizeof(resp)), 400);
	ck_assert_ptr_nonnull(strstr(body_of(resp), "\"code\":\"invalid_path\""));
	ck_assert_int_eq(get(f.port, "/echo%00", resp, sizeof(resp)), 400);
	ck_assert_int_eq(get(f.port, "/echo%4", resp, sizeof(resp)), 400);
	ck_assert_int_eq(get(f.port, "/echo?name=%", resp, sizeof(resp)), 400);
	ck_assert_ptr_nonnull(strstr(body_of(resp), "\"code\":\"invalid_query\""));
	hh_stop(&f);
}
END_TEST

START_TEST(test_header_too_large)
{
	struct http_harness f;
	char req[4096], resp[8192];
	int n;

	fx_setup(&f, 100);
	hh_run(&f);
	/* one header line alone over the limit */
	memset(resp, 'a', 2000);
	resp[2000] = '\0';
	n = snprintf(req, sizeof(req), "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", resp);
	ck_assert_int_eq(raw(f.port, req, (size_t)n, resp, sizeof(resp)), 431);
	ck_assert_ptr_nonnull(strstr(resp, "Content-Type: application/json\r\n"));
	ck_assert_str_eq(body_of(resp),
	    "{\"error\":{\"code\":\"header_too_large\",\"message\":\"the request header exceeds the "
	    "size limit\"}}");
	/* many small lines that add up past the limit */
	n = snprintf(req, sizeof(req), "GET /hello HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < 60; i++)
		n += snprintf(req + n, sizeof(req) - (size_t)n, "X-H%02d: 0123456789\r\n", i);
	n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
	ck_assert_int_eq(raw(f.port, req, (size_t)n, resp, sizeof(resp)), 431);
	/* a request line longer than the limit */
	memset(resp, 'b', 1500);
	resp[1500] = '\0';
	n = snprintf(req, sizeof(req), "GET /%s HTTP/1.1\r\nHost: x\r\n\r\n", resp);
	ck_assert_int_eq(raw(f.port, req, (size_t)n, resp, sizeof(resp)), 431);
	/* just under the limit still works */
	ck_assert_int_eq(get(f.port, "/hello", resp, sizeof(resp)), 200);
	hh_stop(&f);
}
END_TEST

START_TEST(test_body_limits)
{
	struct http_harness f;
	char req[4096], resp[8192], body[2048];
	int n;

	fx_setup(&f, 100);
	hh_run(&f);
	memset(body, 'x', sizeof(body));
	n = snprintf(req, sizeof(req),
	    "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\nConnection: close\r\n\r\n");
	memcpy(req + n, body, 1024);
	ck_assert_int_eq(raw(f.port, req, (size_t)n + 1024, resp, sizeof(resp)), 200);
	ck_assert_uint_eq(strlen(body_of(resp)), 1024);
	n = snprintf(req, sizeof(req),
	    "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\nConnection: close\r\n\r\n");
	memcpy(req + n, body, 1025);
	ck_assert_int_eq(raw(f.port, req, (size_t)n + 1025, resp, sizeof(resp)), 413);
	ck_assert_str_eq(body_of(resp),
	    "{\"error\":{\"code\":\"body_too_large\",\"message\":\"the request body exceeds the size "
	    "limit\"}}");
	/* declared length alone is enough */
	n = snprintf(req, sizeof(req),
	    "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n");
	ck_assert_int_eq(raw(f.port, req, (size_t)n, resp, sizeof(resp)), 413);
	/* chunked past the limit */
	n = snprintf(req, sizeof(req),
	    "POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n");
	memcpy(req + n, body, 1024);
	n += 1024;
	n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n");
	ck_assert_int_eq(raw(f.port, req, (size_t)n, resp, sizeof(resp)), 413);
	hh_stop(&f);
}
END_TEST

START_TEST(test_keepalive_pipelined)
{
	struct http_harness f;
	char resp[8192];
	const char *two = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
	                  "GET /echo?name=z HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	const char *p;
	int fd;

	fx_setup(&f, 100);
	hh_run(&f);
	fd = connect_port(f.port);
	send_all(fd, two, strlen(two));
	read_all(fd, resp, sizeof(resp), 5000);
	close(fd);
	ck_assert_int_eq(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17), 0);
	ck_assert_ptr_nonnull(p = strstr(resp + 17, "HTTP/1.1 200 OK\r\n"));
	ck_assert_ptr_nonnull(strstr(p, "GET|/echo|z|admin"));
	ck_assert(metrics_has(f.metrics, "midpki_http_requests_total{listener=\"admin\",code=\"200\"} 2\n"));
	hh_stop(&f);
}
END_TEST

START_TEST(test_framing)
{
	struct http_harness f;
	char resp[8192];
	const char *p;
	int fd;

	fx_setup(&f, 100);
	hh_run(&f);
	/* a chunked body, with an extension and a trailer */
	ck_assert_int_eq(raws(f.port, "POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	                              "Connection: close\r\n\r\n3;a=b\r\nabc\r\n2\r\nde\r\n0\r\n"
	                              "T: 1\r\n\r\n", resp, sizeof(resp)), 200);
	ck_assert_str_eq(body_of(resp), "abcde");
	ck_assert_ptr_nonnull(strstr(resp, "Content-Length: 5\r\n"));
	ck_assert_ptr_nonnull(strstr(resp, "\r\nDate: "));
	ck_assert_int_eq(raws(f.port, "POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	                              "\r\n3\r\nabcX\r\n", resp, sizeof(resp)), 400);
	/* framed two ways: refused, not guessed */
	ck_assert_int_eq(raws(f.port, "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
	                              "Transfer-Encoding: chunked\r\n\r\nabc", resp, sizeof(resp)), 400);
	ck_assert_int_eq(raws(f.port, "POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
	                              "\r\n", resp, sizeof(resp)), 501);
	ck_assert_int_eq(raws(f.port, "POST /body HTTP/1.1\r\nHost: x\r\nExpect: nothing\r\n"
	                              "Content-Length: 1\r\n\r\nx", resp, sizeof(resp)), 417);
	/* HEAD: the headers of GET, no body */
	ck_assert_int_eq(raws(f.port, "HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	                     resp, sizeof(resp)), 200);
	ck_assert_ptr_nonnull(strstr(resp, "Content-Length: 5\r\n"));
	ck_assert_str_eq(body_of(resp), "");
	/* HTTP/1.0 closes unless asked to keep the connection */
	ck_assert_int_eq(raws(f.port, "GET /hello HTTP/1.0\r\n\r\n", resp, sizeof(resp)), 200);
	ck_assert_ptr_nonnull(strstr(resp, "Connection: close\r\n"));
	fd = connect_port(f.port);
	sends(fd, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /json HTTP/1.0\r\n\r\n");
	read_all(fd, resp, sizeof(resp), 5000);
	close(fd);
	ck_assert_ptr_nonnull(p = strstr(resp, "Connection: keep-alive\r\n"));
	ck_assert_ptr_nonnull(strstr(p, "{\"ok\":true}"));
	/* Expect: 100-continue gets its interim answer before the body is sent */
	fd = connect_port(f.port);
	sends(fd, "POST /body HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n"
	          "Connection: close\r\n\r\n");
	ck_assert_int_gt(recv(fd, resp, sizeof(resp) - 1, 0), 0);
	ck_assert_int_eq(strncmp(resp, "HTTP/1.1 100 Continue\r\n\r\n", 25), 0);
	send_all(fd, "ok", 2);
	read_all(fd, resp, sizeof(resp), 5000);
	close(fd);
	ck_assert_int_eq(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17), 0);
	ck_assert_str_eq(body_of(resp), "ok");
	hh_stop(&f);
}
END_TEST

START_TEST(test_connection_limit)
{
	struct http_harness f;
	char resp[256];
	int fds[3], extra;
	struct timespec t0, t1;

	fx_setup(&f, 3);
	hh_run(&f);
	for (int i = 0; i < 3; i++)
		fds[i] = connect_port(f.port);
	ck_assert(metrics_has(f.metrics, "midpki_http_connections_open{listener=\"admin\"} 3\n"));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	extra = connect_port(f.port);
	/* closed at once: EOF without any request sent */
	ck_assert_uint_eq(read_all(extra, resp, sizeof(resp), 3000), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 2);
	close(extra);
	ck_assert(metrics_has(f.metrics, "midpki_http_connections_open{listener=\"admin\"} 3\n"));
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	ck_assert(metrics_has(f.metrics, "midpki_http_connections_open{listener=\"admin\"} 0\n"));
	/* room again */
	ck_assert_int_eq(get(f.port, "/hello", resp, sizeof(resp)), 200);
	hh_stop(&f);
}
END_TEST

START_TEST(test_request_timeout)
{
	struct http_harness f;
	const char *slow = "GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: "
	                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	char resp[256];
	struct timespec t0, t1;
	int fd;

	fx_setup(&f, 100);
	f.cfg->http_request_timeout_ms = 300;
	hh_run(&f);
	fd = connect_port(f.port);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	send_all(fd, "GET /hello HTTP/1.1\r\nHo", 23);
	ck_assert_uint_eq(read_all(fd, resp, sizeof(resp), 5000), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 3);
	close(fd);
	/* trickling in byte by byte does not move the limit */
	fd = connect_port(f.port);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < strlen(slow) && send(fd, slow + i, 1, MSG_NOSIGNAL) == 1; i++)
		usleep(50000);
	ck_assert_uint_eq(read_all(fd, resp, sizeof(resp), 5000), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 2);
	close(fd);
	hh_stop(&f);
}
END_TEST

/*
 * Many pipelined requests whose answers fill the socket buffers: the server
 * stops reading while its output waits, and resumes; every answer arrives in
 * order. The client sends until it cannot, then sends and reads at once.
 */
START_TEST(test_pipelined_backpressure)
{
	enum { N = 8000 };
	struct http_harness f;
	static char req[N * 1100], resp[N * 1400];
	size_t rlen = 0, sent = 0, got = 0, count = 0;
	char body[1000];
	int fd, small = 4096;
	bool reading = false;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	fx_setup(&f, 100);
	hh_run(&f);
	sa.sin_port = htons(f.port);
	memset(body, 'b', sizeof(body));
	for (int i = 0; i < N; i++) {
		rlen += (size_t)snprintf(req + rlen, sizeof(req) - rlen,
		    "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n%s\r\n", sizeof(body),
		    i == N - 1 ? "Connection: close\r\n" : "");
		memcpy(req + rlen, body, sizeof(body));
		rlen += sizeof(body);
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	/* a small receive window fills the server's send buffer early */
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = (reading ? POLLIN : 0) |
			(sent < rlen ? POLLOUT : 0) };
		ssize_t n;

		/* read nothing until sending blocks: the server must stop reading meanwhile */
		if (!reading && poll(&pfd, 1, 300) == 0) {
			reading = true;
			continue;
		}
		if (reading)
			ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
		if ((pfd.revents & POLLOUT) && (n = send(fd, req + sent, rlen - sent,
		    MSG_NOSIGNAL | MSG_DONTWAIT)) > 0)
			sent += (size_t)n;
		if (pfd.revents & (POLLIN | POLLHUP)) {
			n = recv(fd, resp + got, sizeof(resp) - 1 - got, MSG_DONTWAIT);
			if (n == 0)
				break;
			if (n > 0)
				got += (size_t)n;
		}
	}
	close(fd);
	resp[got] = '\0';
	for (size_t i = 0; i + 17 <= got; i++)
		count += memcmp(resp + i, "HTTP/1.1 200 OK\r\n", 17) == 0;
	ck_assert_uint_eq(sent, rlen);
	ck_assert_uint_eq(count, N);
	hh_stop(&f);
}
END_TEST

START_TEST(test_stop_drains)
{
	struct http_harness f;
	char resp[8192];
	const char *head = "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234";
	int busy, idle;

	fx_setup(&f, 100);
	fini_calls = 0;
	hh_run(&f);
	/* an idle keep-alive connection after one request */
	idle = connect_port(f.port);
	send_all(idle, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", 32);
	ck_assert(metrics_has(f.metrics, "midpki_http_requests_total{listener=\"admin\",code=\"200\"} 1\n"));
	/* a request in flight: half its body sent */
	busy = connect_port(f.port);
	send_all(busy, head, strlen(head));
	usleep(200000);
	mp_http_server_stop(f.srv);
	usleep(200000);
	send_all(busy, "56789", 5);
	read_all(busy, resp, sizeof(resp), 5000);
	ck_assert_int_eq(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17), 0);
	ck_assert_ptr_nonnull(strstr(resp, "Connection: close\r\n"));
	ck_assert_str_eq(body_of(resp), "0123456789");
	/* the idle one got its response and was then closed */
	read_all(idle, resp, sizeof(resp), 5000);
	ck_assert_str_eq(body_of(resp), "hello");
	close(busy);
	close(idle);
	hh_join(&f);
	ck_assert_int_eq(fini_calls, 2);
	hh_free(&f);
}
END_TEST

START_TEST(test_drain_timeout)
{
	struct http_harness f;
	struct timespec t0, t1;
	int fd;

	fx_setup(&f, 100);
	f.cfg->http_drain_timeout_ms = 300;
	f.cfg->http_request_timeout_ms = 60000;
	hh_run(&f);
	fd = connect_port(f.port);
	send_all(fd, "GET /hello HTTP/1.1\r\nHo", 23);
	usleep(200000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	mp_http_server_stop(f.srv);
	hh_join(&f);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 3);
	close(fd);
	hh_free(&f);
}
END_TEST

START_TEST(test_metrics_counts)
{
	struct http_harness f;
	char resp[8192];

	fx_setup(&f, 100);
	hh_run(&f);
	ck_assert_int_eq(get(f.port, "/hello", resp, sizeof(resp)), 200);
	ck_assert_int_eq(get(f.port, "/hello", resp, sizeof(resp)), 200);
	ck_assert_int_eq(get(f.port, "/missing", resp, sizeof(resp)), 404);
	ck_assert_int_eq(raws(f.port, "junk\r\n\r\n", resp, sizeof(resp)), 400);
	ck_assert(metrics_has(f.metrics, "midpki_http_requests_total{listener=\"admin\",code=\"200\"} 2\n"));
	ck_assert(metrics_has(f.metrics, "midpki_http_requests_total{listener=\"admin\",code=\"404\"} 1\n"));
	ck_assert(metrics_has(f.metrics, "midpki_http_requests_total{listener=\"admin\",code=\"400\"} 1\n"));
	ck_assert(metrics_has(f.metrics,
	    "midpki_http_request_duration_seconds_bucket{listener=\"admin\",le=\"+Inf\"} 4\n"));
	ck_assert(metrics_has(f.metrics, "midpki_http_request_duration_seconds_count{listener=\"admin\"} 4\n"));
	ck_assert(metrics_has(f.metrics, "midpki_http_connections_open{listener=\"admin\"} 0\n"));
	hh_stop(&f);
}
END_TEST

START_TEST(test_worker_hooks)
{
	struct http_harness f;
	char resp[8192];

	fx_setup(&f, 100);
	fini_calls = 0;
	hh_run(&f);
	ck_assert_int_eq(get(f.port, "/worker", resp, sizeof(resp)), 200);
	ck_assert_str_eq(body_of(resp), "42 127.0.0.1");
	hh_stop(&f);
	ck_assert_int_eq(fini_calls, 2);
}
END_TEST

START_TEST(test_failing_init)
{
	struct http_harness f;

	fx_setup(&f, 100);
	ck_assert_int_eq(mp_http_server_set_worker_hooks(f.srv, failing_init, fini_hook, NULL), MP_OK);
	fini_calls = 0;
	ck_assert_int_ne(mp_http_server_run(f.srv), MP_OK);
	ck_assert_int_eq(fini_calls, 0);
	hh_free(&f);
}
END_TEST

START_TEST(test_listen_errors)
{
	struct http_harness f;
	char addr[64], err[256];

	fx_setup(&f, 100);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", f.port);
	ck_assert_int_eq(mp_http_listen(f.srv, "est", addr, NULL, routes, 1, NULL, err, sizeof(err)),
	    MP_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err, addr));
	ck_assert_ptr_nonnull(strstr(err, "Address already in use"));
	ck_assert_int_eq(mp_http_listen(f.srv, "ocsp", "nonsense", NULL, routes, 1, NULL, err,
	                     sizeof(err)), MP_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err, "nonsense"));
	ck_assert_int_eq(mp_http_listen(f.srv, "admin", "127.0.0.1:1", NULL, routes, 1, NULL, err,
	                     sizeof(err)), MP_ERR_INVALID);
	hh_free(&f);
}
END_TEST

START_TEST(test_dates)
{
	static const struct {
		int64_t t;
		const char *want;
	} cases[] = {
		{ 0, "Thu, 01 Jan 1970 00:00:00 GMT" },
		{ 784111777, "Sun, 06 Nov 1994 08:49:37 GMT" },
		{ 951782400, "Tue, 29 Feb 2000 00:00:00 GMT" },
		{ 4107542399, "Sun, 28 Feb 2100 23:59:59 GMT" },
		{ -1, "Wed, 31 Dec 1969 23:59:59 GMT" },
		{ 253402300799, "Fri, 31 Dec 9999 23:59:59 GMT" },
		{ 253402300800, "Thu, 01 Jan 1970 00:00:00 GMT" },
	};
	char out[MP_HTTP_DATE_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mp_http_date(cases[i].t, out);
		ck_assert_str_eq(out, cases[i].want);
	}
}
END_TEST

START_TEST(test_stop_before_run)
{
	struct http_harness f;

	fx_setup(&f, 100);
	mp_http_server_stop(f.srv);
	ck_assert_int_eq(mp_http_server_run(f.srv), MP_OK);
	hh_free(&f);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("server");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ok_and_json);
	tcase_add_test(tc, test_404_405);
	tcase_add_test(tc, test_path_query);
	tcase_add_test(tc, test_header_too_large);
	tcase_add_test(tc, test_body_limits);
	tcase_add_test(tc, test_keepalive_pipelined);
	tcase_add_test(tc, test_framing);
	tcase_add_test(tc, test_connection_limit);
	tcase_add_test(tc, test_request_timeout);
	tcase_add_test(tc, test_pipelined_backpressure);
	tcase_add_test(tc, test_stop_drains);
	tcase_add_test(tc, test_drain_timeout);
	tcase_add_test(tc, test_metrics_counts);
	tcase_add_test(tc, test_worker_hooks);
	tcase_add_test(tc, test_failing_init);
	tcase_add_test(tc, test_listen_errors);
	tcase_add_test(tc, test_stop_before_run);
	tcase_add_test(tc, test_dates);
	suite_add_tcase(s, tc);
	return s;
}
