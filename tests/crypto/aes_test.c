/*
 * AES, its modes and GCM (crypto/aes.h, crypto/aes_modes.h, crypto/gcm.h), on both paths:
 *   - NIST CAVP known answers from python3-cryptography-vectors: ECB, CBC and CFB128
 *     (GFSbox, KeySbox, VarKey, VarTxt, MMT), CTR (RFC 3686), GCM encrypt and decrypt
 *     (including the FAIL records, which must be rejected);
 *   - randomized differential tests against OpenSSL EVP (10000 cases per mode, each on the
 *     portable and the AES-NI path), with streaming at random split points compared to the
 *     one-shot result;
 *   - malformed input: key lengths, CBC/ECB lengths, GCM tags, tag lengths, IV length 0,
 *     calls out of order.
 * The AES-NI path is skipped (with a note) on a CPU without AES-NI/PCLMULQDQ or with
 * BASTION_NO_SIMD=1.
 */
#include "crypto/aes.h"
#include "crypto/aes_modes.h"
#include "crypto/gcm.h"
#include "crypto/simd.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/crypto/vectors.h"
#include "tests/ktest/ktest.h"

#define RANDOM_CASES 10000
#define RNG_SEED 0x5eed0ae5c0ffee01ull

/* ---- Helpers -------------------------------------------------------------------------------- */

static const enum aes_impl all_impls[] = { AES_IMPL_PORTABLE, AES_IMPL_SIMD };

static const char *impl_name(enum aes_impl impl)
{
	return impl == AES_IMPL_SIMD ? "aes-ni" : "portable";
}

/* Number of paths to test: 2 with AES-NI, else 1 (and a note, once per test). */
static size_t impl_count(void)
{
	if (crypto_simd_usable()) {
		return 2;
	}
	ktest_print("  note: AES-NI path not tested (crypto_simd_usable() is false)\n");
	return 1;
}

/* splitmix64: a fixed-seed generator so failures reproduce. */
struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static void rng_bytes(struct rng *r, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		p[i] = (uint8_t)rng_next(r);
	}
}

static size_t rng_below(struct rng *r, size_t n)
{
	return n == 0 ? 0 : (size_t)(rng_next(r) % n);
}

/* Mostly short messages (all the partial-block cases), sometimes long ones. */
static size_t rng_len(struct rng *r)
{
	return rng_below(r, 8) == 0 ? rng_below(r, 2048) : rng_below(r, 100);
}

static const EVP_CIPHER *evp_cipher(const char *mode, size_t key_len)
{
	char name[32];

	snprintf(name, sizeof(name), "aes-%zu-%s", key_len * 8, mode);
	return EVP_get_cipherbyname(name);
}

/* OpenSSL oracle for the unauthenticated modes (no padding). Returns 0 on success. */
static int evp_crypt(const char *mode, const uint8_t *key, size_t key_len, const uint8_t *iv,
		     const uint8_t *in, size_t len, uint8_t *out, int enc)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0, ok;

	ok = c != NULL && EVP_CipherInit_ex(c, evp_cipher(mode, key_len), NULL, key, iv, enc) == 1 &&
	     EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
	     EVP_CipherUpdate(c, out, &l1, in, (int)len) == 1 &&
	     EVP_CipherFinal_ex(c, out + l1, &l2) == 1 && (size_t)(l1 + l2) == len;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static int evp_gcm_encrypt(const uint8_t *key, size_t key_len, const uint8_t *iv, size_t iv_len,
			   const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
			   uint8_t *out, uint8_t *tag, size_t tag_len)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l = 0, ok;

	ok = c != NULL && EVP_EncryptInit_ex(c, evp_cipher("gcm", key_len), NULL, NULL, NULL) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, (int)iv_len, NULL) == 1 &&
	     EVP_EncryptInit_ex(c, NULL, NULL, key, iv) == 1 &&
	     (aad_len == 0 || EVP_EncryptUpdate(c, NULL, &l, aad, (int)aad_len) == 1) &&
	     (len == 0 || EVP_EncryptUpdate(c, out, &l, in, (int)len) == 1) &&
	     EVP_EncryptFinal_ex(c, out + (len == 0 ? 0 : l), &l) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, (int)tag_len, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static size_t random_key_len(struct rng *r)
{
	return 16 + 8 * rng_below(r, 3);
}

