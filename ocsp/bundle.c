/* Reading, checking and searching OCSP bundles (bundle.h; the format is in docs/ocsp.md). */
#include "bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "timefmt.h"

/* A response record: hash, serial, status, signer, times, core. */
#define REC_RESPONSE 1
#define REC_END 0

struct bundle_ca {
	char id[MP_UUID_STR_LEN + 1];
	const uint8_t *cert;
	size_t cert_len;
	X509 *x509; /* set by ocsp_bundle_verify */
	const uint8_t *signers[OCSP_BUNDLE_MAX_SIGNERS];
	size_t signer_lens[OCSP_BUNDLE_MAX_SIGNERS];
	size_t nsigners;
	ocsp_bundle_crl crl[2]; /* full, delta; der NULL when absent */
	const uint8_t **index;  /* response records (at their hash octet), sorted */
	size_t n;
	char spec[MP_KEY_SPEC_NAME_MAX]; /* of the signature */
	const uint8_t *sig;
	size_t sig_len;
};

struct ocsp_bundle {
	atomic_uint refs;
	mp_buf *data;
	int64_t produced_at;
	uint8_t digest[32]; /* SHA-256 of everything before the signatures */
	struct bundle_ca *cas;
	size_t nca, nresp;
};

/* A response record decoded from where the index points. */
struct rec {
	uint8_t hash, status, signer;
	const uint8_t *serial;
	size_t serial_len;
	int64_t this_update, next_update;
	const uint8_t *core;
	size_t core_len;
};

