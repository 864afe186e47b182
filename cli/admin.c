/*
 * midpki admin: the command-line client of the admin REST API. Turns one
 * admin_cmds entry plus the command line into a request, sends it, and shows
 * the answer; the exit code tells scripts what happened.
 */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "admin_client.h"
#include "admin_cmds.h"
#include "admin_output.h"
#include "admin_progress.h"
#include "admin_url.h"
#include "buf.h"
#include "err.h"
#include "num.h"
#include "readfile.h"
#include "secure.h"

#define DEFAULT_URL "https://127.0.0.1:9443"
#define MAX_POSITIONAL 4
#define MAX_KEY_FILE 4096
#define MAX_OPT_FILE (1024 * 1024)
#define MAX_UPLOAD ((size_t)1 << 30)
#define MAX_PATH_BYTES 8192

/* The command line, parsed. */
struct run {
	const admin_cmd *cmd;
	const char *url, *cacert, *key_file;
	bool json;
	const char *pos[MAX_POSITIONAL];
	size_t npos;
	json_t *body;   /* members set by options and ARG_BODY */
	mp_buf *query;  /* "?a=b&c=d" */
	const char *out_file;   /* OPT_OUT: where the answer's out_field goes */
	const char *out_field;
	bool secret;    /* the body holds an OPT_SECRET_FILE: wiped after the call */
};

/* What a request needs besides the key: its path, body and content type. */
struct request {
	mp_buf *path;
	char *body;
	size_t body_len;
	const char *content_type;
	const char *upload_name;
};

static void
usage(FILE *f)
{
	fputs("usage: midpki admin [--url URL] [--cacert FILE] [--key-file FILE] [--json]\n"
	      "                    RESOURCE VERB [ARGS] [OPTIONS]\n\ncommands:\n",
	    f);
	for (size_t i = 0; i < admin_cmds_count; i++) {
		const admin_cmd *c = &admin_cmds[i];

		fprintf(f, "  %s %s", c->resource, c->verb);
		for (const admin_arg *a = c->args; a != NULL && a->name != NULL; a++)
			fprintf(f, " %s", a->name);
		for (const admin_opt *o = c->opts; o != NULL && o->flag != NULL; o++) {
			fprintf(f, " %s%s%s%s%s%s", o->required ? "" : "[", o->flag,
			    o->metavar != NULL ? " " : "", o->metavar != NULL ? o->metavar : "",
			    o->required ? "" : "]", o->kind == OPT_LIST ? "..." : "");
		}
		if (c->flags & ADMIN_LIST)
			fputs(" [--limit N] [--cursor CURSOR]", f);
		fprintf(f, "\n      %s\n", c->summary);
	}
	fputs("\noptions (also as environment variables):\n"
	      "  --url URL        MIDPKI_URL, the admin listener (default " DEFAULT_URL ")\n"
	      "  --cacert FILE    MIDPKI_CACERT, certificates to verify the server with\n"
	      "                   (default: the system's trust store); <state dir>/trust.pem\n"
	      "  --key-file FILE  MIDPKI_API_KEY_FILE, a file holding the API key; or the key\n"
	      "                   itself in MIDPKI_API_KEY (--key-file wins over both)\n"
	      "  --json           print the API's JSON as is instead of a table\n"
	      "Options take their value as '--opt VALUE' or '--opt=VALUE'.\n"
	      "\nexit codes:\n"
	      "  0  success\n"
	      "  1  the API refused the request (4xx other than 401/403, or 5xx); stderr has\n"
	      "     \"midpki: <code>: <message> (field <field>)\"; also audit verify: chain broken\n"
	      "  2  usage error: unknown command or option, missing argument, unreadable file\n"
	      "  3  cannot connect, TLS failure (e.g. untrusted certificate), no valid HTTP answer\n"
	      "  4  authentication: no valid API key (401) or not allowed (403)\n"
	      "\nSee docs/cli.md.\n",
	    f);
}

