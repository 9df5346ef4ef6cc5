/*
 * crypto/hmac.h, crypto/hkdf.h, crypto/kdf.h.
 *
 * Known answers: RFC 4231 (HMAC-SHA-256/384/512) and RFC 2202 (HMAC-SHA-1), RFC 5869 (HKDF
 * with SHA-256 and SHA-1), and the NIST CAVP SP 800-108 counter-mode records with an HMAC PRF
 * and a 32-bit counter before the fixed data (the layout KDFa uses), all from the
 * python3-cryptography-vectors package.
 * Differential against OpenSSL 3, 10000 random cases each:
 *   HMAC (each hash; streamed, one-shot, context reuse) vs HMAC();
 *   HKDF vs EVP_KDF "HKDF";
 *   KDFa vs EVP_KDF "KBKDF" (mode counter, mac HMAC, salt = Label, info = ContextU||ContextV,
 *     use-separator = 1 unless the label already ends in 0, use-l = 1), and for sizes that are
 *     not whole octets vs a straight-from-the-spec construction over OpenSSL HMAC();
 *   KDFe vs EVP_KDF "SSKDF" (one-step, digest; key = Z, info = Label||0||PartyU||PartyV).
 */
#include "crypto/hkdf.h"
#include "crypto/hmac.h"
#include "crypto/kdf.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <stdlib.h>
#include <string.h>

#include "tests/crypto/vectors.h"
#include "tests/ktest/ktest.h"

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

