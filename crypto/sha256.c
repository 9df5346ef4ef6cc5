/*
 * SHA-256 (FIPS 180-4 §6.2), portable C.
 *
 * The compression function is written with the 64 rounds unrolled eight at a time and the
 * message schedule (§6.2.2 step 1) computed in a 16-word ring, so the working variables stay
 * in registers and no W[64] array is needed. Everything is 32-bit arithmetic on the data with
 * fixed control flow: time depends only on the number of blocks (the message may be secret).
 */
#include "crypto/hash.h"

#include "kernel/string.h"

/* FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes. */
static const uint32_t sha256_k[64] = {
	0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u,
	0x923f82a4u, 0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u,
	0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u,
	0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
	0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u,
	0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u,
	0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
	0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
	0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au,
	0x5b9cca4fu, 0x682e6ff3u, 0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
	0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

static inline uint32_t ror32(uint32_t x, unsigned int n)
{
	return (x >> n) | (x << (32 - n));
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

/* §4.1.2 functions. Ch and Maj are written in the forms with one fewer operation. */
#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))
#define BSIG0(x) (ror32((x), 2) ^ ror32((x), 13) ^ ror32((x), 22))
#define BSIG1(x) (ror32((x), 6) ^ ror32((x), 11) ^ ror32((x), 25))
#define SSIG0(x) (ror32((x), 7) ^ ror32((x), 18) ^ ((x) >> 3))
#define SSIG1(x) (ror32((x), 17) ^ ror32((x), 19) ^ ((x) >> 10))

/* W[t] for t >= 16, kept in a ring of 16: W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16]. */
#define SCHED(i)                                                                         \
	(w[(i) & 15] += SSIG1(w[((i) - 2) & 15]) + w[((i) - 7) & 15] + SSIG0(w[((i) - 15) & 15]))

/* One round; the caller rotates the roles of a..h instead of moving the values. */
#define ROUND(a, b, c, d, e, f, g, h, k, wv)                                             \
	do {                                                                             \
		uint32_t t1_ = (h) + BSIG1(e) + CH(e, f, g) + (k) + (wv);                 \
		(d) += t1_;                                                              \
		(h) = t1_ + BSIG0(a) + MAJ(a, b, c);                                     \
	} while (0)

#define ROUNDS8_FIRST(j)                                                                 \
	do {                                                                             \
		ROUND(a, b, c, d, e, f, g, h, sha256_k[(j) + 0], w[(j) + 0]);            \
		ROUND(h, a, b, c, d, e, f, g, sha256_k[(j) + 1], w[(j) + 1]);            \
		ROUND(g, h, a, b, c, d, e, f, sha256_k[(j) + 2], w[(j) + 2]);            \
		ROUND(f, g, h, a, b, c, d, e, sha256_k[(j) + 3], w[(j) + 3]);            \
		ROUND(e, f, g, h, a, b, c, d, sha256_k[(j) + 4], w[(j) + 4]);            \
		ROUND(d, e, f, g, h, a, b, c, sha256_k[(j) + 5], w[(j) + 5]);            \
		ROUND(c, d, e, f, g, h, a, b, sha256_k[(j) + 6], w[(j) + 6]);            \
		ROUND(b, c, d, e, f, g, h, a, sha256_k[(j) + 7], w[(j) + 7]);            \
	} while (0)

#define ROUNDS8_SCHED(j)                                                                 \
	do {                                                                             \
		ROUND(a, b, c, d, e, f, g, h, sha256_k[(j) + 0], SCHED((j) + 0));        \
		ROUND(h, a, b, c, d, e, f, g, sha256_k[(j) + 1], SCHED((j) + 1));        \
		ROUND(g, h, a, b, c, d, e, f, sha256_k[(j) + 2], SCHED((j) + 2));        \
		ROUND(f, g, h, a, b, c, d, e, sha256_k[(j) + 3], SCHED((j) + 3));        \
		ROUND(e, f, g, h, a, b, c, d, sha256_k[(j) + 4], SCHED((j) + 4));        \
		ROUND(d, e, f, g, h, a, b, c, sha256_k[(j) + 5], SCHED((j) + 5));        \
		ROUND(c, d, e, f, g, h, a, b, sha256_k[(j) + 6], SCHED((j) + 6));        \
		ROUND(b, c, d, e, f, g, h, a, sha256_k[(j) + 7], SCHED((j) + 7));        \
	} while (0)

/* Processes nblocks consecutive 64-byte blocks (§6.2.2). */
static void sha256_blocks(uint32_t hs[8], const uint8_t *p, size_t nblocks)
{
	uint32_t w[16];

	while (nblocks-- > 0) {
		uint32_t a = hs[0], b = hs[1], c = hs[2], d = hs[3];
		uint32_t e = hs[4], f = hs[5], g = hs[6], h = hs[7];

		for (unsigned int i = 0; i < 16; i++) {
			w[i] = load_be32(p + 4 * i);
		}
		ROUNDS8_FIRST(0);
		ROUNDS8_FIRST(8);
		/* Fully unrolled so every ring index is a constant. */
		ROUNDS8_SCHED(16);
		ROUNDS8_SCHED(24);
		ROUNDS8_SCHED(32);
		ROUNDS8_SCHED(40);
		ROUNDS8_SCHED(48);
		ROUNDS8_SCHED(56);
		hs[0] += a;
		hs[1] += b;
		hs[2] += c;
		hs[3] += d;
		hs[4] += e;
		hs[5] += f;
		hs[6] += g;
		hs[7] += h;
		p += 64;
	}
	mem_wipe(w, sizeof(w));
}

void sha256_init(struct sha256_state *s)
{
	/* §5.3.3: the first 32 bits of the fractional parts of the square roots of the first 8
	 * primes. */
	static const uint32_t iv[8] = {
		0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
		0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
	};

	bastion_memcpy(s->h, iv, sizeof(iv));
	s->length = 0;
	s->buf_len = 0;
	bastion_memset(s->buf, 0, sizeof(s->buf));
}

void sha256_update(struct sha256_state *s, const void *data, size_t len)
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
		sha256_blocks(s->h, s->buf, 1);
		s->buf_len = 0;
	}
	if (len >= 64) {
		sha256_blocks(s->h, p, len / 64);
		p += len & ~(size_t)63;
		len &= 63;
	}
	if (len > 0) {
		bastion_memcpy(s->buf, p, len);
		s->buf_len = (uint32_t)len;
	}
}

void sha256_final(struct sha256_state *s, uint8_t out[32])
{
	/* §5.1.1: append 0x80, zeros to 56 mod 64, then the bit length as 64-bit big-endian. */
	uint64_t bits = s->length << 3;
	uint32_t n = s->buf_len;

	s->buf[n++] = 0x80;
	if (n > 56) {
		bastion_memset(s->buf + n, 0, 64 - n);
		sha256_blocks(s->h, s->buf, 1);
		n = 0;
	}
	bastion_memset(s->buf + n, 0, 56 - n);
	for (unsigned int i = 0; i < 8; i++) {
		s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	}
	sha256_blocks(s->h, s->buf, 1);
	for (unsigned int i = 0; i < 8; i++) {
		store_be32(out + 4 * i, s->h[i]);
	}
	mem_wipe(s, sizeof(*s));
}