/* ---- Block cipher known answers ------------------------------------------------------------- */

/* One ECB/CBC/CFB128 .rsp file on one path. Returns the records checked, or -1. */
static long check_block_file(const char *path, const char *mode, enum aes_impl impl)
{
	struct vec_file f;
	long count = 0;

	if (vec_open(&f, path) != 0) {
		return -1;
	}
	while (vec_next(&f)) {
		uint8_t key[32], iv[16] = { 0 }, pt[512], ct[512], out[512], ivw[16];
		size_t kl = vec_hex(&f, "KEY", key, sizeof(key));
		size_t pl = vec_hex(&f, "PLAINTEXT", pt, sizeof(pt));
		size_t cl = vec_hex(&f, "CIPHERTEXT", ct, sizeof(ct));
		struct aes_ctx a;

		if (kl == (size_t)-1 || pl == (size_t)-1 || cl != pl) {
			ktest_report_failure(__FILE__, __LINE__, "%s:%u: malformed record", path,
					     f.line_no);
			break;
		}
		if (strcmp(mode, "ecb") != 0 && vec_hex(&f, "IV", iv, sizeof(iv)) != 16) {
			ktest_report_failure(__FILE__, __LINE__, "%s:%u: no IV", path, f.line_no);
			break;
		}
		if (aes_init_impl(&a, key, kl, impl) != 0) {
			ktest_report_failure(__FILE__, __LINE__, "%s:%u: key rejected", path, f.line_no);
			break;
		}
		for (int enc = 0; enc < 2; enc++) {
			const uint8_t *src = enc ? pt : ct;
			const uint8_t *want = enc ? ct : pt;
			int rc = 0;

			memcpy(ivw, iv, 16);
			if (strcmp(mode, "ecb") == 0) {
				rc = enc ? aes_ecb_encrypt(&a, src, out, pl) : aes_ecb_decrypt(&a, src, out, pl);
			} else if (strcmp(mode, "cbc") == 0) {
				rc = enc ? aes_cbc_encrypt(&a, ivw, src, out, pl)
					 : aes_cbc_decrypt(&a, ivw, src, out, pl);
			} else if (enc) {
				aes_cfb_encrypt(&a, iv, src, out, pl);
			} else {
				aes_cfb_decrypt(&a, iv, src, out, pl);
			}
			if (rc != 0 || memcmp(out, want, pl) != 0) {
				ktest_report_failure(__FILE__, __LINE__, "%s:%u [%s] %s %s failed", path,
						     f.line_no, f.section, impl_name(impl),
						     enc ? "encrypt" : "decrypt");
			}
		}
		aes_wipe(&a);
		count++;
	}
	vec_close(&f);
	return count;
}

static void check_block_mode(const char *dir, const char *prefix, const char *mode)
{
	static const char *const kinds[] = { "GFSbox", "KeySbox", "VarKey", "VarTxt", "MMT" };
	size_t nimpl = impl_count();
	long total = 0;

	for (size_t i = 0; i < nimpl; i++) {
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			for (unsigned int bits = 128; bits <= 256; bits += 64) {
				char path[128];
				long n;

				snprintf(path, sizeof(path), "ciphers/AES/%s/%s%s%u.rsp", dir, prefix,
					 kinds[k], bits);
				n = check_block_file(path, mode, all_impls[i]);
				EXPECT_GT(n, 0);
				total += n;
			}
		}
	}
	ktest_print("  %ld %s records checked\n", total, mode);
}

KTEST(crypto_aes, cavp_ecb)
{
	check_block_mode("ECB", "ECB", "ecb");
}

KTEST(crypto_aes, cavp_cbc)
{
	check_block_mode("CBC", "CBC", "cbc");
}

KTEST(crypto_aes, cavp_cfb128)
{
	check_block_mode("CFB", "CFB128", "cfb");
}