static const EVP_MD *evp_md(enum hash_id id)
{
	switch (id) {
	case HASH_SHA1:
		return EVP_sha1();
	case HASH_SHA256:
		return EVP_sha256();
	case HASH_SHA384:
		return EVP_sha384();
	case HASH_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

static const char *ossl_name(enum hash_id id)
{
	static const char *const names[] = { "SHA1", "SHA256", "SHA384", "SHA512" };

	return names[id];
}

/* ---- HMAC known answers ---------------------------------------------------------------- */

static void run_hmac_file(enum hash_id id, const char *path, unsigned int want)
{
	struct vec_file f;
	uint8_t key[256], msg[256], md[64], out[64];
	unsigned int n = 0;
	size_t dl = hash_alg_get(id)->digest_size;

	if (vec_open(&f, path) != 0) {
		ktest_report_failure(__FILE__, __LINE__, "cannot open %s", path);
		return;
	}
	while (vec_next(&f)) {
		size_t kl = vec_hex(&f, "Key", key, sizeof(key));
		size_t ml = vec_hex(&f, "Msg", msg, sizeof(msg));
		size_t tl = vec_hex(&f, "MD", md, sizeof(md));
		struct hmac_ctx h;

		if (kl == (size_t)-1 || ml == (size_t)-1 || tl == (size_t)-1) {
			continue;
		}
		if (tl != dl) {
			ktest_report_failure(__FILE__, __LINE__, "%s line %u: tag length", path,
					     f.line_no);
			continue;
		}
		EXPECT_EQ(hmac_oneshot(id, key, kl, msg, ml, out), 0);
		if (memcmp(out, md, dl) != 0) {
			ktest_report_failure(__FILE__, __LINE__, "%s line %u: mismatch", path,
					     f.line_no);
		}
		/* Streamed byte by byte, then the same context reused for the same message. */
		ASSERT_EQ(hmac_init(&h, id, key, kl), 0);
		for (size_t i = 0; i < ml; i++) {
			hmac_update(&h, msg + i, 1);
		}
		hmac_final(&h, out);
		EXPECT_MEMEQ(out, md, dl);
		hmac_update(&h, msg, ml);
		EXPECT_EQ(hmac_verify(&h, md, dl), 0);
		hmac_wipe(&h);
		n++;
	}
	vec_close(&f);
	EXPECT_EQ(n, want);
}

KTEST(crypto_hmac, rfc4231_rfc2202)
{
	run_hmac_file(HASH_SHA1, "HMAC/rfc-2202-sha1.txt", 7);
	run_hmac_file(HASH_SHA256, "HMAC/rfc-4231-sha256.txt", 6);
	run_hmac_file(HASH_SHA384, "HMAC/rfc-4231-sha384.txt", 6);
	run_hmac_file(HASH_SHA512, "HMAC/rfc-4231-sha512.txt", 6);
}

/* RFC 4231 test case 5: the tag truncated to 128 bits (the package leaves it out). */
KTEST(crypto_hmac, rfc4231_truncated_verify)
{
	static const uint8_t want[16] = { 0xa3, 0xb6, 0x16, 0x74, 0x73, 0x10, 0x0e, 0xe0,
					  0x6e, 0x0c, 0x79, 0x6c, 0x29, 0x55, 0x55, 0x2b };
	uint8_t key[20], bad[16];
	struct hmac_ctx h;

	memset(key, 0x0c, sizeof(key));
	ASSERT_EQ(hmac_init(&h, HASH_SHA256, key, sizeof(key)), 0);
	hmac_update(&h, "Test With Truncation", 20);
	EXPECT_EQ(hmac_verify(&h, want, 16), 0);
	memcpy(bad, want, 16);
	for (size_t i = 0; i < 16; i++) {
		bad[i] ^= 0x80;
		hmac_update(&h, "Test With Truncation", 20);
		EXPECT_EQ(hmac_verify(&h, bad, 16), HMAC_ERR_MISMATCH);
		bad[i] ^= 0x80;
	}
	/* Out-of-range tag lengths are rejected, whatever the tag. */
	hmac_update(&h, "Test With Truncation", 20);
	EXPECT_EQ(hmac_verify(&h, want, 0), HMAC_ERR_MISMATCH);
	hmac_update(&h, "Test With Truncation", 20);
	EXPECT_EQ(hmac_verify(&h, want, 33), HMAC_ERR_MISMATCH);
	/* hmac_reset drops a half-fed message. */
	hmac_update(&h, "garbage", 7);
	hmac_reset(&h);
	hmac_update(&h, "Test With Truncation", 20);
	EXPECT_EQ(hmac_verify(&h, want, 16), 0);
	hmac_wipe(&h);
}

KTEST(crypto_hmac, bad_alg_and_wipe)
{
	struct hmac_ctx h;
	uint8_t out[64];
	bool zero = true;

	EXPECT_EQ(hmac_init(&h, HASH_COUNT, (const uint8_t *)"k", 1), HMAC_ERR_ALG);
	EXPECT_EQ(hmac_oneshot((enum hash_id)-1, NULL, 0, "m", 1, out), HMAC_ERR_ALG);
	ASSERT_EQ(hmac_init(&h, HASH_SHA256, (const uint8_t *)"key", 3), 0);
	hmac_wipe(&h);
	for (size_t i = 0; i < sizeof(h); i++) {
		zero &= ((const uint8_t *)&h)[i] == 0;
	}
	EXPECT_TRUE(zero);
}

/* 10000 random (key, message) pairs per hash: keys 0..300 bytes (shorter and longer than a
 * block), messages 0..600, split at a random point, against OpenSSL's HMAC(). */
KTEST(crypto_hmac, random_vs_openssl)
{
	uint8_t key[300], msg[600], ours[64], theirs[64];

	rng_state = 0x4a4c0001;
	for (int id = 0; id < HASH_COUNT; id++) {
		size_t dl = hash_alg_get((enum hash_id)id)->digest_size;
		struct hmac_ctx h;
		size_t kl0 = 0;

		for (unsigned int it = 0; it < 10000; it++) {
			size_t kl = (size_t)(rnd64() % sizeof(key));
			size_t ml = (size_t)(rnd64() % sizeof(msg));
			size_t cut = (size_t)(rnd64() % (ml + 1));
			unsigned int ol = 0;

			/* Every fourth case reuses the previous key's context. */
			if (it == 0 || rnd64() % 4 != 0) {
				rnd_bytes(key, kl);
				if (it > 0) {
					hmac_wipe(&h);
				}
				ASSERT_EQ(hmac_init(&h, (enum hash_id)id, key, kl), 0);
				kl0 = kl;
			}
			rnd_bytes(msg, ml);
			ASSERT_NOT_NULL(HMAC(evp_md((enum hash_id)id), kl0 ? key : (const uint8_t *)"",
					     (int)kl0, msg, ml, theirs, &ol));
			hmac_update(&h, msg, cut);
			hmac_update(&h, msg + cut, ml - cut);
			hmac_final(&h, ours);
			if (memcmp(ours, theirs, dl) != 0) {
				ktest_report_failure(__FILE__, __LINE__,
						     "HMAC-%s mismatch seed 0x4a4c0001 iter %u",
						     ossl_name((enum hash_id)id), it);
				break;
			}
			if (rnd64() % 8 == 0) {
				hmac_oneshot((enum hash_id)id, key, kl0, msg, ml, ours);
				if (memcmp(ours, theirs, dl) != 0) {
					ktest_report_failure(__FILE__, __LINE__,
							     "one-shot mismatch iter %u", it);
					break;
				}
			}
		}
		hmac_wipe(&h);
	}
}

/* ---- HKDF ------------------------------------------------------------------------------ */

/* The package's RFC 5869 files put a blank line between the inputs (IKM, salt, info, L) and
 * the outputs (PRK, OKM), so one test case spans two records: inputs first. */
static void run_hkdf_file(enum hash_id id, const char *path, unsigned int want)
{
	struct vec_file f;
	uint8_t ikm[256], salt[256], info[256], prk[64], okm[512], out[512];
	unsigned int n = 0;
	size_t dl = hash_alg_get(id)->digest_size;
	size_t il = (size_t)-1, sl = 0, nl = 0, l = 0;

	if (vec_open(&f, path) != 0) {
		ktest_report_failure(__FILE__, __LINE__, "cannot open %s", path);
		return;
	}
	while (vec_next(&f)) {
		const char *ls = vec_get(&f, "L");
		size_t pl, ol;

		if (ls != NULL) {
			l = strtoul(ls, NULL, 10);
			il = vec_hex(&f, "IKM", ikm, sizeof(ikm));
			sl = vec_hex(&f, "salt", salt, sizeof(salt));
			nl = vec_hex(&f, "info", info, sizeof(info));
			if (sl == (size_t)-1) {
				sl = 0; /* "salt not provided": HashLen zeros, the same as empty */
			}
			if (nl == (size_t)-1) {
				nl = 0;
			}
		}
		if (vec_get(&f, "OKM") == NULL) {
			continue;
		}
		pl = vec_hex(&f, "PRK", prk, sizeof(prk));
		ol = vec_hex(&f, "OKM", okm, sizeof(okm));
		if (il == (size_t)-1 || pl != dl || ol != l) {
			ktest_report_failure(__FILE__, __LINE__, "%s line %u: bad record", path,
					     f.line_no);
			continue;
		}
		EXPECT_EQ(hkdf_extract(id, salt, sl, ikm, il, out), 0);
		EXPECT_MEMEQ(out, prk, dl);
		EXPECT_EQ(hkdf_expand(id, prk, pl, info, nl, out, l), 0);
		EXPECT_MEMEQ(out, okm, l);
		memset(out, 0, sizeof(out));
		EXPECT_EQ(hkdf(id, sl ? salt : NULL, sl, ikm, il, nl ? info : NULL, nl, out, l), 0);
		EXPECT_MEMEQ(out, okm, l);
		il = (size_t)-1;
		n++;
	}
	vec_close(&f);
	EXPECT_EQ(n, want);
}

KTEST(crypto_hkdf, rfc5869)
{
	run_hkdf_file(HASH_SHA256, "KDF/rfc-5869-HKDF-SHA256.txt", 3);
	run_hkdf_file(HASH_SHA1, "KDF/rfc-5869-HKDF-SHA1.txt", 4);
}

KTEST(crypto_hkdf, rejects_bad_lengths)
{
	uint8_t prk[64] = { 0 }, out[255 * 64 + 1];

	EXPECT_EQ(hkdf_expand(HASH_SHA256, prk, 32, NULL, 0, out, 0), HKDF_ERR_LEN);
	EXPECT_EQ(hkdf_expand(HASH_SHA256, prk, 32, NULL, 0, out, 255 * 32 + 1), HKDF_ERR_LEN);
	EXPECT_EQ(hkdf_expand(HASH_SHA256, prk, 32, NULL, 0, out, 255 * 32), 0);
	EXPECT_EQ(hkdf_expand(HASH_SHA256, prk, 31, NULL, 0, out, 16), HKDF_ERR_LEN);
	EXPECT_EQ(hkdf_expand(HASH_SHA1, prk, 20, NULL, 0, out, 255 * 20 + 1), HKDF_ERR_LEN);
	EXPECT_EQ(hkdf_expand(HASH_COUNT, prk, 32, NULL, 0, out, 16), HKDF_ERR_ALG);
	EXPECT_EQ(hkdf_extract(HASH_COUNT, NULL, 0, prk, 1, out), HKDF_ERR_ALG);
	EXPECT_EQ(hkdf(HASH_SHA512, NULL, 0, prk, 8, NULL, 0, out, 0), HKDF_ERR_LEN);
	EXPECT_EQ(hkdf(HASH_SHA512, NULL, 0, prk, 8, NULL, 0, out, 255 * 64 + 1), HKDF_ERR_LEN);
	EXPECT_EQ(hkdf(HASH_COUNT, NULL, 0, prk, 8, NULL, 0, out, 16), HKDF_ERR_ALG);
}

static int ossl_hkdf(enum hash_id id, const uint8_t *salt, size_t sl, const uint8_t *ikm,
		     size_t il, const uint8_t *info, size_t nl, uint8_t *out, size_t ol)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kc = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM p[5], *q = p;
	int rc;

	*q++ = OSSL_PARAM_construct_utf8_string("digest", (char *)ossl_name(id), 0);
	*q++ = OSSL_PARAM_construct_octet_string("key", (void *)ikm, il);
	*q++ = OSSL_PARAM_construct_octet_string("salt", (void *)salt, sl);
	*q++ = OSSL_PARAM_construct_octet_string("info", (void *)info, nl);
	*q = OSSL_PARAM_construct_end();
	rc = EVP_KDF_derive(kc, out, ol, p);
	EVP_KDF_CTX_free(kc);
	EVP_KDF_free(kdf);
	return rc == 1 ? 0 : -1;
}

KTEST(crypto_hkdf, random_vs_openssl)
{
	uint8_t salt[200], ikm[200], info[200], ours[1024], theirs[1024];

	rng_state = 0x48b0f001;
	for (unsigned int it = 0; it < 10000; it++) {
		enum hash_id id = (enum hash_id)(it % HASH_COUNT);
		size_t dl = hash_alg_get(id)->digest_size;
		size_t sl = (size_t)(rnd64() % sizeof(salt));
		size_t il = 1 + (size_t)(rnd64() % (sizeof(ikm) - 1));
		size_t nl = (size_t)(rnd64() % sizeof(info));
		size_t ol = 1 + (size_t)(rnd64() % (rnd64() % 8 == 0 ? sizeof(ours) : 4 * dl));

		rnd_bytes(salt, sl);
		rnd_bytes(ikm, il);
		rnd_bytes(info, nl);
		ASSERT_EQ(ossl_hkdf(id, salt, sl, ikm, il, info, nl, theirs, ol), 0);
		ASSERT_EQ(hkdf(id, salt, sl, ikm, il, info, nl, ours, ol), 0);
		if (memcmp(ours, theirs, ol) != 0) {
			ktest_report_failure(__FILE__, __LINE__,
					     "HKDF mismatch seed 0x48b0f001 iter %u", it);
			return;
		}
	}
}

/* ---- SP 800-108 / KDFa ------------------------------------------------------------------ */

/*
 * The CAVP file has three "[...]" headers per group (PRF, counter location, counter width),
 * which vectors.h folds into one section, so it is read here line by line. Returns the number
 * of records checked.
 */
static unsigned int run_kbkdf_file(void)
{
	char path[600], line[4096], prf[64] = "", loc[64] = "", rlen[64] = "";
	const char *dir = getenv("BASTION_VECTORS");
	uint8_t ki[256], fixed[512], ko[512], out[512];
	size_t kil = 0, fl = 0, kol = 0;
	unsigned long lbits = 0;
	unsigned int n = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/KDF/nist-800-108-KBKDF-CTR.txt",
		 dir != NULL ? dir : VEC_DEFAULT_DIR);
	fp = fopen(path, "r");
	if (fp == NULL) {
		ktest_report_failure(__FILE__, __LINE__, "cannot open %s", path);
		return 0;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *v;

		line[strcspn(line, "\r\n")] = 0;
		if (sscanf(line, "[PRF=%63[^]]]", prf) == 1 ||
		    sscanf(line, "[CTRLOCATION=%63[^]]]", loc) == 1 ||
		    sscanf(line, "[RLEN=%63[^]]]", rlen) == 1) {
			continue;
		}
		v = strstr(line, " = ");
		if (v == NULL || line[0] == '\t' || line[0] == ' ') {
			continue;
		}
		v += 3;
		if (strncmp(line, "L = ", 4) == 0) {
			lbits = strtoul(v, NULL, 10);
		} else if (strncmp(line, "KI = ", 5) == 0) {
			kil = vec_hex_str(v, ki, sizeof(ki));
		} else if (strncmp(line, "FixedInputData = ", 17) == 0) {
			fl = vec_hex_str(v, fixed, sizeof(fixed));
		} else if (strncmp(line, "KO = ", 5) == 0) {
			enum hash_id id;

			kol = vec_hex_str(v, ko, sizeof(ko));
			if (strcmp(loc, "BEFORE_FIXED") != 0 || strcmp(rlen, "32_BITS") != 0) {
				continue;
			}
			if (strcmp(prf, "HMAC_SHA1") == 0) {
				id = HASH_SHA1;
			} else if (strcmp(prf, "HMAC_SHA256") == 0) {
				id = HASH_SHA256;
			} else if (strcmp(prf, "HMAC_SHA384") == 0) {
				id = HASH_SHA384;
			} else if (strcmp(prf, "HMAC_SHA512") == 0) {
				id = HASH_SHA512;
			} else {
				continue;
			}
			if (kil == (size_t)-1 || fl == (size_t)-1 || kol != lbits / 8 ||
			    lbits % 8 != 0) {
				ktest_report_failure(__FILE__, __LINE__, "bad KBKDF record near %s",
						     line);
				continue;
			}
			EXPECT_EQ(kdf_sp800108_counter_hmac(id, ki, kil, fixed, fl, out, kol), 0);
			if (memcmp(out, ko, kol) != 0) {
				ktest_report_failure(__FILE__, __LINE__, "KBKDF %s L=%lu mismatch",
						     prf, lbits);
			}
			n++;
		}
	}
	fclose(fp);
	return n;
}

