/*
 * Probable-prime generation (crypto/prime.h; FIPS 186-5 A.1.3, B.3.1, Table B.1).
 */
#include "crypto/prime.h"

#include "crypto/ct.h"
#include "kernel/string.h"

typedef unsigned __int128 u128;

unsigned int prime_mr_rounds(size_t nbits)
{
	/* FIPS 186-5 Table B.1 (p, q of 1024 / 1536 / 2048 bits), FIPS 186-4 C.3 for 512 bits. */
	if (nbits <= 512) {
		return 7;
	}
	if (nbits <= 1024) {
		return 5;
	}
	return 4;
}

/* The odd primes below PRIME_SIEVE_LIMIT (sieve of Eratosthenes; public data). */
static void small_primes(struct prime_ws *ws)
{
	uint8_t *composite = ws->sieve; /* index i stands for 2i + 1 */
	size_t count = 0;

	bastion_memset(composite, 0, sizeof(ws->sieve));
	for (uint32_t i = 1; i < PRIME_SIEVE_LIMIT / 2; i++) {
		uint32_t v = 2 * i + 1;

		if (composite[i]) {
			continue;
		}
		ws->primes[count++] = (uint16_t)v;
		for (uint32_t k = v * v; k < PRIME_SIEVE_LIMIT; k += 2 * v) {
			composite[k / 2] = 1;
		}
	}
	ws->nprimes = count;
}

/*
 * a mod d for the (secret) a[n] and a public 3 <= d < 2^32, without a division instruction
 * on secret data: 16 bits at a time, the quotient estimated with floor(2^48 / d) (off by at
 * most one for x < 2^48) and one masked correction.
 */
static uint32_t mod_small(const uint64_t *a, size_t n, uint32_t d)
{
	const uint64_t inv = ((uint64_t)1 << 48) / d; /* d is public */
	uint64_t r = 0;

	for (size_t i = n; i-- > 0;) {
		for (int k = 3; k >= 0; k--) {
			uint64_t x =
				(r << 16) | ((a[i] >> (16 * k)) & 0xffff); /* < d * 2^16 <= 2^48 */
			uint64_t q = (uint64_t)(((u128)x * inv) >> 48);

			r = x - q * d; /* in [0, 2d) */
			r = ct_select_u64(ct_mask_lt_u64(r, d), r, r - d);
		}
	}
	return (uint32_t)r;
}

int prime_miller_rabin(const uint64_t *w, size_t n, unsigned int rounds,
		       const struct crypto_rng *rng, struct prime_ws *ws)
{
	const size_t nbits = 64 * n - (size_t)__builtin_clzll(w[n - 1]); /* top limb: public size */
	uint64_t a, sq_bound;
	int verdict = 1;

	if (bn_mont_init(&ws->mont, w, n) != 0) {
		return 0; /* even */
	}
	/* w - 1 = 2^a * m with m odd. */
	bn_sub_word(ws->w1, w, 1, n);
	a = bn_ctz_ct(ws->w1, n);
	bn_shr_ct(ws->m, ws->w1, n, a);
	/* The one branch on w: see prime.h. */
	sq_bound = w[0] == 1 ? 64 * n - 1 : 63;
	/* 1 and w - 1 in Montgomery form. */
	bn_set_word(ws->z, n, 1);
	bn_to_mont(&ws->mont, ws->one, ws->z);
	bn_zero(ws->z, n);
	bn_mod_sub(&ws->mont, ws->mone, ws->z, ws->one);

	for (unsigned int round = 0; round < rounds && verdict == 1; round++) {
		uint64_t ok;

		/* A random base 1 < b < w - 1 of nbits bits (redrawn otherwise: B.3.1 step 4.2).
		 * A draw fails with probability < 1/2 (w has its top bit set); 64 failures in a
		 * row mean a broken rng. */
		for (unsigned int attempt = 0;; attempt++) {
			uint64_t good;

			if (attempt == 64 || crypto_rng_bytes(rng, ws->bytes, n * 8) != 0) {
				verdict = PRIME_ERR_RNG;
				goto out;
			}
			bn_from_bytes(ws->b, n, ws->bytes, n * 8);
			if (nbits % 64) {
				ws->b[n - 1] &= ((uint64_t)1 << (nbits % 64)) - 1;
			}
			bn_set_word(ws->z, n, 2);
			good = bn_lt_mask(ws->b, ws->w1, n) & ~bn_lt_mask(ws->b, ws->z, n);
			if (good != 0) {
				break;
			}
		}
		/* z = b^m; w passes the round if z = 1, or z^(2^j) = w - 1 for some j < a. */
		bn_mod_exp(&ws->mont, ws->z, ws->b, ws->m, &ws->exp);
		bn_to_mont(&ws->mont, ws->z, ws->z);
		ok = bn_eq_mask(ws->z, ws->one, n) | bn_eq_mask(ws->z, ws->mone, n);
		for (uint64_t j = 1; j <= sq_bound; j++) {
			bn_mont_sqr(&ws->mont, ws->z, ws->z);
			ok |= ct_mask_lt_u64(j, a) & bn_eq_mask(ws->z, ws->mone, n);
		}
		if (ok == 0) {
			verdict = 0;
		}
	}
out:
	mem_wipe(&ws->mont, sizeof(ws->mont));
	mem_wipe(ws->w1, sizeof(ws->w1));
	mem_wipe(ws->m, sizeof(ws->m));
	mem_wipe(ws->b, sizeof(ws->b));
	mem_wipe(ws->z, sizeof(ws->z));
	mem_wipe(ws->one, sizeof(ws->one));
	mem_wipe(ws->mone, sizeof(ws->mone));
	mem_wipe(ws->bytes, sizeof(ws->bytes));
	return verdict;
}

