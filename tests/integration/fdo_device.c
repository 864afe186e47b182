/*
 * A test device for FDO against `midpki serve`'s FDO listener
 * (tests/integration/fdo_*.sh), on the device code of `midpki fdo device`
 * (cli/fdo_device.h, cli/fdo_http.h; DI is `midpki fdo device di`), with the
 * faults a test needs:
 *   fdo_device check CREDENTIAL VOUCHER              verifies VOUCHER (CBOR) fully with
 *       the credential's HMAC secret and checks that it is this device's
 *   fdo_device again CREDENTIAL URL                  sends DI.SetHMAC again with the
 *       session token; prints the FDO error (code and message) the server answers
 *   fdo_device to0 URL VOUCHER OWNERKEY HOST PORT WAIT MODE
 *                                                    registers the owner (TO0, messages
 *       20-23) of VOUCHER (CBOR), signing with OWNERKEY (PEM), at HOST:PORT (http) for
 *       WAIT seconds; prints the wait granted. MODE ok, or one fault: nonce (another
 *       nonce in To0d), hash (a wrong to1dTo0dHash), replay (OwnerSign sent twice)
 *   fdo_device to1 CREDENTIAL URL MODE               runs TO1 (messages 30-33) and prints
 *       the owner's addresses from To1d. MODE ok, or one fault: key (signed by another
 *       key), guid (another GUID in the EAT), replay (ProveToRV sent twice)
 *   fdo_device to2 CREDENTIAL URL KEX MODE           runs TO2 HelloDevice (60) with key
 *       exchange KEX and A128GCM, checks TO2.ProveOVHdr (the owner's signature, the
 *       nonce, the hash of HelloDevice) and the voucher it proves, each entry fetched
 *       (62, 63), with the device's HMAC secret. MODE ok, or one fault: cipher (cipher
 *       suite 32), guid (another GUID), entry (asks for an entry past the last); or
 *       onboard: then the rest of TO2 (64-71), printing the owner's ServiceInfo and
 *       keeping the new GUID and header in CREDENTIAL; or onboard with one fault:
 *       attest (TO2.ProveDevice signed by another key), nodevmod (no devmod
 *       ServiceInfo), replay (TO2.Done sent twice)
 * CREDENTIAL is the file `midpki fdo device di` writes (cli/fdo_device.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cbor.h"
#include "fdo_device.h"
#include "fdo_http.h"
#include "cose.h"
#include "encrypt0.h"
#include "err.h"
#include "hash.h"
#include "kex.h"
#include "num.h"
#include "rv_msg.h"
#include "to2_msg.h"
#include "secure.h"
#include "voucher.h"

__attribute__((noreturn)) static void
die(const char *what)
{
	fprintf(stderr, "fdo_device: %s\n", what);
	exit(1);
}

/* POST /fdo/101/msg/TYPE with body; the answer into out (cli/fdo_http.h). */
static void
post(const char *url, int type, const char *auth, const mp_buf *body, cli_fdo_answer *out)
{
	char err[256];

	if (cli_fdo_post(url, type, auth, body, out, err, sizeof(err)) != MP_OK)
		die(err);
}

/* An FDO error message (type 255): prints "error CODE (HTTP S): MESSAGE" and exits 2. */
__attribute__((noreturn)) static void
error_exit(const cli_fdo_answer *r)
{
	char text[1024];

	if (!cli_fdo_error_text(r, text, sizeof(text)))
		die("an answer that is neither the next message nor an FDO error");
	printf("%s\n", text);
	exit(2);
}

static mp_buf *
buf(void)
{
	mp_buf *b = mp_buf_new(FDO_VOUCHER_MAX);

	if (b == NULL)
		die("out of memory");
	return b;
}

static void
write_file(const char *path, const mp_buf *b)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(mp_buf_ptr(b), 1, mp_buf_len(b), f) != mp_buf_len(b) ||
	    fclose(f) != 0)
		die("cannot write the credential");
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	uint8_t *p = malloc(FDO_VOUCHER_MAX);
	FILE *f = fopen(path, "rb");

	if (p == NULL || f == NULL)
		die("cannot read a file");
	*len = fread(p, 1, FDO_VOUCHER_MAX, f);
	fclose(f);
	return p;
}

