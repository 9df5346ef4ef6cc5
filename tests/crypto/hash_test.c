/*
 * crypto/hash.h: SHA-1, SHA-256, SHA-384, SHA-512 (FIPS 180-4).
 *
 * Known answers: the NIST CAVP SHAVS files (ShortMsg, LongMsg, Monte) from the
 * python3-cryptography-vectors package, each message also hashed in random-sized pieces.
 * Differential: 10000 random messages per algorithm against OpenSSL's EVP_Digest, hashed
 * one-shot and streamed with random split points, and a context copy (fork) mid-stream.
 */
#include "crypto/hash.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "tests/crypto/vectors.h"
#include "tests/ktest/ktest.h"

/* splitmix64: a fixed-seed generator, so a failure reproduces from the printed iteration. */
static uint64_t rng_state;

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		p[i] = (uint8_t)rnd64();
	}
}

struct alg_files {
	enum hash_id id;
	const char *shortmsg;
	const char *longmsg;
	const char *monte;
	const EVP_MD *(*md)(void);
};

static const struct alg_files algs[] = {
	{ HASH_SHA1, "hashes/SHA1/SHA1ShortMsg.rsp", "hashes/SHA1/SHA1LongMsg.rsp",
	  "hashes/SHA1/SHA1Monte.rsp", EVP_sha1 },
	{ HASH_SHA256, "hashes/SHA2/SHA256ShortMsg.rsp", "hashes/SHA2/SHA256LongMsg.rsp",
	  "hashes/SHA2/SHA256Monte.rsp", EVP_sha256 },
	{ HASH_SHA384, "hashes/SHA2/SHA384ShortMsg.rsp", "hashes/SHA2/SHA384LongMsg.rsp",
	  "hashes/SHA2/SHA384Monte.rsp", EVP_sha384 },
	{ HASH_SHA512, "hashes/SHA2/SHA512ShortMsg.rsp", "hashes/SHA2/SHA512LongMsg.rsp",
	  "hashes/SHA2/SHA512Monte.rsp", EVP_sha512 },
};

/* Hashes msg in random pieces (including empty ones). */
static void hash_split(enum hash_id id, const uint8_t *msg, size_t len, uint8_t *out)
{
	struct hash_ctx ctx;
	size_t off = 0;

	hash_init(&ctx, id);
	while (off < len) {
		size_t piece = (size_t)(rnd64() % 200);

		if (piece > len - off) {
			piece = len - off;
		}
		hash_update(&ctx, msg + off, piece);
		off += piece;
	}
	hash_update(&ctx, msg + off, 0);
	hash_final(&ctx, out);
}

/* Runs one ShortMsg/LongMsg file; returns the number of records checked. */
static unsigned int run_msg_file(enum hash_id id, const char *path)
{
	struct vec_file f;
	const struct hash_alg *alg = hash_alg_get(id);
	unsigned int n = 0;
	size_t cap = 1 << 20;
	uint8_t *msg = malloc(cap);
	uint8_t md[HASH_MAX_DIGEST_SIZE], out[HASH_MAX_DIGEST_SIZE];

	if (msg == NULL || vec_open(&f, path) != 0) {
		ktest_report_failure(__FILE__, __LINE__, "cannot open %s", path);
		free(msg);
		return 0;
	}
	while (vec_next(&f)) {
		const char *len_s = vec_get(&f, "Len");
		size_t bits, len, mdlen;

		if (len_s == NULL) {
			continue;
		}
		bits = strtoul(len_s, NULL, 10);
		if (bits % 8 != 0) {
			continue; /* bit-oriented records: not in the byte-oriented files */
		}
		len = bits / 8;
		size_t got = vec_hex(&f, "Msg", msg, cap);
		mdlen = vec_hex(&f, "MD", md, sizeof(md));
		if (got == (size_t)-1 || mdlen != alg->digest_size || (len > 0 && got != len)) {
			ktest_report_failure(__FILE__, __LINE__, "%s line %u: bad record", path,
					     f.line_no);
			continue;
		}
		EXPECT_EQ(hash_oneshot(id, msg, len, out), 0);
		if (memcmp(out, md, mdlen) != 0) {
			ktest_report_failure(__FILE__, __LINE__, "%s line %u: digest mismatch", path,
					     f.line_no);
		}
		hash_split(id, msg, len, out);
		if (memcmp(out, md, mdlen) != 0) {
			ktest_report_failure(__FILE__, __LINE__, "%s line %u: split digest mismatch",
					     path, f.line_no);
		}
		n++;
	}
	vec_close(&f);
	free(msg);
	return n;
}

