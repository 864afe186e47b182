#include "fdo_onboard.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cbor.h"
#include "cose.h"
#include "encrypt0.h"
#include "err.h"
#include "hash.h"
#include "kex.h"
#include "rvinfo.h"
#include "secure.h"
#include "to2_msg.h"
#include "voucher.h"

#define SVI_MODULE "midpki:"

void
cli_fdo_onboarding_clear(cli_fdo_onboarding *o)
{
	free(o->est_url);
	free(o->trust_anchor);
	free(o->serial);
	mp_free_secret_str(o->token);
	o->est_url = o->trust_anchor = o->serial = o->token = NULL;
}

int
cli_fdo_rv_url(const cli_fdo_cred *cr, char *url, size_t n, char *err, size_t errsz)
{
	char host[FDO_RV_HOST_MAX];
	const uint8_t *g, *rv;
	fdo_detail d = { { 0 } };
	unsigned port;
	bool https;
	size_t gl, rl;
	uint64_t ver;
	fdo_cbor c;

	fdo_cbor_init(&c, cr->hdr, cr->hl);
	if (fdo_cbor_array_n(&c, 6) != MP_OK || fdo_cbor_uint(&c, 1000, &ver) != MP_OK ||
	    fdo_cbor_bstr(&c, &g, &gl) != MP_OK || fdo_rvinfo_read(&c, &rv, &rl, &d) != MP_OK) {
		snprintf(err, errsz, "the credential's header has no RendezvousInfo%s%s",
		    d.message[0] != '\0' ? ": " : "", d.message);
		return MP_ERR_INVALID;
	}
	if (fdo_rvinfo_device_addr(rv, rl, host, &port, &https, &d) != MP_OK) {
		snprintf(err, errsz, "%s", d.message);
		return MP_ERR_INVALID;
	}
	snprintf(url, n, strchr(host, ':') != NULL ? "%s://[%s]:%u" : "%s://%s:%u",
	    https ? "https" : "http", host, port);
	return MP_OK;
}

int
cli_fdo_owner_url(const fdo_to1d *p, char *url, size_t n, char *err, size_t errsz)
{
	char ip[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < p->naddrs; i++) {
		const fdo_rv_addr *a = &p->addrs[i];
		const char *scheme = a->protocol == FDO_PROT_HTTPS ? "https" : "http";

		if (a->protocol != FDO_PROT_HTTP && a->protocol != FDO_PROT_HTTPS)
			continue;
		if (a->dns[0] != '\0') {
			snprintf(url, n, "%s://%s:%u", scheme, a->dns, a->port);
			return MP_OK;
		}
		if ((a->ip_len == 4 || a->ip_len == 16) &&
		    inet_ntop(a->ip_len == 4 ? AF_INET : AF_INET6, a->ip, ip, sizeof(ip)) != NULL) {
			snprintf(url, n, a->ip_len == 4 ? "%s://%s:%u" : "%s://[%s]:%u", scheme, ip,
			    a->port);
			return MP_OK;
		}
	}
	snprintf(err, errsz, "TO1.RVRedirect names no owner address over http or https");
	return MP_ERR_INVALID;
}

/* [nonce, ...] of an answer: the nonce, and the session token into token. */
static int
answer_nonce(const cli_fdo_answer *a, const uint8_t **nonce, char *token, size_t tn, char *err,
    size_t errsz)
{
	size_t n, nl;
	fdo_cbor c;

	fdo_cbor_init(&c, a->body, a->len);
	if (fdo_cbor_array(&c, &n) != MP_OK || n == 0 || fdo_cbor_bstr(&c, nonce, &nl) != MP_OK ||
	    nl != FDO_NONCE_LEN) {
		snprintf(err, errsz, "FDO message %s does not begin with a nonce", a->type);
		return MP_ERR_INVALID;
	}
	if (strncmp(a->auth, "Bearer ", 7) != 0) {
		snprintf(err, errsz, "FDO message %s came without an Authorization token", a->type);
		return MP_ERR_INVALID;
	}
	snprintf(token, tn, "%s", a->auth);
	return MP_OK;
}

