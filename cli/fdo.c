/* midpki fdo device di|onboard: the FDO device side (docs/cli.md, docs/fdo.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "err.h"
#include "fdo_device.h"
#include "fdo_onboard.h"
#include "readfile.h"
#include "secure.h"
#include "voucher.h"

/* Exit codes a device script can act on. */
#define FDO_EXIT_OK 0
#define FDO_EXIT_FAIL 1      /* nothing changed (network, files): run again */
#define FDO_EXIT_USAGE 2
#define FDO_EXIT_REFUSED 3   /* refused by the manufacturer, rendezvous server or owner */
#define FDO_EXIT_ENROLL 4    /* onboarded, the credential replaced, but EST did not end */

static const char fdo_usage[] =
    "usage: midpki fdo device di --server URL --serial SERIAL --credential FILE\n"
    "                            [--device-info TEXT]\n"
    "       midpki fdo device onboard --credential FILE --out DIR\n"
    "\n"
    "  di                    FDO Device Initialize with the manufacturer at URL\n"
    "                        (http://host:port, its FDO listener): a new key and HMAC\n"
    "                        secret, the attestation certificate and the voucher made by\n"
    "                        the manufacturer; prints the device's GUID\n"
    "  --serial SERIAL       the serial number the manufacturer registered\n"
    "  --credential FILE     where the device credential goes (mode 0600)\n"
    "  --device-info TEXT    DeviceInfo of the voucher (default: the serial number)\n"
    "\n"
    "  onboard               TO1 with the rendezvous server of the credential, TO2 with\n"
    "                        the owner it names (FILE is replaced by the new credential),\n"
    "                        then EST enrollment with what the owner sent: DIR/key.pem,\n"
    "                        DIR/cert.pem, DIR/chain.pem, DIR/trust.pem; prints the new GUID\n"
    "\n"
    "Exit codes: 0 done, 1 failure (nothing changed: run again), 2 usage, 3 refused by\n"
    "the manufacturer, the rendezvous server or the owner, 4 onboarded (the credential\n"
    "replaced) but the EST enrollment did not end: run the `midpki est enroll` printed.\n";

/* Runs midpki est enroll with what the owner sent, into dir. */
static int
enroll(const cli_fdo_onboarding *o, const char *dir)
{
	char trust[4200], tokfile[4200], key[4200], cert[4200], chain[4200], err[512];
	char *argv[] = { "enroll", "--server", o->est_url, "--trust", trust, "--serial", o->serial,
		"--token", o->token, "--out-key", key, "--out-cert", cert, "--out-chain", chain };
	mp_buf *b = mp_buf_new(64 * 1024);
	int rc = FDO_EXIT_ENROLL;

	snprintf(trust, sizeof(trust), "%s/trust.pem", dir);
	snprintf(tokfile, sizeof(tokfile), "%s/enrollment-token", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(chain, sizeof(chain), "%s/chain.pem", dir);
	if (b == NULL || mp_buf_put_str(b, o->trust_anchor) != MP_OK ||
	    cli_fdo_write_private(trust, b, err, sizeof(err)) != MP_OK) {
		fprintf(stderr, "midpki: fdo device onboard: %s\n", b == NULL ? "out of memory" : err);
		goto out;
	}
	mp_buf_reset(b);
	if (mp_buf_put_str(b, o->token) != MP_OK ||
	    cli_fdo_write_private(tokfile, b, err, sizeof(err)) != MP_OK) {
		fprintf(stderr, "midpki: fdo device onboard: %s\n", err);
		goto out;
	}
	if (cmd_est((int)(sizeof(argv) / sizeof(argv[0])), argv) == 0) {
		unlink(tokfile);
		rc = FDO_EXIT_OK;
		goto out;
	}
	fprintf(stderr, "midpki: fdo device onboard: onboarded, but the EST enrollment did not"
	    " end; the token is valid 24 hours, once: MIDPKI_EST_TOKEN=$(cat %s) midpki est enroll"
	    " --server %s --trust %s --serial %s --out-key %s --out-cert %s --out-chain %s\n",
	    tokfile, o->est_url, trust, o->serial, key, cert, chain);
out:
	mp_buf_free(b);
	return rc;
}

static int
onboard(const char *credfile, const char *dir)
{
	char rv[512] = "", owner[512], err[1024], *data = NULL;
	cli_fdo_onboarding o = { 0 };
	cli_fdo_cred cr;
	fdo_to1d to1d;
	size_t len = 0;
	int r, rc = FDO_EXIT_FAIL;

	if (cli_read_file(credfile, FDO_VOUCHER_MAX, &data, &len) != MP_OK) {
		fprintf(stderr, "midpki: fdo device onboard: cannot read %s: %s\n", credfile,
		    strerror(errno));
		goto out;
	}
	if (cli_fdo_cred_read((const uint8_t *)data, len, &cr) != MP_OK) {
		fprintf(stderr, "midpki: fdo device onboard: %s is not a device credential\n", credfile);
		goto out;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "midpki: fdo device onboard: cannot make %s: %s\n", dir,
		    strerror(errno));
		goto out;
	}
	if ((r = cli_fdo_rv_url(&cr, rv, sizeof(rv), err, sizeof(err))) != MP_OK ||
	    (r = cli_fdo_to1(rv, &cr, CLI_FDO_FAULT_NONE, &to1d, err, sizeof(err))) != MP_OK ||
	    (r = cli_fdo_owner_url(&to1d, owner, sizeof(owner), err, sizeof(err))) != MP_OK) {
		fprintf(stderr, "midpki: fdo device onboard: rendezvous %s: %s\n", rv, err);
		rc = r == MP_ERR_DENIED || r == MP_ERR_INVALID ? FDO_EXIT_REFUSED : FDO_EXIT_FAIL;
		goto out;
	}
	if ((r = cli_fdo_to2(owner, credfile, &cr, "ECDH256", true, CLI_FDO_FAULT_NONE, &o, err,
	    sizeof(err))) != MP_OK) {
		fprintf(stderr, "midpki: fdo device onboard: owner %s: %s\n", owner, err);
		rc = o.guid[0] != '\0' ? FDO_EXIT_ENROLL : r == MP_ERR_DENIED || r == MP_ERR_INVALID ?
		    FDO_EXIT_REFUSED : FDO_EXIT_FAIL;
		goto out;
	}
	printf("%s\n", o.guid);
	fflush(stdout);
	if (o.est_url == NULL || o.trust_anchor == NULL || o.serial == NULL || o.token == NULL) {
		fprintf(stderr, "midpki: fdo device onboard: onboarded, but the owner sent no EST"
		    " server, trust anchor, serial and enrollment token (ServiceInfo module midpki)\n");
		rc = FDO_EXIT_ENROLL;
		goto out;
	}
	rc = enroll(&o, dir);
out:
	cli_fdo_onboarding_clear(&o);
	if (data != NULL)
		mp_wipe(data, len);
	free(data);
	return rc;
}