KTEST(crypto_aes, ctr_rfc3686)
{
	size_t nimpl = impl_count();
	long total = 0;

	for (size_t i = 0; i < nimpl; i++) {
		for (unsigned int bits = 128; bits <= 256; bits += 64) {
			char path[128];
			struct vec_file f;

			snprintf(path, sizeof(path), "ciphers/AES/CTR/aes-%u-ctr.txt", bits);
			ASSERT_EQ(vec_open(&f, path), 0);
			while (vec_next(&f)) {
				uint8_t key[32], iv[16], pt[128], ct[128], out[128];
				size_t kl = vec_hex(&f, "KEY", key, sizeof(key));
				size_t pl = vec_hex(&f, "PLAINTEXT", pt, sizeof(pt));
				struct aes_ctx a;

				EXPECT_EQ(vec_hex(&f, "IV", iv, sizeof(iv)), 16);
				EXPECT_EQ(vec_hex(&f, "CIPHERTEXT", ct, sizeof(ct)), pl);
				ASSERT_EQ(aes_init_impl(&a, key, kl, all_impls[i]), 0);
				aes_ctr(&a, iv, pt, out, pl);
				EXPECT_MEMEQ(out, ct, pl);
				aes_ctr(&a, iv, ct, out, pl);
				EXPECT_MEMEQ(out, pt, pl);
				total++;
			}
			vec_close(&f);
		}
	}
	EXPECT_EQ(total, 9 * (long)nimpl);
}

/* ---- GCM known answers ---------------------------------------------------------------------- */

static void check_gcm_file(const char *path, int decrypt_file, enum aes_impl impl, long *ok,
			   long *fails)
{
	struct vec_file f;

	if (vec_open(&f, path) != 0) {
		ktest_report_failure(__FILE__, __LINE__, "cannot open %s", path);
		return;
	}
	while (vec_next(&f)) {
		uint8_t key[32], iv[256], pt[256], ct[256], aad[256], tag[16], out[256], t[16];
		size_t kl = vec_hex(&f, "Key", key, sizeof(key));
		size_t il = vec_hex(&f, "IV", iv, sizeof(iv));
		size_t cl = vec_hex(&f, "CT", ct, sizeof(ct));
		size_t al = vec_hex(&f, "AAD", aad, sizeof(aad));
		size_t tl = vec_hex(&f, "Tag", tag, sizeof(tag));
		size_t pl = vec_hex(&f, "PT", pt, sizeof(pt));
		struct gcm_ctx g;
		int rc;

		if (kl == (size_t)-1 || il == (size_t)-1 || cl == (size_t)-1 || al == (size_t)-1 ||
		    tl == (size_t)-1 || (pl == (size_t)-1 && !decrypt_file)) {
			ktest_report_failure(__FILE__, __LINE__, "%s:%u: malformed record", path,
					     f.line_no);
			break;
		}
		if (gcm_init_impl(&g, key, kl, impl) != 0) {
			ktest_report_failure(__FILE__, __LINE__, "%s:%u: key rejected", path, f.line_no);
			break;
		}
		memset(out, 0xAA, sizeof(out));
		rc = gcm_decrypt(&g, iv, il, aad, al, ct, out, cl, tag, tl);
		if (pl == (size_t)-1) {
			/* A FAIL record: the tag must not verify, and nothing may be released. */
			static const uint8_t zero[256];

			if (rc != AES_ERR_AUTH || memcmp(out, zero, cl) != 0) {
				ktest_report_failure(__FILE__, __LINE__, "%s:%u %s: FAIL record accepted (%d)",
						     path, f.line_no, impl_name(impl), rc);
			}
			(*fails)++;
		} else {
			if (rc != 0 || pl != cl || memcmp(out, pt, pl) != 0) {
				ktest_report_failure(__FILE__, __LINE__, "%s:%u %s: decrypt failed (%d)",
						     path, f.line_no, impl_name(impl), rc);
			}
			rc = gcm_encrypt(&g, iv, il, aad, al, pt, out, pl, t, tl);
			if (rc != 0 || memcmp(out, ct, cl) != 0 || memcmp(t, tag, tl) != 0) {
				ktest_report_failure(__FILE__, __LINE__, "%s:%u %s: encrypt failed (%d)",
						     path, f.line_no, impl_name(impl), rc);
			}
			(*ok)++;
		}
		gcm_wipe(&g);
	}
	vec_close(&f);
}

