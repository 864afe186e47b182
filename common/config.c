#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "num.h"

enum cfg_type { CFG_STR, CFG_LISTEN, CFG_UINT, CFG_BOOL, CFG_DURATION, CFG_CHOICE };

struct cfg_key {
	const char *section;
	const char *key;
	enum cfg_type type;
	size_t offset;
	const char *def;
	uint64_t min, max;   /* CFG_UINT, CFG_DURATION (milliseconds) */
	const char *choices; /* CFG_CHOICE: "|a|b|c|" */
	const char *help;
};

#define OFF(f) offsetof(mp_config, f)
#define HOUR_MS 3600000ULL

static const struct cfg_key keys[] = {
	{ "state", "dir", CFG_STR, OFF(state_dir), "/var/lib/midpki", 0, 0, NULL,
	  "Directory for all local state: embedded database, master key, trust.pem, admin key." },
	{ "database", "url", CFG_STR, OFF(database_url), "", 0, 0, NULL,
	  "libpq connection string or URI of an external PostgreSQL; empty starts the\n"
	  "# embedded PostgreSQL in <state dir>/pg." },
	{ "database", "connect_timeout", CFG_DURATION, OFF(database_connect_timeout_ms), "5s",
	  1000, 300000, NULL, "How long one connection attempt may take." },
	{ "database", "pg_bin_dir", CFG_STR, OFF(database_pg_bin_dir), "", 0, 0, NULL,
	  "Where initdb and postgres are for the embedded database; empty searches\n"
	  "# /usr/lib/postgresql/<version>/bin and PATH." },
	{ "admin", "listen", CFG_LISTEN, OFF(admin_listen), "127.0.0.1:9443", 0, 0, NULL,
	  "Admin REST API, health and metrics (TLS). Empty disables the listener." },
	{ "est", "listen", CFG_LISTEN, OFF(est_listen), "127.0.0.1:8443", 0, 0, NULL,
	  "EST enrollment (TLS). Empty disables the listener." },
	{ "est", "profile", CFG_STR, OFF(est_profile), "iec62351-device", 0, 0, NULL,
	  "Platform X.509 profile whose CA chain /cacerts returns and whose key algorithms\n"
	  "# /csrattrs lists. An enrollment is issued under the profile of its token." },
	{ "est", "retry_after", CFG_DURATION, OFF(est_retry_after_ms), "10m", 1000, 24 * HOUR_MS,
	  NULL, "What Retry-After tells a device whose request awaits an operator's approval\n"
	  "# (202); whole seconds." },
	{ "est", "base64_line", CFG_UINT, OFF(est_base64_line), "64", 0, 1024, NULL,
	  "Width of the base64 lines of EST answers (RFC 8951); 0 writes none. libest wants\n"
	  "# lines (64); strongSwan's pki reads only unbroken base64 (0)." },
	{ "ocsp", "listen", CFG_LISTEN, OFF(ocsp_listen), "127.0.0.1:8080", 0, 0, NULL,
	  "OCSP responder and CRLs (plain HTTP). Empty disables the listener." },
	{ "ocsp", "public_url", CFG_STR, OFF(ocsp_public_url), "http://127.0.0.1:8080", 0, 0, NULL,
	  "Base URL of the OCSP/CRL listener as devices reach it; put in certificates." },
	{ "ocsp", "response_validity", CFG_DURATION, OFF(ocsp_response_validity_ms), "24h", 60000,
	  7 * 24 * HOUR_MS, NULL,
	  "Validity of a pre-signed OCSP response (nextUpdate - thisUpdate). Each CA's OCSP\n"
	  "# signer is renewed when less than twice this (and at least 7 days) is left of it." },
	{ "ocsp", "refresh_before", CFG_DURATION, OFF(ocsp_refresh_before_ms), "12h", 1000,
	  7 * 24 * HOUR_MS, NULL,
	  "A pre-signed response is signed again when less than this is left before its\n"
	  "# nextUpdate, at a random moment up to half of this earlier, so that responses do\n"
	  "# not all fall due at once. Must be shorter than response_validity." },
	{ "ocsp", "cache_bytes", CFG_UINT, OFF(ocsp_cache_bytes), "134217728", 0, 1ULL << 40, NULL,
	  "Memory the OCSP responder may use to keep responses (about 400 bytes each);\n"
	  "# 0 keeps none and reads every answer from the database." },
	{ "ocsp", "max_age", CFG_DURATION, OFF(ocsp_max_age_ms), "1h", 0, 7 * 24 * HOUR_MS, NULL,
	  "The most Cache-Control max-age says on an OCSP answer fetched by GET (it never\n"
	  "# goes past the answer's nextUpdate)." },
	{ "ocsp", "bundle", CFG_STR, OFF(ocsp_bundle), "", 0, 0, NULL,
	  "An OCSP bundle (midpki ocsp export) to serve with no database: `midpki serve`\n"
	  "# then runs only the OCSP listener, answering from the bundle and loading a newer\n"
	  "# one written over this path. Empty: serve from the database." },
	{ "ocsp", "bundle_trust", CFG_STR, OFF(ocsp_bundle_trust), "", 0, 0, NULL,
	  "PEM certificates a bundle's CAs must chain to. Empty: <state dir>/trust.pem." },
	{ "lorawan", "listen", CFG_LISTEN, OFF(lorawan_listen), "127.0.0.1:8090", 0, 0, NULL,
	  "LoRaWAN Join Server. Empty disables the listener." },
	{ "lorawan", "tls", CFG_BOOL, OFF(lorawan_tls), "false", 0, 0, NULL,
	  "Serve the LoRaWAN listener over TLS instead of plain HTTP." },
	{ "fdo", "listen", CFG_LISTEN, OFF(fdo_listen), "127.0.0.1:8040", 0, 0, NULL,
	  "FIDO Device Onboard server. Empty disables the listener." },
	{ "fdo", "tls", CFG_BOOL, OFF(fdo_tls), "false", 0, 0, NULL,
	  "Serve the FDO listener over TLS instead of plain HTTP." },
	{ "fdo", "manufacturer_tenant", CFG_STR, OFF(fdo_manufacturer_tenant), "", 0, 0, NULL,
	  "The tenant (by name) whose devices FDO Device Initialize (DI) serves: a device\n"
	  "# registered there gets its attestation certificate and voucher. Empty: no DI." },
	{ "fdo", "device_profile", CFG_STR, OFF(fdo_device_profile), "fdo-device", 0, 0, NULL,
	  "X.509 profile (of that tenant or the platform) of device attestation certificates." },
	{ "fdo", "rendezvous_host", CFG_STR, OFF(fdo_rendezvous_host), "127.0.0.1", 0, 0, NULL,
	  "Rendezvous server written into new vouchers: a DNS name or an IP address." },
	{ "fdo", "rendezvous_port", CFG_UINT, OFF(fdo_rendezvous_port), "8040", 1, 65535, NULL,
	  "Its port." },
	{ "fdo", "rendezvous_protocol", CFG_CHOICE, OFF(fdo_rendezvous_protocol), "http", 0, 0,
	  "|http|https|", "Its protocol." },
	{ "fdo", "est_url", CFG_STR, OFF(fdo_est_url), "https://127.0.0.1:8443", 0, 0, NULL,
	  "The EST server a device onboarded by FDO (TO2) is told to enroll with, as\n"
	  "# `midpki est --server` takes it: https://host[:port][/prefix]." },
	{ "fdo", "owner_key", CFG_STR, OFF(fdo_owner_key), "", 0, 0, NULL,
	  "The id of an FDO owner key of the manufacturer tenant: when set, DI extends each\n"
	  "# new voucher to it and registers the device with the rendezvous server (as TO0\n"
	  "# would), so the device can onboard at once. Empty: vouchers stay the maker's." },
	{ "fdo", "owner_host", CFG_STR, OFF(fdo_owner_host), "127.0.0.1", 0, 0, NULL,
	  "Where those devices find their owner (this FDO listener, over https when [fdo] tls):\n"
	  "# a DNS name or an IP address." },
	{ "fdo", "owner_port", CFG_UINT, OFF(fdo_owner_port), "8040", 1, 65535, NULL, "Its port." },
	{ "fdo", "owner_wait", CFG_DURATION, OFF(fdo_owner_wait_ms), "30d", 1000, 30 * 24 * HOUR_MS,
	  NULL, "How long that registration lasts." },
	{ "tls", "server_names", CFG_STR, OFF(tls_server_names), "localhost,127.0.0.1,::1", 0, 0,
	  NULL, "Names (DNS names and IP addresses, comma-separated) in the certificate of the\n"
	  "# TLS listeners, which the platform CA issues and renews at start." },
	{ "http", "workers", CFG_UINT, OFF(http_workers), "0", 0, 256, NULL,
	  "Worker threads sharing every listener; 0 = one per CPU core." },
	{ "http", "max_header_bytes", CFG_UINT, OFF(http_max_header_bytes), "16384", 1024,
	  1048576, NULL, "Largest request line plus headers; larger requests get 431." },
	{ "http", "max_body_bytes", CFG_UINT, OFF(http_max_body_bytes), "1048576", 1024,
	  268435456, NULL, "Largest request body; larger requests get 413." },
	{ "http", "max_import_bytes", CFG_UINT, OFF(http_max_import_bytes), "67108864", 1024,
	  1073741824, NULL,
	  "Largest body of a bulk import on the admin listener (POST /api/v1/devices:import);\n"
	  "# every other request there stays within max_body_bytes." },
	{ "http", "max_connections", CFG_UINT, OFF(http_max_connections), "4096", 1, 1000000,
	  NULL, "Open connections per listener; more are closed at once." },
	{ "http", "idle_timeout", CFG_DURATION, OFF(http_idle_timeout_ms), "30s", 1000, HOUR_MS,
	  NULL, "A keep-alive connection with no request for this long is closed." },
	{ "http", "request_timeout", CFG_DURATION, OFF(http_request_timeout_ms), "10s", 100,
	  HOUR_MS, NULL, "A request whose headers and body take longer to arrive is dropped." },
	{ "http", "drain_timeout", CFG_DURATION, OFF(http_drain_timeout_ms), "10s", 0, HOUR_MS,
	  NULL, "On SIGTERM, how long in-flight requests may take before exit." },
	{ "log", "level", CFG_CHOICE, OFF(log_level), "info", 0, 0, "|debug|info|warn|error|",
	  "Lowest level written to stderr." },
	{ "log", "format", CFG_CHOICE, OFF(log_format), "text", 0, 0, "|text|json|",
	  "text: one readable line per event; json: one JSON object per line." },
	{ "audit", "seal_interval", CFG_DURATION, OFF(audit_seal_interval_ms), "1s", 100, 60000,
	  NULL, "How often new audit entries are sealed into the hash chain." },
	{ "keystore", "master_key_file", CFG_STR, OFF(keystore_master_key_file), "", 0, 0, NULL,
	  "The 32-byte master key that seals software keys in the database (mode 0600,\n"
	  "# created from the random generator when missing); empty = <state dir>/master.key.\n"
	  "# Back it up apart from the database: without it no software key can be opened." },
	{ "keystore", "backend", CFG_CHOICE, OFF(keystore_backend), "software", 0, 0,
	  "|software|pkcs11|", "Where new CA keys are generated: software (sealed in the database)\n"
	  "# or pkcs11 (in the token below)." },
	{ "keystore", "pkcs11_module", CFG_STR, OFF(keystore_pkcs11_module), "", 0, 0, NULL,
	  "Path of the PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so); empty turns\n"
	  "# PKCS#11 off." },
	{ "keystore", "pkcs11_slot", CFG_UINT, OFF(keystore_pkcs11_slot), "0", 0, UINT32_MAX,
	  NULL, "Slot number of the token (softhsm2-util --show-slots lists them)." },
	{ "keystore", "pkcs11_pin_file", CFG_STR, OFF(keystore_pkcs11_pin_file), "", 0, 0, NULL,
	  "File holding the token's user PIN (one line; keep it 0600)." },
	{ "crl", "full_validity", CFG_DURATION, OFF(crl_full_validity_ms), "24h", HOUR_MS,
	  90 * 24 * HOUR_MS, NULL,
	  "Validity of a full CRL (nextUpdate - thisUpdate); a new one is made when half of it\n"
	  "# has passed." },
	{ "crl", "delta_validity", CFG_DURATION, OFF(crl_delta_validity_ms), "1h", 60000,
	  7 * 24 * HOUR_MS, NULL,
	  "Validity of a delta CRL; a new one is made within seconds of a revocation change\n"
	  "# and when half of it has passed." },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static bool
known_section(const char *section, size_t len)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strlen(keys[i].section) == len && strncmp(keys[i].section, section, len) == 0)
			return true;
	return false;
}