KTEST(crypto_kdf, nist_sp800_108_counter_hmac)
{
	/* 40 records for each of HMAC-SHA1/256/384/512. */
	EXPECT_EQ(run_kbkdf_file(), 160u);
}

/* OpenSSL KBKDF in the KDFa configuration. */
static int ossl_kbkdf(enum hash_id id, const uint8_t *key, size_t kl, const uint8_t *label,
		      size_t ll, int sep, const uint8_t *ctx, size_t cl, uint8_t *out, size_t ol)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "KBKDF", NULL);
	EVP_KDF_CTX *kc = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM p[10], *q = p;
	int use_l = 1;
	int rc;

	*q++ = OSSL_PARAM_construct_utf8_string("mode", (char *)"counter", 0);
	*q++ = OSSL_PARAM_construct_utf8_string("mac", (char *)"HMAC", 0);
	*q++ = OSSL_PARAM_construct_utf8_string("digest", (char *)ossl_name(id), 0);
	*q++ = OSSL_PARAM_construct_octet_string("key", (void *)key, kl);
	*q++ = OSSL_PARAM_construct_octet_string("salt", (void *)label, ll);
	*q++ = OSSL_PARAM_construct_octet_string("info", (void *)ctx, cl);
	*q++ = OSSL_PARAM_construct_int("use-separator", &sep);
	*q++ = OSSL_PARAM_construct_int("use-l", &use_l);
	*q = OSSL_PARAM_construct_end();
	rc = EVP_KDF_derive(kc, out, ol, p);
	EVP_KDF_CTX_free(kc);
	EVP_KDF_free(kdf);
	return rc == 1 ? 0 : -1;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* TPM 2.0 Part 1 §11.4.10.2 built directly on OpenSSL's HMAC(), for bit sizes KBKDF cannot
 * express. */
