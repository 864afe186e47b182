/*
 * The CRL cache (common/crl_cache.h) with one large manufacturer CRL: ENTRIES
 * revoked certificates with random 16-byte serials in random order, signed
 * with P-256. Prints the CRL's DER size and its size parsed (malloc'd bytes),
 * what a revocation check cost per enrollment without the cache (parse,
 * signature check, the first lookup's sort), what taking the CRL into the
 * cache costs once, and then lookups through the cache (a hit and
 * X509_CRL_get0_by_cert, half of them of listed serials) from THREADS threads
 * for SECONDS seconds. No HTTP: the CRL enters as an uploaded one, through a
 * loader, which is the same cache path as a fetched one after the fetch.
 *   bench_crl_cache [ENTRIES] [THREADS] [SECONDS]
 */
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "crl_cache.h"
#include "err.h"
#include "monotime.h"
#include "num.h"

#define LEAVES 4096

static uint8_t *crl_der;
static int crl_len;
static X509 *ca, *leaves[LEAVES];
static mp_crl_cache *cache;
static atomic_bool stop;

/* Seconds on the monotonic clock. */
static double
now_s(void)
{
	return (double)mp_monotonic_ms() / 1000;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_crl_cache: %s\n", what);
	exit(1);
}

static ASN1_INTEGER *
random_serial(void)
{
	BIGNUM *bn = BN_new();
	ASN1_INTEGER *sn = NULL;

	if (bn == NULL || !BN_rand(bn, 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) ||
	    (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)
		die("serial");
	BN_free(bn);
	return sn;
}

/* A certificate of ca with serial sn (not signed: only issuer and serial count). */
static X509 *
leaf(const ASN1_INTEGER *sn)
{
	X509 *x = X509_new();

	if (x == NULL || !X509_set_serialNumber(x, (ASN1_INTEGER *)sn) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca)))
		die("leaf");
	return x;
}

static void
make(EVP_PKEY *key, int entries)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();

	ca = X509_new();
	if (crl == NULL || t == NULL || ca == NULL ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(ca), "CN", MBSTRING_UTF8,
	    (const unsigned char *)"Bench Manufacturer CA", -1, -1, 0) ||
	    !X509_set_issuer_name(ca, X509_get_subject_name(ca)) || !X509_set_pubkey(ca, key) ||
	    X509_gmtime_adj(X509_getm_notBefore(ca), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(ca), 86400) == NULL ||
	    X509_sign(ca, key, EVP_sha256()) <= 0 || !X509_CRL_set_version(crl, 1) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) ||
	    X509_gmtime_adj(t, -60) == NULL || !X509_CRL_set1_lastUpdate(crl, t))
		die("CA");
	for (int i = 0; i < entries; i++) {
		X509_REVOKED *rv = X509_REVOKED_new();
		ASN1_INTEGER *sn = random_serial();

		if (rv == NULL || !X509_REVOKED_set_serialNumber(rv, sn) ||
		    !X509_REVOKED_set_revocationDate(rv, t) || !X509_CRL_add0_revoked(crl, rv))
			die("entry");
		if (i < LEAVES / 2)
			leaves[2 * i] = leaf(sn);
		ASN1_INTEGER_free(sn);
	}
	for (int i = 0; i < LEAVES; i++)
		if (leaves[i] == NULL) {
			ASN1_INTEGER *sn = random_serial();

			leaves[i] = leaf(sn);
			ASN1_INTEGER_free(sn);
		}
	if (X509_gmtime_adj(t, 86400) == NULL || !X509_CRL_set1_nextUpdate(crl, t) ||
	    X509_CRL_sign(crl, key, EVP_sha256()) <= 0 || (crl_len = i2d_X509_CRL(crl, &crl_der)) <= 0)
		die("CRL");
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
}

static int
loader(void *arg, const char *id, const char *sha256, uint8_t **der, size_t *len)
{
	(void)arg;
	(void)id;
	(void)sha256;
	if ((*der = malloc((size_t)crl_len)) == NULL)
		return MP_ERR_NOMEM;
	memcpy(*der, crl_der, (size_t)crl_len);
	*len = (size_t)crl_len;
	return MP_OK;
}

