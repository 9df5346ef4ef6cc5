/*
 * Probable-prime generation for RSA keys (FIPS 186-5 Appendix A.1.3 and B.3.1, "probable
 * primes"): random odd candidates of exactly nbits bits with the two top bits set (so that
 * p >= sqrt(2) * 2^(nbits - 1) and p * q has exactly 2 * nbits bits), a sieve of small-prime
 * residues over the increments c, c + 2, c + 4, ..., Miller-Rabin with the FIPS 186-5
 * Table B.1 round count, and the condition gcd(p - 1, e) = 1.
 *
 * Every random byte comes from the struct crypto_rng, in a fixed order, so a deterministic
 * RNG reproduces the same prime (TPM primary keys are derived from a seed).
 *
 * Side channels: the candidate that is finally returned went through the same code as any
 * other: the residues are updated with masked arithmetic and tested with no early exit;
 * Miller-Rabin uses the constant-time bn_mod_exp and a fixed number of masked squarings.
 * What timing does reveal is how many increments and candidates were rejected before it
 * (i.e. which offset from a discarded random start succeeded), the same as every
 * sieve-based generator; rejected candidates carry no information about the result.
 * One branch on the candidate remains in Miller-Rabin: whether its low 64 bits are exactly 1
 * (a 2^-63 event for random candidates; then p - 1 has 64 or more factors of 2). Otherwise
 * the masked squaring loop has the fixed bound 63, so the 2-adic valuation of p - 1 does
 * not show in the running time.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "crypto/bn.h"
#include "crypto/rng.h"

#define PRIME_MIN_BITS 128u
#define PRIME_MAX_BITS (BN_MAX_BITS / 2u) /* 2048: the primes of an RSA-4096 key */
#define PRIME_SIEVE_LIMIT 8192u		  /* trial division by the odd primes below this */
#define PRIME_SMALL_MAX 1100u		  /* room for them (there are 1027) */

enum {
	PRIME_ERR_INVALID = -1,	  /* nbits out of range, e even or < 3 */
	PRIME_ERR_RNG = -2,	  /* the random source failed */
	PRIME_ERR_EXHAUSTED = -3, /* no prime within the FIPS 186-5 bound of 5 * nbits candidates */
};

/* Workspace (about 27 KiB); holds secrets until wiped by the functions that use it. */
struct prime_ws {
	struct bn_mont mont;
	struct bn_exp_ws exp;
	uint64_t cand[BN_MAX_LIMBS];
	uint64_t w1[BN_MAX_LIMBS]; /* candidate - 1 */
	uint64_t m[BN_MAX_LIMBS];  /* (candidate - 1) >> a */
	uint64_t b[BN_MAX_LIMBS];  /* Miller-Rabin base */
	uint64_t z[BN_MAX_LIMBS];
	uint64_t one[BN_MAX_LIMBS]; /* R mod w, R - 1 ... in Montgomery form */
	uint64_t mone[BN_MAX_LIMBS];
	uint8_t bytes[BN_MAX_BYTES];
	uint16_t primes[PRIME_SMALL_MAX];
	uint16_t residues[PRIME_SMALL_MAX];
	uint8_t sieve[PRIME_SIEVE_LIMIT / 2];
	size_t nprimes;
	struct bn_ws gen;
};

/* Miller-Rabin rounds for a prime of nbits bits (FIPS 186-5 Table B.1; 186-4 C.3 for <= 512). */
unsigned int prime_mr_rounds(size_t nbits);

/*
 * p[ceil(nbits / 64)] = a probable prime of exactly nbits bits (PRIME_MIN_BITS..PRIME_MAX_BITS)
 * with its two top bits set and gcd(p - 1, e) = 1, for the odd public exponent 3 <= e < 2^32.
 * Returns 0 or a PRIME_ERR_* code (p is then zeroed). ws is wiped before returning.
 */
int prime_generate(uint64_t *p, size_t nbits, uint32_t e, const struct crypto_rng *rng,
		   struct prime_ws *ws);

/*
 * Miller-Rabin (FIPS 186-5 B.3.1) on the odd w[n] (top limb nonzero, w > 3) with `rounds`
 * random bases from rng. Returns 1 (probably prime), 0 (composite) or PRIME_ERR_RNG.
 * Constant time in w except for the verdict and the low-limb-is-1 case above (which runs
 * 64n - 1 masked squarings instead of 63). ws is wiped before returning.
 */
int prime_miller_rabin(const uint64_t *w, size_t n, unsigned int rounds,
		       const struct crypto_rng *rng, struct prime_ws *ws);
