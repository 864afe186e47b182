/*
 * The commands of `midpki admin`: one table entry per API call, saying how
 * its positional arguments and options become the path, query and JSON body,
 * and how to show the answer. cli/admin.c runs any entry the same way.
 */
#ifndef CLI_ADMIN_CMDS_H
#define CLI_ADMIN_CMDS_H

#include <stdbool.h>
#include <stddef.h>

#include "admin_output.h"

/* Exit codes of `midpki admin`, documented in its --help and docs/cli.md. */
enum {
	ADMIN_EXIT_OK = 0,
	ADMIN_EXIT_API = 1,     /* the API answered with an error (4xx other than 401/403, 5xx) */
	ADMIN_EXIT_USAGE = 2,   /* bad command line, unreadable file */
	ADMIN_EXIT_CONNECT = 3, /* cannot connect, TLS failure, no valid HTTP answer */
	ADMIN_EXIT_AUTH = 4,    /* 401 or 403 */
};

enum admin_arg_kind {
	ARG_PATH,   /* fills the next "{}" of the path */
	ARG_BODY,   /* a string member of the JSON body */
	ARG_UPLOAD, /* a file sent as the body; its extension picks the content type */
};

/* A positional argument. */
typedef struct admin_arg {
	const char *name;  /* as shown in help, e.g. "USER-ID" */
	enum admin_arg_kind kind;
	const char *field; /* ARG_BODY: the member */
} admin_arg;

enum admin_opt_kind {
	OPT_STRING, /* a string member */
	OPT_LIST,   /* a string appended to an array member; repeatable */
	OPT_INT,    /* a whole-number member */
	OPT_BOOL,   /* a flag that sets a member to true */
	OPT_FILE,   /* a string member holding a file's contents */
	OPT_SECRET_FILE, /* OPT_FILE for a private key: every copy is wiped after the call */
	OPT_JSON_FILE, /* a member holding the JSON value a file contains */
	OPT_QUERY,  /* a query parameter */
	OPT_OUT,    /* not sent: on success, the answer's string member field goes to this file */
};

/* An option of one command; field may be dotted ("attributes.site"). */
typedef struct admin_opt {
	const char *flag;    /* "--name" */
	const char *field;
	enum admin_opt_kind kind;
	const char *metavar; /* as shown in help; NULL for OPT_BOOL */
	bool required;
} admin_opt;

#define ADMIN_LIST 0x1     /* takes --limit and --cursor; shows "items" as a table */
#define ADMIN_CHECK_OK 0x2 /* exits 1 unless the answer's "ok" is true */

typedef struct admin_cmd {
	const char *resource;
	const char *verb;
	const char *method;
	const char *path;             /* below /api/v1; each "{}" takes an ARG_PATH */
	const admin_arg *args;        /* ends with a NULL name; may be NULL */
	const admin_opt *opts;        /* ends with a NULL flag; may be NULL */
	const admin_column *columns;  /* for ADMIN_LIST */
	unsigned flags;
	const char *summary;
} admin_cmd;

extern const admin_cmd admin_cmds[];
extern const size_t admin_cmds_count;

#endif
