/*
 * The device side of FDO onboarding for `midpki fdo device onboard`: TO1
 * (messages 30 to 33) with the rendezvous server, TO2 (60 to 71) with the
 * owner, and the new credential written in place of the old one. The test
 * device (tests/integration/fdo_device.c) runs the same code with a fault.
 */
#ifndef CLI_FDO_ONBOARD_H
#define CLI_FDO_ONBOARD_H

#include <stdbool.h>
#include <stddef.h>

#include "fdo_device.h"
#include "rv_msg.h"

/* A fault the test device injects; CLI_FDO_FAULT_NONE for a device. */
typedef enum cli_fdo_fault {
	CLI_FDO_FAULT_NONE,
	CLI_FDO_FAULT_KEY,       /* TO1.ProveToRV or TO2.ProveDevice signed by another key */
	CLI_FDO_FAULT_GUID,      /* another GUID in TO1's EAT or in TO2.HelloDevice */
	CLI_FDO_FAULT_REPLAY,    /* the last message (TO1.ProveToRV, TO2.Done) sent twice */
	CLI_FDO_FAULT_CIPHER,    /* cipher suite 32 in TO2.HelloDevice */
	CLI_FDO_FAULT_ENTRY,     /* TO2.GetOVNextEntry of an entry past the last */
	CLI_FDO_FAULT_NODEVMOD,  /* no devmod ServiceInfo */
} cli_fdo_fault;

/* What TO2 gave: the owner's `midpki` ServiceInfo (text values, or NULL) and the new GUID. */
typedef struct cli_fdo_onboarding {
	bool proved;             /* the owner proved the voucher */
	size_t entries;          /* its entries */
	char *est_url, *trust_anchor, *serial, *token;
	char guid[37];           /* "" until the credential is replaced */
} cli_fdo_onboarding;

/* Frees o's strings (the token wiped). */
void cli_fdo_onboarding_clear(cli_fdo_onboarding *o);

/* The rendezvous server of the credential's RendezvousInfo as http://host:port. */
int cli_fdo_rv_url(const cli_fdo_cred *cr, char *url, size_t n, char *err, size_t errsz);

/*
 * TO1 with the rendezvous server at url: the owner's addresses into out.
 * MP_ERR_DENIED when the server refused (err holds its FDO error),
 * MP_ERR_INVALID for an answer we refuse, other errors; err says why.
 */
int cli_fdo_to1(const char *url, const cli_fdo_cred *cr, cli_fdo_fault fault, fdo_to1d *out,
    char *err, size_t errsz);

/* The first of the owner's addresses the device can reach (http) as http://host:port. */
int cli_fdo_owner_url(const fdo_to1d *p, char *url, size_t n, char *err, size_t errsz);

/*
 * TO2 with the owner at url with key exchange kex (A128GCM): the owner's
 * proof of the voucher, verified with the credential's HMAC secret; when
 * onboard, the rest: device attestation, ServiceInfo, and the new
 * credential written atomically in place of credfile (out->guid set then).
 * Errors as cli_fdo_to1.
 */
int cli_fdo_to2(const char *url, const char *credfile, const cli_fdo_cred *cr, const char *kex,
    bool onboard, cli_fdo_fault fault, cli_fdo_onboarding *out, char *err, size_t errsz);

#endif
