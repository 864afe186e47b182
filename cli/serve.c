/*
 * midpki serve: every enabled listener, the CRL service, the OCSP
 * pre-signing service and responder, the audit sealer, and the embedded
 * database.
 */
#include "commands.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "api.h"
#include "audit.h"
#include "bundle.h"
#include "body.h"
#include "est.h"
#include "crl_cache.h"
#include "crl_service.h"
#include "database.h"
#include "engine.h"
#include "err.h"
#include "http.h"
#include "joinserver.h"
#include "log.h"
#include "metrics.h"
#include "listener.h"
#include "options.h"
#include "pki.h"
#include "presign.h"
#include "responder.h"
#include "staple.h"
#include "routes.h"
#include "secure.h"
#include "wire.h"
#include "worker.h"

static const char serve_usage[] =
    "usage: midpki serve [--config FILE] [--state-dir DIR] [--ocsp-bundle FILE]\n"
    "\n"
    "Runs every enabled listener (admin, EST, OCSP, LoRaWAN, FDO) until SIGTERM or\n"
    "SIGINT. With no database URL configured, starts an embedded PostgreSQL in\n"
    "<state dir>/pg and stops it on exit. Every configuration key can be set in\n"
    "FILE or by an environment variable MIDPKI_<SECTION>_<KEY>; see\n"
    "`midpki config defaults` and docs/configuration.md.\n"
    "\n"
    "--ocsp-bundle FILE ([ocsp] bundle): no database; only the OCSP listener runs,\n"
    "answering from the bundle `midpki ocsp export` wrote, whose CAs must chain to\n"
    "[ocsp] bundle_trust (default <state dir>/trust.pem). A newer bundle written\n"
    "over FILE is loaded without a restart.\n";

static const cli_config_option serve_options[] = { { "--ocsp-bundle", "ocsp", "bundle" } };

/* One listener as configured: name, address, whether it speaks TLS, its routes and their arg. */
struct listener_def {
	const char *name;
	const char *addr;
	bool tls;
	const mp_http_route *routes;
	size_t nroutes;
	void *arg;
};

/*
 * Writes the bootstrap admin API key to <state>/admin.key, mode 0600, created
 * exclusively so that an existing file is never overwritten.
 */