static void ref_kdfa(enum hash_id id, const uint8_t *key, size_t kl, const uint8_t *label,
		     size_t ll, const uint8_t *u, size_t ul, const uint8_t *v, size_t vl,
		     uint32_t bits, uint8_t *out)
{
	size_t dl = hash_alg_get(id)->digest_size, outlen = (bits + 7) / 8, done = 0;
	uint8_t *msg = malloc(4 + ll + 1 + ul + vl + 4), blk[64];
	size_t m = 0;

	m = 4;
	memcpy(msg + m, label, ll);
	m += ll;
	if (ll == 0 || label[ll - 1] != 0) {
		msg[m++] = 0;
	}
	memcpy(msg + m, u, ul);
	m += ul;
	memcpy(msg + m, v, vl);
	m += vl;
	be32(msg + m, bits);
	m += 4;
	for (uint32_t i = 1; done < outlen; i++) {
		unsigned int ol;

		be32(msg, i);
		HMAC(evp_md(id), kl ? key : (const uint8_t *)"", (int)kl, msg, m, blk, &ol);
		memcpy(out + done, blk, outlen - done < dl ? outlen - done : dl);
		done += outlen - done < dl ? outlen - done : dl;
	}
	if (bits % 8) {
		out[0] &= (uint8_t)((1u << (bits % 8)) - 1);
	}
	free(msg);
}