KTEST(crypto_aes, cavp_gcm)
{
	size_t nimpl = impl_count();

	for (size_t i = 0; i < nimpl; i++) {
		long ok = 0, fails = 0;

		for (unsigned int bits = 128; bits <= 256; bits += 64) {
			char path[128];

			snprintf(path, sizeof(path), "ciphers/AES/GCM/gcmEncryptExtIV%u.rsp", bits);
			check_gcm_file(path, 0, all_impls[i], &ok, &fails);
			snprintf(path, sizeof(path), "ciphers/AES/GCM/gcmDecrypt%u.rsp", bits);
			check_gcm_file(path, 1, all_impls[i], &ok, &fails);
		}
		ktest_print("  %s: %ld GCM records verified, %ld FAIL records rejected\n",
			    impl_name(all_impls[i]), ok, fails);
		EXPECT_GT(ok, 35000);
		EXPECT_GT(fails, 10000);
	}
}

/* ---- Randomized differential tests against OpenSSL ------------------------------------------ */

#define MAXLEN 2048

/* A random split of len into pieces: the next piece length. */
static size_t piece(struct rng *r, size_t left, size_t gran)
{
	size_t n = rng_below(r, 4) == 0 ? left : rng_below(r, 40);

	n -= n % gran;
	return n > left ? left : n;
}

KTEST(crypto_aes, random_ecb_cbc_vs_openssl)
{
	struct rng r = { RNG_SEED };
	size_t nimpl = impl_count();
	static uint8_t in[MAXLEN], ref[MAXLEN], out[MAXLEN], back[MAXLEN];

	for (long step = 0; step < 2 * RANDOM_CASES; step++) {
		/* RANDOM_CASES cases of each mode. */
		long it = step / 2;
		int cbc = (int)(step & 1);
		uint8_t key[32], iv[16], ivw[16];
		size_t kl = random_key_len(&r);
		size_t len = rng_len(&r) & ~(size_t)15;

		rng_bytes(&r, key, kl);
		rng_bytes(&r, iv, 16);
		rng_bytes(&r, in, len);
		ASSERT_EQ(evp_crypt(cbc ? "cbc" : "ecb", key, kl, iv, in, len, ref, 1), 0);
		for (size_t i = 0; i < nimpl; i++) {
			struct aes_ctx a;
			size_t done = 0;

			ASSERT_EQ(aes_init_impl(&a, key, kl, all_impls[i]), 0);
			memcpy(ivw, iv, 16);
			/* Encrypt in random whole-block pieces (CBC chains through ivw). */
			while (done < len) {
				size_t n = piece(&r, len - done, 16);

				EXPECT_EQ(cbc ? aes_cbc_encrypt(&a, ivw, in + done, out + done, n)
					      : aes_ecb_encrypt(&a, in + done, out + done, n),
					  0);
				done += n;
			}
			if (memcmp(out, ref, len) != 0) {
				ktest_report_failure(__FILE__, __LINE__,
						     "%s %s seed 0x%llx iteration %ld: encrypt differs",
						     cbc ? "cbc" : "ecb", impl_name(all_impls[i]),
						     (unsigned long long)RNG_SEED, it);
				return;
			}
			/* Decrypt in place, in one call. */
			memcpy(back, out, len);
			memcpy(ivw, iv, 16);
			EXPECT_EQ(cbc ? aes_cbc_decrypt(&a, ivw, back, back, len)
				      : aes_ecb_decrypt(&a, back, back, len),
				  0);
			if (memcmp(back, in, len) != 0) {
				ktest_report_failure(__FILE__, __LINE__,
						     "%s %s seed 0x%llx iteration %ld: decrypt differs",
						     cbc ? "cbc" : "ecb", impl_name(all_impls[i]),
						     (unsigned long long)RNG_SEED, it);
				return;
			}
			aes_wipe(&a);
		}
	}
}

