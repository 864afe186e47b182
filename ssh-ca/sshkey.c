#include "sshkey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "codec.h"
#include "err.h"

#define ED25519_LEN 32

static const char why_types[] = "unsupported key type: accepted are ssh-ed25519, "
    "ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ssh-rsa (3072 bits or more), "
    "sk-ssh-ed25519@openssh.com and sk-ecdsa-sha2-nistp256@openssh.com";

static const struct {
	sshca_key_type type;
	const char *name;
	const char *cert_name;
} types[] = {
	{ SSHCA_KEY_ED25519, "ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com" },
	{ SSHCA_KEY_ECDSA_P256, "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256-cert-v01@openssh.com" },
	{ SSHCA_KEY_ECDSA_P384, "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384-cert-v01@openssh.com" },
	{ SSHCA_KEY_RSA, "ssh-rsa", "ssh-rsa-cert-v01@openssh.com" },
	{ SSHCA_KEY_SK_ED25519, "sk-ssh-ed25519@openssh.com",
	  "sk-ssh-ed25519-cert-v01@openssh.com" },
	{ SSHCA_KEY_SK_ECDSA_P256, "sk-ecdsa-sha2-nistp256@openssh.com",
	  "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com" },
};

#define N_TYPES (sizeof(types) / sizeof(types[0]))

const char *
sshca_key_type_name(sshca_key_type t)
{
	for (size_t i = 0; i < N_TYPES; i++)
		if (types[i].type == t)
			return types[i].name;
	return "unknown";
}

const char *
sshca_cert_type_name(sshca_key_type t)
{
	for (size_t i = 0; i < N_TYPES; i++)
		if (types[i].type == t)
			return types[i].cert_name;
	return "unknown";
}

sshca_key_type
sshca_key_type_parse(const char *name)
{
	for (size_t i = 0; i < N_TYPES; i++)
		if (strcmp(types[i].name, name) == 0)
			return types[i].type;
	return 0;
}

bool
sshca_key_type_is_sk(sshca_key_type t)
{
	return t == SSHCA_KEY_SK_ED25519 || t == SSHCA_KEY_SK_ECDSA_P256;
}

void
sshca_pubkey_free(sshca_pubkey *k)
{
	if (k == NULL)
		return;
	free(k->blob);
	free(k->comment);
	free(k->application);
	free(k);
}

/* A u32-length-prefixed byte string of at most max bytes, left in b: *p points into it. */
static int
get_bytes(mp_buf *b, size_t max, const uint8_t **p, size_t *n)
{
	uint32_t len;
	int r;

	if ((r = mp_buf_get_u32(b, &len)) != MP_OK)
		return r;
	if (len > max || len > mp_buf_len(b))
		return MP_ERR_INVALID;
	*p = mp_buf_ptr(b);
	*n = len;
	return mp_buf_consume(b, len);
}

/* A positive mpint in minimal form, as its magnitude (no sign octet). */
static int
get_mpint(mp_buf *b, size_t max, const uint8_t **p, size_t *n)
{
	const uint8_t *v;
	size_t len;
	int r;

	if ((r = get_bytes(b, max + 1, &v, &len)) != MP_OK)
		return r;
	if (len == 0 || (v[0] & 0x80u) != 0 || (v[0] == 0 && (len == 1 || !(v[1] & 0x80u))))
		return MP_ERR_INVALID;
	if (v[0] == 0) {
		v++;
		len--;
	}
	if (len > max)
		return MP_ERR_INVALID;
	*p = v;
	*n = len;
	return MP_OK;
}

static int
ecdsa_fields(mp_buf *b, const char *curve, const char *group, size_t field_len, const char **why)
{
	const uint8_t *c, *q;
	size_t clen, qlen;
	EVP_PKEY *pk = NULL;
	int r;

	if (get_bytes(b, 64, &c, &clen) != MP_OK || get_bytes(b, 256, &q, &qlen) != MP_OK) {
		*why = "truncated ECDSA public key";
		return MP_ERR_INVALID;
	}
	if (clen != strlen(curve) || memcmp(c, curve, clen) != 0) {
		*why = "ECDSA curve name does not match the key type";
		return MP_ERR_INVALID;
	}
	if (qlen != 1 + 2 * field_len || q[0] != 0x04 ||
	    (r = mp_ec_public_key(group, field_len, q, qlen, &pk)) == MP_ERR_INVALID) {
		*why = "ECDSA public key is not a point on its curve";
		return MP_ERR_INVALID;
	}
	EVP_PKEY_free(pk);
	return r;
}

