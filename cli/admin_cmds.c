/*
 * Every `midpki admin` command as data. A new API route is one entry here
 * (field names as in docs/admin-api.md); cli/admin.c needs no change.
 */
#include "admin_cmds.h"

#define ARGS(...) ((const admin_arg[]){ __VA_ARGS__, { NULL, ARG_PATH, NULL } })
#define OPTS(...) ((const admin_opt[]){ __VA_ARGS__, { NULL, NULL, OPT_STRING, NULL, false } })
#define COLS(...) ((const admin_column[]){ __VA_ARGS__, { NULL, NULL } })

#define ID_ARG(name) { name, ARG_PATH, NULL }
#define TENANT_OPT { "--tenant", "tenant", OPT_STRING, "TENANT-ID", false }

#define TENANT_COLS { "ID", "id" }, { "NAME", "name" }, { "CREATED", "created_at" }
#define USER_COLS                                                                  \
	{ "ID", "id" }, { "TENANT", "tenant" }, { "NAME", "name" }, { "EMAIL", "email" }, \
	    { "ROLES", "roles" }, { "STATUS", "status" }
#define CA_COLS                                                                           \
	{ "ID", "id" }, { "TENANT", "tenant" }, { "NAME", "name" }, { "SUBJECT", "subject" },  \
	    { "ALGORITHM", "algorithm" }, { "STATUS", "status" }, { "ROLE", "role" },            \
	    { "NOT AFTER", "not_after" }
#define PROFILE_COLS                                                                   \
	{ "ID", "id" }, { "TENANT", "tenant" }, { "NAME", "name" }, { "KIND", "kind" },     \
	    { "APPROVAL", "approval_required" }, { "BUILTIN", "builtin" }
#define CERT_COLS                                                                            \
	{ "ID", "id" }, { "SERIAL", "serial" }, { "STATUS", "status" }, { "DEVICE", "device_id" }, \
	    { "PROFILE", "profile" }, { "SUBJECT", "subject" }, { "NOT AFTER", "not_after" }
#define REQUEST_COLS                                                                         \
	{ "ID", "id" }, { "STATUS", "status" }, { "DEVICE", "device_id" },                        \
	    { "PROFILE", "profile_id" }, { "REQUESTED BY", "requested_by" },                       \
	    { "DECIDED BY", "decided_by" }, { "CREATED", "created_at" }
#define OUT_OPT(field) { "--out", field, OPT_OUT, "FILE", false }
#define DEVICE_COLS                                                                       \
	{ "ID", "id" }, { "TENANT", "tenant" }, { "SERIAL", "serial" }, { "MODEL", "model" }, \
	    { "MANUFACTURER", "manufacturer" }, { "SITE", "attributes.site" },                  \
	    { "STATUS", "status" }

