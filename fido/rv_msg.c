#include "rv_msg.h"

#include <string.h>

#include "err.h"

/* EAT claim labels and the UEID type of a GUID. */
#define EAT_NONCE 10
#define EAT_UEID 256
#define EAT_FDO (-257)
#define EAT_UEID_RAND 0x01
#define EAT_MAX_CLAIMS 16

/* [RVIP / null, RVDNS / null, RVPort, RVProtocol] */
static int
addr_read(fdo_cbor *c, fdo_rv_addr *a, fdo_detail *d)
{
	const uint8_t *ip;
	const char *dns;
	uint64_t port, prot;
	size_t n;

	memset(a, 0, sizeof(*a));
	if (fdo_cbor_array_n(c, 4) != MP_OK)
		return fdo_refuse(d, MP_ERR_INVALID, "RVTO2AddrEntry: not [RVIP, RVDNS, RVPort, RVProtocol]");
	if (!fdo_cbor_null(c)) {
		if (fdo_cbor_bstr(c, &ip, &n) != MP_OK || (n != 4 && n != 16))
			return fdo_refuse(d, MP_ERR_INVALID, "RVTO2AddrEntry: RVIP is not an IP address");
		memcpy(a->ip, ip, n);
		a->ip_len = n;
	}
	if (!fdo_cbor_null(c)) {
		if (fdo_cbor_tstr(c, &dns, &n) != MP_OK || n == 0 || n > FDO_DNS_MAX ||
		    memchr(dns, 0, n) != NULL)
			return fdo_refuse(d, MP_ERR_INVALID, "RVTO2AddrEntry: RVDNS is not a DNS name");
		memcpy(a->dns, dns, n);
		a->dns[n] = '\0';
	}
	if (a->ip_len == 0 && a->dns[0] == '\0')
		return fdo_refuse(d, MP_ERR_INVALID, "RVTO2AddrEntry: neither RVIP nor RVDNS");
	if (fdo_cbor_uint(c, UINT16_MAX, &port) != MP_OK || port == 0)
		return fdo_refuse(d, MP_ERR_INVALID, "RVTO2AddrEntry: RVPort is not a port");
	if (fdo_cbor_uint(c, FDO_PROT_COAPS, &prot) != MP_OK || prot < FDO_PROT_TCP)
		return fdo_refuse(d, MP_ERR_INVALID, "RVTO2AddrEntry: RVProtocol is not 1 to 6");
	a->port = (unsigned)port;
	a->protocol = (unsigned)prot;
	return MP_OK;
}

int
fdo_to1d_decode(fdo_cbor *c, fdo_sign1 *s, fdo_to1d *p, fdo_detail *d)
{
	fdo_cbor pc;
	size_t n;
	int r;

	if ((r = fdo_sign1_decode(c, s, d)) != MP_OK)
		return fdo_refuse_in(d, r, "To1d");
	memset(p, 0, sizeof(*p));
	fdo_cbor_init(&pc, s->payload, s->payload_len);
	if (fdo_cbor_array_n(&pc, 2) != MP_OK || fdo_cbor_array(&pc, &n) != MP_OK || n == 0 ||
	    n > FDO_RV_MAX_ADDRS)
		return fdo_refuse(d, MP_ERR_INVALID,
		    "To1d: the payload is not [RVTO2Addr of 1 to %d entries, Hash]", FDO_RV_MAX_ADDRS);
	for (size_t i = 0; i < n; i++)
		if ((r = addr_read(&pc, &p->addrs[i], d)) != MP_OK)
			return fdo_refuse_in(d, r, "To1d");
	p->naddrs = n;
	if (fdo_hash_decode(&pc, false, &p->to0d_hash) != MP_OK || !fdo_cbor_empty(&pc))
		return fdo_refuse(d, MP_ERR_INVALID, "To1d: to1dTo0dHash is not a SHA-256 or SHA-384 Hash");
	return MP_OK;
}