static void
read_cred(const uint8_t *p, size_t n, cli_fdo_cred *cr)
{
	if (cli_fdo_cred_read(p, n, cr) != MP_OK)
		die("not a credential");
}

static int
check(const char *credfile, const char *voucherfile)
{
	size_t cn, vn;
	uint8_t *cp = read_file(credfile, &cn), *vp = read_file(voucherfile, &vn);
	const unsigned char *k;
	fdo_voucher *v = NULL;
	EVP_PKEY *key;
	fdo_detail d = { { 0 } };
	cli_fdo_cred cr;

	read_cred(cp, cn, &cr);
	k = cr.key;
	if ((key = d2i_AutoPrivateKey(NULL, &k, (long)cr.kl)) == NULL)
		die("the credential's key does not parse");
	if (fdo_voucher_decode(vp, vn, &v, &d) != MP_OK ||
	    fdo_voucher_verify(v, cr.secret, cr.sl, &d) != MP_OK) {
		printf("refused: %s\n", d.message);
		return 2;
	}
	if (memcmp(fdo_voucher_guid(v), cr.guid, FDO_GUID_LEN) != 0)
		die("the voucher is another device's");
	printf("ok: %zu entries, DeviceInfo %s\n", fdo_voucher_entry_count(v),
	    fdo_voucher_device_info(v));
	fdo_voucher_free(v);
	EVP_PKEY_free(key);
	free(cp);
	free(vp);
	return 0;
}

static int
again(const char *credfile, const char *url)
{
	size_t cn;
	uint8_t *cp = read_file(credfile, &cn);
	char token[128];
	mp_buf *msg = buf();
	cli_fdo_answer *r = malloc(sizeof(*r));
	cli_fdo_cred cr;
	fdo_hash mac;

	read_cred(cp, cn, &cr);
	snprintf(token, sizeof(token), "%.*s", (int)cr.tl, cr.token);
	if (r == NULL || fdo_hmac_compute(FDO_HMAC_SHA256, cr.secret, cr.sl, cr.hdr, cr.hl,
	    &mac) != MP_OK || fdo_put_array(msg, 1) != MP_OK || fdo_hash_encode(msg, &mac) != MP_OK)
		die("cannot encode DI.SetHMAC");
	post(url, 12, token, msg, r);
	if (strcmp(r->type, "13") == 0)
		die("DI.SetHMAC was taken twice");
	error_exit(r);
	return 1;
}

/* [nonce] or [nonce, ...] of an answer of type want: the nonce. */
static const uint8_t *
answer_nonce(const cli_fdo_answer *r, const char *want)
{
	const uint8_t *nonce;
	size_t n, nl;
	fdo_cbor c;

	if (strcmp(r->type, want) != 0)
		error_exit(r);
	fdo_cbor_init(&c, r->body, r->len);
	if (fdo_cbor_array(&c, &n) != MP_OK || n == 0 || fdo_cbor_bstr(&c, &nonce, &nl) != MP_OK ||
	    nl != FDO_NONCE_LEN)
		die("the answer does not begin with a nonce");
	if (strncmp(r->auth, "Bearer ", 7) != 0)
		die("the answer came without an Authorization token");
	return nonce;
}

/* The last message of an exchange (sent twice when replay), answered by type want. */
static void
post_last(const char *url, int type, const char *token, const mp_buf *msg, bool replay,
    const char *want, cli_fdo_answer *r)
{
	post(url, type, token, msg, r);
	if (replay && strcmp(r->type, want) == 0)
		post(url, type, token, msg, r);
	if (strcmp(r->type, want) != 0)
		error_exit(r);
}

static EVP_PKEY *
read_pem_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (f == NULL || (k = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL)
		die("cannot read the owner key");
	fclose(f);
	return k;
}