static int
rsa_fields(mp_buf *b, unsigned *bits, const char **why)
{
	const uint8_t *e, *n;
	size_t elen, nlen;
	EVP_PKEY *pk = NULL;
	int r;

	if (get_mpint(b, 32, &e, &elen) != MP_OK ||
	    get_mpint(b, SSHCA_RSA_MAX_BITS / 8, &n, &nlen) != MP_OK) {
		*why = "malformed RSA public key (exponent of at most 256 bits, modulus of at "
		    "most 16384 bits, minimal positive mpints)";
		return MP_ERR_INVALID;
	}
	/* minimal and odd: three octets or more is at least 0x010001 */
	if ((e[elen - 1] & 1u) == 0 || elen < 3) {
		*why = "RSA public exponent must be odd and at least 65537";
		return MP_ERR_INVALID;
	}
	if ((r = mp_rsa_public_key(n, nlen, e, elen, &pk)) != MP_OK) {
		*why = "RSA public key refused by OpenSSL";
		return r;
	}
	*bits = (unsigned)EVP_PKEY_get_bits(pk);
	EVP_PKEY_free(pk);
	if (*bits < SSHCA_RSA_MIN_BITS) {
		*why = "RSA keys must have at least 3072 bits";
		return MP_ERR_UNSUPPORTED;
	}
	return MP_OK;
}

/* Reads the fields of key type t from b; the FIDO application goes to k. */
static int
key_fields(mp_buf *b, sshca_key_type t, sshca_pubkey *k, const char **why)
{
	const uint8_t *pk;
	size_t pklen;
	int r = MP_ERR_INVALID;

	switch (t) {
	case SSHCA_KEY_ED25519:
	case SSHCA_KEY_SK_ED25519:
		if (get_bytes(b, 256, &pk, &pklen) != MP_OK || pklen != ED25519_LEN) {
			*why = "Ed25519 public key must be 32 bytes";
			return MP_ERR_INVALID;
		}
		r = MP_OK;
		break;
	case SSHCA_KEY_ECDSA_P256:
	case SSHCA_KEY_SK_ECDSA_P256:
		r = ecdsa_fields(b, "nistp256", "P-256", 32, why);
		break;
	case SSHCA_KEY_ECDSA_P384:
		r = ecdsa_fields(b, "nistp384", "P-384", 48, why);
		break;
	case SSHCA_KEY_RSA:
		r = rsa_fields(b, &k->bits, why);
		break;
	}
	if (r != MP_OK || !sshca_key_type_is_sk(t))
		return r;
	r = mp_buf_get_cstring(b, SSHCA_APPLICATION_MAX, &k->application);
	if (r == MP_ERR_NOMEM)
		return r;
	if (r != MP_OK || k->application[0] == '\0') {
		*why = "FIDO key without a valid application string";
		return MP_ERR_INVALID;
	}
	return MP_OK;
}