/* Posts the last message of an exchange (twice when replay), answered by type want. */
static int
post_last(const char *url, int type, const char *token, const mp_buf *msg, bool replay,
    const char *want, cli_fdo_answer *a, char *err, size_t errsz)
{
	int r;

	if ((r = cli_fdo_post(url, type, token, msg, a, err, errsz)) != MP_OK)
		return r;
	if (replay && strcmp(a->type, want) == 0 &&
	    (r = cli_fdo_post(url, type, token, msg, a, err, errsz)) != MP_OK)
		return r;
	return cli_fdo_expect(a, want, err, errsz);
}

/* The credential's attestation key, or another one for the fault. */
static EVP_PKEY *
device_key(const cli_fdo_cred *cr, bool other)
{
	const unsigned char *k = cr->key;

	if (other)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	return d2i_AutoPrivateKey(NULL, &k, (long)cr->kl);
}

int
cli_fdo_to1(const char *url, const cli_fdo_cred *cr, cli_fdo_fault fault, fdo_to1d *out,
    char *err, size_t errsz)
{
	mp_buf *msg = mp_buf_new(8192), *eat = mp_buf_new(8192);
	cli_fdo_answer *a = malloc(sizeof(*a));
	EVP_PKEY *key = device_key(cr, fault == CLI_FDO_FAULT_KEY);
	fdo_detail d = { { 0 } };
	uint8_t guid[FDO_GUID_LEN];
	const uint8_t *nonce;
	char token[sizeof(a->auth)];
	fdo_sign1 s;
	fdo_cbor c;
	int r = MP_ERR_NOMEM;

	if (msg == NULL || eat == NULL || a == NULL || key == NULL)
		goto out;
	memcpy(guid, cr->guid, sizeof(guid));
	/* TO1.HelloRV = [Guid, eASigInfo = [ES256, h'']] */
	if ((r = fdo_put_array(msg, 2)) != MP_OK ||
	    (r = fdo_put_bstr(msg, guid, sizeof(guid))) != MP_OK ||
	    (r = fdo_put_array(msg, 2)) != MP_OK || (r = fdo_put_int(msg, FDO_COSE_ES256)) != MP_OK ||
	    (r = fdo_put_bstr(msg, NULL, 0)) != MP_OK)
		goto out;
	if ((r = cli_fdo_post(url, 30, NULL, msg, a, err, errsz)) != MP_OK ||
	    (r = cli_fdo_expect(a, "31", err, errsz)) != MP_OK ||
	    (r = answer_nonce(a, &nonce, token, sizeof(token), err, errsz)) != MP_OK)
		goto out;
	if (fault == CLI_FDO_FAULT_GUID)
		guid[0] ^= 1;
	/* TO1.ProveToRV = EAToken {nonce, UEID} signed by the attestation key */
	mp_buf_reset(msg);
	if ((r = fdo_eat_write(eat, nonce, guid, NULL, 0)) != MP_OK ||
	    (r = fdo_sign1_sign_ec(key, mp_buf_ptr(eat), mp_buf_len(eat), NULL, 0, msg)) != MP_OK)
		goto out;
	if ((r = post_last(url, 32, token, msg, fault == CLI_FDO_FAULT_REPLAY, "33", a, err,
	    errsz)) != MP_OK)
		goto out;
	fdo_cbor_init(&c, a->body, a->len);
	if (fdo_to1d_decode(&c, &s, out, &d) != MP_OK || !fdo_cbor_empty(&c)) {
		snprintf(err, errsz, "TO1.RVRedirect refused: %s", d.message);
		r = MP_ERR_INVALID;
	}
out:
	mp_wipe(token, sizeof(token));
	EVP_PKEY_free(key);
	mp_buf_free(msg);
	mp_buf_free(eat);
	free(a);
	return r;
}

/* A TO2 session in progress. */
struct to2 {
	const char *url, *credfile;
	const cli_fdo_cred *cr;
	const char *kex;
	cli_fdo_fault fault;
	cli_fdo_answer *prove;       /* TO2.ProveOVHdr, which p points into */
	cli_fdo_answer *a;           /* the answer to each later message */
	char token[sizeof(((cli_fdo_answer *)0)->auth)];
	fdo_voucher *v;
	fdo_prove_ovhdr p;
	fdo_sek sek;
	char *err;
	size_t errsz;
};