static int
to0(const char *url, const char *voucherfile, const char *keyfile, const char *host,
    const char *port, const char *wait, const char *mode)
{
	size_t vn;
	uint8_t *vp = read_file(voucherfile, &vn), nonce[FDO_NONCE_LEN];
	EVP_PKEY *key = read_pem_key(keyfile);
	mp_buf *msg = buf(), *to0d = buf(), *payload = buf();
	cli_fdo_answer *r = malloc(sizeof(*r));
	char token[128];
	fdo_rv_addr addr;
	fdo_bytes part;
	fdo_hash h;
	uint64_t granted, p, w;
	fdo_cbor c;

	if (r == NULL)
		die("out of memory");
	if (mp_parse_u64(port, UINT16_MAX, &p) != MP_OK || mp_parse_u64(wait, UINT32_MAX, &w) != MP_OK)
		die("PORT and WAIT must be numbers");
	memset(&addr, 0, sizeof(addr));
	snprintf(addr.dns, sizeof(addr.dns), "%s", host);
	addr.port = (unsigned)p;
	addr.protocol = FDO_PROT_HTTP;
	/* TO0.Hello = [] */
	if (fdo_put_array(msg, 0) != MP_OK)
		die("cannot encode TO0.Hello");
	post(url, 20, NULL, msg, r);
	memcpy(nonce, answer_nonce(r, "21"), sizeof(nonce));
	snprintf(token, sizeof(token), "%s", r->auth);
	if (strcmp(mode, "nonce") == 0)
		nonce[0] ^= 1;
	/* To0d = [voucher, WaitSeconds, NonceTO0Sign]; To1d signs [RVTO2Addr, hash of To0d] */
	if (fdo_put_array(to0d, 3) != MP_OK || mp_buf_put(to0d, vp, vn) != MP_OK ||
	    fdo_put_uint(to0d, w) != MP_OK ||
	    fdo_put_bstr(to0d, nonce, sizeof(nonce)) != MP_OK)
		die("cannot encode To0d");
	part.p = mp_buf_ptr(to0d);
	part.n = mp_buf_len(to0d);
	if (fdo_hash_compute(FDO_SHA256, &part, 1, &h) != MP_OK)
		die("cannot hash To0d");
	if (strcmp(mode, "hash") == 0)
		h.v[0] ^= 1;
	mp_buf_reset(msg);
	if (fdo_to1d_payload_write(payload, &addr, 1, &h) != MP_OK || fdo_put_array(msg, 2) != MP_OK ||
	    fdo_put_bstr(msg, mp_buf_ptr(to0d), mp_buf_len(to0d)) != MP_OK ||
	    fdo_sign1_sign_ec(key, mp_buf_ptr(payload), mp_buf_len(payload), NULL, 0, msg) != MP_OK)
		die("cannot encode TO0.OwnerSign");
	post_last(url, 22, token, msg, strcmp(mode, "replay") == 0, "23", r);
	fdo_cbor_init(&c, r->body, r->len);
	if (fdo_cbor_array_n(&c, 1) != MP_OK || fdo_cbor_uint(&c, UINT32_MAX, &granted) != MP_OK)
		die("TO0.AcceptOwner is not [WaitSeconds]");
	printf("accepted for %llu s\n", (unsigned long long)granted);
	EVP_PKEY_free(key);
	mp_buf_free(msg);
	mp_buf_free(to0d);
	mp_buf_free(payload);
	free(vp);
	free(r);
	return 0;
}