static const admin_cmd *
find_cmd(const char *resource, const char *verb)
{
	for (size_t i = 0; i < admin_cmds_count; i++) {
		if (strcmp(admin_cmds[i].resource, resource) == 0 &&
		    strcmp(admin_cmds[i].verb, verb) == 0)
			return &admin_cmds[i];
	}
	return NULL;
}

static const admin_opt *
find_opt(const admin_cmd *c, const char *flag, size_t n)
{
	for (const admin_opt *o = c->opts; o != NULL && o->flag != NULL; o++) {
		if (strlen(o->flag) == n && strncmp(o->flag, flag, n) == 0)
			return o;
	}
	return NULL;
}

/* The object that holds the last part of a dotted field, created as needed; *key is that part. */
static json_t *
body_parent(json_t *body, const char *field, char *key, size_t keysz)
{
	const char *dot;

	while ((dot = strchr(field, '.')) != NULL) {
		size_t n = (size_t)(dot - field);
		json_t *child;

		if (n >= keysz)
			return NULL;
		memcpy(key, field, n);
		key[n] = '\0';
		if ((child = json_object_get(body, key)) == NULL) {
			if ((child = json_object()) == NULL || json_object_set_new(body, key, child) != 0)
				return NULL;
		}
		if (!json_is_object(child))
			return NULL;
		body = child;
		field = dot + 1;
	}
	if (strlen(field) >= keysz)
		return NULL;
	memcpy(key, field, strlen(field) + 1);
	return body;
}

/* Adds "name=value" to the query. */
static int
query_add(mp_buf *q, const char *name, const char *value)
{
	int r;

	if ((r = mp_buf_put_u8(q, mp_buf_len(q) == 0 ? '?' : '&')) != MP_OK ||
	    (r = cli_url_encode(q, name)) != MP_OK || (r = mp_buf_put_u8(q, '=')) != MP_OK)
		return r;
	return cli_url_encode(q, value);
}

/* Applies one command option; prints the problem and returns false when it is wrong. */
static bool
apply_opt(struct run *run, const admin_opt *o, const char *value)
{
	json_t *parent, *v = NULL, *list;
	char key[64], *text = NULL;
	json_error_t jerr;
	uint64_t n;
	size_t len;

	if (o->kind == OPT_QUERY) {
		if (query_add(run->query, o->field, value) == MP_OK)
			return true;
		fprintf(stderr, "midpki: the query is too long\n");
		return false;
	}
	if (o->kind == OPT_OUT) {
		if (run->out_file != NULL) {
			fprintf(stderr, "midpki: %s given twice\n", o->flag);
			return false;
		}
		run->out_file = value;
		run->out_field = o->field;
		return true;
	}
	if ((parent = body_parent(run->body, o->field, key, sizeof(key))) == NULL)
		goto nomem;
	if (o->kind != OPT_LIST && json_object_get(parent, key) != NULL) {
		fprintf(stderr, "midpki: %s given twice\n", o->flag);
		return false;
	}
	switch (o->kind) {
	case OPT_STRING:
		if ((v = json_string(value)) == NULL) {
			fprintf(stderr, "midpki: %s: not UTF-8 text\n", o->flag);
			return false;
		}
		break;
	case OPT_LIST:
		if ((list = json_object_get(parent, key)) == NULL) {
			if ((list = json_array()) == NULL || json_object_set_new(parent, key, list) != 0)
				goto nomem;
		}
		if ((v = json_string(value)) == NULL) {
			fprintf(stderr, "midpki: %s: not UTF-8 text\n", o->flag);
			return false;
		}
		if (json_array_append_new(list, v) != 0)
			goto nomem;
		return true;
	case OPT_INT:
		if (mp_parse_u64(value, 1000000000, &n) != MP_OK) {
			fprintf(stderr, "midpki: %s: '%s' is not a whole number\n", o->flag, value);
			return false;
		}
		v = json_integer((json_int_t)n);
		break;
	case OPT_BOOL:
		v = json_true();
		break;
	case OPT_FILE:
		if (cli_read_file(value, MAX_OPT_FILE, &text, &len) != MP_OK) {
			fprintf(stderr, "midpki: %s: cannot read %s: %m\n", o->flag, value);
			return false;
		}
		v = json_stringn(text, len);
		free(text);
		if (v == NULL) {
			fprintf(stderr, "midpki: %s: %s is not UTF-8 text\n", o->flag, value);
			return false;
		}
		break;
	case OPT_SECRET_FILE:
		run->secret = true;
		if (cli_read_file(value, MAX_OPT_FILE, &text, &len) != MP_OK) {
			fprintf(stderr, "midpki: %s: cannot read %s: %m\n", o->flag, value);
			return false;
		}
		v = json_stringn(text, len);
		mp_wipe(text, len);
		free(text);
		if (v == NULL) {
			fprintf(stderr, "midpki: %s: %s is not UTF-8 text\n", o->flag, value);
			return false;
		}
		break;
	case OPT_JSON_FILE:
		if (cli_read_file(value, MAX_OPT_FILE, &text, &len) != MP_OK) {
			fprintf(stderr, "midpki: %s: cannot read %s: %m\n", o->flag, value);
			return false;
		}
		v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
		free(text);
		if (v == NULL) {
			fprintf(stderr, "midpki: %s: %s is not JSON: line %d: %s\n", o->flag, value,
			    jerr.line, jerr.text);
			return false;
		}
		break;
	case OPT_QUERY:
	case OPT_OUT:
		break;
	}
	if (v == NULL || json_object_set_new(parent, key, v) != 0)
		goto nomem;
	return true;
nomem:
	fprintf(stderr, "midpki: out of memory\n");
	return false;
}