/* TO2.OVNextEntry of entry i: a copy of the entry's encoding. */
static int
next_entry(struct to2 *t, uint64_t i, fdo_bytes *e)
{
	const uint8_t *p;
	mp_buf *msg = mp_buf_new(16);
	uint64_t got;
	fdo_cbor c;
	int r = MP_ERR_NOMEM;

	e->p = NULL;
	if (msg == NULL || (r = fdo_put_array(msg, 1)) != MP_OK || (r = fdo_put_uint(msg, i)) != MP_OK)
		goto out;
	if ((r = cli_fdo_post(t->url, 62, t->token, msg, t->a, t->err, t->errsz)) != MP_OK ||
	    (r = cli_fdo_expect(t->a, "63", t->err, t->errsz)) != MP_OK)
		goto out;
	fdo_cbor_init(&c, t->a->body, t->a->len);
	r = MP_ERR_INVALID;
	if (fdo_cbor_array_n(&c, 2) != MP_OK || fdo_cbor_uint(&c, UINT8_MAX, &got) != MP_OK ||
	    got != i || fdo_cbor_skip(&c, &p, &e->n) != MP_OK || !fdo_cbor_empty(&c)) {
		snprintf(t->err, t->errsz, "TO2.OVNextEntry is not [OVEntryNum, OVEntry] of entry %llu",
		    (unsigned long long)i);
		goto out;
	}
	r = MP_ERR_NOMEM;
	if ((e->p = malloc(e->n)) != NULL) {
		memcpy((void *)e->p, p, e->n);
		r = MP_OK;
	}
out:
	mp_buf_free(msg);
	return r;
}

/* TO2.HelloDevice to TO2.OVNextEntry: the owner's proof, the voucher verified into t->v. */
static int
prove_owner(struct to2 *t, size_t *entries, bool *proved)
{
	fdo_bytes e[FDO_VOUCHER_MAX_ENTRIES + 1] = { { 0 } };
	uint8_t guid[FDO_GUID_LEN], nonce[FDO_NONCE_LEN];
	mp_buf *hello = mp_buf_new(512);
	fdo_detail d = { { 0 } };
	fdo_bytes part;
	size_t n = 0;
	fdo_hash h;
	int r = MP_ERR_NOMEM;

	memcpy(guid, t->cr->guid, sizeof(guid));
	if (t->fault == CLI_FDO_FAULT_GUID)
		guid[0] ^= 1;
	if (hello == NULL || (r = mp_random_bytes(nonce, sizeof(nonce))) != MP_OK ||
	    (r = fdo_to2_hello_write(hello, guid, nonce, t->kex,
	    t->fault == CLI_FDO_FAULT_CIPHER ? 32 : FDO_A128GCM, FDO_COSE_ES256)) != MP_OK)
		goto out;
	if ((r = cli_fdo_post(t->url, 60, NULL, hello, t->prove, t->err, t->errsz)) != MP_OK ||
	    (r = cli_fdo_expect(t->prove, "61", t->err, t->errsz)) != MP_OK)
		goto out;
	snprintf(t->token, sizeof(t->token), "%s", t->prove->auth);
	if ((r = fdo_prove_ovhdr_decode(t->prove->body, t->prove->len, &t->p, &d)) != MP_OK ||
	    (r = fdo_sign1_verify(&t->p.sign1, &t->p.owner, &d)) != MP_OK) {
		snprintf(t->err, t->errsz, "TO2.ProveOVHdr refused: %s", d.message);
		r = MP_ERR_INVALID;
		goto out;
	}
	part.p = mp_buf_ptr(hello);
	part.n = mp_buf_len(hello);
	if (memcmp(t->p.nonce_ov, nonce, sizeof(nonce)) != 0 ||
	    fdo_hash_compute(t->p.hello_hash.alg, &part, 1, &h) != MP_OK ||
	    !fdo_hash_equal(&h, &t->p.hello_hash)) {
		snprintf(t->err, t->errsz, "TO2.ProveOVHdr: not the nonce or the hash of this"
		    " TO2.HelloDevice");
		r = MP_ERR_INVALID;
		goto out;
	}
	for (n = 0; n < (size_t)t->p.entries; n++)
		if ((r = next_entry(t, n, &e[n])) != MP_OK)
			goto out;
	if (t->fault == CLI_FDO_FAULT_ENTRY && (r = next_entry(t, n, &e[n])) != MP_OK)
		goto out;
	if (fdo_voucher_assemble(t->p.hdr, t->p.hdr_len, t->p.hmac, t->p.hmac_len, e, n, &t->v,
	    &d) != MP_OK || fdo_voucher_verify(t->v, t->cr->secret, t->cr->sl, &d) != MP_OK) {
		snprintf(t->err, t->errsz, "refused: %s", d.message);
		r = MP_ERR_INVALID;
		goto out;
	}
	if (memcmp(fdo_voucher_guid(t->v), t->cr->guid, FDO_GUID_LEN) != 0 ||
	    EVP_PKEY_eq(fdo_voucher_owner_key(t->v)->key, t->p.owner.key) != 1) {
		snprintf(t->err, t->errsz, "the voucher is another device's, or its owner key is not"
		    " CUPHOwnerPubKey");
		r = MP_ERR_INVALID;
		goto out;
	}
	*entries = n;
	*proved = true;
out:
	for (size_t i = 0; i <= n && i <= FDO_VOUCHER_MAX_ENTRIES; i++)
		free((void *)e[i].p);
	mp_buf_free(hello);
	return r;
}

