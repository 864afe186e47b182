/*
 * A test device for FDO against `midpki serve`'s FDO listener
 * (tests/integration/fdo_*.sh), on the device code of `midpki fdo device`
 * (cli/fdo_device.h, cli/fdo_http.h, cli/fdo_onboard.h; DI is `midpki fdo
 * device di`), with the faults a test needs:
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cbor.h"
#include "fdo_device.h"
#include "fdo_http.h"
#include "fdo_onboard.h"
#include "cose.h"
#include "err.h"
#include "hash.h"
#include "num.h"
#include "rv_msg.h"
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

/* A fault by its name in MODE; CLI_FDO_FAULT_NONE for ok and onboard. */
static cli_fdo_fault
fault_of(const char *mode)
{
	static const struct {
		const char *name;
		cli_fdo_fault fault;
	} faults[] = {
		{ "key", CLI_FDO_FAULT_KEY }, { "attest", CLI_FDO_FAULT_KEY },
		{ "guid", CLI_FDO_FAULT_GUID }, { "replay", CLI_FDO_FAULT_REPLAY },
		{ "cipher", CLI_FDO_FAULT_CIPHER }, { "entry", CLI_FDO_FAULT_ENTRY },
		{ "nodevmod", CLI_FDO_FAULT_NODEVMOD },
	};

	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		if (strcmp(mode, faults[i].name) == 0)
			return faults[i].fault;
	return CLI_FDO_FAULT_NONE;
}

/* Exits after a refusal: the FDO error or our reason on stdout, exit 2; else on stderr, exit 1. */
__attribute__((noreturn)) static void
refused(int r, const char *err)
{
	if (r == MP_ERR_DENIED || r == MP_ERR_INVALID) {
		printf("%s\n", err);
		exit(2);
	}
	die(err);
}

static int
to1(const char *credfile, const char *url, const char *mode)
{
	size_t cn;
	uint8_t *cp = read_file(credfile, &cn);
	char err[1024];
	cli_fdo_cred cr;
	fdo_to1d p;
	int r;

	read_cred(cp, cn, &cr);
	if ((r = cli_fdo_to1(url, &cr, fault_of(mode), &p, err, sizeof(err))) != MP_OK)
		refused(r, err);
	for (size_t i = 0; i < p.naddrs; i++)
		printf("owner: %s:%u protocol %u\n", p.addrs[i].dns, p.addrs[i].port,
		    p.addrs[i].protocol);
	free(cp);
	return 0;
}

/* The first line of a text (a PEM's). */
static void
print_svi(const char *key, const char *value)
{
	if (value != NULL)
		printf("midpki:%s: %.*s\n", key, (int)strcspn(value, "\n"), value);
}

static int
to2(const char *credfile, const char *url, const char *kex, const char *mode)
{
	size_t cn;
	uint8_t *cp = read_file(credfile, &cn);
	bool onboard = strcmp(mode, "onboard") == 0 || strcmp(mode, "attest") == 0 ||
	    strcmp(mode, "nodevmod") == 0 || strcmp(mode, "replay") == 0;
	cli_fdo_onboarding o;
	char err[1024];
	cli_fdo_cred cr;
	int r;

	read_cred(cp, cn, &cr);
	r = cli_fdo_to2(url, credfile, &cr, kex, onboard, fault_of(mode), &o, err, sizeof(err));
	if (o.proved)
		printf("ok: the owner proved the voucher of %zu entries\n", o.entries);
	print_svi("est_url", o.est_url);
	print_svi("trust_anchor", o.trust_anchor);
	print_svi("serial", o.serial);
	print_svi("enrollment_token", o.token);
	if (o.guid[0] != '\0')
		printf("onboarded: GUID %s\n", o.guid);
	fflush(stdout);
	cli_fdo_onboarding_clear(&o);
	free(cp);
	if (r != MP_OK)
		refused(r, err);
	return 0;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
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
