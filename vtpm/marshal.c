/* Bounded big-endian reader/writer: see marshal.h. */
#include "vtpm/marshal.h"

#include "kernel/string.h"
#include "vtpm/rc.h"

void mr_init(struct mr *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->rc = TPM_RC_SUCCESS;
}

size_t mr_remaining(const struct mr *r)
{
	return r->rc != TPM_RC_SUCCESS ? 0 : r->len - r->off;
}

uint32_t mr_fail(struct mr *r, uint32_t rc)
{
	if (r->rc == TPM_RC_SUCCESS) {
		r->rc = rc;
	}
	return r->rc;
}

const uint8_t *mr_bytes(struct mr *r, size_t n)
{
	const uint8_t *p;

	if (r->rc != TPM_RC_SUCCESS) {
		return NULL;
	}
	if (n > r->len - r->off) {
		mr_fail(r, TPM_RC_INSUFFICIENT);
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

uint8_t mr_u8(struct mr *r)
{
	const uint8_t *p = mr_bytes(r, 1);

	return p != NULL ? p[0] : 0;
}

uint16_t mr_u16(struct mr *r)
{
	const uint8_t *p = mr_bytes(r, 2);

	return p != NULL ? be16(p) : 0;
}

uint32_t mr_u32(struct mr *r)
{
	const uint8_t *p = mr_bytes(r, 4);

	return p != NULL ? be32(p) : 0;
}

uint64_t mr_u64(struct mr *r)
{
	const uint8_t *p = mr_bytes(r, 8);

	return p != NULL ? (uint64_t)be32(p) << 32 | be32(p + 4) : 0;
}

uint16_t mr_tpm2b(struct mr *r, size_t max, const uint8_t **data)
{
	uint16_t size = mr_u16(r);

	*data = NULL;
	if (r->rc != TPM_RC_SUCCESS) {
		return 0;
	}
	/* Part 2, TPM2B types: a size larger than the buffer's maximum is TPM_RC_SIZE, checked before
	 * the bytes are looked at. */
	if (size > max) {
		mr_fail(r, TPM_RC_SIZE);
		return 0;
	}
	*data = mr_bytes(r, size);
	return *data != NULL ? size : 0;
}

void mw_init(struct mw *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = cap;
	w->off = 0;
	w->overflow = false;
}

void mw_bytes(struct mw *w, const void *data, size_t n)
{
	if (w->overflow || n > w->cap - w->off) {
		w->overflow = true;
		return;
	}
	if (n != 0) {
		bastion_memcpy(w->p + w->off, data, n);
	}
	w->off += n;
}

void mw_u8(struct mw *w, uint8_t v)
{
	mw_bytes(w, &v, 1);
}

void mw_u16(struct mw *w, uint16_t v)
{
	uint8_t b[2];

	put_be16(b, v);
	mw_bytes(w, b, 2);
}

void mw_u32(struct mw *w, uint32_t v)
{
	uint8_t b[4];

	put_be32(b, v);
	mw_bytes(w, b, 4);
}

void mw_u64(struct mw *w, uint64_t v)
{
	mw_u32(w, (uint32_t)(v >> 32));
	mw_u32(w, (uint32_t)v);
}

void mw_tpm2b(struct mw *w, const void *data, uint16_t n)
{
	mw_u16(w, n);
	mw_bytes(w, data, n);
}

void mw_patch_u32(struct mw *w, size_t at, uint32_t v)
{
	if (!w->overflow && at + 4 <= w->off) {
		put_be32(w->p + at, v);
	}
}