int
sshca_pubkey_parse_blob(const uint8_t *blob, size_t len, sshca_pubkey **out, const char **why)
{
	sshca_pubkey *k = NULL;
	mp_buf *b = NULL;
	char *name = NULL;
	int r = MP_ERR_NOMEM;

	*why = "out of memory";
	if (len > SSHCA_BLOB_MAX) {
		*why = "public key too large";
		return MP_ERR_TOO_LARGE;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL || (b = mp_buf_new(len)) == NULL ||
	    (k->blob = malloc(len > 0 ? len : 1)) == NULL || (k->comment = strdup("")) == NULL)
		goto out;
	if ((r = mp_buf_put(b, blob, len)) != MP_OK)
		goto out;
	memcpy(k->blob, blob, len);
	k->blob_len = len;
	if ((r = mp_buf_get_cstring(b, 64, &name)) != MP_OK) {
		*why = "public key blob does not start with a key type name";
		r = r == MP_ERR_NOMEM ? r : MP_ERR_INVALID;
		goto out;
	}
	k->fields_off = len - mp_buf_len(b);
	r = MP_ERR_UNSUPPORTED;
	if ((k->type = sshca_key_type_parse(name)) == 0) {
		*why = why_types;
		goto out;
	}
	if ((r = key_fields(b, k->type, k, why)) != MP_OK)
		goto out;
	if (mp_buf_len(b) != 0) {
		*why = "trailing bytes after the public key";
		r = MP_ERR_INVALID;
		goto out;
	}
	*out = k;
	k = NULL;
	*why = NULL;
	r = MP_OK;
out:
	free(name);
	mp_buf_free(b);
	sshca_pubkey_free(k);
	return r;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The fields of a key line: type, base64, comment (offsets and lengths into the line). */
struct line_fields {
	size_t tstart, tlen, bstart, blen, cstart, clen;
};

/*
 * Splits a line of len bytes (at most max) into its fields: the type, one or
 * more blanks, the base64, then optionally blanks and a comment; a trailing
 * newline is allowed.
 */
static int
split_line(const char *line, size_t len, size_t max, struct line_fields *f, const char **why)
{
	size_t i = 0;

	if (len > max) {
		*why = "public key line too long";
		return MP_ERR_TOO_LARGE;
	}
	if (memchr(line, '\0', len) != NULL) {
		*why = "public key line contains a NUL byte";
		return MP_ERR_INVALID;
	}
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (memchr(line, '\n', len) != NULL || memchr(line, '\r', len) != NULL) {
		*why = "more than one line";
		return MP_ERR_INVALID;
	}
	f->tstart = i;
	while (i < len && !is_blank(line[i]))
		i++;
	f->tlen = i - f->tstart;
	while (i < len && is_blank(line[i]))
		i++;
	f->bstart = i;
	while (i < len && !is_blank(line[i]))
		i++;
	f->blen = i - f->bstart;
	while (i < len && is_blank(line[i]))
		i++;
	f->cstart = i;
	while (len > f->cstart && is_blank(line[len - 1]))
		len--;
	f->clen = len - f->cstart;
	if (f->tlen == 0 || f->blen == 0) {
		*why = "expected \"<key type> <base64> [comment]\"";
		return MP_ERR_INVALID;
	}
	if (f->clen > SSHCA_COMMENT_MAX) {
		*why = "public key comment too long";
		return MP_ERR_TOO_LARGE;
	}
	return MP_OK;
}

/* Whether the line's type field is name. */
static bool
type_is(const char *line, const struct line_fields *f, const char *name)
{
	return strlen(name) == f->tlen && memcmp(name, line + f->tstart, f->tlen) == 0;
}

int
sshca_pubkey_parse_line(const char *line, size_t len, sshca_pubkey **out, const char **why)
{
	struct line_fields f;
	sshca_pubkey *k = NULL;
	uint8_t *blob = NULL;
	size_t bloblen = 0;
	char *comment = NULL;
	int r;

	if ((r = split_line(line, len, SSHCA_LINE_MAX, &f, why)) != MP_OK)
		return r;
	/* the type alone first: an unsupported type is named as such, whatever follows */
	r = MP_ERR_UNSUPPORTED;
	for (size_t t = 0; t < N_TYPES; t++)
		if (type_is(line, &f, types[t].name))
			r = MP_OK;
	if (r != MP_OK) {
		*why = why_types;
		return r;
	}
	if ((r = mp_b64_decode(line + f.bstart, f.blen, false, SSHCA_BLOB_MAX, &blob, &bloblen)) !=
	    MP_OK) {
		*why = r == MP_ERR_NOMEM ? "out of memory" : "public key is not valid base64";
		goto out;
	}
	if ((r = sshca_pubkey_parse_blob(blob, bloblen, &k, why)) != MP_OK)
		goto out;
	r = MP_ERR_INVALID;
	if (!type_is(line, &f, sshca_key_type_name(k->type))) {
		*why = "key type of the line and of the key differ";
		goto out;
	}
	r = MP_ERR_NOMEM;
	if ((comment = strndup(line + f.cstart, f.clen)) == NULL) {
		*why = "out of memory";
		goto out;
	}
	free(k->comment);
	k->comment = comment;
	*out = k;
	k = NULL;
	r = MP_OK;
out:
	free(blob);
	sshca_pubkey_free(k);
	return r;
}

void
sshca_cert_info_clear(sshca_cert_info *info)
{
	sshca_pubkey_free(info->subject);
	info->subject = NULL;
}

/* The subject key of a certificate blob at b (after type and nonce), as a plain key blob. */
static int
cert_subject(mp_buf *b, sshca_key_type t, sshca_pubkey **out, const char **why)
{
	const uint8_t *start = mp_buf_ptr(b);
	size_t before = mp_buf_len(b);
	const char *name = sshca_key_type_name(t);
	sshca_pubkey scratch = { 0 };
	mp_buf *plain = NULL;
	int r;

	r = key_fields(b, t, &scratch, why);
	free(scratch.application);
	if (r != MP_OK)
		return r;
	*why = "out of memory";
	if ((plain = mp_buf_new(SSHCA_BLOB_MAX)) == NULL)
		return MP_ERR_NOMEM;
	if ((r = mp_buf_put_string(plain, name, strlen(name))) != MP_OK ||
	    (r = mp_buf_put(plain, start, before - mp_buf_len(b))) != MP_OK) {
		*why = "the certificate's public key is too large";
		r = r == MP_ERR_NOMEM ? r : MP_ERR_TOO_LARGE;
	} else {
		r = sshca_pubkey_parse_blob(mp_buf_ptr(plain), mp_buf_len(plain), out, why);
	}
	mp_buf_free(plain);
	return r;
}

int
sshca_cert_read_line(const char *line, size_t len, sshca_cert_info *out, const char **why)
{
	sshca_cert_info info = { 0 };
	struct line_fields f;
	sshca_key_type t = 0;
	const uint8_t *p;
	uint8_t *blob = NULL;
	size_t bloblen = 0, n;
	mp_buf *b = NULL;
	char *name = NULL;
	int r;

	if ((r = split_line(line, len, SSHCA_CERT_LINE_MAX, &f, why)) != MP_OK)
		return r;
	for (size_t i = 0; i < N_TYPES && t == 0; i++)
		if (type_is(line, &f, types[i].cert_name))
			t = types[i].type;
	if (t == 0) {
		*why = "not a certificate of a supported key type";
		return MP_ERR_UNSUPPORTED;
	}
	if ((r = mp_b64_decode(line + f.bstart, f.blen, false, SSHCA_CERT_LINE_MAX, &blob,
	    &bloblen)) != MP_OK) {
		*why = r == MP_ERR_NOMEM ? "out of memory" : "certificate is not valid base64";
		goto out;
	}
	*why = "out of memory";
	r = MP_ERR_NOMEM;
	if ((b = mp_buf_new(bloblen)) == NULL || mp_buf_put(b, blob, bloblen) != MP_OK)
		goto out;
	*why = "truncated or malformed certificate";
	r = MP_ERR_INVALID;
	if (mp_buf_get_cstring(b, 64, &name) != MP_OK || strcmp(name, sshca_cert_type_name(t)) != 0 ||
	    mp_buf_get_string_direct(b, 256, &p, &n) != MP_OK)
		goto out;
	if ((r = cert_subject(b, t, &info.subject, why)) != MP_OK)
		goto out;
	*why = "truncated or malformed certificate";
	r = MP_ERR_INVALID;
	if (mp_buf_get_u64(b, &info.serial) != MP_OK || mp_buf_get_u32(b, &info.kind) != MP_OK ||
	    mp_buf_get_string_direct(b, SSHCA_CERT_LINE_MAX, &p, &n) != MP_OK ||
	    mp_buf_get_string_direct(b, SSHCA_CERT_LINE_MAX, &p, &n) != MP_OK ||
	    mp_buf_get_u64(b, &info.valid_after) != MP_OK ||
	    mp_buf_get_u64(b, &info.valid_before) != MP_OK)
		goto out;
	*out = info;
	info.subject = NULL;
	*why = NULL;
	r = MP_OK;
out:
	sshca_cert_info_clear(&info);
	free(name);
	free(blob);
	mp_buf_free(b);
	return r;
}

int
sshca_pubkey_line(const char *type_name, const uint8_t *blob, size_t len, const char *comment,
    char **out)
{
	bool has_comment = comment != NULL && comment[0] != '\0';
	char *b64 = NULL, *line;
	size_t n;
	int r;

	if ((r = mp_b64_encode(blob, len, false, &b64)) != MP_OK)
		return r;
	n = strlen(type_name) + 1 + strlen(b64) + (has_comment ? 1 + strlen(comment) : 0) + 1;
	if ((line = malloc(n)) != NULL)
		snprintf(line, n, "%s %s%s%s", type_name, b64, has_comment ? " " : "",
		    has_comment ? comment : "");
	free(b64);
	if (line == NULL)
		return MP_ERR_NOMEM;
	*out = line;
	return MP_OK;
}

int
sshca_fingerprint(const uint8_t *blob, size_t len, char **out)
{
	uint8_t md[SHA256_DIGEST_LENGTH];
	char *b64 = NULL, *s;
	size_t n;
	int r;

	if (SHA256(blob, len, md) == NULL)
		return MP_ERR_CRYPTO;
	if ((r = mp_b64_encode(md, sizeof(md), false, &b64)) != MP_OK)
		return r;
	n = strlen(b64);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	if ((s = malloc(7 + n + 1)) == NULL) {
		free(b64);
		return MP_ERR_NOMEM;
	}
	memcpy(s, "SHA256:", 7);
	memcpy(s + 7, b64, n);
	s[7 + n] = '\0';
	free(b64);
	*out = s;
	return MP_OK;
}

int
sshca_put_mpint(mp_buf *b, const uint8_t *p, size_t n)
{
	int r;

	while (n > 0 && p[0] == 0) {
		p++;
		n--;
	}
	if (n == 0)
		return mp_buf_put_u32(b, 0);
	if (n >= UINT32_MAX)
		return MP_ERR_TOO_LARGE;
	if ((p[0] & 0x80u) == 0)
		return mp_buf_put_string(b, p, n);
	if ((r = mp_buf_put_u32(b, (uint32_t)n + 1)) != MP_OK || (r = mp_buf_put_u8(b, 0)) != MP_OK)
		return r;
	return mp_buf_put(b, p, n);
}

/* An mpint of a BIGNUM parameter of pub. */
static int
put_bn_param(mp_buf *b, const EVP_PKEY *pub, const char *param)
{
	BIGNUM *bn = NULL;
	uint8_t *bin = NULL;
	int n, r = MP_ERR_CRYPTO;

	if (EVP_PKEY_get_bn_param(pub, param, &bn) != 1)
		goto out;
	r = MP_ERR_NOMEM;
	n = BN_num_bytes(bn);
	if ((bin = malloc((size_t)n + 1)) == NULL)
		goto out;
	r = MP_ERR_CRYPTO;
	if (BN_bn2bin(bn, bin) != n)
		goto out;
	r = sshca_put_mpint(b, bin, (size_t)n);
out:
	free(bin);
	BN_free(bn);
	return r;
}

const char *
sshca_ca_key_type_name(const mp_key *k)
{
	switch (mp_key_get_spec(k)->alg) {
	case MP_KEY_ED25519:
		return "ssh-ed25519";
	case MP_KEY_EC_P256:
		return "ecdsa-sha2-nistp256";
	case MP_KEY_EC_P384:
		return "ecdsa-sha2-nistp384";
	case MP_KEY_RSA:
		return "ssh-rsa";
	case MP_KEY_RSA_PSS:
		break;
	}
	return NULL;
}

int
sshca_key_blob(mp_key *k, mp_buf *out)
{
	const mp_key_spec *spec = mp_key_get_spec(k);
	const char *name = sshca_ca_key_type_name(k);
	uint8_t raw[2 * 48 + 1];
	EVP_PKEY *pub = NULL;
	size_t n = sizeof(raw);
	int r = MP_ERR_UNSUPPORTED;

	if (name == NULL || (spec->alg == MP_KEY_RSA && spec->rsa_bits < SSHCA_RSA_MIN_BITS))
		return r;
	r = MP_ERR_NOMEM;
	if ((pub = mp_key_public(k)) == NULL)
		goto out;
	if ((r = mp_buf_put_string(out, name, strlen(name))) != MP_OK)
		goto out;
	switch (spec->alg) {
	case MP_KEY_ED25519:
		r = MP_ERR_CRYPTO;
		if (EVP_PKEY_get_raw_public_key(pub, raw, &n) != 1 || n != ED25519_LEN)
			goto out;
		r = mp_buf_put_string(out, raw, n);
		break;
	case MP_KEY_EC_P256:
	case MP_KEY_EC_P384:
		r = MP_ERR_CRYPTO;
		if (EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, raw,
		    sizeof(raw), &n) != 1 || raw[0] != 0x04)
			goto out;
		if ((r = mp_buf_put_string(out, spec->alg == MP_KEY_EC_P256 ? "nistp256" : "nistp384",
		    8)) != MP_OK)
			goto out;
		r = mp_buf_put_string(out, raw, n);
		break;
	default:
		if ((r = put_bn_param(out, pub, OSSL_PKEY_PARAM_RSA_E)) != MP_OK)
			goto out;
		r = put_bn_param(out, pub, OSSL_PKEY_PARAM_RSA_N);
		break;
	}
out:
	EVP_PKEY_free(pub);
	return r;
}