/* One option of the chosen command, with its value from "=" or the next argument. */
static bool
command_option(struct run *run, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *eq = strchr(arg, '='), *value = NULL, *page = NULL;
	size_t n = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	const admin_opt *o = find_opt(run->cmd, arg, n);

	if (o == NULL && (run->cmd->flags & ADMIN_LIST)) {
		if (n == 7 && strncmp(arg, "--limit", n) == 0)
			page = "limit";
		else if (n == 8 && strncmp(arg, "--cursor", n) == 0)
			page = "cursor";
	}
	if (o == NULL && page == NULL) {
		fprintf(stderr, "midpki: unknown option '%.*s' for '%s %s'\n", (int)n, arg,
		    run->cmd->resource, run->cmd->verb);
		return false;
	}
	if (o != NULL && o->kind == OPT_BOOL) {
		if (eq == NULL)
			return apply_opt(run, o, NULL);
		fprintf(stderr, "midpki: %s takes no value\n", o->flag);
		return false;
	}
	if (eq != NULL) {
		value = eq + 1;
	} else if (*i + 1 < argc) {
		value = argv[++*i];
	} else {
		fprintf(stderr, "midpki: %.*s needs a value\n", (int)n, arg);
		return false;
	}
	if (page != NULL && query_add(run->query, page, value) != MP_OK) {
		fprintf(stderr, "midpki: the query is too long\n");
		return false;
	}
	return page != NULL || apply_opt(run, o, value);
}

/* A global option at argv[*i]: 1 if it was one, 0 if not, -1 on error. */
static int
global_option(struct run *run, int argc, char **argv, int *i)
{
	static const char *names[] = { "--url", "--cacert", "--key-file" };
	const char **slots[] = { &run->url, &run->cacert, &run->key_file };
	const char *arg = argv[*i], *eq = strchr(arg, '=');
	size_t n = eq != NULL ? (size_t)(eq - arg) : strlen(arg);

	if (strcmp(arg, "--json") == 0) {
		run->json = true;
		return 1;
	}
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		if (strlen(names[k]) != n || strncmp(arg, names[k], n) != 0)
			continue;
		if (eq != NULL) {
			*slots[k] = eq + 1;
		} else if (*i + 1 < argc) {
			*slots[k] = argv[++*i];
		} else {
			fprintf(stderr, "midpki: %s needs a value\n", names[k]);
			return -1;
		}
		return 1;
	}
	return 0;
}