KTEST(crypto_kdf, kdfa_random_vs_openssl)
{
	uint8_t key[100], label[40], u[80], v[80], uv[160], ours[600], theirs[600];

	rng_state = 0x4bdfa001;
	for (unsigned int it = 0; it < 10000; it++) {
		enum hash_id id = (enum hash_id)(rnd64() % HASH_COUNT);
		size_t kl = 1 + (size_t)(rnd64() % sizeof(key));
		size_t ll = (size_t)(rnd64() % sizeof(label));
		size_t ul = (size_t)(rnd64() % sizeof(u));
		size_t vl = (size_t)(rnd64() % sizeof(v));
		uint32_t bits = 1 + (uint32_t)(rnd64() % (8 * sizeof(ours)));
		size_t ol = (bits + 7) / 8;
		bool ends_zero;

		if (rnd64() % 4 != 0) {
			bits = (uint32_t)(8 * ol); /* mostly whole octets, as the TPM uses */
		}
		rnd_bytes(key, kl);
		rnd_bytes(label, ll);
		rnd_bytes(u, ul);
		rnd_bytes(v, vl);
		/* Labels: text without a 0, or text with its terminating 0 included. */
		for (size_t i = 0; i < ll; i++) {
			label[i] = (uint8_t)('A' + label[i] % 26);
		}
		if (ll > 0 && rnd64() % 2 == 0) {
			label[ll - 1] = 0;
		}
		ends_zero = ll > 0 && label[ll - 1] == 0;
		memcpy(uv, u, ul);
		memcpy(uv + ul, v, vl);
		ASSERT_EQ(kdf_kdfa(id, key, kl, ll ? label : NULL, ll, ul ? u : NULL, ul,
				   vl ? v : NULL, vl, bits, ours),
			  0);
		if (bits % 8 == 0 && ll > 0) {
			ASSERT_EQ(ossl_kbkdf(id, key, kl, label, ll, ends_zero ? 0 : 1, uv, ul + vl,
					     theirs, ol),
				  0);
		} else {
			ref_kdfa(id, key, kl, label, ll, u, ul, v, vl, bits, theirs);
		}
		if (memcmp(ours, theirs, ol) != 0) {
			ktest_report_failure(__FILE__, __LINE__,
					     "KDFa mismatch seed 0x4bdfa001 iter %u bits %u", it, bits);
			return;
		}
	}
}

