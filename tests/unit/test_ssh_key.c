/*
 * OpenSSH public key lines and blobs (ssh-ca/sshkey.c): every accepted type
 * parsed field by field with its fingerprint and re-encoded, and every
 * refusal with its error and message; mpint encoding.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check_main.h"
#include "codec.h"
#include "err.h"
#include "ssh_harness.h"
#include "sshkey.h"

/* The wire blob of a sample line. */
static uint8_t *
sample_blob(const char *line, size_t *len)
{
	const char *b = strchr(line, ' ') + 1;
	const char *e = strchr(b, ' ');
	uint8_t *out = NULL;

	ck_assert_int_eq(mp_b64_decode(b, e != NULL ? (size_t)(e - b) : strlen(b), false, 8192,
	    &out, len), MP_OK);
	return out;
}

/* The fields of a blob as (pointer, length) pairs, at most max. */
static size_t
blob_fields(const uint8_t *blob, size_t len, const uint8_t **f, size_t *flen, size_t max)
{
	size_t n = 0, i = 0;

	while (i < len && n < max) {
		uint32_t l = (uint32_t)blob[i] << 24 | (uint32_t)blob[i + 1] << 16 |
		    (uint32_t)blob[i + 2] << 8 | blob[i + 3];

		f[n] = blob + i + 4;
		flen[n++] = l;
		i += 4 + l;
	}
	ck_assert_uint_eq(i, len);
	return n;
}

static void
expect_blob(mp_buf *b, int err, const char *why)
{
	sshca_pubkey *k = NULL;
	const char *w = NULL;

	ck_assert_int_eq(sshca_pubkey_parse_blob(mp_buf_ptr(b), mp_buf_len(b), &k, &w), err);
	ck_assert_ptr_null(k);
	ck_assert_ptr_nonnull(w);
	ck_assert_msg(strstr(w, why) != NULL, "\"%s\" does not say \"%s\"", w, why);
	mp_buf_reset(b);
}

static void
expect_line(const char *line, int err, const char *why)
{
	sshca_pubkey *k = NULL;
	const char *w = NULL;

	ck_assert_int_eq(sshca_pubkey_parse_line(line, strlen(line), &k, &w), err);
	ck_assert_ptr_null(k);
	ck_assert_ptr_nonnull(w);
	ck_assert_msg(strstr(w, why) != NULL, "\"%s\" does not say \"%s\"", w, why);
}

static void
put_str(mp_buf *b, const char *s)
{
	ck_assert_int_eq(mp_buf_put_string(b, s, strlen(s)), MP_OK);
}

START_TEST(parse_every_type)
{
	for (size_t i = 0; i < ssh_n_samples; i++) {
		const ssh_sample *s = &ssh_samples[i];
		sshca_pubkey *k = NULL;
		const char *why = "unset";
		const uint8_t *f[8];
		size_t flen[8], n, bl;
		uint8_t *blob = sample_blob(s->line, &bl);
		char *fp = NULL, *line = NULL;

		ck_assert_int_eq(sshca_pubkey_parse_line(s->line, strlen(s->line), &k, &why), MP_OK);
		ck_assert_ptr_null(why);
		ck_assert_int_eq(k->type, s->type);
		ck_assert_str_eq(k->comment, s->comment);
		ck_assert_uint_eq(k->bits, s->bits);
		ck_assert_uint_eq(k->blob_len, bl);
		ck_assert_mem_eq(k->blob, blob, bl);
		n = blob_fields(k->blob, k->blob_len, f, flen, 8);
		ck_assert_uint_eq(flen[0], strlen(sshca_key_type_name(s->type)));
		ck_assert_mem_eq(f[0], sshca_key_type_name(s->type), flen[0]);
		ck_assert_uint_eq(k->fields_off, 4 + flen[0]);
		switch (s->type) {
		case SSHCA_KEY_ED25519:
			ck_assert_uint_eq(n, 2);
			ck_assert_uint_eq(flen[1], 32);
			break;
		case SSHCA_KEY_SK_ED25519:
			ck_assert_uint_eq(n, 3);
			ck_assert_uint_eq(flen[1], 32);
			break;
		case SSHCA_KEY_ECDSA_P256:
		case SSHCA_KEY_SK_ECDSA_P256:
			ck_assert_uint_eq(n, s->type == SSHCA_KEY_ECDSA_P256 ? 3 : 4);
			ck_assert_mem_eq(f[1], "nistp256", 8);
			ck_assert_uint_eq(flen[2], 65);
			break;
		case SSHCA_KEY_ECDSA_P384:
			ck_assert_uint_eq(n, 3);
			ck_assert_mem_eq(f[1], "nistp384", 8);
			ck_assert_uint_eq(flen[2], 97);
			break;
		case SSHCA_KEY_RSA:
			ck_assert_uint_eq(n, 3);
			ck_assert_uint_eq(flen[1], 3); /* 65537 */
			ck_assert_uint_eq(flen[2], 385); /* a 0x00 before 384 bytes */
			break;
		}
		if (sshca_key_type_is_sk(s->type))
			ck_assert_str_eq(k->application, "ssh:");
		else
			ck_assert_ptr_null(k->application);
		ck_assert_int_eq(sshca_fingerprint(k->blob, k->blob_len, &fp), MP_OK);
		ck_assert_str_eq(fp, s->fingerprint);
		ck_assert_int_eq(sshca_pubkey_line(sshca_key_type_name(k->type), k->blob, k->blob_len,
		    k->comment, &line), MP_OK);
		ck_assert_int_eq(strncmp(line, s->line, strlen(line)), 0);
		ck_assert_uint_eq(strspn(s->line + strlen(line), " "), strlen(s->line + strlen(line)));
		free(line);
		free(fp);
		free(blob);
		sshca_pubkey_free(k);
	}
}
END_TEST

