/*
 * HMAC (and so SHA-256/SHA-512 underneath, and the KDFs and DRBG built on it) is constant-time
 * in the key and the message: with both marked secret, valgrind sees no branch or memory index
 * that depends on them. Key lengths cover the padded (< block) and hashed (> block) cases;
 * message lengths (public) cover partial and whole blocks.
 */
#include "crypto/drbg.h"
#include "crypto/hkdf.h"
#include "crypto/hmac.h"
#include "crypto/kdf.h"

#include "tests/crypto/ct/ct.h"
#include "tests/ktest/ktest.h"

static void hmac_ct_case(enum hash_id id, size_t key_len, size_t msg_len)
{
	uint8_t key[300], msg[300], tag[64], tag2[64];
	struct hmac_ctx h;
	int rc;

	for (size_t i = 0; i < sizeof(key); i++) {
		key[i] = (uint8_t)(i * 13 + 1);
		msg[i] = (uint8_t)(i * 7 + 3);
	}
	CT_SECRET(key, sizeof(key));
	CT_SECRET(msg, sizeof(msg));
	rc = hmac_oneshot(id, key, key_len, msg, msg_len, tag);
	/* Streaming, reuse of the keyed context, and the constant-time verify. */
	hmac_init(&h, id, key, key_len);
	hmac_update(&h, msg, msg_len / 2);
	hmac_update(&h, msg + msg_len / 2, msg_len - msg_len / 2);
	hmac_final(&h, tag2);
	hmac_update(&h, msg, msg_len);
	/* The tag compared against is secret too: only the verdict becomes public. */
	int v = hmac_verify(&h, tag2, hash_alg_get(id)->digest_size);
	hmac_wipe(&h);
	CT_PUBLIC(&v, sizeof(v));
	CT_PUBLIC(tag, sizeof(tag));
	CT_PUBLIC(tag2, sizeof(tag2));
	EXPECT_EQ(rc, 0);
	EXPECT_EQ(v, 0);
	EXPECT_MEMEQ(tag, tag2, hash_alg_get(id)->digest_size);
}

KTEST(ct_check, hmac_sha256)
{
	static const size_t klen[] = { 0, 16, 32, 64, 65, 200 };
	static const size_t mlen[] = { 0, 1, 55, 56, 64, 119, 200, 300 };

	for (size_t i = 0; i < sizeof(klen) / sizeof(klen[0]); i++) {
		for (size_t j = 0; j < sizeof(mlen) / sizeof(mlen[0]); j++) {
			hmac_ct_case(HASH_SHA256, klen[i], mlen[j]);
		}
	}
}

KTEST(ct_check, hmac_sha512)
{
	static const size_t klen[] = { 0, 32, 64, 128, 129, 300 };
	static const size_t mlen[] = { 0, 1, 111, 112, 128, 239, 300 };

	for (size_t i = 0; i < sizeof(klen) / sizeof(klen[0]); i++) {
		for (size_t j = 0; j < sizeof(mlen) / sizeof(mlen[0]); j++) {
			hmac_ct_case(HASH_SHA512, klen[i], mlen[j]);
		}
	}
}

KTEST(ct_check, hmac_sha1_sha384)
{
	hmac_ct_case(HASH_SHA1, 20, 100);
	hmac_ct_case(HASH_SHA1, 100, 64);
	hmac_ct_case(HASH_SHA384, 48, 100);
	hmac_ct_case(HASH_SHA384, 200, 128);
}

/* The KDFs and the DRBG on secret keys/seeds. */
KTEST(ct_check, kdf_hkdf_drbg)
{
	uint8_t key[48], out[100];
	struct hmac_drbg d;
	int rc[5];

	for (size_t i = 0; i < sizeof(key); i++) {
		key[i] = (uint8_t)(i + 100);
	}
	CT_SECRET(key, sizeof(key));
	rc[0] = kdf_kdfa(HASH_SHA256, key, 32, (const uint8_t *)"STORAGE", 7, key + 32, 16, NULL, 0,
			 259, out);
	rc[1] = kdf_kdfe(HASH_SHA384, key, 48, (const uint8_t *)"SECRET", 6, NULL, 0, key, 8, 512,
			 out);
	rc[2] = hkdf(HASH_SHA512, key, 16, key + 16, 32, NULL, 0, out, sizeof(out));
	rc[3] = hmac_drbg_instantiate(&d, key, 32, key + 32, 16, NULL, 0);
	rc[4] = hmac_drbg_generate(&d, out, sizeof(out), key, 8);
	hmac_drbg_uninstantiate(&d);
	CT_PUBLIC(rc, sizeof(rc));
	CT_PUBLIC(out, sizeof(out));
	for (int i = 0; i < 5; i++) {
		EXPECT_EQ(rc[i], 0);
	}
}
