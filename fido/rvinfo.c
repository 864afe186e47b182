#include "rvinfo.h"

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
