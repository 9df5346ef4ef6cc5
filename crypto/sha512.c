/*
 * SHA-512 and SHA-384 (FIPS 180-4 §6.4 and §6.5), portable C.
 *
 * SHA-384 is SHA-512 with other initial values (§5.3.4) and the digest truncated to 384 bits.
 * Rounds unrolled eight at a time with a 16-word schedule ring, as in sha256.c. Fixed control
 * flow, 64-bit arithmetic only: time depends only on the number of blocks.
 */
#include "crypto/hash.h"

#include "kernel/string.h"

/* §4.2.3: the first 64 bits of the fractional parts of the cube roots of the first 80
 * primes. */
static const uint64_t sha512_k[80] = {
	0x428a2f98d728ae22ull, 0x7137449123ef65cdull, 0xb5c0fbcfec4d3b2full, 0xe9b5dba58189dbbcull,
	0x3956c25bf348b538ull, 0x59f111f1b605d019ull, 0x923f82a4af194f9bull, 0xab1c5ed5da6d8118ull,
	0xd807aa98a3030242ull, 0x12835b0145706fbeull, 0x243185be4ee4b28cull, 0x550c7dc3d5ffb4e2ull,
	0x72be5d74f27b896full, 0x80deb1fe3b1696b1ull, 0x9bdc06a725c71235ull, 0xc19bf174cf692694ull,
	0xe49b69c19ef14ad2ull, 0xefbe4786384f25e3ull, 0x0fc19dc68b8cd5b5ull, 0x240ca1cc77ac9c65ull,
	0x2de92c6f592b0275ull, 0x4a7484aa6ea6e483ull, 0x5cb0a9dcbd41fbd4ull, 0x76f988da831153b5ull,
	0x983e5152ee66dfabull, 0xa831c66d2db43210ull, 0xb00327c898fb213full, 0xbf597fc7beef0ee4ull,
	0xc6e00bf33da88fc2ull, 0xd5a79147930aa725ull, 0x06ca6351e003826full, 0x142929670a0e6e70ull,
	0x27b70a8546d22ffcull, 0x2e1b21385c26c926ull, 0x4d2c6dfc5ac42aedull, 0x53380d139d95b3dfull,
	0x650a73548baf63deull, 0x766a0abb3c77b2a8ull, 0x81c2c92e47edaee6ull, 0x92722c851482353bull,
	0xa2bfe8a14cf10364ull, 0xa81a664bbc423001ull, 0xc24b8b70d0f89791ull, 0xc76c51a30654be30ull,
	0xd192e819d6ef5218ull, 0xd69906245565a910ull, 0xf40e35855771202aull, 0x106aa07032bbd1b8ull,
	0x19a4c116b8d2d0c8ull, 0x1e376c085141ab53ull, 0x2748774cdf8eeb99ull, 0x34b0bcb5e19b48a8ull,
	0x391c0cb3c5c95a63ull, 0x4ed8aa4ae3418acbull, 0x5b9cca4f7763e373ull, 0x682e6ff3d6b2b8a3ull,
	0x748f82ee5defb2fcull, 0x78a5636f43172f60ull, 0x84c87814a1f0ab72ull, 0x8cc702081a6439ecull,
	0x90befffa23631e28ull, 0xa4506cebde82bde9ull, 0xbef9a3f7b2c67915ull, 0xc67178f2e372532bull,
	0xca273eceea26619cull, 0xd186b8c721c0c207ull, 0xeada7dd6cde0eb1eull, 0xf57d4f7fee6ed178ull,
	0x06f067aa72176fbaull, 0x0a637dc5a2c898a6ull, 0x113f9804bef90daeull, 0x1b710b35131c471bull,
	0x28db77f523047d84ull, 0x32caab7b40c72493ull, 0x3c9ebe0a15c9bebcull, 0x431d67c49c100d4cull,
	0x4cc5d4becb3e42b6ull, 0x597f299cfc657e2aull, 0x5fcb6fab3ad6faecull, 0x6c44198c4a475817ull,
};

static inline uint64_t ror64(uint64_t x, unsigned int n)
{
	return (x >> n) | (x << (64 - n));
}

