#include "rvinfo.h"

#include <arpa/inet.h>
#include <string.h>

#include "err.h"

static int
read_instr(fdo_cbor *c, fdo_detail *d)
{
	const uint8_t *v;
	size_t n, vl;
	uint64_t var;

	if (fdo_cbor_array(c, &n) != MP_OK || n < 1 || n > 2 ||
	    fdo_cbor_uint(c, FDO_RV_EXT_RV, &var) != MP_OK)
		return fdo_refuse(d, MP_ERR_INVALID,
		    "rendezvous info: an instruction is not [variable 0..15, value]");
	if (n == 2 && (fdo_cbor_bstr(c, &v, &vl) != MP_OK || !fdo_cbor_is_item(v, vl)))
		return fdo_refuse(d, MP_ERR_INVALID,
		    "rendezvous info: the value of variable %u is not a byte string holding CBOR",
		    (unsigned)var);
	return MP_OK;
}

int
fdo_rvinfo_read(fdo_cbor *c, const uint8_t **start, size_t *len, fdo_detail *d)
{
	fdo_cbor w = *c;
	const uint8_t *s = c->p;
	size_t nd, ni;
	int r;

	if (fdo_cbor_array(&w, &nd) != MP_OK || nd > FDO_RV_MAX_DIRECTIVES)
		return fdo_refuse(d, MP_ERR_INVALID,
		    "rendezvous info: not an array of at most %u directives", FDO_RV_MAX_DIRECTIVES);
	for (size_t i = 0; i < nd; i++) {
		if (fdo_cbor_array(&w, &ni) != MP_OK || ni == 0 || ni > FDO_RV_MAX_INSTRUCTIONS)
			return fdo_refuse(d, MP_ERR_INVALID,
			    "rendezvous info: directive %zu is not an array of 1 to %u instructions", i,
			    FDO_RV_MAX_INSTRUCTIONS);
		for (size_t j = 0; j < ni; j++)
			if ((r = read_instr(&w, d)) != MP_OK)
				return r;
	}
	*start = s;
	*len = c->len - w.len;
	*c = w;
	return MP_OK;
}

/* One instruction [variable, bstr .cbor value] whose value's encoding is in v. */
static int
put_instr(mp_buf *b, unsigned var, const mp_buf *v)
{
	int r;

	if ((r = fdo_put_array(b, 2)) != MP_OK || (r = fdo_put_uint(b, var)) != MP_OK)
		return r;
	return fdo_put_bstr(b, mp_buf_ptr(v), mp_buf_len(v));
}

int
fdo_rvinfo_write(mp_buf *b, const char *host, unsigned port, bool https)
{
	uint8_t ip[16];
	size_t iplen = 0;
	mp_buf *host_v = NULL, *port_v = NULL, *prot_v = NULL;
	int r = MP_ERR_NOMEM;

	if (host == NULL || host[0] == '\0' || port == 0 || port > 65535)
		return MP_ERR_INVALID;
	if (inet_pton(AF_INET, host, ip) == 1)
		iplen = 4;
	else if (inet_pton(AF_INET6, host, ip) == 1)
		iplen = 16;
	if ((host_v = mp_buf_new(strlen(host) + 16)) == NULL || (port_v = mp_buf_new(8)) == NULL ||
	    (prot_v = mp_buf_new(8)) == NULL)
		goto out;
	if ((r = iplen > 0 ? fdo_put_bstr(host_v, ip, iplen) :
	    fdo_put_tstr(host_v, host, strlen(host))) != MP_OK ||
	    (r = fdo_put_uint(port_v, port)) != MP_OK ||
	    (r = fdo_put_uint(prot_v, https ? 2 : 1)) != MP_OK)
		goto out;
	if ((r = fdo_put_array(b, 1)) != MP_OK || (r = fdo_put_array(b, 4)) != MP_OK ||
	    (r = put_instr(b, iplen > 0 ? FDO_RV_IP_ADDRESS : FDO_RV_DNS, host_v)) != MP_OK ||
	    (r = put_instr(b, FDO_RV_DEV_PORT, port_v)) != MP_OK ||
	    (r = put_instr(b, FDO_RV_OWNER_PORT, port_v)) != MP_OK)
		goto out;
	r = put_instr(b, FDO_RV_PROTOCOL, prot_v);
out:
	mp_buf_free(host_v);
	mp_buf_free(port_v);
	mp_buf_free(prot_v);
	return r;
}

/* One directive at c into host, port and https; whether the device may use it. */
static bool
device_directive(fdo_cbor *c, char host[FDO_RV_HOST_MAX], unsigned *port, bool *https)
{
	bool usable = true, dev_port = false;
	size_t ni, n, vl;
	const uint8_t *v, *b;
	const char *t;
	uint64_t var, u;
	fdo_cbor vc;

	host[0] = '\0';
	*https = false;
	if (fdo_cbor_array(c, &ni) != MP_OK)
		return false;
	for (size_t j = 0; j < ni; j++) {
		if (fdo_cbor_array(c, &n) != MP_OK || fdo_cbor_uint(c, FDO_RV_EXT_RV, &var) != MP_OK)
			return false;
		if (n == 1) {
			usable = usable && var != FDO_RV_OWNER_ONLY;
			continue;
		}
		if (fdo_cbor_bstr(c, &v, &vl) != MP_OK)
			return false;
		fdo_cbor_init(&vc, v, vl);
		if (var == FDO_RV_DNS && fdo_cbor_tstr(&vc, &t, &n) == MP_OK && n > 0 &&
		    n < FDO_RV_HOST_MAX && memchr(t, '\0', n) == NULL) {
			memcpy(host, t, n);
			host[n] = '\0';
		} else if (var == FDO_RV_IP_ADDRESS && host[0] == '\0' &&
		    fdo_cbor_bstr(&vc, &b, &n) == MP_OK && (n == 4 || n == 16)) {
			if (inet_ntop(n == 4 ? AF_INET : AF_INET6, b, host, FDO_RV_HOST_MAX) == NULL)
				host[0] = '\0';
		} else if (var == FDO_RV_DEV_PORT && fdo_cbor_uint(&vc, 65535, &u) == MP_OK && u > 0) {
			*port = (unsigned)u;
			dev_port = true;
		} else if (var == FDO_RV_PROTOCOL && fdo_cbor_uint(&vc, UINT8_MAX, &u) == MP_OK) {
			usable = usable && u <= 2;
			*https = u == 2;
		}
	}
	if (!dev_port)
		*port = *https ? 443 : 80;
	return usable && host[0] != '\0';
}

int
fdo_rvinfo_device_addr(const uint8_t *p, size_t n, char host[FDO_RV_HOST_MAX],
    unsigned *port, bool *https, fdo_detail *d)
{
	const uint8_t *s;
	size_t nd, len;
	fdo_cbor c, w;
	int r;

	fdo_cbor_init(&c, p, n);
	w = c;
	if ((r = fdo_rvinfo_read(&w, &s, &len, d)) != MP_OK)
		return r;
	if (fdo_cbor_array(&c, &nd) != MP_OK)
		return fdo_refuse(d, MP_ERR_INVALID, "rendezvous info: not an array");
	for (size_t i = 0; i < nd; i++)
		if (device_directive(&c, host, port, https))
			return MP_OK;
	return fdo_refuse(d, MP_ERR_NOT_FOUND, "rendezvous info: no directive names a rendezvous"
	    " server the device can reach (RVDns or RVIPAddress, over http or https)");
}