static int
write_admin_key(const char *state_dir, const char *key, char *path, size_t pathsz)
{
	size_t len = strlen(key);
	int fd, r = MP_ERR_IO;

	snprintf(path, pathsz, "%s/admin.key", state_dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return MP_ERR_IO;
	if (write(fd, key, len) == (ssize_t)len && write(fd, "\n", 1) == 1 && fsync(fd) == 0)
		r = MP_OK;
	close(fd);
	return r;
}

/* Creates the platform admin on first start and reports where its key is. */
static int
bootstrap_admin(mp_db *db, const char *state_dir)
{
	char *key = NULL, path[4200];
	int r;

	if ((r = mp_engine_bootstrap_admin(db, &key)) != MP_OK) {
		mp_error("cannot create the bootstrap admin: %s", mp_strerror(r));
		return r;
	}
	if (key == NULL) {
		snprintf(path, sizeof(path), "%s/admin.key", state_dir);
		if (access(path, F_OK) == 0)
			mp_info("bootstrap admin API key: %s", path);
		return MP_OK;
	}
	r = write_admin_key(state_dir, key, path, sizeof(path));
	mp_free_secret_str(key);
	if (r != MP_OK) {
		mp_error("cannot write the bootstrap admin key to %s: %s", path, strerror(errno));
		return r;
	}
	mp_info("bootstrap admin API key written to %s (mode 0600)", path);
	return MP_OK;
}

/* Timer on the main thread: seals audit entries committed since the last round. */
static void
seal_audit(void *arg)
{
	mp_db *db = arg;
	unsigned sealed = 0;
	int r;

	do {
		if ((r = mp_audit_seal(db, 1000, &sealed)) != MP_OK) {
			mp_warn("audit sealing failed: %s: %s", mp_strerror(r), mp_db_errmsg(db));
			return;
		}
	} while (sealed == 1000);
}

/* The OCSP listener alone, answering from a bundle: no database, no keys. */
static int
serve_bundle(const mp_config *cfg)
{
	mp_metrics *metrics = NULL;
	mp_http_server *srv = NULL;
	ocsp_responder *responder = NULL;
	X509_STORE *trust = NULL;
	char err[1024], trust_path[4200];
	int rc = 1;

	if (cfg->ocsp_listen[0] == '\0') {
		mp_error("an OCSP bundle is served on the OCSP listener, which is disabled");
		return 1;
	}
	if (cfg->ocsp_bundle_trust[0] != '\0')
		snprintf(trust_path, sizeof(trust_path), "%s", cfg->ocsp_bundle_trust);
	else
		snprintf(trust_path, sizeof(trust_path), "%s/trust.pem", cfg->state_dir);
	if (ocsp_bundle_trust_load(trust_path, &trust, err, sizeof(err)) != MP_OK) {
		mp_error("OCSP bundle trust anchors: %s", err);
		return 1;
	}
	if ((metrics = mp_metrics_new()) == NULL || (srv = mp_http_server_new(cfg, metrics)) == NULL) {
		X509_STORE_free(trust);
		mp_error("out of memory");
		goto out;
	}
	{
		ocsp_responder_config oc = { NULL, 0, NULL, metrics, 0, cfg->ocsp_max_age_ms / 1000,
			cfg->ocsp_response_validity_ms / 1000, 0, 0, cfg->ocsp_bundle, trust };

		if (ocsp_responder_start(&oc, &responder) != MP_OK) {
			mp_error("cannot serve the OCSP bundle %s", cfg->ocsp_bundle);
			goto out;
		}
	}
	if (mp_http_listen(srv, "ocsp", cfg->ocsp_listen, NULL, ocsp_routes, ocsp_routes_count,
	    responder, err, sizeof(err)) != MP_OK) {
		mp_error("ocsp listener: %s", err);
		goto out;
	}
	mp_info("ocsp listening on http://%s, answering from the bundle %s (no database; the"
	    " other listeners do not run)", cfg->ocsp_listen, cfg->ocsp_bundle);
	if (mp_http_server_run(srv) != MP_OK)
		goto out;
	rc = 0;
out:
	mp_http_server_free(srv);
	ocsp_responder_stop(responder);
	mp_metrics_free(metrics);
	return rc;
}

int
cmd_serve(int argc, char **argv)
{
	mp_config *cfg = NULL;
	cli_database d = { 0 };
	mp_metrics *metrics = NULL;
	mp_http_server *srv = NULL;
	mp_crl_cache *crl_cache = NULL;
	mp_worker_setup setup;
	cli_pki pki = { 0 };
	ca_crl_service *crls = NULL;
	ocsp_presign *presign = NULL;
	ocsp_responder *responder = NULL;
	ocsp_stapler *stapler = NULL;
	char err[1024];
	int rc = 1, r;

	if ((r = cli_load_config_with(argc, argv, serve_usage, serve_options,
	    sizeof(serve_options) / sizeof(serve_options[0]), &cfg)) != 0)
		return r == 1 ? 0 : r;
	if (cfg->ocsp_bundle[0] != '\0') {
		rc = serve_bundle(cfg);
		goto out;
	}

	if (cli_database_open(cfg, &d) != MP_OK)
		goto out;
	if (bootstrap_admin(d.db, cfg->state_dir) != MP_OK)
		goto out;
	if (cli_pki_start(cfg, d.db, &pki) != MP_OK)
		goto out;
	{
		ca_crl_service_config cc = { d.conninfo, cfg->database_connect_timeout_ms, pki.ks,
			cfg->ocsp_public_url, cfg->crl_full_validity_ms, cfg->crl_delta_validity_ms, 0 };

		if (ca_crl_service_start(&cc, &crls) != MP_OK) {
			mp_error("cannot start the CRL service");
			goto out;
		}
	}
	{
		ocsp_presign_config oc = { d.conninfo, cfg->database_connect_timeout_ms, pki.ks,
			cfg->ocsp_public_url, cfg->ocsp_response_validity_ms, cfg->ocsp_refresh_before_ms,
			0, 0, 0 };

		if (ocsp_presign_start(&oc, &presign) != MP_OK) {
			mp_error("cannot start the OCSP pre-signing service");
			goto out;
		}
	}
	if ((metrics = mp_metrics_new()) == NULL || (srv = mp_http_server_new(cfg, metrics)) == NULL) {
		mp_error("out of memory");
		goto out;
	}
	if (cfg->ocsp_listen[0] != '\0') {
		ocsp_responder_config oc = { d.conninfo, cfg->database_connect_timeout_ms, pki.ks,
			metrics, cfg->ocsp_cache_bytes, cfg->ocsp_max_age_ms / 1000,
			cfg->ocsp_response_validity_ms / 1000, 0, 0, NULL, NULL };

		ocsp_stapler_config sc = { d.conninfo, cfg->database_connect_timeout_ms, NULL,
			pki.tls.cert, pki.tls_issuer };

		if (ocsp_responder_start(&oc, &responder) != MP_OK) {
			mp_error("cannot start the OCSP responder");
			goto out;
		}
		sc.responder = responder;
		if (ocsp_stapler_start(pki.tls_ctx, &sc, &stapler) != MP_OK) {
			mp_error("cannot start OCSP stapling");
			goto out;
		}
	}
	mp_db_set_error_counter(d.db, mp_metrics_db_errors(metrics));
	if ((crl_cache = mp_crl_cache_new(NULL, metrics)) == NULL) {
		mp_error("out of memory");
		goto out;
	}
	setup = (mp_worker_setup){ d.conninfo, cfg->database_connect_timeout_ms, metrics, pki.ks, cfg,
	    pki.shared, crl_cache };
	mp_http_server_set_worker_hooks(srv, mp_worker_init, mp_worker_fini, &setup);

	const struct listener_def listeners[] = {
		{ "admin", cfg->admin_listen, true, admin_routes, admin_routes_count, metrics },
		{ "est", cfg->est_listen, true, est_routes, est_routes_count, NULL },
		{ "ocsp", cfg->ocsp_listen, false, ocsp_routes, ocsp_routes_count, responder },
		{ "lorawan", cfg->lorawan_listen, cfg->lorawan_tls, lw_routes, lw_routes_count, NULL },
		{ "fdo", cfg->fdo_listen, cfg->fdo_tls, fdo_routes, fdo_routes_count, NULL },
	};
	for (size_t i = 0; i < sizeof(listeners) / sizeof(listeners[0]); i++) {
		const struct listener_def *l = &listeners[i];

		if (l->addr[0] == '\0') {
			mp_info("%s listener disabled", l->name);
			continue;
		}
		if (mp_http_listen(srv, l->name, l->addr, l->tls ? pki.tls_ctx : NULL, l->routes, l->nroutes,
			l->arg, err, sizeof(err)) != MP_OK) {
			mp_error("%s listener: %s", l->name, err);
			goto out;
		}
		/* bulk imports; the API keeps every other request within max_body_bytes */
		if (l->routes == admin_routes && cfg->http_max_import_bytes > cfg->http_max_body_bytes &&
		    mp_http_listener_set_max_body(srv, l->name, API_PREFIX "/",
			cfg->http_max_import_bytes) != MP_OK)
			goto out;
		/* FDO messages are small: every path there is held to FDO_MAX_BODY */
		if (l->routes == fdo_routes &&
		    mp_http_listener_set_max_body(srv, l->name, "/", FDO_MAX_BODY) != MP_OK)
			goto out;
		/* EST requests are small: every path there is held to EST_MAX_BODY */
		if (l->routes == est_routes &&
		    mp_http_listener_set_max_body(srv, l->name, "/", EST_MAX_BODY) != MP_OK)
			goto out;
		if (l->tls)
			mp_info("%s listening on https://%s (verify with %s/trust.pem)", l->name,
			    l->addr, cfg->state_dir);
		else
			mp_info("%s listening on http://%s", l->name, l->addr);
	}
	if (mp_http_server_add_timer(srv, cfg->audit_seal_interval_ms, seal_audit, d.db) != MP_OK) {
		mp_error("cannot schedule audit sealing");
		goto out;
	}
	if (mp_http_server_run(srv) != MP_OK)
		goto out;
	seal_audit(d.db);
	rc = 0;
out:
	mp_http_server_free(srv);
	mp_crl_cache_free(crl_cache);
	ocsp_stapler_stop(stapler);
	ocsp_responder_stop(responder);
	mp_metrics_free(metrics);
	ocsp_presign_stop(presign);
	ca_crl_service_stop(crls);
	cli_pki_stop(&pki);
	cli_database_close(&d);
	mp_config_free(cfg);
	if (rc == 0)
		mp_info("stopped");
	return rc;
}