int
mp_listen_parse(const char *addr, char *host, size_t hostsz, uint16_t *port)
{
	const char *colon, *h = addr;
	size_t hlen;
	uint64_t p;

	if ((colon = strrchr(addr, ':')) == NULL)
		return MP_ERR_INVALID;
	hlen = (size_t)(colon - addr);
	if (addr[0] == '[') {
		if (hlen < 3 || addr[hlen - 1] != ']')
			return MP_ERR_INVALID;
		h = addr + 1;
		hlen -= 2;
	} else if (memchr(addr, ':', hlen) != NULL) {
		return MP_ERR_INVALID; /* IPv6 needs brackets */
	}
	if (hlen == 0 || hlen >= hostsz)
		return MP_ERR_INVALID;
	if (mp_parse_u64(colon + 1, 65535, &p) != MP_OK || p == 0)
		return MP_ERR_INVALID;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (uint16_t)p;
	return MP_OK;
}

/* Stores value into the field of k, checking its type and range. */
static int
set_value(mp_config *c, const struct cfg_key *k, const char *value, const char *origin, char *err,
    size_t errsz)
{
	void *field = (char *)c + k->offset;
	char host[256], needle[64];
	uint16_t port;
	uint64_t v;
	char *s;
	int r;

	switch (k->type) {
	case CFG_LISTEN:
		if (*value != '\0' && mp_listen_parse(value, host, sizeof(host), &port) != MP_OK) {
			snprintf(err, errsz,
			    "%s: key '%s' in [%s]: invalid listen address '%s' (expected host:port, "
			    "[ipv6]:port, or empty to disable)", origin, k->key, k->section, value);
			return MP_ERR_CONFIG;
		}
		__attribute__((fallthrough));
	case CFG_STR:
		if ((s = strdup(value)) == NULL)
			return MP_ERR_NOMEM;
		free(*(char **)field);
		*(char **)field = s;
		return MP_OK;
	case CFG_CHOICE:
		snprintf(needle, sizeof(needle), "|%s|", value);
		if (*value == '\0' || strlen(value) > 32 || strstr(k->choices, needle) == NULL) {
			snprintf(err, errsz, "%s: key '%s' in [%s]: '%s' is not one of %s", origin,
			    k->key, k->section, value, k->choices);
			return MP_ERR_CONFIG;
		}
		if ((s = strdup(value)) == NULL)
			return MP_ERR_NOMEM;
		free(*(char **)field);
		*(char **)field = s;
		return MP_OK;
	case CFG_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0) {
			*(bool *)field = value[0] == 't';
			return MP_OK;
		}
		snprintf(err, errsz, "%s: key '%s' in [%s]: '%s' is not a boolean (true or false)",
		    origin, k->key, k->section, value);
		return MP_ERR_CONFIG;
	case CFG_UINT:
		r = mp_parse_u64(value, k->max, &v);
		if (r != MP_OK || v < k->min) {
			snprintf(err, errsz,
			    "%s: key '%s' in [%s]: '%s' is not a whole number from %llu to %llu",
			    origin, k->key, k->section, value, (unsigned long long)k->min,
			    (unsigned long long)k->max);
			return MP_ERR_CONFIG;
		}
		*(uint64_t *)field = v;
		return MP_OK;
	case CFG_DURATION:
		r = mp_parse_duration_ms(value, k->max, &v);
		if (r != MP_OK || v < k->min) {
			snprintf(err, errsz,
			    "%s: key '%s' in [%s]: '%s' is not a duration from %llums to %llums "
			    "(e.g. 500ms, 10s, 5m, 1h)", origin, k->key, k->section, value,
			    (unsigned long long)k->min, (unsigned long long)k->max);
			return MP_ERR_CONFIG;
		}
		*(uint64_t *)field = v;
		return MP_OK;
	}
	return MP_ERR_INTERNAL;
}

