/*
 * SHA-1 (FIPS 180-4 §6.1), portable C.
 *
 * Kept for the TPM's SHA-1 PCR bank and HMAC-SHA1 compatibility; not for new signatures.
 * Fixed control flow, 32-bit arithmetic only: time depends only on the number of blocks.
 */
#include "crypto/hash.h"

#include "kernel/string.h"

static inline uint32_t rol32(uint32_t x, unsigned int n)
{
	return (x << n) | (x >> (32 - n));
}

static inline uint32_t load_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
	       (uint32_t)p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* §6.1.2 with the message schedule in a 16-word ring (the §6.1.3 alternate method). */
static void sha1_blocks(uint32_t hs[5], const uint8_t *p, size_t nblocks)
{
	uint32_t w[16];

	while (nblocks-- > 0) {
		uint32_t a = hs[0], b = hs[1], c = hs[2], d = hs[3], e = hs[4];

		for (unsigned int i = 0; i < 16; i++) {
			w[i] = load_be32(p + 4 * i);
		}
		for (unsigned int t = 0; t < 80; t++) {
			uint32_t f, k, wt;

			if (t >= 16) {
				w[t & 15] = rol32(w[(t - 3) & 15] ^ w[(t - 8) & 15] ^
							  w[(t - 14) & 15] ^ w[t & 15],
						  1);
			}
			wt = w[t & 15];
			/* §4.1.1 f_t and §4.2.1 K_t: the branch is on the round number only. */
			if (t < 20) {
				f = d ^ (b & (c ^ d));
				k = 0x5a827999u;
			} else if (t < 40) {
				f = b ^ c ^ d;
				k = 0x6ed9eba1u;
			} else if (t < 60) {
				f = (b & c) | (d & (b | c));
				k = 0x8f1bbcdcu;
			} else {
				f = b ^ c ^ d;
				k = 0xca62c1d6u;
			}
			uint32_t tmp = rol32(a, 5) + f + e + k + wt;
			e = d;
			d = c;
			c = rol32(b, 30);
			b = a;
			a = tmp;
		}
		hs[0] += a;
		hs[1] += b;
		hs[2] += c;
		hs[3] += d;
		hs[4] += e;
		p += 64;
	}
	mem_wipe(w, sizeof(w));
}

void sha1_init(struct sha1_state *s)
{
	/* §5.3.1 */
	s->h[0] = 0x67452301u;
	s->h[1] = 0xefcdab89u;
	s->h[2] = 0x98badcfeu;
	s->h[3] = 0x10325476u;
	s->h[4] = 0xc3d2e1f0u;
	s->length = 0;
	s->buf_len = 0;
	bastion_memset(s->buf, 0, sizeof(s->buf));
}

void sha1_update(struct sha1_state *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	/* An empty update (data may be NULL) changes nothing; returning keeps the pointer
	 * arithmetic below off NULL (NULL + 0 is undefined in C; clang's UBSan flags it). */
	if (len == 0) {
		return;
	}
	s->length += len;
	if (s->buf_len > 0) {
		size_t take = 64 - s->buf_len;

		if (take > len) {
			take = len;
		}
		bastion_memcpy(s->buf + s->buf_len, p, take);
		s->buf_len += (uint32_t)take;
		p += take;
		len -= take;
		if (s->buf_len < 64) {
			return;
		}
		sha1_blocks(s->h, s->buf, 1);
		s->buf_len = 0;
	}
	if (len >= 64) {
		sha1_blocks(s->h, p, len / 64);
		p += len & ~(size_t)63;
		len &= 63;
	}
	if (len > 0) {
		bastion_memcpy(s->buf, p, len);
		s->buf_len = (uint32_t)len;
	}
}

void sha1_final(struct sha1_state *s, uint8_t out[20])
{
	/* §5.1.1 padding, as for SHA-256. */
	uint64_t bits = s->length << 3;
	uint32_t n = s->buf_len;

	s->buf[n++] = 0x80;
	if (n > 56) {
		bastion_memset(s->buf + n, 0, 64 - n);
		sha1_blocks(s->h, s->buf, 1);
		n = 0;
	}
	bastion_memset(s->buf + n, 0, 56 - n);
	for (unsigned int i = 0; i < 8; i++) {
		s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	}
	sha1_blocks(s->h, s->buf, 1);
	for (unsigned int i = 0; i < 5; i++) {
		store_be32(out + 4 * i, s->h[i]);
	}
	mem_wipe(s, sizeof(*s));
}
