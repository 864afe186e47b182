/*
 * OpenSSH certificates (ssh-ca/cert.c) signed with software key-store keys
 * (against a throwaway PostgreSQL, with-pg.sh): for every CA key type and
 * every subject key type, the encoding decoded field by field, the signature
 * verified with OpenSSL, and the certificate read by `ssh-keygen -L`, which
 * checks the signature too; every refusal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "buf.h"
#include "cert.h"
#include "check_main.h"
#include "err.h"
#include "keystore.h"
#include "pg_harness.h"
#include "ssh_harness.h"
#include "sshkey.h"

static const mp_actor actor = { "user", "ssh-cert-test", NULL };
static ssh_store st;

static void
fixture_up(void)
{
	ssh_store_open(&st, "ssh_cert");
}

static void
fixture_down(void)
{
	ssh_store_close(&st);
}

static mp_key *
new_key(const char *alg)
{
	static unsigned made;
	char id[MP_UUID_STR_LEN + 1], label[64];
	mp_key_spec spec;
	mp_key *k = NULL;

	snprintf(label, sizeof(label), "ssh-ca-%u-%s", made++, alg);
	ck_assert_int_eq(mp_key_spec_parse(alg, &spec), MP_OK);
	ck_assert_int_eq(mp_key_generate(st.ks, st.db, &actor, "software", &spec, label, id), MP_OK);
	ck_assert_int_eq(mp_key_load(st.ks, st.db, id, &k), MP_OK);
	return k;
}

static sshca_pubkey *
sample_key(size_t i)
{
	sshca_pubkey *k = NULL;
	const char *why;

	ck_assert_int_eq(sshca_pubkey_parse_line(ssh_samples[i].line, strlen(ssh_samples[i].line),
	    &k, &why), MP_OK);
	return k;
}

/* A u32-length-prefixed string read from b into (*p, *n), pointing into b. */
static void
get_bytes(mp_buf *b, const uint8_t **p, size_t *n)
{
	uint32_t len;

	ck_assert_int_eq(mp_buf_get_u32(b, &len), MP_OK);
	ck_assert_uint_le(len, mp_buf_len(b));
	*p = mp_buf_ptr(b);
	*n = len;
	ck_assert_int_eq(mp_buf_consume(b, len), MP_OK);
}

static void
expect_string(mp_buf *b, const char *want)
{
	const uint8_t *p;
	size_t n;

	get_bytes(b, &p, &n);
	ck_assert_uint_eq(n, strlen(want));
	ck_assert_mem_eq(p, want, n);
}

/* The packed name/data list of options: names and values in order, "" for no data. */
static void
expect_options(mp_buf *b, const char *const *want, size_t n)
{
	const uint8_t *p, *d;
	size_t len, dlen;
	mp_buf *in = mp_buf_new(65536);

	get_bytes(b, &p, &len);
	ck_assert_int_eq(mp_buf_put(in, p, len), MP_OK);
	for (size_t i = 0; i < n; i++) {
		expect_string(in, want[2 * i]);
		get_bytes(in, &d, &dlen);
		if (want[2 * i + 1][0] == '\0') {
			ck_assert_uint_eq(dlen, 0);
		} else {
			mp_buf *v = mp_buf_new(4096);

			ck_assert_int_eq(mp_buf_put(v, d, dlen), MP_OK);
			expect_string(v, want[2 * i + 1]);
			ck_assert_uint_eq(mp_buf_len(v), 0);
			mp_buf_free(v);
		}
	}
	ck_assert_uint_eq(mp_buf_len(in), 0);
	mp_buf_free(in);
}