/* CFB128 (mode 0) and CTR (mode 1): one-shot, streaming at random splits, decryption. */
static void random_stream_mode(int ctr)
{
	struct rng r = { RNG_SEED ^ (uint64_t)(ctr + 1) };
	size_t nimpl = impl_count();
	static uint8_t in[MAXLEN], ref[MAXLEN], out[MAXLEN], st[MAXLEN], back[MAXLEN];
	const char *mode = ctr ? "ctr" : "cfb";

	for (long it = 0; it < RANDOM_CASES; it++) {
		uint8_t key[32], iv[16];
		size_t kl = random_key_len(&r);
		size_t len = rng_len(&r);

		rng_bytes(&r, key, kl);
		rng_bytes(&r, iv, 16);
		if (ctr && rng_below(&r, 4) == 0) {
			/* Counters about to carry across 64 bits and wrap at 2^128. */
			memset(iv + rng_below(&r, 13), 0xFF, 4);
			memset(iv + 8, 0xFF, 8 - rng_below(&r, 2));
		}
		rng_bytes(&r, in, len);
		ASSERT_EQ(evp_crypt(ctr ? "ctr" : "cfb", key, kl, iv, in, len, ref, 1), 0);
		for (size_t i = 0; i < nimpl; i++) {
			struct aes_ctx a;
			size_t done = 0;

			ASSERT_EQ(aes_init_impl(&a, key, kl, all_impls[i]), 0);
			if (ctr) {
				struct aes_ctr_ctx c;

				aes_ctr(&a, iv, in, out, len);
				aes_ctr_init(&c, &a, iv);
				while (done < len) {
					size_t n = piece(&r, len - done, 1);

					aes_ctr_update(&c, in + done, st + done, n);
					done += n;
				}
				aes_ctr_wipe(&c);
				memcpy(back, out, len);
				aes_ctr(&a, iv, back, back, len);
			} else {
				struct aes_cfb_ctx c;

				aes_cfb_encrypt(&a, iv, in, out, len);
				aes_cfb_init(&c, &a, iv);
				while (done < len) {
					size_t n = piece(&r, len - done, 1);

					aes_cfb_encrypt_update(&c, in + done, st + done, n);
					done += n;
				}
				/* Streaming decryption, in place, at other splits. */
				memcpy(back, out, len);
				aes_cfb_init(&c, &a, iv);
				for (done = 0; done < len;) {
					size_t n = piece(&r, len - done, 1);

					aes_cfb_decrypt_update(&c, back + done, back + done, n);
					done += n;
				}
				aes_cfb_wipe(&c);
			}
			if (memcmp(out, ref, len) != 0 || memcmp(st, ref, len) != 0 ||
			    memcmp(back, in, len) != 0) {
				ktest_report_failure(__FILE__, __LINE__,
						     "%s %s seed 0x%llx iteration %ld (len %zu): one-shot %d "
						     "stream %d decrypt %d",
						     mode, impl_name(all_impls[i]),
						     (unsigned long long)RNG_SEED, it, len,
						     memcmp(out, ref, len) == 0, memcmp(st, ref, len) == 0,
						     memcmp(back, in, len) == 0);
				return;
			}
			aes_wipe(&a);
		}
	}
}

KTEST(crypto_aes, random_cfb128_vs_openssl)
{
	random_stream_mode(0);
}

KTEST(crypto_aes, random_ctr_vs_openssl)
{
	random_stream_mode(1);
}