/* A label with and without its terminating zero derive the same key (TPM convention);
 * leading bits beyond sizeInBits are clear; bad sizes and hashes are rejected. */
KTEST(crypto_kdf, kdfa_label_and_sizes)
{
	uint8_t key[32], a[64], b[64];

	memset(key, 0x11, sizeof(key));
	ASSERT_EQ(kdf_kdfa(HASH_SHA256, key, 32, (const uint8_t *)"STORAGE", 7, NULL, 0, NULL, 0,
			   256, a),
		  0);
	ASSERT_EQ(kdf_kdfa(HASH_SHA256, key, 32, (const uint8_t *)"STORAGE", 8, NULL, 0, NULL, 0,
			   256, b),
		  0);
	EXPECT_MEMEQ(a, b, 32);
	/* An empty label hashes as the single octet 0x00. */
	ASSERT_EQ(kdf_kdfa(HASH_SHA256, key, 32, NULL, 0, NULL, 0, NULL, 0, 128, a), 0);
	ASSERT_EQ(kdf_kdfa(HASH_SHA256, key, 32, (const uint8_t *)"", 1, NULL, 0, NULL, 0, 128, b),
		  0);
	EXPECT_MEMEQ(a, b, 16);
	for (uint32_t bits = 1; bits <= 24; bits++) {
		memset(a, 0xff, sizeof(a));
		ASSERT_EQ(kdf_kdfa(HASH_SHA1, key, 32, (const uint8_t *)"X", 1, NULL, 0, NULL, 0,
				   bits, a),
			  0);
		if (bits % 8 != 0) {
			EXPECT_EQ(a[0] >> (bits % 8), 0);
		}
		EXPECT_EQ(a[(bits + 7) / 8], 0xff); /* nothing written past the output */
	}
	EXPECT_EQ(kdf_kdfa(HASH_SHA256, key, 32, NULL, 0, NULL, 0, NULL, 0, 0, a), KDF_ERR_SIZE);
	EXPECT_EQ(kdf_kdfa(HASH_SHA256, key, 32, NULL, 0, NULL, 0, NULL, 0, KDF_MAX_BITS + 1, a),
		  KDF_ERR_SIZE);
	EXPECT_EQ(kdf_kdfa(HASH_COUNT, key, 32, NULL, 0, NULL, 0, NULL, 0, 128, a), KDF_ERR_ALG);
	EXPECT_EQ(kdf_kdfe(HASH_SHA256, key, 32, NULL, 0, NULL, 0, NULL, 0, 0, a), KDF_ERR_SIZE);
	EXPECT_EQ(kdf_kdfe(HASH_SHA256, key, 32, NULL, 0, NULL, 0, NULL, 0, KDF_MAX_BITS + 1, a),
		  KDF_ERR_SIZE);
	EXPECT_EQ(kdf_kdfe((enum hash_id)-1, key, 32, NULL, 0, NULL, 0, NULL, 0, 128, a),
		  KDF_ERR_ALG);
	EXPECT_EQ(kdf_sp800108_counter_hmac(HASH_SHA256, key, 32, NULL, 0, a, 0), KDF_ERR_SIZE);
	EXPECT_EQ(kdf_sp800108_counter_hmac(HASH_COUNT, key, 32, NULL, 0, a, 16), KDF_ERR_ALG);
}