/* Sends the encrypted message type (plaintext msg) and opens the answer, type + 1, into out. */
static int
post_encrypted(struct to2 *t, int type, const mp_buf *msg, mp_buf *out)
{
	mp_buf *ct = mp_buf_new(mp_buf_len(msg) + 256);
	fdo_detail d = { { 0 } };
	char want[16];
	int r = MP_ERR_NOMEM;

	snprintf(want, sizeof(want), "%d", type + 1);
	if (ct == NULL || (r = fdo_encrypt0(&t->sek, mp_buf_ptr(msg), mp_buf_len(msg), ct)) != MP_OK)
		goto out;
	if ((r = cli_fdo_post(t->url, type, t->token, ct, t->a, t->err, t->errsz)) != MP_OK ||
	    (r = cli_fdo_expect(t->a, want, t->err, t->errsz)) != MP_OK)
		goto out;
	mp_buf_reset(out);
	if ((r = fdo_decrypt0(&t->sek, t->a->body, t->a->len, out, &d)) != MP_OK)
		snprintf(t->err, t->errsz, "FDO message %s: %s", want, d.message);
out:
	mp_buf_free(ct);
	return r;
}

/* [key, bstr .cbor value] */
static int
put_svi(mp_buf *b, const char *key, const uint8_t *v, size_t n)
{
	int r;

	if ((r = fdo_put_array(b, 2)) != MP_OK || (r = fdo_put_tstr(b, key, strlen(key))) != MP_OK)
		return r;
	return fdo_put_bstr(b, v, n);
}

/* The text values of our module in TO2.OwnerServiceInfo m = [false, true, ServiceInfo]. */
static int
read_owner_svi(const mp_buf *m, cli_fdo_onboarding *o, char *err, size_t errsz)
{
	const uint8_t *v;
	const char *k, *t;
	size_t n, kl, vl, tl;
	bool more, done;
	fdo_cbor c, vc;

	fdo_cbor_init(&c, mp_buf_ptr(m), mp_buf_len(m));
	if (fdo_cbor_array_n(&c, 3) != MP_OK || fdo_cbor_bool(&c, &more) != MP_OK ||
	    fdo_cbor_bool(&c, &done) != MP_OK || more || !done || fdo_cbor_array(&c, &n) != MP_OK) {
		snprintf(err, errsz, "TO2.OwnerServiceInfo is not [false, true, ServiceInfo]");
		return MP_ERR_INVALID;
	}
	for (size_t i = 0; i < n; i++) {
		char **dst = NULL;

		if (fdo_cbor_array_n(&c, 2) != MP_OK || fdo_cbor_tstr(&c, &k, &kl) != MP_OK ||
		    fdo_cbor_bstr(&c, &v, &vl) != MP_OK) {
			snprintf(err, errsz, "a ServiceInfo entry is not [key, bstr]");
			return MP_ERR_INVALID;
		}
		fdo_cbor_init(&vc, v, vl);
		if (kl == strlen(SVI_MODULE "est_url") && memcmp(k, SVI_MODULE "est_url", kl) == 0)
			dst = &o->est_url;
		else if (kl == strlen(SVI_MODULE "trust_anchor") &&
		    memcmp(k, SVI_MODULE "trust_anchor", kl) == 0)
			dst = &o->trust_anchor;
		else if (kl == strlen(SVI_MODULE "serial") && memcmp(k, SVI_MODULE "serial", kl) == 0)
			dst = &o->serial;
		else if (kl == strlen(SVI_MODULE "enrollment_token") &&
		    memcmp(k, SVI_MODULE "enrollment_token", kl) == 0)
			dst = &o->token;
		if (dst == NULL)
			continue;
		if (*dst != NULL || fdo_cbor_tstr(&vc, &t, &tl) != MP_OK ||
		    memchr(t, '\0', tl) != NULL) {
			snprintf(err, errsz, "ServiceInfo %.*s is not one text", (int)kl, k);
			return MP_ERR_INVALID;
		}
		if ((*dst = strndup(t, tl)) == NULL)
			return MP_ERR_NOMEM;
	}
	return MP_OK;
}

