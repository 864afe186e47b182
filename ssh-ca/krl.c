#include "krl.h"

#include <string.h>

#include "err.h"

/* byte type, string data: one subsection of a certificates section. */
static int
put_subsection(mp_buf *out, uint8_t type, const mp_buf *data)
{
	int r;

	if ((r = mp_buf_put_u8(out, type)) != MP_OK)
		return r;
	return mp_buf_put_string(out, mp_buf_ptr(data), mp_buf_len(data));
}

/* string ca_key, string reserved, then the serial list and the key id list subsections. */
static int
cert_section(const sshca_krl_ca *ca, mp_buf *out)
{
	mp_buf *list = mp_buf_new(SIZE_MAX);
	int r = MP_ERR_NOMEM;

	if (list == NULL)
		goto out;
	if ((r = mp_buf_put_string(out, ca->ca_blob, ca->ca_blob_len)) != MP_OK ||
	    (r = mp_buf_put_string(out, "", 0)) != MP_OK)
		goto out;
	for (size_t i = 0; i < ca->n_serials; i++) {
		r = MP_ERR_INVALID;
		if (i > 0 && ca->serials[i] <= ca->serials[i - 1])
			goto out;
		if ((r = mp_buf_put_u64(list, ca->serials[i])) != MP_OK)
			goto out;
	}
	if (ca->n_serials > 0 &&
	    (r = put_subsection(out, SSHCA_KRL_CERT_SERIAL_LIST, list)) != MP_OK)
		goto out;
	mp_buf_reset(list);
	for (size_t i = 0; i < ca->n_key_ids; i++)
		if ((r = mp_buf_put_string(list, ca->key_ids[i], strlen(ca->key_ids[i]))) != MP_OK)
			goto out;
	if (ca->n_key_ids > 0 && (r = put_subsection(out, SSHCA_KRL_CERT_KEY_ID, list)) != MP_OK)
		goto out;
	r = MP_OK;
out:
	mp_buf_free(list);
	return r;
}

int
sshca_krl_encode(const sshca_krl_in *in, mp_buf *out)
{
	mp_buf *section = mp_buf_new(SIZE_MAX);
	int r = MP_ERR_NOMEM;

	if (section == NULL)
		goto out;
	if ((r = mp_buf_put_u64(out, SSHCA_KRL_MAGIC)) != MP_OK ||
	    (r = mp_buf_put_u32(out, SSHCA_KRL_FORMAT_VERSION)) != MP_OK ||
	    (r = mp_buf_put_u64(out, in->version)) != MP_OK ||
	    (r = mp_buf_put_u64(out, in->generated)) != MP_OK ||
	    (r = mp_buf_put_u64(out, 0)) != MP_OK ||
	    (r = mp_buf_put_string(out, "", 0)) != MP_OK ||
	    (r = mp_buf_put_string(out, in->comment, strlen(in->comment))) != MP_OK)
		goto out;
	for (size_t i = 0; i < in->n_cas; i++) {
		if (in->cas[i].n_serials == 0 && in->cas[i].n_key_ids == 0)
			continue;
		mp_buf_reset(section);
		if ((r = cert_section(&in->cas[i], section)) != MP_OK ||
		    (r = put_subsection(out, SSHCA_KRL_SECTION_CERTIFICATES, section)) != MP_OK)
			goto out;
	}
	if (in->n_keys > 0) {
		mp_buf_reset(section);
		for (size_t i = 0; i < in->n_keys; i++)
			if ((r = mp_buf_put_string(section, in->keys[i].blob, in->keys[i].len)) != MP_OK)
				goto out;
		if ((r = put_subsection(out, SSHCA_KRL_SECTION_EXPLICIT_KEY, section)) != MP_OK)
			goto out;
	}
	r = MP_OK;
out:
	mp_buf_free(section);
	return r;
}