/* Verifies the SSH signature blob sig over msg with the CA key's public half. */
static void
verify_signature(mp_key *ca, const uint8_t *sig, size_t siglen, const uint8_t *msg, size_t len)
{
	const mp_key_spec *spec = mp_key_get_spec(ca);
	EVP_PKEY *pub = mp_key_public(ca);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	mp_buf *b = mp_buf_new(4096), *e = NULL;
	const uint8_t *raw, *r, *s;
	uint8_t *der = NULL;
	size_t rawlen, rl, sl;
	const char *md = NULL;
	int derlen;

	ck_assert_int_eq(mp_buf_put(b, sig, siglen), MP_OK);
	expect_string(b, sshca_sig_alg(ca));
	get_bytes(b, &raw, &rawlen);
	ck_assert_uint_eq(mp_buf_len(b), 0);
	if (spec->alg == MP_KEY_EC_P256 || spec->alg == MP_KEY_EC_P384) {
		ECDSA_SIG *es = ECDSA_SIG_new();

		e = mp_buf_new(256);
		ck_assert_int_eq(mp_buf_put(e, raw, rawlen), MP_OK);
		get_bytes(e, &r, &rl);
		get_bytes(e, &s, &sl);
		ck_assert_uint_eq(mp_buf_len(e), 0);
		ck_assert_int_eq(ECDSA_SIG_set0(es, BN_bin2bn(r, (int)rl, NULL),
		    BN_bin2bn(s, (int)sl, NULL)), 1);
		ck_assert_int_gt(derlen = i2d_ECDSA_SIG(es, &der), 0);
		ECDSA_SIG_free(es);
		raw = der;
		rawlen = (size_t)derlen;
		md = spec->alg == MP_KEY_EC_P256 ? "SHA256" : "SHA384";
	} else if (spec->alg == MP_KEY_RSA) {
		md = "SHA512";
		ck_assert_uint_eq(rawlen, spec->rsa_bits / 8);
	} else {
		ck_assert_uint_eq(rawlen, 64);
	}
	ck_assert_int_eq(EVP_DigestVerifyInit_ex(m, NULL, md, NULL, NULL, pub, NULL), 1);
	ck_assert_int_eq(EVP_DigestVerify(m, raw, rawlen, msg, len), 1);
	OPENSSL_free(der);
	mp_buf_free(e);
	mp_buf_free(b);
	EVP_MD_CTX_free(m);
	EVP_PKEY_free(pub);
}

static const char *const principals[] = { "tech:site-a", "tech:site-b", "user:alice" };
static const sshca_option critical[] = {
	{ "source-address", "127.0.0.1/32,::1/128" },
	{ "force-command", "/usr/bin/true" },
	{ "verify-required", NULL },
};
static const sshca_option extensions[] = {
	{ "permit-pty", NULL },
	{ "permit-X11-forwarding", NULL },
	{ "permit-agent-forwarding", NULL },
};

static sshca_cert_input
input_for(const sshca_pubkey *subject, sshca_cert_kind kind)
{
	sshca_cert_input in;

	memset(&in, 0, sizeof(in));
	in.kind = kind;
	in.subject = subject;
	in.serial = 0x8000000000000001ULL;
	in.key_id = "user=alice tenant=acme serial=9223372036854775809 request=r-1";
	in.principals = principals;
	in.n_principals = 3;
	in.valid_after = 1700000000;
	in.valid_before = 4102444800; /* 2100-01-01 */
	in.critical = critical;
	in.n_critical = 3;
	in.extensions = extensions;
	in.n_extensions = 3;
	return in;
}

/* Decodes blob field by field against in; returns the nonce for comparing. */
static void
check_fields(mp_key *ca, const sshca_cert_input *in, const uint8_t *blob, size_t len,
    uint8_t nonce[SSHCA_NONCE_LEN])
{
	static const char *const crit_sorted[] = { "force-command", "/usr/bin/true",
		"source-address", "127.0.0.1/32,::1/128", "verify-required", "" };
	static const char *const ext_sorted[] = { "permit-X11-forwarding", "",
		"permit-agent-forwarding", "", "permit-pty", "" };
	const sshca_pubkey *subj = in->subject;
	mp_buf *b = mp_buf_new(SSHCA_CERT_MAX), *cakey = mp_buf_new(SSHCA_BLOB_MAX);
	const uint8_t *p;
	size_t n, signed_len;
	uint64_t v64;
	uint32_t v32;

	ck_assert_int_eq(mp_buf_put(b, blob, len), MP_OK);
	expect_string(b, sshca_cert_type_name(subj->type));
	get_bytes(b, &p, &n);
	ck_assert_uint_eq(n, SSHCA_NONCE_LEN);
	memcpy(nonce, p, n);
	/* the subject key's own fields, byte for byte */
	n = subj->blob_len - subj->fields_off;
	ck_assert_uint_ge(mp_buf_len(b), n);
	ck_assert_mem_eq(mp_buf_ptr(b), subj->blob + subj->fields_off, n);
	ck_assert_int_eq(mp_buf_consume(b, n), MP_OK);
	ck_assert_int_eq(mp_buf_get_u64(b, &v64), MP_OK);
	ck_assert(v64 == in->serial);
	ck_assert_int_eq(mp_buf_get_u32(b, &v32), MP_OK);
	ck_assert_uint_eq(v32, in->kind);
	expect_string(b, in->key_id);
	get_bytes(b, &p, &n);
	ck_assert_uint_eq(n, 3 * 4 + strlen("tech:site-a") * 2 + strlen("user:alice"));
	ck_assert_mem_eq(p, "\0\0\0\x0btech:site-a\0\0\0\x0btech:site-b\0\0\0\x0auser:alice", n);
	ck_assert_int_eq(mp_buf_get_u64(b, &v64), MP_OK);
	ck_assert(v64 == in->valid_after);
	ck_assert_int_eq(mp_buf_get_u64(b, &v64), MP_OK);
	ck_assert(v64 == in->valid_before);
	expect_options(b, crit_sorted, in->n_critical);
	expect_options(b, ext_sorted, in->n_extensions);
	expect_string(b, "");
	ck_assert_int_eq(sshca_key_blob(ca, cakey), MP_OK);
	get_bytes(b, &p, &n);
	ck_assert_uint_eq(n, mp_buf_len(cakey));
	ck_assert_mem_eq(p, mp_buf_ptr(cakey), n);
	signed_len = len - mp_buf_len(b);
	get_bytes(b, &p, &n);
	ck_assert_uint_eq(mp_buf_len(b), 0);
	verify_signature(ca, p, n, blob, signed_len);
	mp_buf_free(cakey);
	mp_buf_free(b);
}