START_TEST(line_forms)
{
	const char *ed = ssh_samples[0].line;
	char buf[256];
	sshca_pubkey *k = NULL;
	const char *why;

	/* tabs and runs of blanks between fields, CRLF at the end, blanks around the comment */
	snprintf(buf, sizeof(buf), "ssh-ed25519\t \t%.68s \t  two words  \r\n", ed + 12);
	ck_assert_int_eq(sshca_pubkey_parse_line(buf, strlen(buf), &k, &why), MP_OK);
	ck_assert_str_eq(k->comment, "two words");
	sshca_pubkey_free(k);
	k = NULL;
	snprintf(buf, sizeof(buf), "%.80s\n", ed);
	ck_assert_int_eq(sshca_pubkey_parse_line(buf, strlen(buf), &k, &why), MP_OK);
	ck_assert_str_eq(k->comment, "");
	sshca_pubkey_free(k);
	sshca_pubkey_free(NULL);
}
END_TEST

START_TEST(line_refusals)
{
	static char big[SSHCA_LINE_MAX + 2];
	const char *ed = ssh_samples[0].line;
	char buf[512];
	sshca_pubkey *k = NULL;
	const char *why = NULL;
	size_t n;

	expect_line(ssh_line_rsa2048, MP_ERR_UNSUPPORTED, "at least 3072 bits");
	expect_line(ssh_line_p521, MP_ERR_UNSUPPORTED, "unsupported key type: accepted are");
	expect_line(ssh_line_dsa, MP_ERR_UNSUPPORTED, "unsupported key type");
	expect_line("ssh-ed25519-cert-v01@openssh.com AAAA", MP_ERR_UNSUPPORTED,
	    "unsupported key type");
	expect_line("", MP_ERR_INVALID, "expected \"<key type> <base64> [comment]\"");
	expect_line("ssh-ed25519", MP_ERR_INVALID, "expected");
	expect_line("ssh-ed25519   \n", MP_ERR_INVALID, "expected");
	expect_line("ssh-ed25519 AAAA*C3 x", MP_ERR_INVALID, "not valid base64");
	/* an options prefix of authorized_keys is not a key type */
	snprintf(buf, sizeof(buf), "restrict %s", ed);
	expect_line(buf, MP_ERR_UNSUPPORTED, "unsupported key type");
	/* the blob of an Ed25519 key under another type name */
	snprintf(buf, sizeof(buf), "ecdsa-sha2-nistp256 %s", ed + 12);
	expect_line(buf, MP_ERR_INVALID, "key type of the line and of the key differ");
	snprintf(buf, sizeof(buf), "%s\n%s", ed, ed);
	expect_line(buf, MP_ERR_INVALID, "more than one line");
	memcpy(buf, ed, strlen(ed) + 1);
	buf[20] = '\0';
	ck_assert_int_eq(sshca_pubkey_parse_line(buf, strlen(ed), &k, &why), MP_ERR_INVALID);
	ck_assert_str_eq(why, "public key line contains a NUL byte");
	/* a comment of SSHCA_COMMENT_MAX bytes passes, one more does not */
	n = (size_t)snprintf(big, sizeof(big), "%.80s ", ed);
	memset(big + n, 'c', SSHCA_COMMENT_MAX);
	big[n + SSHCA_COMMENT_MAX] = '\0';
	ck_assert_int_eq(sshca_pubkey_parse_line(big, strlen(big), &k, &why), MP_OK);
	ck_assert_uint_eq(strlen(k->comment), SSHCA_COMMENT_MAX);
	sshca_pubkey_free(k);
	big[n + SSHCA_COMMENT_MAX] = 'c';
	big[n + SSHCA_COMMENT_MAX + 1] = '\0';
	expect_line(big, MP_ERR_TOO_LARGE, "public key comment too long");
	memset(big, 'A', sizeof(big) - 1);
	memcpy(big, "ssh-ed25519 ", 12);
	big[sizeof(big) - 1] = '\0';
	expect_line(big, MP_ERR_TOO_LARGE, "public key line too long");
}
END_TEST