__attribute__((format(printf, 4, 5))) static int
fail(char *err, size_t errsz, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return r;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/*
 * Decodes the record at p (already checked by parse_responses): hash (1),
 * serial (string), status (1), signer (1), this/next (8 each), core (string).
 */
static void
rec_decode(const uint8_t *p, struct rec *r)
{
	r->hash = p[0];
	r->serial_len = be32(p + 1);
	r->serial = p + 5;
	p += 5 + r->serial_len;
	r->status = p[0];
	r->signer = p[1];
	r->this_update = (int64_t)be64(p + 2);
	r->next_update = (int64_t)be64(p + 10);
	r->core_len = be32(p + 18);
	r->core = p + 22;
}

/* Order of the index: hash, then serial length, then serial octets. */
static int
key_cmp(uint8_t ha, const uint8_t *sa, size_t la, uint8_t hb, const uint8_t *sb, size_t lb)
{
	if (ha != hb)
		return ha < hb ? -1 : 1;
	if (la != lb)
		return la < lb ? -1 : 1;
	return memcmp(sa, sb, la);
}

static int
index_cmp(const void *a, const void *b)
{
	struct rec x, y;

	rec_decode(*(const uint8_t *const *)a, &x);
	rec_decode(*(const uint8_t *const *)b, &y);
	return key_cmp(x.hash, x.serial, x.serial_len, y.hash, y.serial, y.serial_len);
}

/* Strips the sign octet a positive INTEGER with its top bit set carries. */
static void
serial_canon(const uint8_t **s, size_t *n)
{
	if (*n > 1 && (*s)[0] == 0) {
		(*s)++;
		(*n)--;
	}
}

/* Reads one response record, checking every field; *start is where it begins. */
static int
parse_response(mp_buf *b, const struct bundle_ca *ca, const uint8_t **start, char *err,
    size_t errsz)
{
	const uint8_t *serial, *core;
	size_t serial_len, core_len;
	uint64_t this_update, next_update;
	uint8_t hash, status, signer;

	*start = mp_buf_ptr(b);
	if (mp_buf_get_u8(b, &hash) != MP_OK ||
	    mp_buf_get_string_direct(b, OCSP_BUNDLE_MAX_SERIAL, &serial, &serial_len) != MP_OK ||
	    mp_buf_get_u8(b, &status) != MP_OK || mp_buf_get_u8(b, &signer) != MP_OK ||
	    mp_buf_get_u64(b, &this_update) != MP_OK || mp_buf_get_u64(b, &next_update) != MP_OK ||
	    mp_buf_get_string_direct(b, OCSP_BUNDLE_MAX_ITEM, &core, &core_len) != MP_OK)
		return fail(err, errsz, MP_ERR_INVALID, "CA %s: truncated or oversized response",
		    ca->id);
	if (hash > OCSP_HASH_SHA512 || status > OCSP_UNKNOWN || signer >= ca->nsigners ||
	    serial_len == 0 || (serial_len > 1 && serial[0] == 0) || core_len == 0 ||
	    this_update > (uint64_t)INT64_MAX || next_update > (uint64_t)INT64_MAX ||
	    next_update <= this_update)
		return fail(err, errsz, MP_ERR_INVALID, "CA %s: malformed response record", ca->id);
	return MP_OK;
}

/* Reads a CA's responses up to the end record, and indexes them. */
static int
parse_responses(mp_buf *b, struct bundle_ca *ca, char *err, size_t errsz)
{
	size_t cap = 0;
	uint8_t kind;
	int r;

	for (;;) {
		const uint8_t *start;

		if (mp_buf_get_u8(b, &kind) != MP_OK)
			return fail(err, errsz, MP_ERR_INVALID, "CA %s: truncated responses", ca->id);
		if (kind == REC_END)
			break;
		if (kind != REC_RESPONSE)
			return fail(err, errsz, MP_ERR_INVALID, "CA %s: unknown record %u", ca->id,
			    kind);
		if ((r = parse_response(b, ca, &start, err, errsz)) != MP_OK)
			return r;
		if (ca->n == cap) {
			const uint8_t **n;

			cap = cap == 0 ? 1024 : cap * 2;
			if ((n = realloc(ca->index, cap * sizeof(*n))) == NULL)
				return MP_ERR_NOMEM;
			ca->index = n;
		}
		ca->index[ca->n++] = start;
	}
	if (ca->n > 1)
		qsort(ca->index, ca->n, sizeof(*ca->index), index_cmp);
	for (size_t i = 1; i < ca->n; i++)
		if (index_cmp(&ca->index[i - 1], &ca->index[i]) == 0)
			return fail(err, errsz, MP_ERR_INVALID, "CA %s: two responses for one serial",
			    ca->id);
	return MP_OK;
}

/* An optional DER item: absent when empty. */
static int
get_item(mp_buf *b, const uint8_t **p, size_t *len)
{
	int r;

	if ((r = mp_buf_get_string_direct(b, OCSP_BUNDLE_MAX_ITEM, p, len)) != MP_OK)
		return r;
	if (*len == 0)
		*p = NULL;
	return MP_OK;
}

static int
parse_ca(mp_buf *b, struct bundle_ca *ca, char *err, size_t errsz)
{
	const uint8_t *id;
	size_t idlen;
	uint32_t ns;

	if (mp_buf_get_string_direct(b, MP_UUID_STR_LEN, &id, &idlen) != MP_OK ||
	    idlen != MP_UUID_STR_LEN)
		return fail(err, errsz, MP_ERR_INVALID, "malformed CA id");
	memcpy(ca->id, id, idlen);
	ca->id[idlen] = '\0';
	for (size_t i = 0; i < idlen; i++)
		if (!(ca->id[i] == '-' || (ca->id[i] >= '0' && ca->id[i] <= '9') ||
		    (ca->id[i] >= 'a' && ca->id[i] <= 'f')))
			return fail(err, errsz, MP_ERR_INVALID, "malformed CA id");
	if (mp_buf_get_string_direct(b, OCSP_BUNDLE_MAX_ITEM, &ca->cert, &ca->cert_len) != MP_OK ||
	    ca->cert_len == 0 || mp_buf_get_u32(b, &ns) != MP_OK || ns == 0 ||
	    ns > OCSP_BUNDLE_MAX_SIGNERS)
		return fail(err, errsz, MP_ERR_INVALID, "CA %s: malformed certificate or signers",
		    ca->id);
	ca->nsigners = ns;
	for (size_t i = 0; i < ns; i++)
		if (mp_buf_get_string_direct(b, OCSP_BUNDLE_MAX_ITEM, &ca->signers[i],
		    &ca->signer_lens[i]) != MP_OK || ca->signer_lens[i] == 0)
			return fail(err, errsz, MP_ERR_INVALID, "CA %s: malformed signer", ca->id);
	if (get_item(b, &ca->crl[0].der, &ca->crl[0].len) != MP_OK ||
	    get_item(b, &ca->crl[1].der, &ca->crl[1].len) != MP_OK)
		return fail(err, errsz, MP_ERR_INVALID, "CA %s: malformed CRL", ca->id);
	return parse_responses(b, ca, err, errsz);
}

static int
parse_signature(mp_buf *b, struct bundle_ca *ca, char *err, size_t errsz)
{
	const uint8_t *spec;
	size_t spec_len;
	mp_key_spec ks;

	if (mp_buf_get_string_direct(b, MP_KEY_SPEC_NAME_MAX - 1, &spec, &spec_len) != MP_OK ||
	    mp_buf_get_string_direct(b, 4096, &ca->sig, &ca->sig_len) != MP_OK || ca->sig_len == 0)
		return fail(err, errsz, MP_ERR_INVALID, "CA %s: malformed signature", ca->id);
	memcpy(ca->spec, spec, spec_len);
	ca->spec[spec_len] = '\0';
	if (mp_key_spec_parse(ca->spec, &ks) != MP_OK)
		return fail(err, errsz, MP_ERR_INVALID, "CA %s: unknown signature algorithm",
		    ca->id);
	return MP_OK;
}

static void
bundle_free(ocsp_bundle *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; b->cas != NULL && i < b->nca; i++) {
		free(b->cas[i].index);
		X509_free(b->cas[i].x509);
	}
	free(b->cas);
	mp_buf_free(b->data);
	free(b);
}