static int
to1(const char *credfile, const char *url, const char *mode)
{
	size_t cn;
	uint8_t *cp = read_file(credfile, &cn), guid[FDO_GUID_LEN];
	const unsigned char *k;
	mp_buf *msg = buf(), *eat = buf();
	cli_fdo_answer *r = malloc(sizeof(*r));
	fdo_detail d = { { 0 } };
	EVP_PKEY *key;
	char token[128];
	cli_fdo_cred cr;
	fdo_sign1 s;
	fdo_to1d p;
	fdo_cbor c;

	read_cred(cp, cn, &cr);
	k = cr.key;
	if (r == NULL || (key = d2i_AutoPrivateKey(NULL, &k, (long)cr.kl)) == NULL)
		die("the credential's key does not parse");
	memcpy(guid, cr.guid, sizeof(guid));
	/* TO1.HelloRV = [Guid, eASigInfo = [ES256, h'']] */
	if (fdo_put_array(msg, 2) != MP_OK || fdo_put_bstr(msg, guid, sizeof(guid)) != MP_OK ||
	    fdo_put_array(msg, 2) != MP_OK || fdo_put_int(msg, FDO_COSE_ES256) != MP_OK ||
	    fdo_put_bstr(msg, NULL, 0) != MP_OK)
		die("cannot encode TO1.HelloRV");
	post(url, 30, NULL, msg, r);
	if (fdo_eat_write(eat, answer_nonce(r, "31"), guid, NULL, 0) != MP_OK)
		die("cannot encode the EAT");
	snprintf(token, sizeof(token), "%s", r->auth);
	if (strcmp(mode, "guid") == 0) {
		guid[0] ^= 1;
		mp_buf_reset(eat);
		if (fdo_eat_write(eat, answer_nonce(r, "31"), guid, NULL, 0) != MP_OK)
			die("cannot encode the EAT");
	}
	if (strcmp(mode, "key") == 0) {
		EVP_PKEY_free(key);
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	}
	mp_buf_reset(msg);
	if (fdo_sign1_sign_ec(key, mp_buf_ptr(eat), mp_buf_len(eat), NULL, 0, msg) != MP_OK)
		die("cannot sign TO1.ProveToRV");
	post_last(url, 32, token, msg, strcmp(mode, "replay") == 0, "33", r);
	fdo_cbor_init(&c, r->body, r->len);
	if (fdo_to1d_decode(&c, &s, &p, &d) != MP_OK || !fdo_cbor_empty(&c)) {
		printf("TO1.RVRedirect refused: %s\n", d.message);
		return 2;
	}
	for (size_t i = 0; i < p.naddrs; i++)
		printf("owner: %s:%u protocol %u\n", p.addrs[i].dns, p.addrs[i].port,
		    p.addrs[i].protocol);
	EVP_PKEY_free(key);
	mp_buf_free(msg);
	mp_buf_free(eat);
	free(cp);
	free(r);
	return 0;
}

/* TO2.OVNextEntry of entry i: a copy of the entry's encoding. */
static uint8_t *
next_entry(const char *url, const char *token, uint64_t i, cli_fdo_answer *r, size_t *len)
{
	const uint8_t *e;
	mp_buf *msg = buf();
	uint64_t got;
	uint8_t *copy;
	fdo_cbor c;

	if (fdo_put_array(msg, 1) != MP_OK || fdo_put_uint(msg, i) != MP_OK)
		die("cannot encode TO2.GetOVNextEntry");
	post(url, 62, token, msg, r);
	if (strcmp(r->type, "63") != 0)
		error_exit(r);
	fdo_cbor_init(&c, r->body, r->len);
	if (fdo_cbor_array_n(&c, 2) != MP_OK || fdo_cbor_uint(&c, UINT8_MAX, &got) != MP_OK ||
	    got != i || fdo_cbor_skip(&c, &e, len) != MP_OK || !fdo_cbor_empty(&c) ||
	    (copy = malloc(*len)) == NULL)
		die("TO2.OVNextEntry is not [OVEntryNum, OVEntry] of the entry asked for");
	memcpy(copy, e, *len);
	mp_buf_free(msg);
	return copy;
}