KTEST(crypto_aes, random_gcm_vs_openssl)
{
	static const size_t tag_lens[] = { 16, 15, 14, 13, 12, 8, 4 };
	struct rng r = { RNG_SEED ^ 0x6c6c };
	size_t nimpl = impl_count();
	static uint8_t in[MAXLEN], ref[MAXLEN], out[MAXLEN], st[MAXLEN], aad[MAXLEN];

	for (long it = 0; it < RANDOM_CASES; it++) {
		uint8_t key[32], iv[64], rtag[16], tag[16], stag[16];
		size_t kl = random_key_len(&r);
		size_t len = rng_len(&r);
		size_t al = rng_below(&r, 3) == 0 ? 0 : rng_len(&r);
		size_t il = rng_below(&r, 2) == 0 ? 12 : 1 + rng_below(&r, sizeof(iv));
		size_t tl = tag_lens[rng_below(&r, sizeof(tag_lens) / sizeof(tag_lens[0]))];

		rng_bytes(&r, key, kl);
		rng_bytes(&r, iv, il);
		rng_bytes(&r, in, len);
		rng_bytes(&r, aad, al);
		ASSERT_EQ(evp_gcm_encrypt(key, kl, iv, il, aad, al, in, len, ref, rtag, tl), 0);
		for (size_t i = 0; i < nimpl; i++) {
			struct gcm_ctx g;
			size_t done;
			int ok;

			ASSERT_EQ(gcm_init_impl(&g, key, kl, all_impls[i]), 0);
			EXPECT_EQ(gcm_encrypt(&g, iv, il, aad, al, in, out, len, tag, tl), 0);
			/* The same message streamed at random splits (AAD too). */
			EXPECT_EQ(gcm_start(&g, iv, il), 0);
			for (done = 0; done < al;) {
				size_t n = piece(&r, al - done, 1);

				EXPECT_EQ(gcm_aad(&g, aad + done, n), 0);
				done += n;
			}
			for (done = 0; done < len;) {
				size_t n = piece(&r, len - done, 1);

				EXPECT_EQ(gcm_encrypt_update(&g, in + done, st + done, n), 0);
				done += n;
			}
			EXPECT_EQ(gcm_encrypt_final(&g, stag, tl), 0);
			ok = memcmp(out, ref, len) == 0 && memcmp(tag, rtag, tl) == 0 &&
			     memcmp(st, ref, len) == 0 && memcmp(stag, rtag, tl) == 0;
			/* Decrypt in place, and reject a corrupted tag. */
			memcpy(st, ref, len);
			ok = ok && gcm_decrypt(&g, iv, il, aad, al, st, st, len, rtag, tl) == 0 &&
			     memcmp(st, in, len) == 0;
			rtag[rng_below(&r, tl)] ^= (uint8_t)(1u << rng_below(&r, 8));
			ok = ok && gcm_decrypt(&g, iv, il, aad, al, ref, st, len, rtag, tl) == AES_ERR_AUTH;
			if (!ok) {
				ktest_report_failure(__FILE__, __LINE__,
						     "gcm %s seed 0x%llx iteration %ld (key %zu iv %zu aad %zu "
						     "len %zu tag %zu) differs",
						     impl_name(all_impls[i]), (unsigned long long)RNG_SEED, it,
						     kl, il, al, len, tl);
				return;
			}
			/* Undo the corruption for the next path. */
			ASSERT_EQ(evp_gcm_encrypt(key, kl, iv, il, aad, al, in, len, ref, rtag, tl), 0);
			gcm_wipe(&g);
		}
	}
}

/* The guest-request shape: AES-256-GCM, 96-bit IV, 16-byte tag, header as AAD, in place. */
KTEST(crypto_aes, gcm_guest_request_shape)
{
	struct rng r = { RNG_SEED ^ 0x5350 };
	size_t nimpl = impl_count();
	static uint8_t msg[4000], ref[4000], buf[4000];
	uint8_t key[32], iv[12], aad[48], tag[16], rtag[16];

	rng_bytes(&r, key, sizeof(key));
	rng_bytes(&r, iv, sizeof(iv));
	rng_bytes(&r, aad, sizeof(aad));
	rng_bytes(&r, msg, sizeof(msg));
	ASSERT_EQ(evp_gcm_encrypt(key, 32, iv, 12, aad, sizeof(aad), msg, sizeof(msg), ref, rtag, 16),
		  0);
	for (size_t i = 0; i < nimpl; i++) {
		struct gcm_ctx g;

		ASSERT_EQ(gcm_init_impl(&g, key, 32, all_impls[i]), 0);
		memcpy(buf, msg, sizeof(buf));
		EXPECT_EQ(gcm_encrypt(&g, iv, 12, aad, sizeof(aad), buf, buf, sizeof(buf), tag, 16), 0);
		EXPECT_MEMEQ(buf, ref, sizeof(buf));
		EXPECT_MEMEQ(tag, rtag, 16);
		EXPECT_EQ(gcm_decrypt(&g, iv, 12, aad, sizeof(aad), buf, buf, sizeof(buf), tag, 16), 0);
		EXPECT_MEMEQ(buf, msg, sizeof(buf));
		gcm_wipe(&g);
	}
}

