/*
 * EST enrollment load generator: N simulated chargers, each with its own
 * P-256 manufacturer certificate (IDevID, made here under the manufacturer CA
 * given) and CSR, enroll on /simpleenroll, each on a fresh TLS 1.3
 * connection (P-256 key exchange) authenticated by its certificate, from
 * THREADS threads at once. Prints enrollments/s and latency percentiles.
 * Everything is prepared before the clock starts. Run by est_enroll.sh.
 *   bench_est_enroll HOST:PORT TRUST.pem MFR.pem MFR.key PREFIX N THREADS
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "bench_csr.h"
#include "num.h"

struct charger {
	X509 *cert;
	EVP_PKEY *key;
	char *body;       /* the CSR as base64 (the PEM's lines) */
	double ms;        /* latency of its enrollment */
	int status;       /* HTTP status, 0 when the exchange failed */
};

static struct charger *chargers;
static size_t nchargers;
static atomic_size_t next_charger;
static SSL_CTX *ctx;
static struct sockaddr_in addr;
static char host_port[64];

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* A device certificate for serial under the manufacturer CA, with a fresh P-256 key. */
static int
make_idevid(X509 *ca, EVP_PKEY *ca_key, const char *serial, struct charger *c)
{
	X509_NAME *n = X509_NAME_new();
	int ok;

	c->key = EVP_EC_gen("P-256");
	c->cert = X509_new();
	ok = n != NULL && c->key != NULL && c->cert != NULL &&
	    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Wallbox", -1,
		-1, 0) &&
	    X509_NAME_add_entry_by_txt(n, "serialNumber", MBSTRING_ASC,
		(const unsigned char *)serial, -1, -1, 0) &&
	    X509_set_version(c->cert, 2) && X509_set_subject_name(c->cert, n) &&
	    X509_set_issuer_name(c->cert, X509_get_subject_name(ca)) &&
	    ASN1_INTEGER_set_int64(X509_get_serialNumber(c->cert), (int64_t)(c - chargers) + 1) &&
	    X509_gmtime_adj(X509_getm_notBefore(c->cert), -3600) != NULL &&
	    X509_gmtime_adj(X509_getm_notAfter(c->cert), 86400) != NULL &&
	    X509_set_pubkey(c->cert, c->key) && X509_sign(c->cert, ca_key, EVP_sha256()) > 0;
	X509_NAME_free(n);
	return ok ? 0 : -1;
}

/* The base64 lines of a CSR for CN=serial (RFC 8951 takes the PEM's wrapping as it is). */
static char *
csr_body(const char *serial)
{
	char *pem = bench_csr_pem(serial), *start, *end, *body = NULL;

	if (pem != NULL && (start = strstr(pem, "-----\n")) != NULL &&
	    (end = strstr(pem, "-----END")) != NULL && end > start + 6)
		body = strndup(start + 6, (size_t)(end - start - 6));
	free(pem);
	return body;
}