/* Written out so the compiler recognises a byte-swapping load. */
static inline uint64_t load_be64(const uint8_t *p)
{
	return ((uint64_t)p[0] << 56) | ((uint64_t)p[1] << 48) | ((uint64_t)p[2] << 40) |
	       ((uint64_t)p[3] << 32) | ((uint64_t)p[4] << 24) | ((uint64_t)p[5] << 16) |
	       ((uint64_t)p[6] << 8) | (uint64_t)p[7];
}

static inline void store_be64(uint8_t *p, uint64_t v)
{
	for (unsigned int i = 0; i < 8; i++) {
		p[i] = (uint8_t)(v >> (56 - 8 * i));
	}
}

/* §4.1.3 */
#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))
#define BSIG0(x) (ror64((x), 28) ^ ror64((x), 34) ^ ror64((x), 39))
#define BSIG1(x) (ror64((x), 14) ^ ror64((x), 18) ^ ror64((x), 41))
#define SSIG0(x) (ror64((x), 1) ^ ror64((x), 8) ^ ((x) >> 7))
#define SSIG1(x) (ror64((x), 19) ^ ror64((x), 61) ^ ((x) >> 6))

#define SCHED(i)                                                                         \
	(w[(i) & 15] += SSIG1(w[((i) - 2) & 15]) + w[((i) - 7) & 15] + SSIG0(w[((i) - 15) & 15]))

#define ROUND(a, b, c, d, e, f, g, h, k, wv)                                             \
	do {                                                                             \
		uint64_t t1_ = (h) + BSIG1(e) + CH(e, f, g) + (k) + (wv);                 \
		(d) += t1_;                                                              \
		(h) = t1_ + BSIG0(a) + MAJ(a, b, c);                                     \
	} while (0)

#define ROUNDS8_FIRST(j)                                                                 \
	do {                                                                             \
		ROUND(a, b, c, d, e, f, g, h, sha512_k[(j) + 0], w[(j) + 0]);            \
		ROUND(h, a, b, c, d, e, f, g, sha512_k[(j) + 1], w[(j) + 1]);            \
		ROUND(g, h, a, b, c, d, e, f, sha512_k[(j) + 2], w[(j) + 2]);            \
		ROUND(f, g, h, a, b, c, d, e, sha512_k[(j) + 3], w[(j) + 3]);            \
		ROUND(e, f, g, h, a, b, c, d, sha512_k[(j) + 4], w[(j) + 4]);            \
		ROUND(d, e, f, g, h, a, b, c, sha512_k[(j) + 5], w[(j) + 5]);            \
		ROUND(c, d, e, f, g, h, a, b, sha512_k[(j) + 6], w[(j) + 6]);            \
		ROUND(b, c, d, e, f, g, h, a, sha512_k[(j) + 7], w[(j) + 7]);            \
	} while (0)

#define ROUNDS8_SCHED(j)                                                                 \
	do {                                                                             \
		ROUND(a, b, c, d, e, f, g, h, sha512_k[(j) + 0], SCHED((j) + 0));        \
		ROUND(h, a, b, c, d, e, f, g, sha512_k[(j) + 1], SCHED((j) + 1));        \
		ROUND(g, h, a, b, c, d, e, f, sha512_k[(j) + 2], SCHED((j) + 2));        \
		ROUND(f, g, h, a, b, c, d, e, sha512_k[(j) + 3], SCHED((j) + 3));        \
		ROUND(e, f, g, h, a, b, c, d, sha512_k[(j) + 4], SCHED((j) + 4));        \
		ROUND(d, e, f, g, h, a, b, c, sha512_k[(j) + 5], SCHED((j) + 5));        \
		ROUND(c, d, e, f, g, h, a, b, sha512_k[(j) + 6], SCHED((j) + 6));        \
		ROUND(b, c, d, e, f, g, h, a, sha512_k[(j) + 7], SCHED((j) + 7));        \
	} while (0)

