/*
 * Bounded big-endian reader and writer over a byte buffer (TPM 2.0 Part 1 §18 / Part 2 §4:
 * all integers are big-endian, TPM2B is a UINT16 size followed by that many bytes).
 *
 * Reader contract: every read checks the bytes that remain; the first failure is sticky
 * (r->rc records the TPM_RC base code: TPM_RC_INSUFFICIENT when input runs out,
 * TPM_RC_SIZE when a TPM2B exceeds its maximum, or whatever a typed unmarshal function
 * recorded) and every later read returns 0 / NULL without touching the buffer. Reads never go
 * beyond len. Callers compose the parameter/handle/session number with rc.h.
 *
 * Writer contract: writes beyond cap set the sticky overflow flag and write nothing.
 *
 * Typed unmarshal functions for TPM structures live in vtpm/types.h; they record their
 * Part 2 code in r->rc the same way.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mr {
	const uint8_t *p;
	size_t len;
	size_t off;
	uint32_t rc; /* TPM_RC_SUCCESS until the first failure */
};

struct mw {
	uint8_t *p;
	size_t cap;
	size_t off;
	bool overflow;
};

void mr_init(struct mr *r, const uint8_t *p, size_t len);
/* Bytes left to read (0 after an error). */
size_t mr_remaining(const struct mr *r);
/* Records rc as the reader's failure unless one is already recorded; returns r->rc. */
uint32_t mr_fail(struct mr *r, uint32_t rc);
uint8_t mr_u8(struct mr *r);
uint16_t mr_u16(struct mr *r);
uint32_t mr_u32(struct mr *r);
uint64_t mr_u64(struct mr *r);
/* Returns a pointer to the next n bytes and consumes them, or NULL (error recorded). */
const uint8_t *mr_bytes(struct mr *r, size_t n);
/* A TPM2B with at most max bytes: *data (may be NULL for size 0) and the size. */
uint16_t mr_tpm2b(struct mr *r, size_t max, const uint8_t **data);

void mw_init(struct mw *w, uint8_t *p, size_t cap);
void mw_u8(struct mw *w, uint8_t v);
void mw_u16(struct mw *w, uint16_t v);
void mw_u32(struct mw *w, uint32_t v);
void mw_u64(struct mw *w, uint64_t v);
void mw_bytes(struct mw *w, const void *data, size_t n);
void mw_tpm2b(struct mw *w, const void *data, uint16_t n);
/* Overwrites a u32 written earlier at offset at (for size fields). */
void mw_patch_u32(struct mw *w, size_t at, uint32_t v);

/* Big-endian helpers for already-bounded memory. */
static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