/* TO2.ProveDevice and TO2.SetupDevice: the session key; Guid2 and Owner2Key into the new header. */
static int
setup(struct to2 *t, mp_buf *hdr, uint8_t guid2[FDO_GUID_LEN],
    uint8_t nonce_setup[FDO_NONCE_LEN])
{
	mp_buf *xb = mp_buf_new(FDO_KEX_PARAM_MAX), *claim = mp_buf_new(FDO_KEX_PARAM_MAX + 16),
	       *eat = mp_buf_new(FDO_KEX_PARAM_MAX + 256), *unprot = mp_buf_new(64),
	       *msg = mp_buf_new(FDO_KEX_PARAM_MAX + 1024), *m = mp_buf_new(FDO_VOUCHER_MAX);
	EVP_PKEY *kb = NULL, *key = device_key(t->cr, t->fault == CLI_FDO_FAULT_KEY);
	fdo_detail d = { { 0 } };
	const uint8_t *rv, *g2, *ns, *o2;
	size_t rl, gl, nl, ol;
	fdo_pubkey owner2 = { 0 };
	fdo_sign1 s;
	fdo_cbor c, w;
	int suite, r = MP_ERR_NOMEM;

	if (xb == NULL || claim == NULL || eat == NULL || unprot == NULL || msg == NULL ||
	    m == NULL || key == NULL)
		goto out;
	if ((r = fdo_kex_suite_of(t->kex, strlen(t->kex), FDO_A128GCM, &suite, &d)) != MP_OK ||
	    (r = fdo_kex_param(suite, &kb, xb)) != MP_OK ||
	    (r = fdo_kex_derive(suite, FDO_A128GCM, kb, mp_buf_ptr(xb), mp_buf_len(xb), t->p.xa,
	    t->p.xa_len, false, &t->sek, &d)) != MP_OK ||
	    (r = mp_random_bytes(nonce_setup, FDO_NONCE_LEN)) != MP_OK) {
		snprintf(t->err, t->errsz, "the key exchange failed: %s", d.message);
		goto out;
	}
	/* TO2.ProveDevice = EAToken {nonce, UEID, EAT-FDO: [xBKeyExchange]}, {EUPHNonce} */
	if ((r = fdo_put_array(claim, 1)) != MP_OK ||
	    (r = fdo_put_bstr(claim, mp_buf_ptr(xb), mp_buf_len(xb))) != MP_OK ||
	    (r = fdo_eat_write(eat, t->p.nonce_dv, t->cr->guid, mp_buf_ptr(claim),
	    mp_buf_len(claim))) != MP_OK || (r = fdo_put_map(unprot, 1)) != MP_OK ||
	    (r = fdo_put_int(unprot, FDO_EUPH_NONCE)) != MP_OK ||
	    (r = fdo_put_bstr(unprot, nonce_setup, FDO_NONCE_LEN)) != MP_OK ||
	    (r = fdo_sign1_sign_ec(key, mp_buf_ptr(eat), mp_buf_len(eat), mp_buf_ptr(unprot),
	    mp_buf_len(unprot), msg)) != MP_OK)
		goto out;
	if ((r = cli_fdo_post(t->url, 64, t->token, msg, t->a, t->err, t->errsz)) != MP_OK ||
	    (r = cli_fdo_expect(t->a, "65", t->err, t->errsz)) != MP_OK)
		goto out;
	/* TO2.SetupDevice: COSE_Sign1 of [RendezvousInfo, Guid, NonceTO2SetupDv, Owner2Key] */
	r = MP_ERR_INVALID;
	if (fdo_decrypt0(&t->sek, t->a->body, t->a->len, m, &d) != MP_OK) {
		snprintf(t->err, t->errsz, "TO2.SetupDevice: %s", d.message);
		goto out;
	}
	fdo_cbor_init(&c, mp_buf_ptr(m), mp_buf_len(m));
	if (fdo_sign1_decode(&c, &s, &d) != MP_OK) {
		snprintf(t->err, t->errsz, "TO2.SetupDevice is not a COSE_Sign1");
		goto out;
	}
	fdo_cbor_init(&c, s.payload, s.payload_len);
	if (fdo_cbor_array_n(&c, 4) != MP_OK || fdo_cbor_skip(&c, &rv, &rl) != MP_OK ||
	    fdo_cbor_bstr(&c, &g2, &gl) != MP_OK || gl != FDO_GUID_LEN ||
	    fdo_cbor_bstr(&c, &ns, &nl) != MP_OK || nl != FDO_NONCE_LEN) {
		snprintf(t->err, t->errsz, "TO2.SetupDevice's payload is not [RendezvousInfo, Guid,"
		    " NonceTO2SetupDv, Owner2Key]");
		goto out;
	}
	w = c;
	if (fdo_cbor_skip(&w, &o2, &ol) != MP_OK || fdo_pubkey_decode(&c, &owner2, &d) != MP_OK ||
	    fdo_sign1_verify(&s, &owner2, &d) != MP_OK || memcmp(ns, nonce_setup, nl) != 0) {
		snprintf(t->err, t->errsz, "TO2.SetupDevice is not signed by Owner2Key or not for"
		    " this NonceTO2SetupDv");
		goto out;
	}
	memcpy(guid2, g2, FDO_GUID_LEN);
	r = fdo_voucher_replacement_header(t->v, g2, o2, ol, hdr);
out:
	fdo_pubkey_clear(&owner2);
	EVP_PKEY_free(kb);
	EVP_PKEY_free(key);
	mp_buf_free(xb);
	mp_buf_free(claim);
	mp_buf_free(eat);
	mp_buf_free(unprot);
	mp_buf_free(msg);
	mp_buf_free(m);
	return r;
}

