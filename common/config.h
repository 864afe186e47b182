/*
 * Configuration: built-in defaults, then one file, then MIDPKI_<SECTION>_<KEY>
 * environment variables, then command-line overrides. The result is immutable
 * once the service starts. The file format and every key are documented in
 * docs/configuration.md; mp_config_write_defaults() prints them all.
 */
#ifndef MP_CONFIG_H
#define MP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct mp_config {
	char *state_dir;            /* [state] dir */
	char *database_url;         /* [database] url; empty = embedded PostgreSQL */
	uint64_t database_connect_timeout_ms;
	char *database_pg_bin_dir;  /* [database] pg_bin_dir; empty = search */
	char *admin_listen;         /* [admin] listen; empty = disabled */
	char *est_listen;
	char *est_profile;          /* [est] profile: what /cacerts and /csrattrs describe */
	uint64_t est_retry_after_ms; /* [est] retry_after: Retry-After of a request awaiting approval */
	uint64_t est_base64_line;   /* [est] base64_line: width of base64 lines in answers, 0: none */
	char *ocsp_listen;
	char *ocsp_public_url;      /* [ocsp] public_url: base of CRL/OCSP/CA URLs in certificates */
	uint64_t ocsp_response_validity_ms; /* [ocsp] response_validity: nextUpdate - thisUpdate */
	uint64_t ocsp_refresh_before_ms;    /* [ocsp] refresh_before: re-sign when less is left */
	uint64_t ocsp_cache_bytes;  /* [ocsp] cache_bytes: the responder's cache bound */
	uint64_t ocsp_max_age_ms;   /* [ocsp] max_age: the most a GET answer's max-age says */
	char *ocsp_bundle;          /* [ocsp] bundle: serve this bundle, no database; empty = off */
	char *ocsp_bundle_trust;    /* [ocsp] bundle_trust: PEM anchors; empty = <state dir>/trust.pem */
	char *lorawan_listen;
	bool lorawan_tls;
	char *fdo_listen;
	bool fdo_tls;
	char *fdo_manufacturer_tenant; /* [fdo] manufacturer_tenant: the tenant DI serves; empty = off */
	char *fdo_device_profile;   /* [fdo] device_profile: X.509 profile of device attestation certs */
	char *fdo_rendezvous_host;  /* [fdo] rendezvous_host: DNS name or IP address in vouchers */
	uint64_t fdo_rendezvous_port;
	char *fdo_rendezvous_protocol; /* http or https */
	char *fdo_est_url;          /* [fdo] est_url: the EST server TO2 hands devices */
	char *fdo_owner_key;        /* [fdo] owner_key: DI extends to this owner key; empty = off */
	char *fdo_owner_host;       /* [fdo] owner_host: the owner address registered for TO1 */
	uint64_t fdo_owner_port;
	uint64_t fdo_owner_wait_ms; /* [fdo] owner_wait: how long that registration lasts */
	char *tls_server_names;     /* [tls] server_names */
	uint64_t http_workers;      /* 0 = one per core */
	uint64_t http_max_header_bytes;
	uint64_t http_max_body_bytes;
	uint64_t http_max_import_bytes; /* admin listener: bulk imports */
	uint64_t http_max_connections;
	uint64_t http_idle_timeout_ms;
	uint64_t http_request_timeout_ms;
	uint64_t http_drain_timeout_ms;
	char *log_level;
	char *log_format;
	uint64_t audit_seal_interval_ms;
	char *keystore_master_key_file; /* [keystore] master_key_file; empty = <state dir>/master.key */
	char *keystore_backend;         /* software | pkcs11: where new CA keys are made */
	char *keystore_pkcs11_module;   /* empty = PKCS#11 off */
	uint64_t keystore_pkcs11_slot;
	char *keystore_pkcs11_pin_file;
	uint64_t crl_full_validity_ms;  /* [crl] full_validity */
	uint64_t crl_delta_validity_ms; /* [crl] delta_validity */
} mp_config;

/* A configuration holding every default. NULL on ENOMEM. */
mp_config *mp_config_defaults(void);

/*
 * Loads defaults, then the file at path (NULL: none), then the environment,
 * then checks the keys that bound each other (mp_config_check). On error
 * returns MP_ERR_CONFIG with a message naming file, line and key (or the
 * environment variable) in err.
 */
int mp_config_load(const char *path, mp_config **out, char *err, size_t errsz);

/*
 * Sets one key as if read from a file ("section", "key", "value"); origin
 * names where the value came from for the error message.
 */
int mp_config_set(mp_config *c, const char *section, const char *key, const char *value,
    const char *origin, char *err, size_t errsz);

/*
 * Checks what no single key can: [ocsp] refresh_before must be shorter than
 * response_validity. MP_ERR_CONFIG with a message naming both keys in err.
 * Call it again after changing keys with mp_config_set.
 */
int mp_config_check(const mp_config *c, char *err, size_t errsz);

/* Writes an example file listing every key with its default and a comment. */
void mp_config_write_defaults(FILE *f);

void mp_config_free(mp_config *c);

/*
 * Splits a listen address "host:port" or "[v6]:port" into its parts.
 * host gets at most hostsz bytes. Returns MP_OK or MP_ERR_INVALID.
 */
int mp_listen_parse(const char *addr, char *host, size_t hostsz, uint16_t *port);

#endif