int
ocsp_bundle_parse(mp_buf *data, ocsp_bundle **out, char *err, size_t errsz)
{
	ocsp_bundle *b;
	uint8_t magic[OCSP_BUNDLE_MAGIC_LEN];
	const uint8_t *start = mp_buf_ptr(data);
	uint64_t produced;
	uint32_t nca;
	int r = MP_ERR_NOMEM;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		mp_buf_free(data);
		return MP_ERR_NOMEM;
	}
	atomic_init(&b->refs, 1);
	b->data = data;
	if (mp_buf_get(data, magic, sizeof(magic)) != MP_OK ||
	    memcmp(magic, OCSP_BUNDLE_MAGIC, sizeof(magic)) != 0) {
		r = fail(err, errsz, MP_ERR_INVALID, "not an OCSP bundle (no %s header)",
		    "MIDPKI-OCSP-BUNDLE-1");
		goto out;
	}
	if (mp_buf_get_u64(data, &produced) != MP_OK || produced > (uint64_t)INT64_MAX ||
	    mp_buf_get_u32(data, &nca) != MP_OK || nca == 0 || nca > OCSP_BUNDLE_MAX_CAS) {
		r = fail(err, errsz, MP_ERR_INVALID, "malformed bundle header");
		goto out;
	}
	b->produced_at = (int64_t)produced;
	if ((b->cas = calloc(nca, sizeof(*b->cas))) == NULL)
		goto out;
	b->nca = nca;
	for (size_t i = 0; i < nca; i++) {
		if ((r = parse_ca(data, &b->cas[i], err, errsz)) != MP_OK)
			goto out;
		b->nresp += b->cas[i].n;
		for (size_t j = 0; j < i; j++)
			if (strcmp(b->cas[j].id, b->cas[i].id) == 0) {
				r = fail(err, errsz, MP_ERR_INVALID, "CA %s appears twice", b->cas[i].id);
				goto out;
			}
	}
	if (!EVP_Digest(start, (size_t)(mp_buf_ptr(data) - start), b->digest, NULL, EVP_sha256(),
	    NULL)) {
		r = MP_ERR_CRYPTO;
		goto out;
	}
	for (size_t i = 0; i < nca; i++)
		if ((r = parse_signature(data, &b->cas[i], err, errsz)) != MP_OK)
			goto out;
	if (mp_buf_len(data) != 0) {
		r = fail(err, errsz, MP_ERR_INVALID, "trailing bytes after the signatures");
		goto out;
	}
	*out = b;
	b = NULL;
	r = MP_OK;