/* The rest of TO2 after the owner's proof (TO2.ProveDevice to TO2.Done2); the new credential. */
static int
onboard(struct to2 *t, cli_fdo_onboarding *o)
{
	static const uint8_t cbor_true[] = { 0xf5 }, cbor_linux[] = { 0x65, 'L', 'i', 'n', 'u', 'x' };
	mp_buf *msg = mp_buf_new(1024), *m = mp_buf_new(CLI_FDO_MAX_ANSWER),
	       *hdr = mp_buf_new(FDO_VOUCHER_MAX), *cb = mp_buf_new(FDO_VOUCHER_MAX);
	uint8_t nonce_setup[FDO_NONCE_LEN], guid2[FDO_GUID_LEN];
	const uint8_t *ns;
	size_t nl;
	fdo_hash mac;
	fdo_cbor c;
	int r = MP_ERR_NOMEM;

	if (msg == NULL || m == NULL || hdr == NULL || cb == NULL)
		goto out;
	if ((r = setup(t, hdr, guid2, nonce_setup)) != MP_OK)
		goto out;
	/* TO2.DeviceServiceInfoReady = [ReplacementHMac, null] */
	if ((r = fdo_hmac_compute(FDO_HMAC_SHA256, t->cr->secret, t->cr->sl, mp_buf_ptr(hdr),
	    mp_buf_len(hdr), &mac)) != MP_OK || (r = fdo_put_array(msg, 2)) != MP_OK ||
	    (r = fdo_hash_encode(msg, &mac)) != MP_OK || (r = fdo_put_null(msg)) != MP_OK ||
	    (r = post_encrypted(t, 66, msg, m)) != MP_OK)
		goto out;
	/* TO2.DeviceServiceInfo = [false, devmod] */
	mp_buf_reset(msg);
	if ((r = fdo_put_array(msg, 2)) != MP_OK || (r = fdo_put_bool(msg, false)) != MP_OK)
		goto out;
	if (t->fault == CLI_FDO_FAULT_NODEVMOD)
		r = fdo_put_array(msg, 0);
	else if ((r = fdo_put_array(msg, 2)) == MP_OK &&
	    (r = put_svi(msg, "devmod:active", cbor_true, sizeof(cbor_true))) == MP_OK)
		r = put_svi(msg, "devmod:os", cbor_linux, sizeof(cbor_linux));
	if (r != MP_OK || (r = post_encrypted(t, 68, msg, m)) != MP_OK ||
	    (r = read_owner_svi(m, o, t->err, t->errsz)) != MP_OK)
		goto out;
	/* TO2.Done = [NonceTO2ProveDv] -> TO2.Done2 = [NonceTO2SetupDv] */
	mp_buf_reset(msg);
	if ((r = fdo_put_array(msg, 1)) != MP_OK ||
	    (r = fdo_put_bstr(msg, t->p.nonce_dv, FDO_NONCE_LEN)) != MP_OK ||
	    (r = post_encrypted(t, 70, msg, m)) != MP_OK)
		goto out;
	fdo_cbor_init(&c, mp_buf_ptr(m), mp_buf_len(m));
	if (fdo_cbor_array_n(&c, 1) != MP_OK || fdo_cbor_bstr(&c, &ns, &nl) != MP_OK ||
	    nl != FDO_NONCE_LEN || memcmp(ns, nonce_setup, nl) != 0) {
		snprintf(t->err, t->errsz, "TO2.Done2 is not [NonceTO2SetupDv]");
		r = MP_ERR_INVALID;
		goto out;
	}
	/* the new credential: [GUID, HMAC secret, header, key, token] */
	if ((r = fdo_put_array(cb, 5)) != MP_OK ||
	    (r = fdo_put_bstr(cb, guid2, sizeof(guid2))) != MP_OK ||
	    (r = fdo_put_bstr(cb, t->cr->secret, t->cr->sl)) != MP_OK ||
	    (r = fdo_put_bstr(cb, mp_buf_ptr(hdr), mp_buf_len(hdr))) != MP_OK ||
	    (r = fdo_put_bstr(cb, t->cr->key, t->cr->kl)) != MP_OK ||
	    (r = fdo_put_tstr(cb, "", 0)) != MP_OK ||
	    (r = cli_fdo_write_private(t->credfile, cb, t->err, t->errsz)) != MP_OK)
		goto out;
	for (size_t i = 0, n = 0; i < sizeof(guid2); i++)
		n += (size_t)snprintf(o->guid + n, sizeof(o->guid) - n, "%02x%s", guid2[i],
		    i == 3 || i == 5 || i == 7 || i == 9 ? "-" : "");
	if (t->fault == CLI_FDO_FAULT_REPLAY)
		r = post_encrypted(t, 70, msg, m);
out:
	mp_wipe(&t->sek, sizeof(t->sek));
	mp_buf_free(msg);
	mp_buf_free(m);
	mp_buf_free(hdr);
	mp_buf_free(cb);
	return r;
}

int
cli_fdo_to2(const char *url, const char *credfile, const cli_fdo_cred *cr, const char *kex,
    bool onboard_too, cli_fdo_fault fault, cli_fdo_onboarding *out, char *err, size_t errsz)
{
	struct to2 t = { .url = url, .credfile = credfile, .cr = cr, .kex = kex, .fault = fault,
		.prove = malloc(sizeof(cli_fdo_answer)), .a = malloc(sizeof(cli_fdo_answer)),
		.err = err, .errsz = errsz };
	int r = MP_ERR_NOMEM;

	memset(out, 0, sizeof(*out));
	if (t.prove == NULL || t.a == NULL)
		goto out;
	if ((r = prove_owner(&t, &out->entries, &out->proved)) != MP_OK)
		goto out;
	if (onboard_too)
		r = onboard(&t, out);
out:
	mp_wipe(t.token, sizeof(t.token));
	fdo_voucher_free(t.v);
	fdo_pubkey_clear(&t.p.owner);
	free(t.prove);
	free(t.a);
	return r;
}