/* Parses argv; returns ADMIN_EXIT_OK, or the exit code after printing why (0 for --help). */
static int
parse_args(struct run *run, int argc, char **argv, bool *help)
{
	const char *resource = NULL;

	for (int i = 0; i < argc; i++) {
		int g;

		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
		    (resource == NULL && strcmp(argv[i], "help") == 0)) {
			*help = true;
			return ADMIN_EXIT_OK;
		}
		if ((g = global_option(run, argc, argv, &i)) < 0)
			return ADMIN_EXIT_USAGE;
		if (g > 0)
			continue;
		if (run->cmd != NULL && strncmp(argv[i], "--", 2) == 0 && argv[i][2] != '\0') {
			if (!command_option(run, argc, argv, &i))
				return ADMIN_EXIT_USAGE;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0' && run->cmd == NULL) {
			fprintf(stderr, "midpki: unknown option '%s'\n", argv[i]);
			return ADMIN_EXIT_USAGE;
		} else if (resource == NULL) {
			resource = argv[i];
		} else if (run->cmd == NULL) {
			if ((run->cmd = find_cmd(resource, argv[i])) == NULL) {
				fprintf(stderr, "midpki: unknown command 'admin %s %s' (see midpki admin --help)\n",
				    resource, argv[i]);
				return ADMIN_EXIT_USAGE;
			}
		} else if (run->npos < MAX_POSITIONAL) {
			run->pos[run->npos++] = argv[i];
		} else {
			fprintf(stderr, "midpki: too many arguments\n");
			return ADMIN_EXIT_USAGE;
		}
	}
	if (run->cmd == NULL) {
		fprintf(stderr, "midpki: %s (see midpki admin --help)\n",
		    resource == NULL ? "which resource?" : "which verb?");
		return ADMIN_EXIT_USAGE;
	}
	return ADMIN_EXIT_OK;
}

/* The content type of an import file, by its extension; NULL when unknown. */
static const char *
upload_type(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot == NULL)
		return NULL;
	if (strcasecmp(dot, ".csv") == 0)
		return "text/csv";
	if (strcasecmp(dot, ".ndjson") == 0 || strcasecmp(dot, ".jsonl") == 0)
		return "application/x-ndjson";
	return NULL;
}