/* ---- KDFe -------------------------------------------------------------------------------- */

static int ossl_sskdf(enum hash_id id, const uint8_t *z, size_t zl, const uint8_t *info,
		      size_t il, uint8_t *out, size_t ol)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SSKDF", NULL);
	EVP_KDF_CTX *kc = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM p[4], *q = p;
	int rc;

	*q++ = OSSL_PARAM_construct_utf8_string("digest", (char *)ossl_name(id), 0);
	*q++ = OSSL_PARAM_construct_octet_string("key", (void *)z, zl);
	*q++ = OSSL_PARAM_construct_octet_string("info", (void *)info, il);
	*q = OSSL_PARAM_construct_end();
	rc = EVP_KDF_derive(kc, out, ol, p);
	EVP_KDF_CTX_free(kc);
	EVP_KDF_free(kdf);
	return rc == 1 ? 0 : -1;
}

KTEST(crypto_kdf, kdfe_random_vs_openssl)
{
	uint8_t z[80], label[40], u[80], v[80], info[256], ours[600], theirs[600];

	rng_state = 0x4bdfe001;
	for (unsigned int it = 0; it < 10000; it++) {
		enum hash_id id = (enum hash_id)(rnd64() % HASH_COUNT);
		size_t zl = 1 + (size_t)(rnd64() % sizeof(z));
		size_t ll = (size_t)(rnd64() % sizeof(label));
		size_t ul = (size_t)(rnd64() % sizeof(u));
		size_t vl = (size_t)(rnd64() % sizeof(v));
		uint32_t bits = 1 + (uint32_t)(rnd64() % (8 * sizeof(ours)));
		size_t ol = (bits + 7) / 8, il = 0;

		if (rnd64() % 4 != 0) {
			bits = (uint32_t)(8 * ol);
		}
		rnd_bytes(z, zl);
		rnd_bytes(label, ll);
		rnd_bytes(u, ul);
		rnd_bytes(v, vl);
		for (size_t i = 0; i < ll; i++) {
			label[i] = (uint8_t)('a' + label[i] % 26);
		}
		if (ll > 0 && rnd64() % 2 == 0) {
			label[ll - 1] = 0;
		}
		/* FixedInfo = Label || 0x00 (unless already there) || PartyUInfo || PartyVInfo. */
		memcpy(info, label, ll);
		il = ll;
		if (ll == 0 || label[ll - 1] != 0) {
			info[il++] = 0;
		}
		memcpy(info + il, u, ul);
		il += ul;
		memcpy(info + il, v, vl);
		il += vl;
		ASSERT_EQ(kdf_kdfe(id, z, zl, ll ? label : NULL, ll, ul ? u : NULL, ul, vl ? v : NULL,
				   vl, bits, ours),
			  0);
		ASSERT_EQ(ossl_sskdf(id, z, zl, info, il, theirs, ol), 0);
		if (bits % 8 != 0) {
			theirs[0] &= (uint8_t)((1u << (bits % 8)) - 1);
		}
		if (memcmp(ours, theirs, ol) != 0) {
			ktest_report_failure(__FILE__, __LINE__,
					     "KDFe mismatch seed 0x4bdfe001 iter %u bits %u", it, bits);
			return;
		}
	}
}