int
fdo_to1d_payload_write(mp_buf *b, const fdo_rv_addr *addrs, size_t n, const fdo_hash *h)
{
	int r;

	if ((r = fdo_put_array(b, 2)) != MP_OK || (r = fdo_put_array(b, n)) != MP_OK)
		return r;
	for (size_t i = 0; i < n; i++) {
		const fdo_rv_addr *a = &addrs[i];

		if ((r = fdo_put_array(b, 4)) != MP_OK ||
		    (r = a->ip_len > 0 ? fdo_put_bstr(b, a->ip, a->ip_len) : fdo_put_null(b)) != MP_OK ||
		    (r = a->dns[0] != '\0' ? fdo_put_tstr(b, a->dns, strlen(a->dns)) :
		                             fdo_put_null(b)) != MP_OK ||
		    (r = fdo_put_uint(b, a->port)) != MP_OK || (r = fdo_put_uint(b, a->protocol)) != MP_OK)
			return r;
	}
	return fdo_hash_encode(b, h);
}

int
fdo_to0_owner_sign_decode(const uint8_t *body, size_t len, fdo_to0_owner_sign *m,
    fdo_detail *d)
{
	fdo_cbor c, in;
	uint64_t wait;
	size_t n;
	int r;

	memset(m, 0, sizeof(*m));
	fdo_cbor_init(&c, body, len);
	if (fdo_cbor_array_n(&c, 2) != MP_OK || fdo_cbor_bstr(&c, &m->to0d, &m->to0d_len) != MP_OK)
		return fdo_refuse(d, MP_ERR_INVALID, "TO0.OwnerSign is not [bstr To0d, To1d]");
	fdo_cbor_init(&in, m->to0d, m->to0d_len);
	if (fdo_cbor_array_n(&in, 3) != MP_OK || fdo_cbor_peek(&in) != FDO_CBOR_ARRAY ||
	    fdo_cbor_skip(&in, &m->voucher, &m->voucher_len) != MP_OK ||
	    fdo_cbor_uint(&in, UINT32_MAX, &wait) != MP_OK ||
	    fdo_cbor_bstr(&in, &m->nonce, &n) != MP_OK || n != FDO_NONCE_LEN || !fdo_cbor_empty(&in))
		return fdo_refuse(d, MP_ERR_INVALID,
		    "To0d is not [OwnershipVoucher, WaitSeconds, NonceTO0Sign (16 bytes)]");
	m->wait_seconds = (uint32_t)wait;
	m->to1d = c.p;
	if ((r = fdo_to1d_decode(&c, &m->to1d_sign1, &m->to1d_payload, d)) != MP_OK)
		return r;
	m->to1d_len = (size_t)(c.p - m->to1d);
	if (!fdo_cbor_empty(&c))
		return fdo_refuse(d, MP_ERR_INVALID, "TO0.OwnerSign: bytes after To1d");
	return MP_OK;
}

int
fdo_to1_hello_decode(const uint8_t *body, size_t len, uint8_t guid[FDO_GUID_LEN],
    int64_t *sg_type, fdo_detail *d)
{
	const uint8_t *g, *info;
	size_t gl, il;
	fdo_cbor c;

	fdo_cbor_init(&c, body, len);
	if (fdo_cbor_array_n(&c, 2) != MP_OK || fdo_cbor_bstr(&c, &g, &gl) != MP_OK ||
	    gl != FDO_GUID_LEN)
		return fdo_refuse(d, MP_ERR_INVALID, "TO1.HelloRV is not [Guid (16 bytes), eASigInfo]");
	if (fdo_cbor_array_n(&c, 2) != MP_OK || fdo_cbor_int(&c, sg_type) != MP_OK ||
	    fdo_cbor_bstr(&c, &info, &il) != MP_OK || !fdo_cbor_empty(&c))
		return fdo_refuse(d, MP_ERR_INVALID, "TO1.HelloRV: eASigInfo is not [sgType, Info]");
	memcpy(guid, g, FDO_GUID_LEN);
	return MP_OK;
}