KTEST(crypto_hash, cavp_shortmsg_longmsg)
{
	rng_state = 1;
	for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		unsigned int ns = run_msg_file(algs[a].id, algs[a].shortmsg);
		unsigned int nl = run_msg_file(algs[a].id, algs[a].longmsg);

		/* Every file has 64 or 128 byte-oriented records (plus Len = 0 in ShortMsg). */
		EXPECT_GE(ns, 65u);
		EXPECT_GE(nl, 64u);
	}
}

/*
 * The SHAVS Monte Carlo test (SHAVS §6.4): from Seed, 100 checkpoints, each the result of
 * 1000 iterations of MD_i = H(MD_{i-3} || MD_{i-2} || MD_{i-1}).
 */
KTEST(crypto_hash, cavp_monte)
{
	for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		const struct hash_alg *alg = hash_alg_get(algs[a].id);
		size_t dl = alg->digest_size;
		struct vec_file f;
		uint8_t md[3][HASH_MAX_DIGEST_SIZE], seed[HASH_MAX_DIGEST_SIZE];
		uint8_t expect[HASH_MAX_DIGEST_SIZE], m[3 * HASH_MAX_DIGEST_SIZE];
		unsigned int checkpoints = 0;
		bool have_seed = false;

		ASSERT_EQ(vec_open(&f, algs[a].monte), 0);
		while (vec_next(&f)) {
			if (vec_get(&f, "Seed") != NULL) {
				ASSERT_EQ(vec_hex(&f, "Seed", seed, sizeof(seed)), dl);
				have_seed = true;
				continue;
			}
			if (vec_get(&f, "MD") == NULL || !have_seed) {
				continue;
			}
			ASSERT_EQ(vec_hex(&f, "MD", expect, sizeof(expect)), dl);
			memcpy(md[0], seed, dl);
			memcpy(md[1], seed, dl);
			memcpy(md[2], seed, dl);
			for (unsigned int i = 3; i < 1003; i++) {
				uint8_t next[HASH_MAX_DIGEST_SIZE];

				memcpy(m, md[0], dl);
				memcpy(m + dl, md[1], dl);
				memcpy(m + 2 * dl, md[2], dl);
				hash_oneshot(algs[a].id, m, 3 * dl, next);
				memcpy(md[0], md[1], dl);
				memcpy(md[1], md[2], dl);
				memcpy(md[2], next, dl);
			}
			memcpy(seed, md[2], dl);
			if (memcmp(seed, expect, dl) != 0) {
				ktest_report_failure(__FILE__, __LINE__, "%s checkpoint %u mismatch",
						     algs[a].monte, checkpoints);
				break;
			}
			checkpoints++;
		}
		vec_close(&f);
		EXPECT_EQ(checkpoints, 100u);
	}
}

/* FIPS 180-4 examples (the NIST "Example Algorithms" document): "abc" and the 1,000,000 'a'. */
KTEST(crypto_hash, fips_examples)
{
	static const uint8_t abc256[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
		0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
		0xf2, 0x00, 0x15, 0xad,
	};
	static const uint8_t milla256[32] = {
		0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7, 0xe2, 0x84, 0xd7,
		0x3e, 0x67, 0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97, 0x20, 0x0e, 0x04, 0x6d, 0x39, 0xcc,
		0xc7, 0x11, 0x2c, 0xd0,
	};
	uint8_t out[64], a[1000];
	struct hash_ctx ctx;

	EXPECT_EQ(hash_oneshot(HASH_SHA256, "abc", 3, out), 0);
	EXPECT_MEMEQ(out, abc256, 32);
	memset(a, 'a', sizeof(a));
	ASSERT_EQ(hash_init(&ctx, HASH_SHA256), 0);
	for (int i = 0; i < 1000; i++) {
		hash_update(&ctx, a, sizeof(a));
	}
	hash_final(&ctx, out);
	EXPECT_MEMEQ(out, milla256, 32);
}