/* Runs `ssh-keygen -L -f` on the certificate line and checks what it prints. */
static void
check_with_ssh_keygen(mp_key *ca, const sshca_cert_input *in, const char *line)
{
	char out[8192], want[512], *cafp = NULL, *fp = NULL;
	mp_buf *cakey = mp_buf_new(SSHCA_BLOB_MAX);

	ssh_keygen_list(st.dir, line, out, sizeof(out));
	ck_assert_int_eq(sshca_key_blob(ca, cakey), MP_OK);
	ck_assert_int_eq(sshca_fingerprint(mp_buf_ptr(cakey), mp_buf_len(cakey), &cafp), MP_OK);
	ck_assert_int_eq(sshca_fingerprint(in->subject->blob, in->subject->blob_len, &fp), MP_OK);
	snprintf(want, sizeof(want), "Type: %s %s certificate\n",
	    sshca_cert_type_name(in->subject->type), in->kind == SSHCA_CERT_USER ? "user" : "host");
	ck_assert_msg(strstr(out, want) != NULL, "%s lacks %s", out, want);
	snprintf(want, sizeof(want), " %s\n", fp);
	ck_assert_msg(strstr(out, want) != NULL, "%s lacks %s", out, want);
	snprintf(want, sizeof(want), " %s (using %s)\n", cafp, sshca_sig_alg(ca));
	ck_assert_msg(strstr(out, want) != NULL, "%s lacks %s", out, want);
	snprintf(want, sizeof(want), "Key ID: \"%s\"\n", in->key_id);
	ck_assert_msg(strstr(out, want) != NULL, "%s lacks %s", out, want);
	ck_assert_msg(strstr(out, "Serial: 9223372036854775809\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "Principals: \n                tech:site-a\n"
	    "                tech:site-b\n                user:alice\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "Critical Options: \n"
	    "                force-command /usr/bin/true\n"
	    "                source-address 127.0.0.1/32,::1/128\n"
	    "                verify-required\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "Extensions: \n                permit-X11-forwarding\n"
	    "                permit-agent-forwarding\n                permit-pty\n") != NULL,
	    "%s", out);
	free(fp);
	free(cafp);
	mp_buf_free(cakey);
}

/* What sshca_cert_read_line reads of the certificate line: what it was made of. */
static void
read_back(const sshca_cert_input *in, const char *line)
{
	sshca_cert_info info = { 0 };
	const char *why = "unset";

	ck_assert_msg(sshca_cert_read_line(line, strlen(line), &info, &why) == MP_OK, "%s", why);
	ck_assert_ptr_null(why);
	ck_assert_uint_eq(info.subject->type, in->subject->type);
	ck_assert_uint_eq(info.subject->blob_len, in->subject->blob_len);
	ck_assert_mem_eq(info.subject->blob, in->subject->blob, in->subject->blob_len);
	ck_assert(info.serial == in->serial);
	ck_assert_uint_eq(info.kind, in->kind);
	ck_assert(info.valid_after == in->valid_after);
	ck_assert(info.valid_before == in->valid_before);
	sshca_cert_info_clear(&info);
	sshca_cert_info_clear(&info);
}

