#include "ssh_harness.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "err.h"
#include "pg_harness.h"

static const char line_ed25519[] =
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBgicMEkRq3qOtBRoDRj3VG67/2roFa9hcxkByGIMnWf"
	" tech@site-a";

static const char line_p256[] =
	"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBCTAhRvd"
	"3DMtBY7Ijt/fbl13WsOGEL5cY2IJtKBoyfx8R015Ln9pQqmqjzK3uqxPLlItAlB6txpJxZwEh0/Xjak="
	" ";

static const char line_p384[] =
	"ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBEJCEMe8"
	"Dmh8frBU/58maLHuQCVCxFElC7BVgH2ykL5zmcsF8Fv1Fnhr13y293vEH66WmLu1ek9j/rOq5EpdJRJ1"
	"+Kw4PH8sHdQEHjgM1wkXFbMLU28DZHF69hi0rZ93mA== p384 key";

static const char line_rsa3072[] =
	"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCOTHVM7UcrFtH5s1PeqLVinUpzGKMcWJPCHF4Y3vzf"
	"HEuMMtS1pRrHG+xoLJn14jojrgrD/0+e4SSbpQgli2ZaEgahICPUwJp9x85bNIxrv/HHjbzRmK5P2PiE"
	"gQCdYoCQaIRYja0BIBwdaBPVL5ekL190imVBBUn8IL/Hk4c0xxmbU63/plBqPIbrtxUXmSHOcNI2ULPq"
	"FJtCFZOnm/JsSmF+h/WIkREQNye55EWZUMSp56UMU16UmqOEaImD3JcUvZZcZCAr9UZlQmaZcY5OP6b3"
	"ubxSrQCbPvnK7ME9+bAQ+BOI2/bnBQXVF/bZzms5HkpRNgxqVcL7RCETlrQxnp5YwwDD0+fS2Anp1vV3"
	"pmuwUOwFqJVzHpFb+etl5GxxpnNFlr8e4NWjGLSOmSBJyxPN/f68iweziNtF84UEFhnx+qtI5I8RecKg"
	"WFD1eN7dtQT9SmYyDjAwS8s0dVjcBsPHZJrMk2tuOgxYTWMT3d8Z83Z/S1j++WQtIkTup3s= rsa3072";

static const char line_sk_ed25519[] =
	"sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIBgicMEkR"
	"q3qOtBRoDRj3VG67/2roFa9hcxkByGIMnWfAAAABHNzaDo= fido tech";

static const char line_sk_p256[] =
	"sk-ecdsa-sha2-nistp256@openssh.com AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3BlbnNza"
	"C5jb20AAAAIbmlzdHAyNTYAAABBBCTAhRvd3DMtBY7Ijt/fbl13WsOGEL5cY2IJtKBoyfx8R015Ln9pQ"
	"qmqjzK3uqxPLlItAlB6txpJxZwEh0/XjakAAAAEc3NoOg==";

const char ssh_line_rsa2048[] =
	"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC9DEXpZWghQNjRdbZzsa4CbY3Dqqg45nHaspWiGtWZ"
	"li/syXHMaiA2CZYOFNW0sexIb5qjcnhv2qMDoGdNlsVdDZq1hghMh2RfZxJ61F1oSyjV1IqAm4sug4m0"
	"op4KTP2kPTZ7klmce1vlVLurIsPECDzuzyXME/ea9nn4ugAg1A8SyAe4eWAUAkk5Ll7xABgKGH0HlFpU"
	"AhNdIF8Akkhf+plrmjK9zFnpjNgS0FGCv/yCsjImxEp3f5nQKe9szGyvRKiFMIKemsCzSPNRDQ2RFgGC"
	"l3cUUUgtcDJE6TqYUTXkaEUw4kdsRL6TCxZC/RtPQRO5JwQ5UMkj4qS1HUej root@vm";

const char ssh_line_p521[] =
	"ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBADsISRC"
	"h1Tg5hrji2u8HRs2635cIO7K1bHHfH623a2xju0wMW4WoHFuxtlLyBG9ffO/ytnbwQsTeAwRC5C7qQWq"
	"dQEW8bYfYie2zxEqHX+mFsNVFUI/xMGqNuMD3Fe38vcyJQ8l7tODN61hL2B7iIjRdJiYGfotBBS3xfZl"
	"50S9HMFS+g== root@vm";