/* All-ones if v is a multiple of none of the small primes (given its residues) nor has
 * v - 1 a factor in common with e; no early exit. */
static uint64_t sieve_pass(const struct prime_ws *ws, uint32_t res_e, uint32_t e, struct bn_ws *gen)
{
	uint64_t hit = 0;
	uint64_t g[1], x[1], y[1];

	for (size_t i = 0; i < ws->nprimes; i++) {
		hit |= ct_mask_zero_u64(ws->residues[i]);
	}
	/* gcd(v - 1 mod e, e) = 1, in constant time (v - 1 mod e is secret). */
	x[0] = ct_select_u64(ct_mask_zero_u64(res_e), e - 1, res_e - 1);
	y[0] = e;
	bn_gcd_ct(g, x, y, 1, gen);
	hit |= ~ct_mask_eq_u64(g[0], 1);
	return ~hit;
}

int prime_generate(uint64_t *p, size_t nbits, uint32_t e, const struct crypto_rng *rng,
		   struct prime_ws *ws)
{
	const size_t n = (nbits + 63) / 64;
	const unsigned int rounds = prime_mr_rounds(nbits);
	const size_t limit = 5 * nbits; /* FIPS 186-5 A.1.3 step 4.7 */
	/* Increments tried per random start; well above the prime gaps at these sizes. */
	const uint32_t max_delta = 1u << 16;
	size_t tried = 0;
	int rc = PRIME_ERR_EXHAUSTED;

	if (nbits < PRIME_MIN_BITS || nbits > PRIME_MAX_BITS || e < 3 || (e & 1) == 0) {
		return PRIME_ERR_INVALID;
	}
	small_primes(ws);
	while (tried < limit) {
		uint32_t res_e;

		/* A random odd candidate of nbits bits with the two top bits set. */
		if (crypto_rng_bytes(rng, ws->bytes, n * 8) != 0) {
			rc = PRIME_ERR_RNG;
			goto out;
		}
		bn_from_bytes(ws->cand, n, ws->bytes, n * 8);
		if (nbits % 64) {
			ws->cand[n - 1] &= ((uint64_t)1 << (nbits % 64)) - 1;
		}
		if ((nbits - 2) % 64 == 63) { /* the two top bits straddle a limb boundary */
			ws->cand[n - 1] |= 1;
			ws->cand[n - 2] |= (uint64_t)1 << 63;
		} else {
			ws->cand[n - 1] |= (uint64_t)3 << ((nbits - 2) % 64);
		}
		ws->cand[0] |= 1;
		for (size_t i = 0; i < ws->nprimes; i++) {
			ws->residues[i] = (uint16_t)mod_small(ws->cand, n, ws->primes[i]);
		}
		res_e = mod_small(ws->cand, n, e);

		for (uint32_t delta = 0; delta < max_delta && tried < limit; delta += 2) {
			if (delta != 0) {
				/* Step to the next odd number: candidate and residues, masked. */
				bn_add_word(ws->cand, ws->cand, 2, n);
				for (size_t i = 0; i < ws->nprimes; i++) {
					uint64_t r = (uint64_t)ws->residues[i] + 2;
					ws->residues[i] = (uint16_t)ct_select_u64(
						ct_mask_lt_u64(r, ws->primes[i]), r,
						r - ws->primes[i]);
				}
				{
					uint64_t r = (uint64_t)res_e + 2;
					res_e = (uint32_t)ct_select_u64(ct_mask_lt_u64(r, e), r,
									r - e);
				}
			}
			tried++;
			/* The top two bits must survive the increments (a carry out: reject). */
			if (((ws->cand[(nbits - 1) / 64] >> ((nbits - 1) % 64)) & 1) == 0 ||
			    (nbits % 64 != 0 && (ws->cand[n - 1] >> (nbits % 64)) != 0)) {
				break;
			}
			if (sieve_pass(ws, res_e, e, &ws->gen) == 0) {
				continue;
			}
			rc = prime_miller_rabin(ws->cand, n, rounds, rng, ws);
			if (rc < 0) {
				goto out;
			}
			if (rc == 1) {
				bn_copy(p, ws->cand, n);
				rc = 0;
				goto out;
			}
			rc = PRIME_ERR_EXHAUSTED;
		}
	}
out:
	if (rc != 0) {
		bn_zero(p, n);
	}
	mem_wipe(ws, sizeof(*ws));
	return rc;
}