START_TEST(every_ca_and_subject_type)
{
	static const char *const cas[] = { "ed25519", "ec-p256", "ec-p384", "rsa-3072" };

	for (size_t c = 0; c < sizeof(cas) / sizeof(cas[0]); c++) {
		mp_key *ca = new_key(cas[c]);

		for (size_t i = 0; i < ssh_n_samples; i++) {
			sshca_pubkey *subj = sample_key(i);
			sshca_cert_input in = input_for(subj, i % 2 ? SSHCA_CERT_HOST : SSHCA_CERT_USER);
			uint8_t *blob = NULL, *blob2 = NULL, n1[SSHCA_NONCE_LEN], n2[SSHCA_NONCE_LEN];
			size_t len = 0, len2 = 0;
			const char *why = "unset";
			char *line = NULL;

			ck_assert_int_eq(sshca_cert_sign(ca, &in, &blob, &len, &why), MP_OK);
			ck_assert_ptr_null(why);
			check_fields(ca, &in, blob, len, n1);
			ck_assert_int_eq(sshca_pubkey_line(sshca_cert_type_name(subj->type), blob, len,
			    "alice@acme", &line), MP_OK);
			check_with_ssh_keygen(ca, &in, line);
			read_back(&in, line);
			/* the same input again: another nonce */
			ck_assert_int_eq(sshca_cert_sign(ca, &in, &blob2, &len2, &why), MP_OK);
			check_fields(ca, &in, blob2, len2, n2);
			ck_assert_int_ne(memcmp(n1, n2, sizeof(n1)), 0);
			free(line);
			free(blob2);
			free(blob);
			sshca_pubkey_free(subj);
		}
		mp_key_release(ca);
	}
}
END_TEST

static void
expect_refused(mp_key *ca, const sshca_cert_input *in, int err, const char *why_part)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	const char *why = NULL;

	ck_assert_int_eq(sshca_cert_sign(ca, in, &blob, &len, &why), err);
	ck_assert_ptr_null(blob);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, why_part) != NULL, "\"%s\" does not say \"%s\"", why, why_part);
}

START_TEST(refusals)
{
	static const char *const comma[] = { "tech:a,tech:b" };
	static const char *const empty[] = { "" };
	static const char *const twice[] = { "tech:a", "tech:a" };
	static const sshca_option unknown[] = { { "no-touch-required", NULL } };
	static const sshca_option no_value[] = { { "force-command", NULL } };
	static const sshca_option with_value[] = { { "verify-required", "yes" } };
	static const sshca_option dup[] = { { "permit-pty", NULL }, { "permit-pty", NULL } };
	static const sshca_option nameless[] = { { "", NULL } };
	mp_key *ca = new_key("ed25519"), *rsa2048 = new_key("rsa-2048"),
	    *pss = new_key("rsa-pss-3072");
	sshca_pubkey *subj = sample_key(0);
	sshca_cert_input in = input_for(subj, SSHCA_CERT_USER), bad;

	bad = in;
	bad.n_principals = 0;
	expect_refused(ca, &bad, MP_ERR_INVALID, "at least one principal");
	bad.principals = comma;
	bad.n_principals = 1;
	expect_refused(ca, &bad, MP_ERR_INVALID, "contains a comma");
	bad.principals = empty;
	expect_refused(ca, &bad, MP_ERR_INVALID, "a principal is empty");
	bad.principals = twice;
	bad.n_principals = 2;
	expect_refused(ca, &bad, MP_ERR_INVALID, "named twice");
	bad = in;
	bad.n_principals = SSHCA_PRINCIPALS_MAX + 1;
	expect_refused(ca, &bad, MP_ERR_INVALID, "too many principals");
	bad = in;
	bad.valid_after = bad.valid_before;
	expect_refused(ca, &bad, MP_ERR_INVALID, "valid_after must be before valid_before");
	bad = in;
	bad.key_id = "";
	expect_refused(ca, &bad, MP_ERR_INVALID, "key id");
	bad = in;
	bad.kind = 3;
	expect_refused(ca, &bad, MP_ERR_INVALID, "user or host");
	bad = in;
	bad.critical = unknown;
	bad.n_critical = 1;
	expect_refused(ca, &bad, MP_ERR_INVALID, "unknown critical option");
	bad.critical = no_value;
	expect_refused(ca, &bad, MP_ERR_INVALID, "need a value");
	bad.critical = with_value;
	expect_refused(ca, &bad, MP_ERR_INVALID, "verify-required has none");
	bad = in;
	bad.extensions = dup;
	bad.n_extensions = 2;
	expect_refused(ca, &bad, MP_ERR_INVALID, "named twice");
	bad.extensions = nameless;
	bad.n_extensions = 1;
	expect_refused(ca, &bad, MP_ERR_INVALID, "needs a name");
	bad.n_extensions = SSHCA_OPTIONS_MAX + 1;
	expect_refused(ca, &bad, MP_ERR_INVALID, "too many");
	expect_refused(rsa2048, &in, MP_ERR_UNSUPPORTED, "RSA below 3072 bits");
	expect_refused(pss, &in, MP_ERR_UNSUPPORTED, "RSA-PSS");
	sshca_pubkey_free(subj);
	mp_key_release(pss);
	mp_key_release(rsa2048);
	mp_key_release(ca);
}
END_TEST