/* Sends the encrypted message type (plaintext msg) and opens the answer, of type type + 1, into out. */
static void
post_encrypted(const char *url, int type, const char *token, const fdo_sek *sek, const mp_buf *msg,
    cli_fdo_answer *r, mp_buf *out)
{
	mp_buf *ct = buf();
	char want[16];
	fdo_detail d = { { 0 } };

	if (fdo_encrypt0(sek, mp_buf_ptr(msg), mp_buf_len(msg), ct) != MP_OK)
		die("cannot encrypt");
	post(url, type, token, ct, r);
	snprintf(want, sizeof(want), "%d", type + 1);
	if (strcmp(r->type, want) != 0)
		error_exit(r);
	mp_buf_reset(out);
	if (fdo_decrypt0(sek, r->body, r->len, out, &d) != MP_OK)
		die(d.message);
	mp_buf_free(ct);
}

/* [key, bstr .cbor value] */
static void
put_svi(mp_buf *b, const char *key, const uint8_t *v, size_t n)
{
	if (fdo_put_array(b, 2) != MP_OK || fdo_put_tstr(b, key, strlen(key)) != MP_OK ||
	    fdo_put_bstr(b, v, n) != MP_OK)
		die("cannot encode ServiceInfo");
}

/* Prints the owner's ServiceInfo of TO2.OwnerServiceInfo (the text values). */
static void
print_owner_svi(const mp_buf *m)
{
	const uint8_t *v;
	const char *k, *t;
	size_t n, kl, vl, tl;
	bool more, done;
	fdo_cbor c, vc;

	fdo_cbor_init(&c, mp_buf_ptr(m), mp_buf_len(m));
	if (fdo_cbor_array_n(&c, 3) != MP_OK || fdo_cbor_bool(&c, &more) != MP_OK ||
	    fdo_cbor_bool(&c, &done) != MP_OK || more || !done || fdo_cbor_array(&c, &n) != MP_OK)
		die("TO2.OwnerServiceInfo is not [false, true, ServiceInfo]");
	for (size_t i = 0; i < n; i++) {
		if (fdo_cbor_array_n(&c, 2) != MP_OK || fdo_cbor_tstr(&c, &k, &kl) != MP_OK ||
		    fdo_cbor_bstr(&c, &v, &vl) != MP_OK)
			die("a ServiceInfo entry is not [key, bstr]");
		fdo_cbor_init(&vc, v, vl);
		if (fdo_cbor_tstr(&vc, &t, &tl) == MP_OK) {
			/* the first line of a text (a PEM's) */
			const char *eol = memchr(t, '\n', tl);

			printf("%.*s: %.*s\n", (int)kl, k, (int)(eol != NULL ? (size_t)(eol - t) : tl), t);
		} else {
			printf("%.*s\n", (int)kl, k);
		}
	}
}