int
mp_config_set(mp_config *c, const char *section, const char *key, const char *value,
    const char *origin, char *err, size_t errsz)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
			return set_value(c, &keys[i], value, origin, err, errsz);
	if (known_section(section, strlen(section)))
		snprintf(err, errsz, "%s: unknown key '%s' in section [%s]", origin, key, section);
	else
		snprintf(err, errsz, "%s: unknown section [%s] (key '%s')", origin, section, key);
	return MP_ERR_CONFIG;
}

void
mp_config_free(mp_config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].type == CFG_STR || keys[i].type == CFG_LISTEN ||
		    keys[i].type == CFG_CHOICE)
			free(*(char **)((char *)c + keys[i].offset));
	free(c);
}

mp_config *
mp_config_defaults(void)
{
	mp_config *c = calloc(1, sizeof(*c));
	char err[256];

	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < NKEYS; i++) {
		if (set_value(c, &keys[i], keys[i].def, "default", err, sizeof(err)) != MP_OK) {
			mp_config_free(c);
			return NULL;
		}
	}
	return c;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static bool
valid_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* Reads the INI-style file at path into c. */
static int
load_file(mp_config *c, const char *path, char *err, size_t errsz)
{
	char line[4096], section[64] = "", origin[600];
	unsigned lineno = 0;
	FILE *f;
	int r = MP_ERR_CONFIG;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errsz, "%s: cannot open configuration file: %s", path, strerror(errno));
		return MP_ERR_CONFIG;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p, *eq, *key, *value;
		size_t vlen;

		lineno++;
		snprintf(origin, sizeof(origin), "%s:%u", path, lineno);
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errsz, "%s: line longer than %zu bytes", origin, sizeof(line) - 2);
			goto out;
		}
		p = trim(line);
		if (*p == '\0' || *p == '#' || *p == ';')
			continue;
		if (*p == '[') {
			size_t n = strlen(p);

			if (p[n - 1] != ']' || n - 2 >= sizeof(section)) {
				snprintf(err, errsz, "%s: malformed section header '%s'", origin, p);
				goto out;
			}
			memcpy(section, p + 1, n - 2);
			section[n - 2] = '\0';
			if (!valid_name(section) || !known_section(section, strlen(section))) {
				snprintf(err, errsz, "%s: unknown section [%s]", origin, section);
				goto out;
			}
			continue;
		}
		if ((eq = strchr(p, '=')) == NULL) {
			snprintf(err, errsz, "%s: expected 'key = value', got '%s'", origin, p);
			goto out;
		}
		*eq = '\0';
		key = trim(p);
		value = trim(eq + 1);
		vlen = strlen(value);
		if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
			value[vlen - 1] = '\0';
			value++;
		}
		if (section[0] == '\0') {
			snprintf(err, errsz, "%s: key '%s' outside any [section]", origin, key);
			goto out;
		}
		if (!valid_name(key)) {
			snprintf(err, errsz, "%s: invalid key name '%s' in section [%s]", origin, key,
			    section);
			goto out;
		}
		if ((r = mp_config_set(c, section, key, value, origin, err, errsz)) != MP_OK)
			goto out;
		r = MP_ERR_CONFIG;
	}
	if (ferror(f)) {
		snprintf(err, errsz, "%s: read error: %s", path, strerror(errno));
		goto out;
	}
	r = MP_OK;