int
fdo_eat_decode(const uint8_t *p, size_t n, fdo_eat *out, fdo_detail *d)
{
	const uint8_t *v, *ueid = NULL, *no = NULL, *fdo = NULL;
	size_t items, vl, fdo_len = 0;
	int64_t label;
	fdo_cbor c;

	fdo_cbor_init(&c, p, n);
	if (fdo_cbor_map(&c, &items) != MP_OK || items > EAT_MAX_CLAIMS)
		return fdo_refuse(d, MP_ERR_INVALID, "EAT: the payload is not a map of at most %d claims",
		    EAT_MAX_CLAIMS);
	for (size_t i = 0; i < items; i++) {
		if (fdo_cbor_int(&c, &label) != MP_OK)
			return fdo_refuse(d, MP_ERR_INVALID, "EAT: a claim label is not an integer");
		if (label == EAT_FDO && fdo == NULL) {
			if (fdo_cbor_skip(&c, &fdo, &fdo_len) != MP_OK)
				return fdo_refuse(d, MP_ERR_INVALID, "EAT: the EAT-FDO claim is malformed");
			continue;
		}
		if (label != EAT_NONCE && label != EAT_UEID) {
			if (fdo_cbor_skip(&c, NULL, NULL) != MP_OK)
				return fdo_refuse(d, MP_ERR_INVALID, "EAT: claim %lld is malformed",
				    (long long)label);
			continue;
		}
		if ((label == EAT_NONCE ? no : ueid) != NULL || fdo_cbor_bstr(&c, &v, &vl) != MP_OK)
			return fdo_refuse(d, MP_ERR_INVALID, "EAT: claim %lld twice or not a byte string",
			    (long long)label);
		if (label == EAT_NONCE && vl != FDO_NONCE_LEN)
			return fdo_refuse(d, MP_ERR_INVALID, "EAT: the nonce is not 16 bytes");
		if (label == EAT_UEID && (vl != 1 + FDO_GUID_LEN || v[0] != EAT_UEID_RAND))
			return fdo_refuse(d, MP_ERR_INVALID, "EAT: the UEID is not 0x01 and a GUID");
		if (label == EAT_NONCE)
			no = v;
		else
			ueid = v;
	}
	if (!fdo_cbor_empty(&c) || no == NULL || ueid == NULL)
		return fdo_refuse(d, MP_ERR_INVALID, "EAT: no nonce or no UEID claim");
	out->nonce = no;
	memcpy(out->guid, ueid + 1, FDO_GUID_LEN);
	out->fdo = fdo;
	out->fdo_len = fdo_len;
	return MP_OK;
}

int
fdo_eat_write(mp_buf *b, const uint8_t nonce[FDO_NONCE_LEN], const uint8_t guid[FDO_GUID_LEN],
    const uint8_t *fdo, size_t fdo_len)
{
	uint8_t ueid[1 + FDO_GUID_LEN];
	int r;

	ueid[0] = EAT_UEID_RAND;
	memcpy(ueid + 1, guid, FDO_GUID_LEN);
	if ((r = fdo_put_map(b, fdo != NULL ? 3 : 2)) != MP_OK ||
	    (r = fdo_put_uint(b, EAT_NONCE)) != MP_OK ||
	    (r = fdo_put_bstr(b, nonce, FDO_NONCE_LEN)) != MP_OK ||
	    (r = fdo_put_uint(b, EAT_UEID)) != MP_OK || (r = fdo_put_bstr(b, ueid, sizeof(ueid))) != MP_OK)
		return r;
	if (fdo == NULL)
		return MP_OK;
	if ((r = fdo_put_int(b, EAT_FDO)) != MP_OK)
		return r;
	return mp_buf_put(b, fdo, fdo_len);
}