/* The rest of TO2 after the owner's proof (TO2.ProveDevice to TO2.Done2); the new credential. */
static void
onboard(const char *credfile, const char *url, const char *token, const char *kex,
    const cli_fdo_cred *cr, const fdo_voucher *v, const fdo_prove_ovhdr *p, const char *mode)
{
	static const uint8_t cbor_true[] = { 0xf5 }, cbor_linux[] = { 0x65, 'L', 'i', 'n', 'u', 'x' };
	mp_buf *xb = buf(), *claim = buf(), *eat = buf(), *unprot = buf(), *msg = buf(), *m = buf(),
	       *hdr = buf(), *cb = buf();
	uint8_t nonce_setup[FDO_NONCE_LEN], guid2[FDO_GUID_LEN];
	const uint8_t *rv, *g2, *ns, *o2;
	cli_fdo_answer *r = malloc(sizeof(*r));
	fdo_detail d = { { 0 } };
	const unsigned char *k = cr->key;
	EVP_PKEY *kb = NULL, *key;
	size_t rl, gl, nl, ol;
	fdo_pubkey owner2;
	fdo_sign1 s;
	fdo_hash mac;
	fdo_sek sek;
	fdo_cbor c, w;
	int suite;

	if (r == NULL || (key = d2i_AutoPrivateKey(NULL, &k, (long)cr->kl)) == NULL ||
	    fdo_kex_suite_of(kex, strlen(kex), FDO_A128GCM, &suite, &d) != MP_OK ||
	    fdo_kex_param(suite, &kb, xb) != MP_OK ||
	    fdo_kex_derive(suite, FDO_A128GCM, kb, mp_buf_ptr(xb), mp_buf_len(xb), p->xa, p->xa_len,
	    false, &sek, &d) != MP_OK || mp_random_bytes(nonce_setup, sizeof(nonce_setup)) != MP_OK)
		die("cannot run the key exchange");
	/* TO2.ProveDevice = EAToken {nonce, UEID, EAT-FDO: [xBKeyExchange]}, {EUPHNonce} */
	if (fdo_put_array(claim, 1) != MP_OK ||
	    fdo_put_bstr(claim, mp_buf_ptr(xb), mp_buf_len(xb)) != MP_OK ||
	    fdo_eat_write(eat, p->nonce_dv, cr->guid, mp_buf_ptr(claim), mp_buf_len(claim)) != MP_OK ||
	    fdo_put_map(unprot, 1) != MP_OK || fdo_put_int(unprot, FDO_EUPH_NONCE) != MP_OK ||
	    fdo_put_bstr(unprot, nonce_setup, sizeof(nonce_setup)) != MP_OK)
		die("cannot encode TO2.ProveDevice");
	if (strcmp(mode, "attest") == 0) {
		EVP_PKEY_free(key);
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	}
	if (fdo_sign1_sign_ec(key, mp_buf_ptr(eat), mp_buf_len(eat), mp_buf_ptr(unprot),
	    mp_buf_len(unprot), msg) != MP_OK)
		die("cannot sign TO2.ProveDevice");
	post(url, 64, token, msg, r);
	if (strcmp(r->type, "65") != 0)
		error_exit(r);
	/* TO2.SetupDevice: COSE_Sign1 of [RendezvousInfo, Guid, NonceTO2SetupDv, Owner2Key] */
	if (fdo_decrypt0(&sek, r->body, r->len, m, &d) != MP_OK)
		die(d.message);
	fdo_cbor_init(&c, mp_buf_ptr(m), mp_buf_len(m));
	if (fdo_sign1_decode(&c, &s, &d) != MP_OK)
		die("TO2.SetupDevice is not a COSE_Sign1");
	fdo_cbor_init(&c, s.payload, s.payload_len);
	if (fdo_cbor_array_n(&c, 4) != MP_OK || fdo_cbor_skip(&c, &rv, &rl) != MP_OK ||
	    fdo_cbor_bstr(&c, &g2, &gl) != MP_OK || gl != FDO_GUID_LEN ||
	    fdo_cbor_bstr(&c, &ns, &nl) != MP_OK || nl != FDO_NONCE_LEN)
		die("TO2.SetupDevice's payload is not [RendezvousInfo, Guid, NonceTO2SetupDv, Owner2Key]");
	w = c;
	if (fdo_cbor_skip(&w, &o2, &ol) != MP_OK || fdo_pubkey_decode(&c, &owner2, &d) != MP_OK ||
	    fdo_sign1_verify(&s, &owner2, &d) != MP_OK || memcmp(ns, nonce_setup, nl) != 0)
		die("TO2.SetupDevice is not signed by Owner2Key or not for this NonceTO2SetupDv");
	memcpy(guid2, g2, sizeof(guid2));
	/* TO2.DeviceServiceInfoReady = [ReplacementHMac, null] */
	if (fdo_voucher_replacement_header(v, g2, o2, ol, hdr) != MP_OK ||
	    fdo_hmac_compute(FDO_HMAC_SHA256, cr->secret, cr->sl, mp_buf_ptr(hdr), mp_buf_len(hdr),
	    &mac) != MP_OK)
		die("cannot make the replacement HMAC");
	mp_buf_reset(msg);
	if (fdo_put_array(msg, 2) != MP_OK || fdo_hash_encode(msg, &mac) != MP_OK ||
	    fdo_put_null(msg) != MP_OK)
		die("cannot encode TO2.DeviceServiceInfoReady");
	post_encrypted(url, 66, token, &sek, msg, r, m);
	/* TO2.DeviceServiceInfo = [false, devmod] */
	mp_buf_reset(msg);
	if (fdo_put_array(msg, 2) != MP_OK || fdo_put_bool(msg, false) != MP_OK)
		die("cannot encode TO2.DeviceServiceInfo");
	if (strcmp(mode, "nodevmod") == 0) {
		if (fdo_put_array(msg, 0) != MP_OK)
			die("cannot encode TO2.DeviceServiceInfo");
	} else {
		if (fdo_put_array(msg, 2) != MP_OK)
			die("cannot encode TO2.DeviceServiceInfo");
		put_svi(msg, "devmod:active", cbor_true, sizeof(cbor_true));
		put_svi(msg, "devmod:os", cbor_linux, sizeof(cbor_linux));
	}
	post_encrypted(url, 68, token, &sek, msg, r, m);
	print_owner_svi(m);
	/* TO2.Done = [NonceTO2ProveDv] -> TO2.Done2 = [NonceTO2SetupDv] */
	mp_buf_reset(msg);
	if (fdo_put_array(msg, 1) != MP_OK || fdo_put_bstr(msg, p->nonce_dv, FDO_NONCE_LEN) != MP_OK)
		die("cannot encode TO2.Done");
	post_encrypted(url, 70, token, &sek, msg, r, m);
	fdo_cbor_init(&c, mp_buf_ptr(m), mp_buf_len(m));
	if (fdo_cbor_array_n(&c, 1) != MP_OK || fdo_cbor_bstr(&c, &ns, &nl) != MP_OK ||
	    nl != FDO_NONCE_LEN || memcmp(ns, nonce_setup, nl) != 0)
		die("TO2.Done2 is not [NonceTO2SetupDv]");
	/* the new credential: [GUID, HMAC secret, header, key, token] */
	if (fdo_put_array(cb, 5) != MP_OK || fdo_put_bstr(cb, guid2, sizeof(guid2)) != MP_OK ||
	    fdo_put_bstr(cb, cr->secret, cr->sl) != MP_OK ||
	    fdo_put_bstr(cb, mp_buf_ptr(hdr), mp_buf_len(hdr)) != MP_OK ||
	    fdo_put_bstr(cb, cr->key, cr->kl) != MP_OK || fdo_put_tstr(cb, "", 0) != MP_OK)
		die("cannot encode the credential");
	write_file(credfile, cb);
	printf("onboarded: GUID ");
	for (size_t i = 0; i < sizeof(guid2); i++)
		printf("%02x%s", guid2[i], i == 3 || i == 5 || i == 7 || i == 9 ? "-" : "");
	printf("\n");
	fflush(stdout);
	if (strcmp(mode, "replay") == 0)
		post_encrypted(url, 70, token, &sek, msg, r, m);
	fdo_pubkey_clear(&owner2);
	EVP_PKEY_free(kb);
	EVP_PKEY_free(key);
	mp_buf_free(xb);
	mp_buf_free(claim);
	mp_buf_free(eat);
	mp_buf_free(unprot);
	mp_buf_free(msg);
	mp_buf_free(m);
	mp_buf_free(hdr);
	mp_buf_free(cb);
	free(r);
}