int
cmd_fdo(int argc, char **argv)
{
	const char *server = NULL, *serial = NULL, *cred = NULL, *info = NULL, *out = NULL;
	bool di;
	char guid[37], err[512];
	int r;

	if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
		fputs(fdo_usage, stdout);
		return FDO_EXIT_OK;
	}
	if (argc < 2 || strcmp(argv[0], "device") != 0 ||
	    (strcmp(argv[1], "di") != 0 && strcmp(argv[1], "onboard") != 0)) {
		fputs(fdo_usage, stderr);
		return FDO_EXIT_USAGE;
	}
	di = strcmp(argv[1], "di") == 0;
	for (int i = 2; i < argc; i++) {
		const char **dst = strcmp(argv[i], "--credential") == 0 ? &cred :
		    di && strcmp(argv[i], "--server") == 0 ? &server :
		    di && strcmp(argv[i], "--serial") == 0 ? &serial :
		    di && strcmp(argv[i], "--device-info") == 0 ? &info :
		    !di && strcmp(argv[i], "--out") == 0 ? &out : NULL;

		if (dst == NULL || i + 1 >= argc) {
			fprintf(stderr, "midpki: fdo device %s: unknown option or missing value: %s\n%s",
			    argv[1], argv[i], fdo_usage);
			return FDO_EXIT_USAGE;
		}
		*dst = argv[++i];
	}
	if (!di) {
		if (cred == NULL || out == NULL) {
			fprintf(stderr, "midpki: fdo device onboard needs --credential and --out\n%s",
			    fdo_usage);
			return FDO_EXIT_USAGE;
		}
		return onboard(cred, out);
	}
	if (server == NULL || serial == NULL || cred == NULL) {
		fprintf(stderr, "midpki: fdo device di needs --server, --serial and --credential\n%s",
		    fdo_usage);
		return FDO_EXIT_USAGE;
	}
	if ((r = cli_fdo_di(server, serial, info != NULL ? info : serial, cred, guid, err,
	    sizeof(err))) != MP_OK) {
		fprintf(stderr, "midpki: fdo device di: %s\n", err);
		return r == MP_ERR_DENIED ? FDO_EXIT_REFUSED : FDO_EXIT_FAIL;
	}
	printf("%s\n", guid);
	return FDO_EXIT_OK;
}