START_TEST(read_refusals)
{
	mp_key *ca = new_key("ed25519");
	sshca_pubkey *subj = sample_key(0);
	sshca_cert_input in = input_for(subj, SSHCA_CERT_HOST);
	sshca_cert_info info = { 0 };
	uint8_t *blob = NULL;
	size_t len = 0;
	const char *why = NULL;
	char *line = NULL, *cut = NULL;

	ck_assert_int_eq(sshca_cert_sign(ca, &in, &blob, &len, &why), MP_OK);
	/* cut in the key id, before the validity: truncated */
	ck_assert_int_eq(sshca_pubkey_line(sshca_cert_type_name(subj->type), blob, 150, NULL,
	    &cut), MP_OK);
	ck_assert_int_eq(sshca_cert_read_line(cut, strlen(cut), &info, &why), MP_ERR_INVALID);
	ck_assert_str_eq(why, "truncated or malformed certificate");
	/* a plain key, another certificate type on the line, bad base64, two lines */
	ck_assert_int_eq(sshca_cert_read_line(ssh_samples[0].line, strlen(ssh_samples[0].line),
	    &info, &why), MP_ERR_UNSUPPORTED);
	ck_assert_int_eq(sshca_pubkey_line("ssh-rsa-cert-v01@openssh.com", blob, len, NULL, &line),
	    MP_OK);
	ck_assert_int_eq(sshca_cert_read_line(line, strlen(line), &info, &why), MP_ERR_INVALID);
	ck_assert_int_eq(sshca_cert_read_line("ssh-ed25519-cert-v01@openssh.com AAA@", 37, &info,
	    &why), MP_ERR_INVALID);
	ck_assert_str_eq(why, "certificate is not valid base64");
	ck_assert_int_eq(sshca_cert_read_line("a b\nc d", 7, &info, &why), MP_ERR_INVALID);
	ck_assert_ptr_null(info.subject);
	free(line);
	free(cut);
	free(blob);
	sshca_pubkey_free(subj);
	mp_key_release(ca);
}
END_TEST

START_TEST(ca_key_blobs)
{
	mp_key *ed = new_key("ed25519"), *rsa = new_key("rsa-3072");
	mp_buf *b = mp_buf_new(SSHCA_BLOB_MAX);
	sshca_pubkey *k = NULL;
	const char *why;

	/* a CA's blob parses as a subject key of the same type */
	ck_assert_int_eq(sshca_key_blob(ed, b), MP_OK);
	ck_assert_int_eq(sshca_pubkey_parse_blob(mp_buf_ptr(b), mp_buf_len(b), &k, &why), MP_OK);
	ck_assert_int_eq(k->type, SSHCA_KEY_ED25519);
	sshca_pubkey_free(k);
	mp_buf_reset(b);
	ck_assert_int_eq(sshca_key_blob(rsa, b), MP_OK);
	ck_assert_int_eq(sshca_pubkey_parse_blob(mp_buf_ptr(b), mp_buf_len(b), &k, &why), MP_OK);
	ck_assert_int_eq(k->type, SSHCA_KEY_RSA);
	ck_assert_uint_eq(k->bits, 3072);
	ck_assert_str_eq(sshca_sig_alg(rsa), "rsa-sha2-512");
	ck_assert_str_eq(sshca_ca_key_type_name(rsa), "ssh-rsa");
	sshca_pubkey_free(k);
	mp_buf_free(b);
	mp_key_release(rsa);
	mp_key_release(ed);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("ssh_cert");
	TCase *tc = tcase_create("certificates");

	tcase_add_checked_fixture(tc, fixture_up, fixture_down);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, every_ca_and_subject_type);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, ca_key_blobs);
	tcase_add_test(tc, read_refusals);
	suite_add_tcase(s, tc);
	return s;
}