KTEST(crypto_hash, descriptors_and_bad_ids)
{
	struct hash_ctx ctx;
	uint8_t out[64];
	static const struct {
		enum hash_id id;
		const char *name;
		uint32_t ds, bs;
	} want[] = {
		{ HASH_SHA1, "sha1", 20, 64 },
		{ HASH_SHA256, "sha256", 32, 64 },
		{ HASH_SHA384, "sha384", 48, 128 },
		{ HASH_SHA512, "sha512", 64, 128 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct hash_alg *alg = hash_alg_get(want[i].id);

		ASSERT_NOT_NULL(alg);
		EXPECT_EQ(alg->id, want[i].id);
		EXPECT_STREQ(alg->name, want[i].name);
		EXPECT_EQ(alg->digest_size, want[i].ds);
		EXPECT_EQ(alg->block_size, want[i].bs);
		EXPECT_LE(alg->digest_size, HASH_MAX_DIGEST_SIZE);
		EXPECT_LE(alg->block_size, HASH_MAX_BLOCK_SIZE);
	}
	EXPECT_NULL(hash_alg_get(HASH_COUNT));
	EXPECT_NULL(hash_alg_get((enum hash_id)-1));
	EXPECT_NULL(hash_alg_get((enum hash_id)1000));
	EXPECT_EQ(hash_init(&ctx, HASH_COUNT), -1);
	EXPECT_EQ(hash_init(&ctx, (enum hash_id)-1), -1);
	EXPECT_EQ(hash_oneshot(HASH_COUNT, "x", 1, out), -1);
}

/* hash_final wipes the state (the message may be secret). */
KTEST(crypto_hash, final_wipes_context)
{
	for (int id = 0; id < HASH_COUNT; id++) {
		struct hash_ctx ctx;
		uint8_t out[64];
		const uint8_t *p = (const uint8_t *)&ctx.u;
		bool all_zero = true;

		memset(&ctx, 0, sizeof(ctx)); /* the union tail beyond a small state stays 0 */
		hash_init(&ctx, (enum hash_id)id);
		hash_update(&ctx, "secret message", 14);
		hash_final(&ctx, out);
		for (size_t i = 0; i < sizeof(ctx.u); i++) {
			all_zero &= p[i] == 0;
		}
		EXPECT_TRUE(all_zero);
	}
}

/*
 * 10000 random messages per algorithm, lengths weighted towards the block-boundary cases
 * (0..300 bytes) with some up to 5000, hashed one-shot, in random pieces, and through a
 * context copy taken mid-stream, all against OpenSSL.
 */
KTEST(crypto_hash, random_vs_openssl)
{
	enum { ITER = 10000, MAXLEN = 5000 };
	uint8_t *msg = malloc(MAXLEN);
	uint8_t ours[64], theirs[64], forked[64];

	ASSERT_NOT_NULL(msg);
	rng_state = 0x5eed0001;
	for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		enum hash_id id = algs[a].id;
		size_t dl = hash_alg_get(id)->digest_size;

		for (unsigned int it = 0; it < ITER; it++) {
			size_t len = (rnd64() % 4 == 0) ? (size_t)(rnd64() % MAXLEN)
							: (size_t)(rnd64() % 300);
			unsigned int ol = 0;
			struct hash_ctx ctx, copy;
			size_t cut;

			rnd_bytes(msg, len);
			ASSERT_EQ(EVP_Digest(msg, len, theirs, &ol, algs[a].md(), NULL), 1);
			ASSERT_EQ(ol, dl);
			hash_oneshot(id, msg, len, ours);
			if (memcmp(ours, theirs, dl) != 0) {
				ktest_report_failure(__FILE__, __LINE__,
						     "%s one-shot mismatch, seed 0x5eed0001 iter %u len %zu",
						     hash_alg_get(id)->name, it, len);
				break;
			}
			hash_split(id, msg, len, ours);
			/* Fork at a random point: the copy and the original finish alike. */
			cut = len == 0 ? 0 : (size_t)(rnd64() % (len + 1));
			hash_init(&ctx, id);
			hash_update(&ctx, msg, cut);
			copy = ctx;
			hash_update(&ctx, msg + cut, len - cut);
			hash_update(&copy, msg + cut, len - cut);
			hash_final(&ctx, forked);
			if (memcmp(ours, theirs, dl) != 0 || memcmp(forked, theirs, dl) != 0) {
				ktest_report_failure(__FILE__, __LINE__,
						     "%s split mismatch, seed 0x5eed0001 iter %u len %zu",
						     hash_alg_get(id)->name, it, len);
				break;
			}
			hash_final(&copy, forked);
			if (memcmp(forked, theirs, dl) != 0) {
				ktest_report_failure(__FILE__, __LINE__,
						     "%s fork mismatch, seed 0x5eed0001 iter %u",
						     hash_alg_get(id)->name, it);
				break;
			}
		}
	}
	free(msg);
}

/* Unaligned input pointers and every length across two block boundaries. */
KTEST(crypto_hash, unaligned_and_boundaries)
{
	uint8_t buf[300], ours[64], theirs[64];

	rng_state = 7;
	rnd_bytes(buf, sizeof(buf));
	for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		size_t dl = hash_alg_get(algs[a].id)->digest_size;

		for (size_t off = 0; off < 8; off++) {
			for (size_t len = 0; len <= 260; len++) {
				unsigned int ol;

				hash_oneshot(algs[a].id, buf + off, len, ours);
				EVP_Digest(buf + off, len, theirs, &ol, algs[a].md(), NULL);
				if (memcmp(ours, theirs, dl) != 0) {
					ktest_report_failure(__FILE__, __LINE__,
							     "alg %zu off %zu len %zu", a, off, len);
					return;
				}
			}
		}
	}
}