const admin_cmd admin_cmds[] = {
	{ "tenants", "list", "GET", "/tenants", NULL, NULL, COLS(TENANT_COLS), ADMIN_LIST,
	    "list tenants" },
	{ "tenants", "create", "POST", "/tenants", ARGS({ "NAME", ARG_BODY, "name" }), NULL, NULL,
	    0, "create a tenant" },
	{ "tenants", "show", "GET", "/tenants/{}", ARGS(ID_ARG("ID")), NULL, NULL, 0,
	    "show one tenant" },

	{ "users", "list", "GET", "/users", NULL, NULL, COLS(USER_COLS), ADMIN_LIST, "list users" },
	{ "users", "create", "POST", "/users", NULL,
	    OPTS({ "--name", "name", OPT_STRING, "NAME", true }, TENANT_OPT,
		{ "--email", "email", OPT_STRING, "EMAIL", false },
		{ "--role", "roles", OPT_LIST, "ROLE", false }),
	    NULL, 0, "create a user (--role may be repeated)" },
	{ "users", "show", "GET", "/users/{}", ARGS(ID_ARG("ID")), NULL, NULL, 0, "show one user" },
	{ "users", "update", "PATCH", "/users/{}", ARGS(ID_ARG("ID")),
	    OPTS({ "--email", "email", OPT_STRING, "EMAIL", false },
		{ "--role", "roles", OPT_LIST, "ROLE", false },
		{ "--status", "status", OPT_STRING, "STATUS", false }),
	    NULL, 0, "change a user (--role replaces the roles)" },
	{ "users", "delete", "DELETE", "/users/{}", ARGS(ID_ARG("ID")), NULL, NULL, 0,
	    "delete a user" },

	{ "api-keys", "create", "POST", "/users/{}/api-keys", ARGS(ID_ARG("USER-ID")),
	    OPTS({ "--ttl", "ttl", OPT_STRING, "DURATION", false }), NULL, 0,
	    "create an API key for a user (the key is shown once)" },
	{ "api-keys", "list", "GET", "/users/{}/api-keys", ARGS(ID_ARG("USER-ID")), NULL,
	    COLS({ "ID", "id" }, { "CREATED", "created_at" }, { "EXPIRES", "expires_at" },
		{ "REVOKED", "revoked_at" }, { "LAST USED", "last_used_at" }),
	    ADMIN_LIST, "list a user's API keys" },
	{ "api-keys", "revoke", "DELETE", "/users/{}/api-keys/{}",
	    ARGS(ID_ARG("USER-ID"), ID_ARG("KEY-ID")), NULL, NULL, 0, "revoke an API key" },

	{ "devices", "list", "GET", "/devices", NULL,
	    OPTS({ "--serial", "serial", OPT_QUERY, "SERIAL", false },
		{ "--status", "status", OPT_QUERY, "STATUS", false },
		{ "--model", "model", OPT_QUERY, "MODEL", false },
		{ "--site", "site", OPT_QUERY, "SITE", false }),
	    COLS(DEVICE_COLS), ADMIN_LIST, "list devices" },
	{ "devices", "create", "POST", "/devices", NULL,
	    OPTS({ "--serial", "serial", OPT_STRING, "SERIAL", true }, TENANT_OPT,
		{ "--model", "model", OPT_STRING, "MODEL", false },
		{ "--manufacturer", "manufacturer", OPT_STRING, "NAME", false },
		{ "--site", "attributes.site", OPT_STRING, "SITE", false }),
	    NULL, 0, "register a device" },
	{ "devices", "show", "GET", "/devices/{}", ARGS(ID_ARG("ID")), NULL, NULL, 0,
	    "show one device" },
	{ "devices", "update", "PATCH", "/devices/{}", ARGS(ID_ARG("ID")),
	    OPTS({ "--status", "status", OPT_STRING, "STATUS", false },
		{ "--model", "model", OPT_STRING, "MODEL", false },
		{ "--manufacturer", "manufacturer", OPT_STRING, "NAME", false }),
	    NULL, 0, "change a device (e.g. --status suspended)" },
	{ "devices", "import", "POST", "/devices:import", ARGS({ "FILE", ARG_UPLOAD, NULL }),
	    OPTS({ "--tenant", "tenant", OPT_QUERY, "TENANT-ID", false }), NULL, 0,
	    "bulk import from FILE.csv (header row) or FILE.ndjson / FILE.jsonl" },

	{ "tokens", "create", "POST", "/devices/{}/enrollment-tokens", ARGS(ID_ARG("DEVICE-ID")),
	    OPTS({ "--profile", "profile", OPT_STRING, "PROFILE-ID", true },
		{ "--ttl", "ttl", OPT_STRING, "DURATION", false },
		{ "--uses", "uses", OPT_INT, "N", false }),
	    NULL, 0, "create an enrollment token (the token is shown once)" },
	{ "tokens", "list", "GET", "/devices/{}/enrollment-tokens", ARGS(ID_ARG("DEVICE-ID")), NULL,
	    COLS({ "ID", "id" }, { "PROFILE", "profile" }, { "USES LEFT", "uses_left" },
		{ "EXPIRES", "expires_at" }, { "CREATED", "created_at" }),
	    ADMIN_LIST, "list a device's enrollment tokens" },
	{ "tokens", "revoke", "DELETE", "/devices/{}/enrollment-tokens/{}",
	    ARGS(ID_ARG("DEVICE-ID"), ID_ARG("TOKEN-ID")), NULL, NULL, 0,
	    "revoke an enrollment token" },

	{ "trust-anchors", "list", "GET", "/trust-anchors", NULL, NULL,
	    COLS({ "ID", "id" }, { "TENANT", "tenant" }, { "NAME", "name" },
		{ "SUBJECT", "subject" }, { "AUTO-REGISTER", "auto_register" },
		{ "PROFILE", "profile" }, { "SHA256", "sha256" }),
	    ADMIN_LIST, "list trust anchors" },
	{ "trust-anchors", "create", "POST", "/trust-anchors", NULL,
	    OPTS({ "--name", "name", OPT_STRING, "NAME", true },
		{ "--cert", "certificate_pem", OPT_FILE, "PEM-FILE", true }, TENANT_OPT,
		{ "--profile", "profile", OPT_STRING, "PROFILE", false },
		{ "--auto-register", "auto_register", OPT_BOOL, NULL, false }),
	    NULL, 0, "add a manufacturer CA" },
	{ "trust-anchors", "show", "GET", "/trust-anchors/{}", ARGS(ID_ARG("ID")), NULL, NULL, 0,
	    "show one trust anchor, with its chain" },
	{ "trust-anchors", "delete", "DELETE", "/trust-anchors/{}", ARGS(ID_ARG("ID")), NULL, NULL,
	    0, "remove a trust anchor" },
	{ "trust-anchors", "crl", "POST", "/trust-anchors/{}/crl", ARGS(ID_ARG("ID")),
	    OPTS({ "--crl", "crl_pem", OPT_FILE, "PEM-FILE", true }), NULL, 0,
	    "add or replace the CRL checked for the certificates the anchor issued" },
	{ "trust-anchors", "delete-crl", "DELETE", "/trust-anchors/{}/crl", ARGS(ID_ARG("ID")), NULL,
	    NULL, 0, "remove the CRL uploaded with a trust anchor" },

	{ "est-labels", "list", "GET", "/est/labels", NULL, NULL,
	    COLS({ "ID", "id" }, { "TENANT", "tenant" }, { "NAME", "name" },
		{ "PROFILE", "profile" }, { "BASE64 LINE", "base64_line" }),
	    ADMIN_LIST, "list EST labels" },
	{ "est-labels", "create", "POST", "/est/labels", NULL,
	    OPTS({ "--name", "name", OPT_STRING, "NAME", true },
		{ "--profile", "profile", OPT_STRING, "PROFILE", true }, TENANT_OPT,
		{ "--base64-line", "base64_line", OPT_INT, "0|64|76", false }),
	    NULL, 0, "add an EST label (/.well-known/est/NAME/...)" },
	{ "est-labels", "show", "GET", "/est/labels/{}", ARGS(ID_ARG("ID")), NULL, NULL, 0,
	    "show one EST label" },
	{ "est-labels", "update", "PATCH", "/est/labels/{}", ARGS(ID_ARG("ID")),
	    OPTS({ "--profile", "profile", OPT_STRING, "PROFILE", false },
		{ "--base64-line", "base64_line", OPT_INT, "0|64|76", false }),
	    NULL, 0, "change an EST label's profile or base64 line width" },
	{ "est-labels", "delete", "DELETE", "/est/labels/{}", ARGS(ID_ARG("ID")), NULL, NULL, 0,
	    "remove an EST label" },

	{ "audit", "list", "GET", "/audit", NULL,
	    OPTS({ "--since", "since", OPT_QUERY, "TIME", false },
		{ "--until", "until", OPT_QUERY, "TIME", false },
		{ "--actor", "actor", OPT_QUERY, "ID", false },
		{ "--action", "action", OPT_QUERY, "ACTION", false },
		{ "--object", "object", OPT_QUERY, "ID", false }),
	    COLS({ "SEQ", "seq" }, { "AT", "at" }, { "ACTOR", "actor_id" }, { "ACTION", "action" },
		{ "TYPE", "object_type" }, { "OBJECT", "object_id" }),
	    ADMIN_LIST, "list audit entries" },
	{ "audit", "verify", "GET", "/audit/verify", NULL, NULL, NULL, ADMIN_CHECK_OK,
	    "check the audit hash chain (exit 1 when broken)" },

	{ "cas", "list", "GET", "/cas", NULL, NULL, COLS(CA_COLS), ADMIN_LIST,
	    "list CAs (the platform's and your tenant's)" },
	{ "cas", "show", "GET", "/cas/{}", ARGS(ID_ARG("ID")), NULL, NULL, 0, "show one CA" },
	{ "cas", "create", "POST", "/cas", NULL,
	    OPTS({ "--name", "name", OPT_STRING, "NAME", true },
		{ "--subject", "subject", OPT_STRING, "DN", true }, TENANT_OPT,
		{ "--parent", "parent", OPT_STRING, "CA-ID", false },
		{ "--algorithm", "algorithm", OPT_STRING, "ALG", false },
		{ "--validity", "validity", OPT_STRING, "DURATION", false },
		{ "--path-len", "path_len", OPT_INT, "N", false },
		{ "--permit", "name_constraints.permitted", OPT_LIST, "NAME", false },
		{ "--exclude", "name_constraints.excluded", OPT_LIST, "NAME", false }),
	    NULL, 0, "create a root CA, or with --parent an intermediate (--permit/--exclude "
		     "e.g. dns:example.com, repeatable)" },
	{ "cas", "import", "POST", "/cas/import", NULL,
	    OPTS({ "--name", "name", OPT_STRING, "NAME", true },
		{ "--cert", "certificate_pem", OPT_FILE, "PEM-FILE", true }, TENANT_OPT,
		{ "--key", "private_key_pem", OPT_SECRET_FILE, "KEY-FILE", false }),
	    NULL, 0, "import a CA certificate, with --key one we issue from" },
	{ "cas", "chain", "GET", "/cas/{}/chain", ARGS(ID_ARG("ID")), OPTS(OUT_OPT("chain_pem")),
	    NULL, 0, "show a CA's chain as PEM, up to the root (--out writes it to FILE)" },
	{ "cas", "retire", "POST", "/cas/{}/retire", ARGS(ID_ARG("ID")), NULL, NULL, 0,
	    "retire a CA: it issues nothing more" },

	{ "profiles", "list", "GET", "/profiles", NULL,
	    OPTS({ "--kind", "kind", OPT_QUERY, "KIND", false }), COLS(PROFILE_COLS), ADMIN_LIST,
	    "list profiles (yours and the built-in ones)" },
	{ "profiles", "show", "GET", "/profiles/{}", ARGS(ID_ARG("ID")), NULL, NULL, 0,
	    "show one profile" },
	{ "profiles", "create", "POST", "/profiles", NULL,
	    OPTS({ "--name", "name", OPT_STRING, "NAME", true },
		{ "--body", "body", OPT_JSON_FILE, "JSON-FILE", true }, TENANT_OPT,
		{ "--kind", "kind", OPT_STRING, "KIND", false },
		{ "--approval", "approval_required", OPT_BOOL, NULL, false }),
	    NULL, 0, "create a profile from a JSON body (--approval: issuance needs approval)" },
	{ "profiles", "update", "PATCH", "/profiles/{}", ARGS(ID_ARG("ID")),
	    OPTS({ "--body", "body", OPT_JSON_FILE, "JSON-FILE", true }), NULL, 0,
	    "replace a profile's body" },
	{ "profiles", "delete", "DELETE", "/profiles/{}", ARGS(ID_ARG("ID")), NULL, NULL, 0,
	    "delete a profile nothing uses" },

	{ "certs", "issue", "POST", "/certificates", NULL,
	    OPTS({ "--device", "device", OPT_STRING, "DEVICE-ID", true },
		{ "--profile", "profile", OPT_STRING, "NAME", true },
		{ "--csr", "csr_pem", OPT_FILE, "CSR-FILE", true },
		{ "--validity", "validity", OPT_STRING, "DURATION", false },
		OUT_OPT("certificate_pem")),
	    NULL, 0, "issue a certificate from a PEM CSR (--out writes the certificate to FILE)" },
	{ "certs", "list", "GET", "/certificates", NULL,
	    OPTS({ "--device", "device", OPT_QUERY, "DEVICE-ID", false },
		{ "--status", "status", OPT_QUERY, "STATUS", false },
		{ "--serial", "serial", OPT_QUERY, "HEX", false },
		{ "--profile", "profile", OPT_QUERY, "PROFILE-ID", false },
		{ "--ca", "ca", OPT_QUERY, "CA-ID", false },
		{ "--expiring-before", "expiring_before", OPT_QUERY, "TIME", false },
		{ "--expiring-within", "expiring_within", OPT_QUERY, "DURATION", false }),
	    COLS(CERT_COLS), ADMIN_LIST, "list certificates (e.g. --expiring-within 30d)" },
	{ "certs", "show", "GET", "/certificates/{}", ARGS(ID_ARG("ID")),
	    OPTS(OUT_OPT("certificate_pem")), NULL, 0,
	    "show one certificate (--out writes its PEM to FILE)" },
	{ "certs", "revoke", "POST", "/certificates/{}/revoke", ARGS(ID_ARG("ID")),
	    OPTS({ "--reason", "reason", OPT_STRING, "REASON", true },
		{ "--invalidity-date", "invalidity_date", OPT_STRING, "TIME", false }),
	    NULL, 0, "revoke a certificate (RFC 5280 reason, e.g. keyCompromise)" },
	{ "certs", "suspend", "POST", "/certificates/{}/suspend", ARGS(ID_ARG("ID")), NULL, NULL, 0,
	    "put a certificate on hold" },
	{ "certs", "resume", "POST", "/certificates/{}/resume", ARGS(ID_ARG("ID")), NULL, NULL, 0,
	    "take a certificate off hold" },

	{ "requests", "list", "GET", "/requests", NULL,
	    OPTS({ "--status", "status", OPT_QUERY, "STATUS", false }), COLS(REQUEST_COLS),
	    ADMIN_LIST, "list certificate requests" },
	{ "requests", "show", "GET", "/requests/{}", ARGS(ID_ARG("ID")), NULL, NULL, 0,
	    "show one certificate request" },
	{ "requests", "approve", "POST", "/requests/{}/approve", ARGS(ID_ARG("ID")), NULL, NULL, 0,
	    "approve a request: issues its certificate (not by its requester)" },
	{ "requests", "reject", "POST", "/requests/{}/reject", ARGS(ID_ARG("ID")), NULL, NULL, 0,
	    "reject a request (not by its requester)" },
};

const size_t admin_cmds_count = sizeof(admin_cmds) / sizeof(admin_cmds[0]);