static int
to2(const char *credfile, const char *url, const char *kex, const char *mode)
{
	size_t cn, n;
	uint8_t *cp = read_file(credfile, &cn), guid[FDO_GUID_LEN], nonce[FDO_NONCE_LEN];
	cli_fdo_answer *r = malloc(sizeof(*r)), *prove = malloc(sizeof(*prove));
	fdo_bytes entries[FDO_VOUCHER_MAX_ENTRIES];
	fdo_detail d = { { 0 } };
	fdo_voucher *v = NULL;
	mp_buf *hello = buf();
	fdo_bytes part;
	fdo_prove_ovhdr p;
	char token[128];
	cli_fdo_cred cr;
	fdo_hash h;

	read_cred(cp, cn, &cr);
	memcpy(guid, cr.guid, sizeof(guid));
	if (strcmp(mode, "guid") == 0)
		guid[0] ^= 1;
	if (r == NULL || prove == NULL || mp_random_bytes(nonce, sizeof(nonce)) != MP_OK ||
	    fdo_to2_hello_write(hello, guid, nonce, kex,
	    strcmp(mode, "cipher") == 0 ? 32 : FDO_A128GCM, FDO_COSE_ES256) != MP_OK)
		die("cannot encode TO2.HelloDevice");
	post(url, 60, NULL, hello, prove);
	if (strcmp(prove->type, "61") != 0)
		error_exit(prove);
	snprintf(token, sizeof(token), "%s", prove->auth);
	if (fdo_prove_ovhdr_decode(prove->body, prove->len, &p, &d) != MP_OK)
		die(d.message);
	if (fdo_sign1_verify(&p.sign1, &p.owner, &d) != MP_OK)
		die("TO2.ProveOVHdr is not signed by CUPHOwnerPubKey");
	part.p = mp_buf_ptr(hello);
	part.n = mp_buf_len(hello);
	if (memcmp(p.nonce_ov, nonce, sizeof(nonce)) != 0 ||
	    fdo_hash_compute(p.hello_hash.alg, &part, 1, &h) != MP_OK || !fdo_hash_equal(&h, &p.hello_hash))
		die("TO2.ProveOVHdr: not the nonce or the hash of this TO2.HelloDevice");
	n = (size_t)p.entries;
	for (size_t i = 0; i < n; i++)
		entries[i].p = next_entry(url, token, i, r, &entries[i].n);
	if (strcmp(mode, "entry") == 0)
		(void)next_entry(url, token, n, r, &part.n);
	if (fdo_voucher_assemble(p.hdr, p.hdr_len, p.hmac, p.hmac_len, entries, n, &v, &d) != MP_OK ||
	    fdo_voucher_verify(v, cr.secret, cr.sl, &d) != MP_OK) {
		printf("refused: %s\n", d.message);
		return 2;
	}
	if (memcmp(fdo_voucher_guid(v), cr.guid, FDO_GUID_LEN) != 0 ||
	    EVP_PKEY_eq(fdo_voucher_owner_key(v)->key, p.owner.key) != 1)
		die("the voucher is another device's, or its owner key is not CUPHOwnerPubKey");
	printf("ok: the owner proved the voucher of %zu entries\n", fdo_voucher_entry_count(v));
	if (strcmp(mode, "onboard") == 0 || strcmp(mode, "attest") == 0 ||
	    strcmp(mode, "nodevmod") == 0 || strcmp(mode, "replay") == 0)
		onboard(credfile, url, token, kex, &cr, v, &p, mode);
	for (size_t i = 0; i < n; i++)
		free((void *)entries[i].p);
	fdo_voucher_free(v);
	fdo_pubkey_clear(&p.owner);
	mp_buf_free(hello);
	free(prove);
	free(r);
	free(cp);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "check") == 0)
		return check(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "again") == 0)
		return again(argv[2], argv[3]);
	if (argc == 9 && strcmp(argv[1], "to0") == 0)
		return to0(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7], argv[8]);
	if (argc == 5 && strcmp(argv[1], "to1") == 0)
		return to1(argv[2], argv[3], argv[4]);
	if (argc == 6 && strcmp(argv[1], "to2") == 0)
		return to2(argv[2], argv[3], argv[4], argv[5]);
	fprintf(stderr, "usage: fdo_device check CREDENTIAL VOUCHER\n"
	    "       fdo_device again CREDENTIAL URL\n"
	    "       fdo_device to0 URL VOUCHER OWNERKEY HOST PORT WAIT MODE\n"
	    "       fdo_device to1 CREDENTIAL URL MODE\n"
	    "       fdo_device to2 CREDENTIAL URL KEX MODE\n");
	return 1;
}