out:
	bundle_free(b);
	return r;
}

/* Parses a CRL of ca, checks its signature and reads its times. */
static int
verify_crl(struct bundle_ca *ca, ocsp_bundle_crl *c, const char *what, char *err, size_t errsz)
{
	const unsigned char *p = c->der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)c->len);
	EVP_PKEY *pub = X509_get0_pubkey(ca->x509);
	int r = fail(err, errsz, MP_ERR_INTEGRITY, "CA %s: the %s CRL is not signed by the CA",
	    ca->id, what);

	if (crl == NULL || p != c->der + c->len || pub == NULL ||
	    X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca->x509)) != 0 ||
	    X509_CRL_verify(crl, pub) != 1)
		goto out;
	c->this_update = ca_time_of(X509_CRL_get0_lastUpdate(crl));
	c->next_update = X509_CRL_get0_nextUpdate(crl) != NULL ?
	    ca_time_of(X509_CRL_get0_nextUpdate(crl)) : 0;
	if (c->this_update < 0 || c->next_update < 0)
		goto out;
	r = MP_OK;
out:
	X509_CRL_free(crl);
	return r;
}

static X509 *
parse_cert(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	if (x != NULL && p != der + len) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

/* ca's certificate chains to trust, with the bundle's other CA certificates as intermediates. */
static int
verify_chain(ocsp_bundle *b, struct bundle_ca *ca, X509_STORE *trust, int64_t now, char *err,
    size_t errsz)
{
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int r = MP_ERR_NOMEM;

	if (untrusted == NULL || ctx == NULL)
		goto out;
	for (size_t i = 0; i < b->nca; i++)
		if (b->cas[i].x509 != NULL && !sk_X509_push(untrusted, b->cas[i].x509))
			goto out;
	if (!X509_STORE_CTX_init(ctx, trust, ca->x509, untrusted)) {
		r = MP_ERR_CRYPTO;
		goto out;
	}
	X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
	if (X509_verify_cert(ctx) != 1 || X509_check_ca(ca->x509) < 1) {
		int e = X509_STORE_CTX_get_error(ctx);

		r = fail(err, errsz, MP_ERR_INTEGRITY, "CA %s is not trusted: %s", ca->id,
		    e != X509_V_OK ? X509_verify_cert_error_string(e) : "not a CA certificate");
		goto out;
	}
	r = MP_OK;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	return r;
}

/* Signer j of ca: issued by ca for OCSP signing; the first must be valid now and have signed. */
static int
verify_signer(ocsp_bundle *b, struct bundle_ca *ca, size_t j, int64_t now, char *err,
    size_t errsz)
{
	X509 *s = parse_cert(ca->signers[j], ca->signer_lens[j]);
	EVP_PKEY *pub = X509_get0_pubkey(ca->x509);
	uint8_t msg[sizeof(OCSP_BUNDLE_SIG_CONTEXT) + 32];
	time_t t = (time_t)now;
	mp_key_spec spec;
	int r = fail(err, errsz, MP_ERR_INTEGRITY,
	    "CA %s: signer %zu is not an OCSP signer issued by the CA", ca->id, j);

	if (s == NULL || pub == NULL || X509_check_issued(ca->x509, s) != X509_V_OK ||
	    X509_verify(s, pub) != 1 || (X509_get_extension_flags(s) & EXFLAG_XKUSAGE) == 0 ||
	    (X509_get_extended_key_usage(s) & XKU_OCSP_SIGN) == 0)
		goto out;
	if (j > 0) {
		r = MP_OK;
		goto out;
	}
	if (X509_cmp_time(X509_get0_notBefore(s), &t) >= 0 ||
	    X509_cmp_time(X509_get0_notAfter(s), &t) <= 0) {
		r = fail(err, errsz, MP_ERR_INTEGRITY, "CA %s: the bundle's signer is not valid now",
		    ca->id);
		goto out;
	}
	memcpy(msg, OCSP_BUNDLE_SIG_CONTEXT, sizeof(OCSP_BUNDLE_SIG_CONTEXT));
	memcpy(msg + sizeof(OCSP_BUNDLE_SIG_CONTEXT), b->digest, 32);
	if (mp_key_spec_parse(ca->spec, &spec) != MP_OK ||
	    mp_verify_data(&spec, X509_get0_pubkey(s), msg, sizeof(msg), ca->sig, ca->sig_len) !=
		MP_OK) {
		r = fail(err, errsz, MP_ERR_INTEGRITY, "CA %s: the bundle signature does not verify",
		    ca->id);
		goto out;
	}
	r = MP_OK;
out:
	X509_free(s);
	return r;
}

int
ocsp_bundle_verify(ocsp_bundle *b, X509_STORE *trust, int64_t now, char *err, size_t errsz)
{
	int r;

	for (size_t i = 0; i < b->nca; i++)
		if (b->cas[i].x509 == NULL &&
		    (b->cas[i].x509 = parse_cert(b->cas[i].cert, b->cas[i].cert_len)) == NULL)
			return fail(err, errsz, MP_ERR_INTEGRITY, "CA %s: malformed certificate",
			    b->cas[i].id);
	for (size_t i = 0; i < b->nca; i++) {
		struct bundle_ca *ca = &b->cas[i];

		if ((r = verify_chain(b, ca, trust, now, err, errsz)) != MP_OK)
			goto out;
		for (size_t j = 0; j < ca->nsigners; j++)
			if ((r = verify_signer(b, ca, j, now, err, errsz)) != MP_OK)
				goto out;
		if ((ca->crl[0].der != NULL &&
			(r = verify_crl(ca, &ca->crl[0], "full", err, errsz)) != MP_OK) ||
		    (ca->crl[1].der != NULL &&
			(r = verify_crl(ca, &ca->crl[1], "delta", err, errsz)) != MP_OK))
			goto out;
	}
	r = MP_OK;
out:
	ERR_clear_error();
	return r;
}

/* Reads the whole of fd into a new buffer of at most OCSP_BUNDLE_MAX_BYTES. */
static int
read_all(int fd, mp_buf **out)
{
	mp_buf *b = mp_buf_new(OCSP_BUNDLE_MAX_BYTES);
	uint8_t chunk[65536];
	ssize_t n;
	int r;

	if (b == NULL)
		return MP_ERR_NOMEM;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mp_buf_free(b);
			return MP_ERR_IO;
		}
		if ((r = mp_buf_put(b, chunk, (size_t)n)) != MP_OK) {
			mp_buf_free(b);
			return r;
		}
	}
	*out = b;
	return MP_OK;
}