START_TEST(blob_refusals)
{
	mp_buf *b = mp_buf_new(8192);
	uint8_t pk[32] = { 1 }, q[65], big[SSHCA_BLOB_MAX + 1] = { 0 }, *p256, *rsa;
	size_t p256len, rsalen;
	const uint8_t *f[4];
	size_t flen[4];

	p256 = sample_blob(ssh_samples[1].line, &p256len);
	ck_assert_uint_eq(blob_fields(p256, p256len, f, flen, 4), 3);
	memcpy(q, f[2], sizeof(q));
	rsa = sample_blob(ssh_samples[3].line, &rsalen);
	ck_assert_uint_eq(blob_fields(rsa, rsalen, f, flen, 4), 3);

	ck_assert_int_eq(mp_buf_put(b, big, sizeof(big)), MP_OK);
	expect_blob(b, MP_ERR_TOO_LARGE, "public key too large");
	expect_blob(b, MP_ERR_INVALID, "does not start with a key type name");
	put_str(b, "ssh-dss");
	expect_blob(b, MP_ERR_UNSUPPORTED, "unsupported key type");
	put_str(b, "ssh-ed25519");
	ck_assert_int_eq(mp_buf_put_string(b, pk, 31), MP_OK);
	expect_blob(b, MP_ERR_INVALID, "must be 32 bytes");
	put_str(b, "ssh-ed25519");
	ck_assert_int_eq(mp_buf_put_string(b, pk, 32), MP_OK);
	ck_assert_int_eq(mp_buf_put_u8(b, 0), MP_OK);
	expect_blob(b, MP_ERR_INVALID, "trailing bytes");
	put_str(b, "sk-ssh-ed25519@openssh.com");
	ck_assert_int_eq(mp_buf_put_string(b, pk, 32), MP_OK);
	expect_blob(b, MP_ERR_INVALID, "without a valid application");
	put_str(b, "sk-ssh-ed25519@openssh.com");
	ck_assert_int_eq(mp_buf_put_string(b, pk, 32), MP_OK);
	put_str(b, "");
	expect_blob(b, MP_ERR_INVALID, "without a valid application");
	put_str(b, "ecdsa-sha2-nistp256");
	put_str(b, "nistp384");
	ck_assert_int_eq(mp_buf_put_string(b, q, sizeof(q)), MP_OK);
	expect_blob(b, MP_ERR_INVALID, "curve name does not match");
	put_str(b, "ecdsa-sha2-nistp256");
	put_str(b, "nistp256");
	ck_assert_int_eq(mp_buf_put_string(b, q, 33), MP_OK);
	expect_blob(b, MP_ERR_INVALID, "not a point on its curve");
	q[64] ^= 1;
	put_str(b, "ecdsa-sha2-nistp256");
	put_str(b, "nistp256");
	ck_assert_int_eq(mp_buf_put_string(b, q, sizeof(q)), MP_OK);
	expect_blob(b, MP_ERR_INVALID, "not a point on its curve");
	put_str(b, "ecdsa-sha2-nistp256");
	put_str(b, "nistp256");
	expect_blob(b, MP_ERR_INVALID, "truncated ECDSA public key");
	/* RSA: exponent 3, an even one, a negative and a non-minimal mpint */
	put_str(b, "ssh-rsa");
	ck_assert_int_eq(mp_buf_put_string(b, "\x03", 1), MP_OK);
	ck_assert_int_eq(mp_buf_put_string(b, f[2], flen[2]), MP_OK);
	expect_blob(b, MP_ERR_INVALID, "odd and at least 65537");
	put_str(b, "ssh-rsa");
	ck_assert_int_eq(mp_buf_put_string(b, "\x01\x00\x00", 3), MP_OK);
	ck_assert_int_eq(mp_buf_put_string(b, f[2], flen[2]), MP_OK);
	expect_blob(b, MP_ERR_INVALID, "odd and at least 65537");
	put_str(b, "ssh-rsa");
	ck_assert_int_eq(mp_buf_put_string(b, f[1], flen[1]), MP_OK);
	ck_assert_int_eq(mp_buf_put_string(b, f[2] + 1, flen[2] - 1), MP_OK);
	expect_blob(b, MP_ERR_INVALID, "minimal positive mpints");
	put_str(b, "ssh-rsa");
	ck_assert_int_eq(mp_buf_put_string(b, "\x00\x01\x00\x01", 4), MP_OK);
	ck_assert_int_eq(mp_buf_put_string(b, f[2], flen[2]), MP_OK);
	expect_blob(b, MP_ERR_INVALID, "minimal positive mpints");
	put_str(b, "ssh-rsa");
	ck_assert_int_eq(mp_buf_put_string(b, f[1], flen[1]), MP_OK);
	expect_blob(b, MP_ERR_INVALID, "malformed RSA public key");
	free(p256);
	free(rsa);
	mp_buf_free(b);
}
END_TEST