/* Processes nblocks consecutive 128-byte blocks (§6.4.2). */
static void sha512_blocks(uint64_t hs[8], const uint8_t *p, size_t nblocks)
{
	uint64_t w[16];

	while (nblocks-- > 0) {
		uint64_t a = hs[0], b = hs[1], c = hs[2], d = hs[3];
		uint64_t e = hs[4], f = hs[5], g = hs[6], h = hs[7];

		for (unsigned int i = 0; i < 16; i++) {
			w[i] = load_be64(p + 8 * i);
		}
		ROUNDS8_FIRST(0);
		ROUNDS8_FIRST(8);
		ROUNDS8_SCHED(16);
		ROUNDS8_SCHED(24);
		ROUNDS8_SCHED(32);
		ROUNDS8_SCHED(40);
		ROUNDS8_SCHED(48);
		ROUNDS8_SCHED(56);
		ROUNDS8_SCHED(64);
		ROUNDS8_SCHED(72);
		hs[0] += a;
		hs[1] += b;
		hs[2] += c;
		hs[3] += d;
		hs[4] += e;
		hs[5] += f;
		hs[6] += g;
		hs[7] += h;
		p += 128;
	}
	mem_wipe(w, sizeof(w));
}

static void sha512_set_iv(struct sha512_state *s, const uint64_t iv[8])
{
	bastion_memcpy(s->h, iv, 8 * sizeof(uint64_t));
	s->length_lo = 0;
	s->length_hi = 0;
	s->buf_len = 0;
	bastion_memset(s->buf, 0, sizeof(s->buf));
}

void sha512_init(struct sha512_state *s)
{
	/* §5.3.5 */
	static const uint64_t iv[8] = {
		0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull,
		0xa54ff53a5f1d36f1ull, 0x510e527fade682d1ull, 0x9b05688c2b3e6c1full,
		0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull,
	};

	sha512_set_iv(s, iv);
}

void sha384_init(struct sha512_state *s)
{
	/* §5.3.4 */
	static const uint64_t iv[8] = {
		0xcbbb9d5dc1059ed8ull, 0x629a292a367cd507ull, 0x9159015a3070dd17ull,
		0x152fecd8f70e5939ull, 0x67332667ffc00b31ull, 0x8eb44a8768581511ull,
		0xdb0c2e0d64f98fa7ull, 0x47b5481dbefa4fa4ull,
	};

	sha512_set_iv(s, iv);
}

void sha512_update(struct sha512_state *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t old = s->length_lo;

	/* An empty update (data may be NULL) changes nothing; returning keeps the pointer
	 * arithmetic below off NULL (NULL + 0 is undefined in C; clang's UBSan flags it). */
	if (len == 0) {
		return;
	}

	/* 128-bit byte counter. */
	s->length_lo += len;
	s->length_hi += (s->length_lo < old);
	if (s->buf_len > 0) {
		size_t take = 128 - s->buf_len;

		if (take > len) {
			take = len;
		}
		bastion_memcpy(s->buf + s->buf_len, p, take);
		s->buf_len += (uint32_t)take;
		p += take;
		len -= take;
		if (s->buf_len < 128) {
			return;
		}
		sha512_blocks(s->h, s->buf, 1);
		s->buf_len = 0;
	}
	if (len >= 128) {
		sha512_blocks(s->h, p, len / 128);
		p += len & ~(size_t)127;
		len &= 127;
	}
	if (len > 0) {
		bastion_memcpy(s->buf, p, len);
		s->buf_len = (uint32_t)len;
	}
}

/* §5.1.2: 0x80, zeros to 112 mod 128, then the 128-bit big-endian bit length. */
static void sha512_pad(struct sha512_state *s)
{
	uint64_t bits_hi = (s->length_hi << 3) | (s->length_lo >> 61);
	uint64_t bits_lo = s->length_lo << 3;
	uint32_t n = s->buf_len;

	s->buf[n++] = 0x80;
	if (n > 112) {
		bastion_memset(s->buf + n, 0, 128 - n);
		sha512_blocks(s->h, s->buf, 1);
		n = 0;
	}
	bastion_memset(s->buf + n, 0, 112 - n);
	store_be64(s->buf + 112, bits_hi);
	store_be64(s->buf + 120, bits_lo);
	sha512_blocks(s->h, s->buf, 1);
}

void sha512_final(struct sha512_state *s, uint8_t out[64])
{
	sha512_pad(s);
	for (unsigned int i = 0; i < 8; i++) {
		store_be64(out + 8 * i, s->h[i]);
	}
	mem_wipe(s, sizeof(*s));
}

void sha384_final(struct sha512_state *s, uint8_t out[48])
{
	sha512_pad(s);
	for (unsigned int i = 0; i < 6; i++) {
		store_be64(out + 8 * i, s->h[i]);
	}
	mem_wipe(s, sizeof(*s));
}