int
ocsp_bundle_load(const char *path, X509_STORE *trust, int64_t now, ocsp_bundle **out,
    char *err, size_t errsz)
{
	ocsp_bundle *b = NULL;
	mp_buf *data = NULL;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return fail(err, errsz, MP_ERR_IO, "%s: %s", path, strerror(errno));
	r = read_all(fd, &data);
	close(fd);
	if (r == MP_ERR_TOO_LARGE)
		return fail(err, errsz, r, "%s: larger than %zu bytes", path, OCSP_BUNDLE_MAX_BYTES);
	if (r != MP_OK)
		return fail(err, errsz, r, "%s: %s", path, r == MP_ERR_IO ? strerror(errno) :
		    mp_strerror(r));
	if ((r = ocsp_bundle_parse(data, &b, err, errsz)) != MP_OK ||
	    (r = ocsp_bundle_verify(b, trust, now, err, errsz)) != MP_OK) {
		ocsp_bundle_unref(b);
		return r;
	}
	*out = b;
	return MP_OK;
}

int
ocsp_bundle_trust_load(const char *path, X509_STORE **out, char *err, size_t errsz)
{
	X509_STORE *s = X509_STORE_new();

	if (s == NULL)
		return MP_ERR_NOMEM;
	if (X509_STORE_load_file(s, path) != 1 ||
	    sk_X509_OBJECT_num(X509_STORE_get0_objects(s)) == 0) {
		X509_STORE_free(s);
		ERR_clear_error();
		return fail(err, errsz, access(path, R_OK) == 0 ? MP_ERR_INVALID : MP_ERR_IO,
		    "%s: no readable PEM certificate to trust", path);
	}
	*out = s;
	return MP_OK;
}