out:
	fclose(f);
	return r;
}

/*
 * Applies MIDPKI_<SECTION>_<KEY> variables. A variable whose section is ours
 * but whose key is unknown is an error (a typo must not be silently ignored);
 * other MIDPKI_ names are left alone.
 */
static int
load_env(mp_config *c, char *err, size_t errsz)
{
	extern char **environ;
	char name[128], origin[160];

	for (char **e = environ; e != NULL && *e != NULL; e++) {
		const char *var = *e, *eq = strchr(var, '='), *rest;
		size_t nlen;
		int r;

		if (strncmp(var, "MIDPKI_", 7) != 0 || eq == NULL)
			continue;
		nlen = (size_t)(eq - var) - 7;
		if (nlen >= sizeof(name))
			continue;
		for (size_t i = 0; i < nlen; i++) {
			char ch = var[7 + i];
			name[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
		}
		name[nlen] = '\0';
		if ((rest = strchr(name, '_')) == NULL ||
		    !known_section(name, (size_t)(rest - name)))
			continue;
		snprintf(origin, sizeof(origin), "environment variable %.*s", (int)(eq - var), var);
		name[rest - name] = '\0';
		if ((r = mp_config_set(c, name, rest + 1, eq + 1, origin, err, errsz)) != MP_OK)
			return r;
	}
	return MP_OK;
}

int
mp_config_check(const mp_config *c, char *err, size_t errsz)
{
	if (c->ocsp_refresh_before_ms >= c->ocsp_response_validity_ms) {
		snprintf(err, errsz, "[ocsp] refresh_before (%llums) must be shorter than"
		    " response_validity (%llums)", (unsigned long long)c->ocsp_refresh_before_ms,
		    (unsigned long long)c->ocsp_response_validity_ms);
		return MP_ERR_CONFIG;
	}
	return MP_OK;
}

int
mp_config_load(const char *path, mp_config **out, char *err, size_t errsz)
{
	mp_config *c;
	int r;

	if ((c = mp_config_defaults()) == NULL) {
		snprintf(err, errsz, "out of memory");
		return MP_ERR_NOMEM;
	}
	if (path != NULL && (r = load_file(c, path, err, errsz)) != MP_OK)
		goto fail;
	if ((r = load_env(c, err, errsz)) != MP_OK || (r = mp_config_check(c, err, errsz)) != MP_OK)
		goto fail;
	*out = c;
	return MP_OK;
fail:
	mp_config_free(c);
	return r;
}

void
mp_config_write_defaults(FILE *f)
{
	const char *section = "";

	fprintf(f, "# MIDPKI configuration. Every key is shown with its default.\n"
		   "# Each key can also be set by the environment variable MIDPKI_<SECTION>_<KEY>,\n"
		   "# e.g. MIDPKI_ADMIN_LISTEN; the environment wins over this file.\n");
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(section, keys[i].section) != 0) {
			section = keys[i].section;
			fprintf(f, "\n[%s]\n", section);
		}
		fprintf(f, "# %s\n%s = %s\n", keys[i].help, keys[i].key,
		    keys[i].def[0] == '\0' ? "\"\"" : keys[i].def);
	}
}