/* ---- Malformed input ------------------------------------------------------------------------ */

KTEST(crypto_aes, rejects_bad_key_lengths)
{
	static const size_t bad[] = { 0, 1, 8, 15, 17, 20, 23, 25, 31, 33, 48, 64 };
	uint8_t key[64] = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct aes_ctx a;
		struct gcm_ctx g;

		EXPECT_EQ(aes_init(&a, key, bad[i]), AES_ERR_INVALID);
		EXPECT_EQ(aes_init_impl(&a, key, bad[i], AES_IMPL_PORTABLE), AES_ERR_INVALID);
		EXPECT_EQ(gcm_init(&g, key, bad[i]), AES_ERR_INVALID);
		/* A failed gcm_init leaves a context that refuses to start. */
		EXPECT_EQ(gcm_start(&g, key, 12), AES_ERR_INVALID);
	}
	{
		struct aes_ctx a;

		EXPECT_EQ(aes_init_impl(&a, key, 16, (enum aes_impl)7), AES_ERR_INVALID);
	}
}

KTEST(crypto_aes, simd_request_without_simd)
{
	struct aes_ctx a;
	uint8_t key[16] = { 0 };

	setenv("BASTION_NO_SIMD", "1", 1);
	EXPECT_EQ(aes_init_impl(&a, key, 16, AES_IMPL_SIMD), AES_ERR_UNSUPPORTED);
	EXPECT_EQ(aes_init(&a, key, 16), 0);
	EXPECT_EQ(a.impl, AES_IMPL_PORTABLE);
	unsetenv("BASTION_NO_SIMD");
}

KTEST(crypto_aes, rejects_partial_blocks)
{
	size_t nimpl = impl_count();
	uint8_t key[16] = { 1 }, iv[16] = { 2 }, ivw[16], in[48] = { 3 }, out[48];

	for (size_t i = 0; i < nimpl; i++) {
		struct aes_ctx a;

		ASSERT_EQ(aes_init_impl(&a, key, 16, all_impls[i]), 0);
		for (size_t len = 1; len < 48; len++) {
			if (len % 16 == 0) {
				continue;
			}
			memset(out, 0x5A, sizeof(out));
			memcpy(ivw, iv, 16);
			EXPECT_EQ(aes_cbc_encrypt(&a, ivw, in, out, len), AES_ERR_INVALID);
			EXPECT_EQ(aes_cbc_decrypt(&a, ivw, in, out, len), AES_ERR_INVALID);
			EXPECT_EQ(aes_ecb_encrypt(&a, in, out, len), AES_ERR_INVALID);
			EXPECT_EQ(aes_ecb_decrypt(&a, in, out, len), AES_ERR_INVALID);
			/* Nothing written, the chaining value untouched. */
			EXPECT_MEMEQ(ivw, iv, 16);
			for (size_t b = 0; b < sizeof(out); b++) {
				EXPECT_EQ(out[b], 0x5A);
			}
		}
		memcpy(ivw, iv, 16);
		EXPECT_EQ(aes_cbc_encrypt(&a, ivw, in, out, 0), 0);
		EXPECT_MEMEQ(ivw, iv, 16);
	}
}

