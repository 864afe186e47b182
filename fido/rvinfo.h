/*
 * FDO RendezvousInfo: [+ [+ RendezvousInstr]], each instruction
 * [RVVariable] (a flag) or [RVVariable, RVValue] with RVValue a byte string
 * holding one CBOR item (FDO 1.1; bare values, as some FDO 1.0 tools wrote,
 * are refused).
 */
#ifndef FDO_RVINFO_H
#define FDO_RVINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cbor.h"
#include "reason.h"

enum fdo_rv_var {
	FDO_RV_DEV_ONLY = 0,
	FDO_RV_OWNER_ONLY = 1,
	FDO_RV_IP_ADDRESS = 2,
	FDO_RV_DEV_PORT = 3,
	FDO_RV_OWNER_PORT = 4,
	FDO_RV_DNS = 5,
	FDO_RV_SV_CERT_HASH = 6,
	FDO_RV_CL_CERT_HASH = 7,
	FDO_RV_USER_INPUT = 8,
	FDO_RV_WIFI_SSID = 9,
	FDO_RV_WIFI_PW = 10,
	FDO_RV_MEDIUM = 11,
	FDO_RV_PROTOCOL = 12,
	FDO_RV_DELAYSEC = 13,
	FDO_RV_BYPASS = 14,
	FDO_RV_EXT_RV = 15,
};

#define FDO_RV_MAX_DIRECTIVES 16
#define FDO_RV_MAX_INSTRUCTIONS 32

/*
 * Reads a RendezvousInfo and gives its encoding (start, len). MP_ERR_INVALID,
 * with d saying what, when it is not of that shape.
 */
int fdo_rvinfo_read(fdo_cbor *c, const uint8_t **start, size_t *len, fdo_detail *d);

/*
 * Writes a RendezvousInfo of one directive: host as RVIPAddress (an IPv4 or
 * IPv6 address) or RVDns, port as RVDevPort and RVOwnerPort, and RVProtocol
 * (http 1, https 2). MP_ERR_INVALID for an empty host or port 0.
 */
int fdo_rvinfo_write(mp_buf *b, const char *host, unsigned port, bool https);

#define FDO_RV_HOST_MAX 254

/*
 * The rendezvous server a device contacts, from the RendezvousInfo p (n
 * bytes): the first directive that is not RVOwnerOnly and names RVDns or
 * RVIPAddress, its RVDevPort (default 80, 443 for https) and whether its
 * RVProtocol is https (2; rest 0 and http 1 are plain HTTP, other protocols
 * skip the directive). host gets the DNS name or the address as text.
 * MP_ERR_NOT_FOUND, with d saying so, when no directive is such.
 */
int fdo_rvinfo_device_addr(const uint8_t *p, size_t n, char host[FDO_RV_HOST_MAX],
    unsigned *port, bool *https, fdo_detail *d);

#endif