static void *
lookups(void *arg)
{
	unsigned long *n = arg, listed = 0;
	X509_REVOKED *rev;
	X509_CRL *crl;

	for (unsigned i = 0; !atomic_load_explicit(&stop, memory_order_relaxed); i++) {
		if (mp_crl_cache_uploaded(cache, "bench", "00", ca, loader, NULL, &crl) != MP_OK)
			die("lookup");
		listed += (unsigned long)X509_CRL_get0_by_cert(crl, &rev, leaves[i % LEAVES]);
		X509_CRL_free(crl);
		(*n)++;
	}
	if (listed * 2 + 2 < *n || listed * 2 > *n + 2)
		die("half of the lookups should be listed");
	return NULL;
}

int
main(int argc, char **argv)
{
	uint64_t entries = 100000, threads = 2, seconds = 3;
	unsigned long counts[64] = { 0 }, total = 0;
	pthread_t tid[64];
	EVP_PKEY *key;
	struct mallinfo2 before, after;
	X509_REVOKED *rev;
	X509_CRL *crl;
	double t0, t1;

	if ((argc > 1 && (mp_parse_u64(argv[1], 10000000, &entries) != MP_OK ||
	    entries < LEAVES / 2)) ||
	    (argc > 2 && (mp_parse_u64(argv[2], 64, &threads) != MP_OK || threads == 0)) ||
	    (argc > 3 && (mp_parse_u64(argv[3], 3600, &seconds) != MP_OK || seconds == 0)))
		die("usage: bench_crl_cache [ENTRIES >= 2048] [THREADS 1..64] [SECONDS]");
	if ((key = EVP_EC_gen("P-256")) == NULL)
		die("key");
	make(key, (int)entries);
	printf("CRL: %d entries, %d bytes of DER\n", (int)entries, crl_len);

	before = mallinfo2();
	t0 = now_s();
	for (int i = 0; i < 3; i++) {
		const unsigned char *p = crl_der;

		if ((crl = d2i_X509_CRL(NULL, &p, crl_len)) == NULL ||
		    X509_CRL_verify(crl, X509_get0_pubkey(ca)) != 1)
			die("parse");
		X509_CRL_get0_by_cert(crl, &rev, leaves[1]);
		if (i == 0)
			after = mallinfo2();
		X509_CRL_free(crl);
	}
	t1 = now_s();
	printf("parsed: %zu bytes (%.1f x the DER)\n", after.uordblks - before.uordblks,
	    (double)(after.uordblks - before.uordblks) / crl_len);
	printf("without the cache, per enrollment (parse, verify, sort, look up): %.1f ms\n",
	    (t1 - t0) / 3 * 1000);

	if ((cache = mp_crl_cache_new(NULL, NULL)) == NULL)
		die("cache");
	t0 = now_s();
	if (mp_crl_cache_uploaded(cache, "bench", "00", ca, loader, NULL, &crl) != MP_OK)
		die("first lookup");
	t1 = now_s();
	X509_CRL_free(crl);
	printf("into the cache, once (parse, verify, sort): %.1f ms\n", (t1 - t0) * 1000);

	t0 = now_s();
	for (uint64_t i = 0; i < threads; i++)
		if (pthread_create(&tid[i], NULL, lookups, &counts[i]) != 0)
			die("thread");
	while (now_s() - t0 < (double)seconds) {
		struct timespec ts = { 0, 50 * 1000000L };

		nanosleep(&ts, NULL);
	}
	atomic_store(&stop, true);
	for (uint64_t i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		total += counts[i];
	}
	t1 = now_s();
	printf("cached lookups, %d threads: %.0f/s (%.2f us each per thread)\n", (int)threads,
	    (double)total / (t1 - t0), (t1 - t0) * (double)threads / (double)total * 1e6);

	mp_crl_cache_free(cache);
	for (int i = 0; i < LEAVES; i++)
		X509_free(leaves[i]);
	X509_free(ca);
	OPENSSL_free(crl_der);
	EVP_PKEY_free(key);
	return 0;
}