/* Fills the path from ARG_PATH arguments, the body from ARG_BODY/ARG_UPLOAD. */
static int
build_request(struct run *run, struct request *rq)
{
	const admin_cmd *c = run->cmd;
	const char *p = c->path;
	size_t nargs = 0, next = 0;

	for (const admin_arg *a = c->args; a != NULL && a->name != NULL; a++)
		nargs++;
	if (run->npos != nargs) {
		fprintf(stderr, "midpki: '%s %s' takes %zu argument%s (see midpki admin --help)\n",
		    c->resource, c->verb, nargs, nargs == 1 ? "" : "s");
		return ADMIN_EXIT_USAGE;
	}
	for (size_t i = 0; i < nargs; i++) {
		const admin_arg *a = &c->args[i];
		json_t *v;

		if (run->pos[i][0] == '\0') {
			fprintf(stderr, "midpki: %s must not be empty\n", a->name);
			return ADMIN_EXIT_USAGE;
		}
		if (a->kind == ARG_BODY) {
			if ((v = json_string(run->pos[i])) == NULL ||
			    json_object_set_new(run->body, a->field, v) != 0) {
				fprintf(stderr, "midpki: %s: not UTF-8 text\n", a->name);
				return ADMIN_EXIT_USAGE;
			}
		} else if (a->kind == ARG_UPLOAD) {
			if ((rq->content_type = upload_type(run->pos[i])) == NULL) {
				fprintf(stderr, "midpki: %s: name it .csv, .ndjson or .jsonl\n",
				    run->pos[i]);
				return ADMIN_EXIT_USAGE;
			}
			if (cli_read_file(run->pos[i], MAX_UPLOAD, &rq->body, &rq->body_len) != MP_OK) {
				fprintf(stderr, "midpki: cannot read %s: %m\n", run->pos[i]);
				return ADMIN_EXIT_USAGE;
			}
			rq->upload_name = run->pos[i];
		}
	}
	for (const admin_opt *o = c->opts; o != NULL && o->flag != NULL; o++) {
		char key[64];
		json_t *parent = body_parent(run->body, o->field, key, sizeof(key));

		if (o->required && (parent == NULL || json_object_get(parent, key) == NULL)) {
			fprintf(stderr, "midpki: '%s %s' needs %s\n", c->resource, c->verb, o->flag);
			return ADMIN_EXIT_USAGE;
		}
	}
	for (; *p != '\0'; p++) {
		int r;

		if (p[0] == '{' && p[1] == '}') {
			while (c->args[next].kind != ARG_PATH)
				next++;
			r = cli_url_encode(rq->path, run->pos[next++]);
			p++;
		} else {
			r = mp_buf_put_u8(rq->path, (uint8_t)*p);
		}
		if (r != MP_OK)
			goto too_long;
	}
	if (mp_buf_put(rq->path, mp_buf_ptr(run->query), mp_buf_len(run->query)) != MP_OK)
		goto too_long;
	if (rq->body == NULL && (strcmp(c->method, "POST") == 0 || strcmp(c->method, "PATCH") == 0)) {
		if ((rq->body = json_dumps(run->body, JSON_COMPACT)) == NULL) {
			fprintf(stderr, "midpki: out of memory\n");
			return ADMIN_EXIT_USAGE;
		}
		rq->body_len = strlen(rq->body);
		rq->content_type = "application/json";
	}
	return ADMIN_EXIT_OK;
too_long:
	fprintf(stderr, "midpki: the request path is too long\n");
	return ADMIN_EXIT_USAGE;
}

/* The API key: from --key-file, MIDPKI_API_KEY or MIDPKI_API_KEY_FILE; NULL after printing why. */
static char *
load_key(const char *key_file)
{
	const char *env = getenv("MIDPKI_API_KEY");
	char *key = NULL;
	size_t len = 0;

	if (key_file == NULL && env != NULL && env[0] != '\0') {
		key = strdup(env);
		len = key != NULL ? strlen(key) : 0;
	} else {
		if (key_file == NULL)
			key_file = getenv("MIDPKI_API_KEY_FILE");
		if (key_file == NULL || key_file[0] == '\0') {
			fprintf(stderr, "midpki: no API key: use --key-file FILE, MIDPKI_API_KEY or "
					"MIDPKI_API_KEY_FILE\n");
			return NULL;
		}
		if (cli_read_file(key_file, MAX_KEY_FILE, &key, &len) != MP_OK) {
			fprintf(stderr, "midpki: cannot read the API key from %s: %m\n", key_file);
			return NULL;
		}
	}
	if (key == NULL) {
		fprintf(stderr, "midpki: out of memory\n");
		return NULL;
	}
	while (len > 0 && (key[len - 1] == '\n' || key[len - 1] == '\r' || key[len - 1] == ' '))
		key[--len] = '\0';
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)key[i] <= 0x20 || (unsigned char)key[i] >= 0x7f)
			len = 0;
	}
	if (len == 0) {
		fprintf(stderr, "midpki: the API key is empty or holds spaces or control characters\n");
		mp_free_secret_str(key);
		return NULL;
	}
	return key;
}

/*
 * Prints "midpki: <code>: <message> (field <field>)" from an error answer, then
 * one line per entry of a "rejected" list (a refused import).
 */