const char ssh_line_dsa[] =
	"ssh-dss AAAAB3NzaC1kc3MAAACBAMIZRdCA76TqblaZf37Dt/XQeTkhbHzXhY61eJ2II/GrSQ93C17F"
	"RMlX50hhGH02wfTX2mavUnHHjOgwdt+aM9wIAqHSJllr/ht21ynMWkNXS4hw70G1HGm4tkY0xQkArP2b"
	"SASC4M6uVm/OVtgwd0bI0zL3wgCgaAD3hDvAQ3VVAAAAFQCAeXX9sZVvqlLkTGM0PXwy6Jn6fQAAAIEA"
	"hSJQdr049T+y4jPAughPHUgBJxGycwHSKUoVVlqVLvWwFROiEi58+U53uHmgcozvYd+0oUigNoLCRe+O"
	"D/yBM6fKBPkaOY9OvQbk/yZ+17e2wqmAv2dwhZIdflMNYwMlqifnGxgfoF6aEhyL0fU9x9+uzcbrJvr8"
	"t1jggn85WSMAAACAMSHV0Q4ZdoD0LONUAs2x/w+3mHxBN3SfnGUos6ldq+cto+f5Q7hcFSpmgJTfhOzj"
	"9cjiXJ/UUMgSClcKq9wSNMz5NzLqCU8wGBayrCKV/ch3FJrpV8Tcw7/26Dph2+8+8pVSKznVXE2af0l3"
	"sSDUAEsw1LRQhEET19yBXq2akMQ= root@vm";

const ssh_sample ssh_samples[] = {
	{ SSHCA_KEY_ED25519, line_ed25519, "tech@site-a",
	  "SHA256:4zH957eYyoxnDjHHls9mKkyp6Fq5+8G8hI1FmuA9Hq0", 0 },
	{ SSHCA_KEY_ECDSA_P256, line_p256, "", "SHA256:bUsOiTTLx/woY51HFaeAUJZH56WRjQqIh8Ce5AwO6Qo",
	  0 },
	{ SSHCA_KEY_ECDSA_P384, line_p384, "p384 key",
	  "SHA256:KClUMp7uJuKF6oLcz/9S2fwcmBRlbXkrarTyhUgt0Bo", 0 },
	{ SSHCA_KEY_RSA, line_rsa3072, "rsa3072", "SHA256:sGl3OEgAPmFoCc8koZAReiwgvmtAHYoHcX/aOq7uJPk",
	  3072 },
	{ SSHCA_KEY_SK_ED25519, line_sk_ed25519, "fido tech",
	  "SHA256:GnQnWafTCBy4prtNMhHzo6s+BH/Lno9c0Nq2r/yABCs", 0 },
	{ SSHCA_KEY_SK_ECDSA_P256, line_sk_p256, "",
	  "SHA256:ox/0/Ev3OcijrcRmJ/rcctAwQfyrFTJwzzXfRMhbYUQ", 0 },
};

const size_t ssh_n_samples = sizeof(ssh_samples) / sizeof(ssh_samples[0]);

void
ssh_store_open(ssh_store *s, const char *dbname)
{
	char path[128], err[256];
	mp_keystore_config cfg = { path, NULL, 0, NULL };

	snprintf(s->dir, sizeof(s->dir), "/tmp/midpki-ssh.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(s->dir));
	snprintf(path, sizeof(path), "%s/master.key", s->dir);
	snprintf(s->conninfo, sizeof(s->conninfo), "%s", pg_fresh_database(dbname));
	s->db = pg_connect_migrated(s->conninfo);
	ck_assert_msg(mp_keystore_open(&cfg, &s->ks, err, sizeof(err)) == MP_OK, "%s", err);
}

void
ssh_store_close(ssh_store *s)
{
	char cmd[128];

	mp_keystore_free(s->ks);
	mp_db_close(s->db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", s->dir);
	ck_assert_int_eq(system(cmd), 0);
}

void
ssh_keygen_list(const char *dir, const char *line, char *out, size_t outsz)
{
	char path[128], cmd[256];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/key-cert.pub", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fprintf(f, "%s\n", line);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -L -f %s 2>&1", path);
	ck_assert_ptr_nonnull(f = popen(cmd, "r"));
	n = fread(out, 1, outsz - 1, f);
	out[n] = '\0';
	ck_assert_msg(pclose(f) == 0, "ssh-keygen -L failed: %s", out);
}
