/* midpki ocsp export: an OCSP bundle for a responder in an isolated network. */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_export.h"
#include "database.h"
#include "err.h"
#include "keystore.h"
#include "options.h"
#include "presign.h"

static const char ocsp_usage[] =
    "usage: midpki ocsp export [--ca CA]... [--tenant TENANT] --out FILE\n"
    "                          [--config FILE] [--state-dir DIR]\n"
    "\n"
    "Signs what is due first, then writes to FILE a bundle of the current pre-signed\n"
    "OCSP responses, the CRLs and the certificates of the CAs named by --ca (an id or\n"
    "a name; repeat it) or, with --tenant alone, of every CA of that tenant (an id\n"
    "or a name). `midpki serve --ocsp-bundle FILE` serves it with no database. The\n"
    "file is replaced atomically, so a responder watching it never reads half of it.\n"
    "Exit code 1 when the export fails, 2 on usage errors.\n";

/* The CAs the bundle holds and where it goes. */
struct export_args {
	const char *cas[256];
	size_t ncas;
	const char *tenant, *out;
};

/* Takes --ca, --tenant and --out out of argv; the rest stays for cli_load_config. */
static int
take_args(int *argc, char **argv, struct export_args *a)
{
	int k = 0;

	for (int i = 0; i < *argc; i++) {
		bool has = i + 1 < *argc;

		if (strcmp(argv[i], "--ca") == 0 && has) {
			if (a->ncas == sizeof(a->cas) / sizeof(a->cas[0]))
				return MP_ERR_TOO_LARGE;
			a->cas[a->ncas++] = argv[++i];
		} else if (strcmp(argv[i], "--tenant") == 0 && has) {
			a->tenant = argv[++i];
		} else if (strcmp(argv[i], "--out") == 0 && has) {
			a->out = argv[++i];
		} else {
			argv[k++] = argv[i];
		}
	}
	*argc = k;
	return MP_OK;
}

/* Signs every response that is due, so that the bundle holds current ones. */
static int
presign_due(const mp_config *cfg, const cli_database *d, mp_keystore *ks)
{
	ocsp_presign_config pc = { d->conninfo, cfg->database_connect_timeout_ms, ks,
		cfg->ocsp_public_url, cfg->ocsp_response_validity_ms, cfg->ocsp_refresh_before_ms, 0,
		0, 0 };
	ocsp_presign *p = NULL;
	size_t n = 0;
	int r;

	if ((r = ocsp_presign_new(&pc, &p)) == MP_OK &&
	    (r = ocsp_presign_renew_signers(p, d->db, NULL)) == MP_OK)
		r = ocsp_presign_run_once(p, d->db, &n);
	ocsp_presign_stop(p);
	if (r != MP_OK)
		fprintf(stderr, "midpki: cannot sign the responses that are due: %s\n",
		    mp_strerror(r));
	else if (n > 0)
		printf("signed the responses of %zu certificates that were due\n", n);
	return r;
}

static int
export(struct export_args *a, int argc, char **argv)
{
	ocsp_bundle_export_stats st = { 0 };
	mp_config *cfg = NULL;
	cli_database d = { 0 };
	mp_keystore *ks = NULL;
	char **ids = NULL, err[1024];
	size_t nids = 0;
	int r, rc = 1;

	if ((r = cli_load_config(argc, argv, ocsp_usage, &cfg)) != 0)
		return r == 1 ? 0 : r;
	if (cli_database_open(cfg, &d) != MP_OK)
		goto out;
	if (mp_keystore_open_config(cfg, &ks, err, sizeof(err)) != MP_OK) {
		fprintf(stderr, "midpki: key store: %s\n", err);
		goto out;
	}
	if (presign_due(cfg, &d, ks) != MP_OK)
		goto out;
	if (ocsp_bundle_select_cas(d.db, a->tenant, a->cas, a->ncas, &ids, &nids, err,
	    sizeof(err)) != MP_OK ||
	    ocsp_bundle_export(d.db, ks, (const char *const *)ids, nids, a->out, &st, err,
		sizeof(err)) != MP_OK) {
		fprintf(stderr, "midpki: %s\n", err);
		goto out;
	}
	printf("wrote %s: %zu CAs, %zu responses\n", a->out, st.cas, st.responses);
	if (st.missing > 0)
		printf("warning: %zu unexpired certificates have no current response; the bundle"
		       " answers them unauthorized\n", st.missing);
	rc = 0;
out:
	for (size_t i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	mp_keystore_free(ks);
	cli_database_close(&d);
	mp_config_free(cfg);
	return rc;
}

int
cmd_ocsp(int argc, char **argv)
{
	struct export_args a = { .ncas = 0 };

	if (argc < 1 || strcmp(argv[0], "export") != 0) {
		bool help = argc >= 1 && strcmp(argv[0], "--help") == 0;

		fputs(ocsp_usage, help ? stdout : stderr);
		return help ? 0 : 2;
	}
	argc--;
	argv++;
	if (take_args(&argc, argv, &a) != MP_OK) {
		fprintf(stderr, "midpki: at most 256 --ca options\n");
		return 2;
	}
	if (a.out == NULL || (a.ncas == 0 && a.tenant == NULL)) {
		for (int i = 0; i < argc; i++)
			if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
				fputs(ocsp_usage, stdout);
				return 0;
			}
		fprintf(stderr, "midpki: ocsp export needs --out and at least one --ca or --tenant\n%s",
		    ocsp_usage);
		return 2;
	}
	return export(&a, argc, argv);
}