static void
print_api_error(const cli_http_response *resp, const json_t *doc)
{
	const json_t *e = json_object_get(doc, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	const char *field = json_string_value(json_object_get(e, "field"));
	const json_t *line;
	size_t i;

	if (code == NULL || msg == NULL) {
		fprintf(stderr, "midpki: http_%d: the server answered with status %d\n", resp->status,
		    resp->status);
		return;
	}
	if (field != NULL)
		fprintf(stderr, "midpki: %s: %s (field %s)\n", code, msg, field);
	else
		fprintf(stderr, "midpki: %s: %s\n", code, msg);
	json_array_foreach (json_object_get(doc, "rejected"), i, line) {
		code = json_string_value(json_object_get(line, "code"));
		msg = json_string_value(json_object_get(line, "message"));
		field = json_string_value(json_object_get(line, "field"));
		fprintf(stderr, "line %" JSON_INTEGER_FORMAT ": %s: %s%s%s%s\n",
		    json_integer_value(json_object_get(line, "line")), code != NULL ? code : "?",
		    msg != NULL ? msg : "?", field != NULL ? " (field " : "", field != NULL ? field : "",
		    field != NULL ? ")" : "");
	}
}

/* The answer's body as is, ending with a newline. */
static void
print_body(const cli_http_response *resp)
{
	if (resp->body_len == 0)
		return;
	fwrite(resp->body, 1, resp->body_len, stdout);
	if (resp->body[resp->body_len - 1] != '\n')
		putchar('\n');
}

/* Writes the answer's out_field to out_file (OPT_OUT); returns the exit code. */
static int
write_out(const struct run *run, const json_t *doc)
{
	const json_t *v = json_object_get(doc, run->out_field);
	FILE *f;
	int rc = ADMIN_EXIT_OK;

	if (!json_is_string(v)) {
		fprintf(stderr, "midpki: the answer has no %s: nothing written to %s\n",
		    run->out_field, run->out_file);
		return ADMIN_EXIT_OK;
	}
	if ((f = fopen(run->out_file, "w")) == NULL) {
		fprintf(stderr, "midpki: cannot write %s: %m\n", run->out_file);
		return ADMIN_EXIT_USAGE;
	}
	if (fwrite(json_string_value(v), 1, json_string_length(v), f) != json_string_length(v))
		rc = ADMIN_EXIT_USAGE;
	if (fclose(f) != 0)
		rc = ADMIN_EXIT_USAGE;
	if (rc != ADMIN_EXIT_OK)
		fprintf(stderr, "midpki: cannot write %s: %m\n", run->out_file);
	return rc;
}

/* Wipes the body's copies of a secret file (OPT_SECRET_FILE members). */
static void
wipe_secrets(const struct run *run)
{
	for (const admin_opt *o = run->cmd != NULL ? run->cmd->opts : NULL;
	     o != NULL && o->flag != NULL; o++) {
		json_t *parent, *v;
		char key[64];

		if (o->kind != OPT_SECRET_FILE ||
		    (parent = body_parent(run->body, o->field, key, sizeof(key))) == NULL)
			continue;
		v = json_object_get(parent, key);
		if (json_is_string(v))
			mp_wipe((char *)json_string_value(v), json_string_length(v));
	}
}

/* Shows a successful answer; returns the exit code. */
static int
show_result(const struct run *run, const cli_http_response *resp, const json_t *doc)
{
	const json_t *ok, *next;
	int r = MP_OK;

	if (run->json) {
		print_body(resp);
	} else if (doc != NULL && (run->cmd->flags & ADMIN_LIST) &&
	    json_is_array(json_object_get(doc, "items"))) {
		r = admin_print_table(stdout, json_object_get(doc, "items"), run->cmd->columns);
		next = json_object_get(doc, "next_cursor");
		if (json_is_string(next))
			fprintf(stderr, "more: add --cursor %s\n", json_string_value(next));
	} else if (json_is_object(doc)) {
		r = admin_print_object(stdout, doc);
	}
	if (r != MP_OK) {
		fprintf(stderr, "midpki: out of memory\n");
		return ADMIN_EXIT_API;
	}
	if (run->cmd->flags & ADMIN_CHECK_OK) {
		ok = json_object_get(doc, "ok");
		if (!json_is_true(ok))
			return ADMIN_EXIT_API;
	}
	if (run->out_file != NULL)
		return write_out(run, doc);
	return ADMIN_EXIT_OK;
}

int
cmd_admin(int argc, char **argv)
{
	struct run run = { 0 };
	struct request rq = { 0 };
	admin_progress progress = { .label = NULL, .shown = -1 };
	admin_request req = { 0 };
	cli_url *url = NULL;
	admin_client *client = NULL;
	cli_http_response *resp = NULL;
	json_t *doc = NULL;
	char *key = NULL, err[1024];
	bool help = false;
	int rc = ADMIN_EXIT_USAGE, r;

	if ((run.body = json_object()) == NULL || (run.query = mp_buf_new(MAX_PATH_BYTES)) == NULL ||
	    (rq.path = mp_buf_new(MAX_PATH_BYTES)) == NULL) {
		fprintf(stderr, "midpki: out of memory\n");
		goto out;
	}
	if ((rc = parse_args(&run, argc, argv, &help)) != ADMIN_EXIT_OK)
		goto out;
	if (help) {
		usage(stdout);
		goto out;
	}
	if ((rc = build_request(&run, &rq)) != ADMIN_EXIT_OK)
		goto out;
	rc = ADMIN_EXIT_USAGE;
	if (run.url == NULL && (run.url = getenv("MIDPKI_URL")) == NULL)
		run.url = DEFAULT_URL;
	if (run.cacert == NULL && (run.cacert = getenv("MIDPKI_CACERT")) != NULL &&
	    run.cacert[0] == '\0')
		run.cacert = NULL;
	if (cli_url_parse(run.url, &url) != MP_OK) {
		fprintf(stderr, "midpki: '%s' is not a URL of the form https://HOST[:PORT][/PATH]\n",
		    run.url);
		goto out;
	}
	if ((key = load_key(run.key_file)) == NULL)
		goto out;
	if ((r = admin_client_new(url, run.cacert, key, &client, err, sizeof(err))) != MP_OK) {
		fprintf(stderr, "midpki: %s\n", err);
		rc = r == MP_ERR_CONFIG ? ADMIN_EXIT_USAGE : ADMIN_EXIT_CONNECT;
		goto out;
	}
	req = (admin_request){ .method = run.cmd->method, .path = mp_buf_str(rq.path),
		.content_type = rq.content_type, .body = rq.body, .body_len = rq.body_len };
	if (rq.upload_name != NULL && isatty(STDERR_FILENO)) {
		progress = (admin_progress){ .label = rq.upload_name, .shown = -1 };
		req.progress = admin_progress_draw;
		req.progress_arg = &progress;
	}
	r = admin_client_send(client, &req, &resp, err, sizeof(err));
	if (progress.shown >= 0 && progress.shown < 100)
		fputc('\n', stderr); /* the server answered before the upload ended */
	if (r != MP_OK) {
		fprintf(stderr, "midpki: %s\n", err);
		rc = ADMIN_EXIT_CONNECT;
		goto out;
	}
	if (resp->body_len > 0 && resp->content_type != NULL &&
	    strncasecmp(resp->content_type, "application/json", 16) == 0)
		doc = json_loadb(resp->body, resp->body_len, JSON_REJECT_DUPLICATES, NULL);
	if (resp->status >= 200 && resp->status < 300) {
		rc = show_result(&run, resp, doc);
	} else {
		if (run.json)
			print_body(resp);
		print_api_error(resp, doc);
		rc = resp->status == 401 || resp->status == 403 ? ADMIN_EXIT_AUTH : ADMIN_EXIT_API;
	}
out:
	json_decref(doc);
	cli_http_response_free(resp);
	admin_client_free(client);
	mp_free_secret_str(key);
	cli_url_free(url);
	if (run.secret) {
		wipe_secrets(&run);
		mp_wipe(rq.body, rq.body_len);
	}
	free(rq.body);
	mp_buf_free(rq.path);
	mp_buf_free(run.query);
	json_decref(run.body);
	return rc;
}