/* One enrollment of c on a new connection: its HTTP status, 0 on a failed exchange. */
static int
enroll(struct charger *c)
{
	char head[512], buf[16384];
	size_t blen = strlen(c->body), got = 0;
	int fd = -1, n, status = 0, one = 1;
	SSL *ssl = NULL;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		goto out;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((ssl = SSL_new(ctx)) == NULL || !SSL_use_certificate(ssl, c->cert) ||
	    !SSL_use_PrivateKey(ssl, c->key) || !SSL_set_fd(ssl, fd) || SSL_connect(ssl) != 1)
		goto out;
	n = snprintf(head, sizeof(head), "POST /.well-known/est/simpleenroll HTTP/1.1\r\n"
	    "Host: %s\r\nContent-Type: application/pkcs10\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", host_port, blen);
	if (n <= 0 || (size_t)n >= sizeof(head) || SSL_write(ssl, head, n) != n ||
	    SSL_write(ssl, c->body, (int)blen) != (int)blen)
		goto out;
	while (got < sizeof(buf) - 1 && (n = SSL_read(ssl, buf + got, (int)(sizeof(buf) - 1 - got))) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	if (got > 12 && strncmp(buf, "HTTP/1.1 ", 9) == 0)
		status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
out:
	if (ssl != NULL)
		SSL_shutdown(ssl);
	SSL_free(ssl);
	if (fd >= 0)
		close(fd);
	ERR_clear_error();
	return status;
}

static void *
worker(void *arg)
{
	size_t i;

	(void)arg;
	while ((i = atomic_fetch_add(&next_charger, 1)) < nchargers) {
		struct charger *c = &chargers[i];
		double t0 = now_ms();

		c->status = enroll(c);
		c->ms = now_ms() - t0;
	}
	return NULL;
}

/* CPU seconds (user and system) this process has used so far. */
static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The first certificate (x not NULL) or private key (k not NULL) in the PEM file path. */
static int
read_pem(const char *path, X509 **x, EVP_PKEY **k)
{
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	if (x != NULL)
		*x = PEM_read_X509(f, NULL, NULL, NULL);
	else
		*k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return (x != NULL ? *x != NULL : *k != NULL) ? 0 : -1;
}

int
main(int argc, char **argv)
{
	uint64_t n = 0, threads = 0, port = 0;
	pthread_t *tids = NULL;
	double t0, secs, cpu0, cpu, *lat = NULL;
	size_t ok = 0, nthreads;
	char host[32], serial[64], *colon;
	X509 *ca = NULL;
	EVP_PKEY *ca_key = NULL;

	if (argc != 8 || (colon = strrchr(argv[1], ':')) == NULL ||
	    (size_t)(colon - argv[1]) >= sizeof(host) ||
	    mp_parse_u64(colon + 1, 65535, &port) != 0 || mp_parse_u64(argv[6], 10000000, &n) != 0 ||
	    mp_parse_u64(argv[7], 4096, &threads) != 0 || n == 0 || threads == 0) {
		fprintf(stderr, "usage: bench_est_enroll HOST:PORT TRUST.pem MFR.pem MFR.key PREFIX N"
		    " THREADS\n");
		return 2;
	}
	memcpy(host, argv[1], (size_t)(colon - argv[1]));
	host[colon - argv[1]] = '\0';
	snprintf(host_port, sizeof(host_port), "%s", argv[1]);
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1 || read_pem(argv[3], &ca, NULL) != 0 ||
	    read_pem(argv[4], NULL, &ca_key) != 0) {
		fprintf(stderr, "bench_est_enroll: bad address, CA or key\n");
		return 1;
	}
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set1_groups_list(ctx, "P-256") ||
	    !SSL_CTX_load_verify_locations(ctx, argv[2], NULL)) {
		fprintf(stderr, "bench_est_enroll: TLS context\n");
		return 1;
	}
	/* the trust anchor may be an intermediate CA: the chain ends where the file says */
	X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_PARTIAL_CHAIN);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	nchargers = (size_t)n;
	nthreads = (size_t)threads;
	if ((chargers = calloc(nchargers, sizeof(*chargers))) == NULL ||
	    (lat = calloc(nchargers, sizeof(*lat))) == NULL ||
	    (tids = calloc(nthreads, sizeof(*tids))) == NULL)
		return 1;
	for (size_t i = 0; i < nchargers; i++) {
		snprintf(serial, sizeof(serial), "%s-%zu", argv[5], i);
		if (make_idevid(ca, ca_key, serial, &chargers[i]) != 0 ||
		    (chargers[i].body = csr_body(serial)) == NULL) {
			fprintf(stderr, "bench_est_enroll: preparing charger %zu failed\n", i);
			return 1;
		}
	}
	cpu0 = cpu_s();
	t0 = now_ms();
	for (size_t i = 0; i < nthreads; i++)
		if (pthread_create(&tids[i], NULL, worker, NULL) != 0)
			return 1;
	for (size_t i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);
	secs = (now_ms() - t0) / 1000.0;
	cpu = cpu_s() - cpu0;
	for (size_t i = 0; i < nchargers; i++)
		if (chargers[i].status == 200)
			lat[ok++] = chargers[i].ms;
	qsort(lat, ok, sizeof(*lat), cmp_double);
	printf("each charger: a TCP connection, a full TLS 1.3 handshake (P-256 key exchange,"
	    " its IDevID as client certificate, the server's chain verified), a POST of its CSR"
	    " (made, with its key, before the clock started), the answer read to its end\n");
	printf("%zu chargers, %zu threads: %zu enrolled (HTTP 200), %zu failed, in %.2f s\n",
	    nchargers, nthreads, ok, nchargers - ok, secs);
	if (ok > 0)
		printf("enrollments/s: %.0f   p50 %.1f ms   p99 %.1f ms\n", (double)ok / secs,
		    lat[ok / 2], lat[ok * 99 / 100 < ok ? ok * 99 / 100 : ok - 1]);
	printf("load generator CPU: %.3f ms per enrollment (%.2f s in all)\n",
	    1000.0 * cpu / (double)(ok > 0 ? ok : 1), cpu);
	for (size_t i = 0; i < nchargers; i++) {
		if (chargers[i].status != 200) {
			printf("first failure: charger %zu, HTTP status %d\n", i, chargers[i].status);
			break;
		}
	}
	for (size_t i = 0; i < nchargers; i++) {
		X509_free(chargers[i].cert);
		EVP_PKEY_free(chargers[i].key);
		free(chargers[i].body);
	}
	free(chargers);
	free(lat);
	free(tids);
	SSL_CTX_free(ctx);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return ok == nchargers ? 0 : 1;
}