ocsp_bundle *
ocsp_bundle_ref(ocsp_bundle *b)
{
	if (b != NULL)
		atomic_fetch_add(&b->refs, 1);
	return b;
}

void
ocsp_bundle_unref(ocsp_bundle *b)
{
	if (b != NULL && atomic_fetch_sub(&b->refs, 1) == 1)
		bundle_free(b);
}

int64_t
ocsp_bundle_produced_at(const ocsp_bundle *b)
{
	return b->produced_at;
}

size_t
ocsp_bundle_ca_count(const ocsp_bundle *b)
{
	return b->nca;
}

size_t
ocsp_bundle_response_count(const ocsp_bundle *b)
{
	return b->nresp;
}

const char *
ocsp_bundle_ca_id(const ocsp_bundle *b, size_t i)
{
	return b->cas[i].id;
}

X509 *
ocsp_bundle_ca_cert(const ocsp_bundle *b, size_t i)
{
	return b->cas[i].x509;
}

void
ocsp_bundle_ca_der(const ocsp_bundle *b, size_t i, const uint8_t **der, size_t *len)
{
	*der = b->cas[i].cert;
	*len = b->cas[i].cert_len;
}

size_t
ocsp_bundle_signer_count(const ocsp_bundle *b, size_t i)
{
	return b->cas[i].nsigners;
}

long
ocsp_bundle_find_ca(const ocsp_bundle *b, const char *id)
{
	for (size_t i = 0; i < b->nca; i++)
		if (strcmp(b->cas[i].id, id) == 0)
			return (long)i;
	return -1;
}

int
ocsp_bundle_find(const ocsp_bundle *b, size_t i, ocsp_hash h, const uint8_t *serial,
    size_t serial_len, ocsp_bundle_resp *out)
{
	const struct bundle_ca *ca = &b->cas[i];
	size_t lo = 0, hi = ca->n;

	serial_canon(&serial, &serial_len);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct rec x;
		int c;

		rec_decode(ca->index[mid], &x);
		c = key_cmp(x.hash, x.serial, x.serial_len, (uint8_t)h, serial, serial_len);
		if (c < 0) {
			lo = mid + 1;
		} else if (c > 0) {
			hi = mid;
		} else {
			*out = (ocsp_bundle_resp){ (ocsp_cert_status)x.status, x.this_update,
				x.next_update, x.core, x.core_len, ca->signers[x.signer],
				ca->signer_lens[x.signer] };
			return MP_OK;
		}
	}
	return MP_ERR_NOT_FOUND;
}

int
ocsp_bundle_crl_get(const ocsp_bundle *b, size_t i, bool delta, ocsp_bundle_crl *out)
{
	const ocsp_bundle_crl *c = &b->cas[i].crl[delta ? 1 : 0];

	if (c->der == NULL)
		return MP_ERR_NOT_FOUND;
	*out = *c;
	return MP_OK;
}