KTEST(crypto_aes, gcm_rejects_bad_parameters)
{
	size_t nimpl = impl_count();
	uint8_t key[32] = { 7 }, iv[12] = { 9 }, aad[20] = { 1 }, pt[40] = { 2 }, ct[40], out[40];
	uint8_t tag[16];

	for (size_t i = 0; i < nimpl; i++) {
		struct gcm_ctx g;

		ASSERT_EQ(gcm_init_impl(&g, key, 32, all_impls[i]), 0);
		ASSERT_EQ(gcm_encrypt(&g, iv, 12, aad, 20, pt, ct, 40, tag, 16), 0);
		/* Tag lengths outside SP 800-38D's set. */
		for (size_t tl = 0; tl <= 20; tl++) {
			int allowed = (tl >= 12 && tl <= 16) || tl == 8 || tl == 4;

			if (allowed) {
				continue;
			}
			EXPECT_EQ(gcm_encrypt(&g, iv, 12, aad, 20, pt, out, 40, tag, tl), AES_ERR_INVALID);
			memset(out, 0x5A, sizeof(out));
			EXPECT_EQ(gcm_decrypt(&g, iv, 12, aad, 20, ct, out, 40, tag, tl), AES_ERR_INVALID);
			EXPECT_EQ(out[0], 0x5A);
			EXPECT_EQ(gcm_start(&g, iv, 12), 0);
			EXPECT_EQ(gcm_encrypt_final(&g, tag + 0, tl == 0 ? 0 : tl), AES_ERR_INVALID);
		}
		/* IV length 0. */
		EXPECT_EQ(gcm_start(&g, iv, 0), AES_ERR_INVALID);
		EXPECT_EQ(gcm_encrypt(&g, iv, 0, aad, 20, pt, out, 40, tag, 16), AES_ERR_INVALID);
		EXPECT_EQ(gcm_decrypt(&g, iv, 0, aad, 20, ct, out, 40, tag, 16), AES_ERR_INVALID);
		/* Every single-bit change of the tag, the ciphertext, the AAD or the IV fails, and
		 * the output is wiped. */
		ASSERT_EQ(gcm_encrypt(&g, iv, 12, aad, 20, pt, ct, 40, tag, 16), 0);
		for (size_t bit = 0; bit < 128; bit++) {
			tag[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			memset(out, 0x5A, sizeof(out));
			EXPECT_EQ(gcm_decrypt(&g, iv, 12, aad, 20, ct, out, 40, tag, 16), AES_ERR_AUTH);
			EXPECT_EQ(out[0] | out[39], 0);
			tag[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		for (size_t bit = 0; bit < 8 * sizeof(ct); bit += 7) {
			ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			EXPECT_EQ(gcm_decrypt(&g, iv, 12, aad, 20, ct, out, 40, tag, 16), AES_ERR_AUTH);
			ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		aad[3] ^= 0x10;
		EXPECT_EQ(gcm_decrypt(&g, iv, 12, aad, 20, ct, out, 40, tag, 16), AES_ERR_AUTH);
		aad[3] ^= 0x10;
		iv[11] ^= 0x01;
		EXPECT_EQ(gcm_decrypt(&g, iv, 12, aad, 20, ct, out, 40, tag, 16), AES_ERR_AUTH);
		iv[11] ^= 0x01;
		/* A truncated tag checks only its bytes. */
		EXPECT_EQ(gcm_decrypt(&g, iv, 12, aad, 20, ct, out, 40, tag, 16), 0);
		ASSERT_EQ(gcm_encrypt(&g, iv, 12, aad, 20, pt, ct, 40, tag, 12), 0);
		tag[12] ^= 0x80;  /* beyond the 12 bytes written */
		EXPECT_EQ(gcm_decrypt(&g, iv, 12, aad, 20, ct, out, 40, tag, 12), 0);
		EXPECT_EQ(gcm_decrypt(&g, iv, 12, aad, 20, ct, out, 40, tag, 13), AES_ERR_AUTH);
		/* Calls out of order. */
		EXPECT_EQ(gcm_encrypt_update(&g, pt, out, 16), AES_ERR_INVALID); /* no start */
		EXPECT_EQ(gcm_aad(&g, aad, 1), AES_ERR_INVALID);
		EXPECT_EQ(gcm_start(&g, iv, 12), 0);
		EXPECT_EQ(gcm_encrypt_update(&g, pt, out, 16), 0);
		EXPECT_EQ(gcm_aad(&g, aad, 1), AES_ERR_INVALID);             /* AAD after data */
		EXPECT_EQ(gcm_decrypt_update(&g, ct, out, 16), AES_ERR_INVALID); /* mixed */
		EXPECT_EQ(gcm_decrypt_final(&g, tag, 16), AES_ERR_INVALID);
		EXPECT_EQ(gcm_encrypt_final(&g, tag, 16), 0);
		EXPECT_EQ(gcm_encrypt_final(&g, tag, 16), AES_ERR_INVALID);  /* after final */
		gcm_wipe(&g);
	}
}