START_TEST(mpint_encoding)
{
	mp_buf *b = mp_buf_new(64);

	ck_assert_int_eq(sshca_put_mpint(b, (const uint8_t *)"\x00\x00", 2), MP_OK);
	ck_assert_uint_eq(mp_buf_len(b), 4);
	ck_assert_mem_eq(mp_buf_ptr(b), "\x00\x00\x00\x00", 4);
	mp_buf_reset(b);
	ck_assert_int_eq(sshca_put_mpint(b, (const uint8_t *)"\x00\x7f\x01", 3), MP_OK);
	ck_assert_uint_eq(mp_buf_len(b), 6);
	ck_assert_mem_eq(mp_buf_ptr(b), "\x00\x00\x00\x02\x7f\x01", 6);
	mp_buf_reset(b);
	ck_assert_int_eq(sshca_put_mpint(b, (const uint8_t *)"\x80", 1), MP_OK);
	ck_assert_uint_eq(mp_buf_len(b), 6);
	ck_assert_mem_eq(mp_buf_ptr(b), "\x00\x00\x00\x02\x00\x80", 6);
	mp_buf_free(b);
}
END_TEST

START_TEST(type_names)
{
	ck_assert_int_eq(sshca_key_type_parse("ssh-rsa"), SSHCA_KEY_RSA);
	ck_assert_int_eq(sshca_key_type_parse("rsa-sha2-512"), 0);
	ck_assert_int_eq(sshca_key_type_parse("ecdsa-sha2-nistp521"), 0);
	ck_assert_str_eq(sshca_cert_type_name(SSHCA_KEY_RSA), "ssh-rsa-cert-v01@openssh.com");
	ck_assert_str_eq(sshca_cert_type_name(SSHCA_KEY_SK_ECDSA_P256),
	    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com");
	ck_assert(sshca_key_type_is_sk(SSHCA_KEY_SK_ED25519));
	ck_assert(!sshca_key_type_is_sk(SSHCA_KEY_ED25519));
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("ssh_key");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, parse_every_type);
	tcase_add_test(tc, line_forms);
	tcase_add_test(tc, line_refusals);
	tcase_add_test(tc, blob_refusals);
	tcase_add_test(tc, mpint_encoding);
	tcase_add_test(tc, type_names);
	suite_add_tcase(s, tc);
	return s;
}
