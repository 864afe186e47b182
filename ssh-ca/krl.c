#include "krl.h"

#include <string.h>

#include "err.h"

/* string ca_key, string reserved, then the serial list subsection: byte type, string data. */
static int
cert_section(const sshca_krl_ca *ca, mp_buf *out)
{
	mp_buf *list = mp_buf_new((size_t)8 * ca->n_serials);
	int r = MP_ERR_NOMEM;

	if (list == NULL)
		goto out;
	for (size_t i = 0; i < ca->n_serials; i++) {
		r = MP_ERR_INVALID;
		if (i > 0 && ca->serials[i] <= ca->serials[i - 1])
			goto out;
		if ((r = mp_buf_put_u64(list, ca->serials[i])) != MP_OK)
			goto out;
	}
	if ((r = mp_buf_put_string(out, ca->ca_blob, ca->ca_blob_len)) != MP_OK ||
	    (r = mp_buf_put_string(out, "", 0)) != MP_OK ||
	    (r = mp_buf_put_u8(out, SSHCA_KRL_CERT_SERIAL_LIST)) != MP_OK)
		goto out;
	r = mp_buf_put_string(out, mp_buf_ptr(list), mp_buf_len(list));
out:
	mp_buf_free(list);
	return r;
}

int
sshca_krl_encode(uint64_t version, uint64_t generated, const char *comment,
    const sshca_krl_ca *cas, size_t n, mp_buf *out)
{
	mp_buf *section = mp_buf_new(SIZE_MAX);
	int r = MP_ERR_NOMEM;

	if (section == NULL)
		goto out;
	if ((r = mp_buf_put_u64(out, SSHCA_KRL_MAGIC)) != MP_OK ||
	    (r = mp_buf_put_u32(out, SSHCA_KRL_FORMAT_VERSION)) != MP_OK ||
	    (r = mp_buf_put_u64(out, version)) != MP_OK ||
	    (r = mp_buf_put_u64(out, generated)) != MP_OK ||
	    (r = mp_buf_put_u64(out, 0)) != MP_OK ||
	    (r = mp_buf_put_string(out, "", 0)) != MP_OK ||
	    (r = mp_buf_put_string(out, comment, strlen(comment))) != MP_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (cas[i].n_serials == 0)
			continue;
		mp_buf_reset(section);
		if ((r = cert_section(&cas[i], section)) != MP_OK ||
		    (r = mp_buf_put_u8(out, SSHCA_KRL_SECTION_CERTIFICATES)) != MP_OK ||
		    (r = mp_buf_put_string(out, mp_buf_ptr(section), mp_buf_len(section))) != MP_OK)
			goto out;
	}
	r = MP_OK;
out:
	mp_buf_free(section);
	return r;
}
