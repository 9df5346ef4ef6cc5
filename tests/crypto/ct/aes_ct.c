/*
 * Constant-time check of AES (portable path): key expansion, block encryption and decryption,
 * the modes, and GCM (portable GHASH, tag computation and comparison, masked wipe) with the
 * key, IV/counter, plaintext, ciphertext, AAD and tag all marked secret. Under valgrind any
 * branch or address depending on them is an error.
 *
 * The AES-NI path is exercised too when the CPU has it: valgrind 3.19 emulates AESENC/
 * AESDEC/AESIMC and PCLMULQDQ on amd64, and its definedness tracking flows through them
 * (approximately: it treats the result as undefined if any input bit is), so a secret-
 * dependent branch or address after them would still be reported.
 */
#include "crypto/aes.h"
#include "crypto/aes_modes.h"
#include "crypto/gcm.h"
#include "crypto/simd.h"

#include "tests/crypto/ct/ct.h"
#include "tests/ktest/ktest.h"

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++) {
		p[i] = (uint8_t)(seed + 37 * i);
	}
}

static size_t nimpl(void)
{
	return crypto_simd_usable() ? 2 : 1;
}

static const enum aes_impl impls[] = { AES_IMPL_PORTABLE, AES_IMPL_SIMD };

KTEST(ct_check, aes_block_and_key_expansion)
{
	for (size_t m = 0; m < nimpl(); m++) {
		for (size_t kl = 16; kl <= 32; kl += 8) {
			uint8_t key[32], pt[80], ct[80], back[80];
			struct aes_ctx a;
			int rc;

			fill(key, sizeof(key), (uint8_t)kl);
			fill(pt, sizeof(pt), 3);
			CT_SECRET(key, sizeof(key));
			CT_SECRET(pt, sizeof(pt));
			rc = aes_init_impl(&a, key, kl, impls[m]);
			ASSERT_EQ(rc, 0);
			aes_encrypt_block(&a, pt, ct);
			aes_encrypt_blocks(&a, pt, ct, 5);
			aes_decrypt_blocks(&a, ct, back, 5);
			aes_decrypt_block(&a, ct, back);
			CT_PUBLIC(back, sizeof(back));
			CT_PUBLIC(pt, sizeof(pt));
			EXPECT_MEMEQ(back, pt, sizeof(back));
			aes_wipe(&a);
		}
	}
}

KTEST(ct_check, aes_modes)
{
	for (size_t m = 0; m < nimpl(); m++) {
		uint8_t key[32], iv[16], ivw[16], pt[100], ct[100], back[100];
		struct aes_ctx a;
		struct aes_cfb_ctx cfb;
		struct aes_ctr_ctx ctr;

		fill(key, sizeof(key), 1);
		fill(iv, sizeof(iv), 2);
		fill(pt, sizeof(pt), 3);
		CT_SECRET(key, sizeof(key));
		CT_SECRET(iv, sizeof(iv));
		CT_SECRET(pt, sizeof(pt));
		ASSERT_EQ(aes_init_impl(&a, key, 32, impls[m]), 0);

		for (size_t i = 0; i < 16; i++) {
			ivw[i] = iv[i];
		}
		EXPECT_EQ(aes_cbc_encrypt(&a, ivw, pt, ct, 96), 0);
		for (size_t i = 0; i < 16; i++) {
			ivw[i] = iv[i];
		}
		EXPECT_EQ(aes_cbc_decrypt(&a, ivw, ct, back, 96), 0);
		EXPECT_EQ(aes_ecb_encrypt(&a, pt, ct, 96), 0);
		EXPECT_EQ(aes_ecb_decrypt(&a, ct, back, 96), 0);

		aes_cfb_init(&cfb, &a, iv);
		aes_cfb_encrypt_update(&cfb, pt, ct, 7);
		aes_cfb_encrypt_update(&cfb, pt + 7, ct + 7, 93);
		aes_cfb_init(&cfb, &a, iv);
		aes_cfb_decrypt_update(&cfb, ct, back, 50);
		aes_cfb_decrypt_update(&cfb, ct + 50, back + 50, 50);
		aes_cfb_wipe(&cfb);
		CT_PUBLIC(back, sizeof(back));
		CT_PUBLIC(pt, sizeof(pt));
		EXPECT_MEMEQ(back, pt, sizeof(pt));
		CT_SECRET(pt, sizeof(pt));

		/* CTR with a counter about to carry: CTR_DRBG's V is a secret counter. */
		for (size_t i = 4; i < 16; i++) {
			iv[i] = 0xFF;
		}
		CT_SECRET(iv, sizeof(iv));
		aes_ctr_init(&ctr, &a, iv);
		aes_ctr_update(&ctr, pt, ct, 33);
		aes_ctr_update(&ctr, pt + 33, ct + 33, 67);
		aes_ctr_wipe(&ctr);
		aes_ctr(&a, iv, ct, back, sizeof(back));
		CT_PUBLIC(back, sizeof(back));
		CT_PUBLIC(pt, sizeof(pt));
		EXPECT_MEMEQ(back, pt, sizeof(pt));
		aes_wipe(&a);
	}
}

KTEST(ct_check, gcm)
{
	for (size_t m = 0; m < nimpl(); m++) {
		for (size_t il = 12; il <= 13; il++) {
			uint8_t key[32], iv[13], aad[37], pt[77], ct[77], back[77], tag[16];
			struct gcm_ctx g;
			int rc, rc_bad;

			fill(key, sizeof(key), 5);
			fill(iv, sizeof(iv), 6);
			fill(aad, sizeof(aad), 7);
			fill(pt, sizeof(pt), 8);
			CT_SECRET(key, sizeof(key));
			CT_SECRET(aad, sizeof(aad));
			CT_SECRET(pt, sizeof(pt));
			ASSERT_EQ(gcm_init_impl(&g, key, 32, impls[m]), 0);
			/* The IV is public (it travels with the message); its length selects the path. */
			EXPECT_EQ(gcm_encrypt(&g, iv, il, aad, sizeof(aad), pt, ct, sizeof(pt), tag, 16), 0);
			/* Streaming, odd splits. */
			EXPECT_EQ(gcm_start(&g, iv, il), 0);
			EXPECT_EQ(gcm_aad(&g, aad, 5), 0);
			EXPECT_EQ(gcm_aad(&g, aad + 5, sizeof(aad) - 5), 0);
			EXPECT_EQ(gcm_encrypt_update(&g, pt, ct, 20), 0);
			EXPECT_EQ(gcm_encrypt_update(&g, pt + 20, ct + 20, sizeof(pt) - 20), 0);
			EXPECT_EQ(gcm_encrypt_final(&g, tag, 16), 0);
			/* Decrypt with the right tag and with a wrong one: the verdict is the only
			 * thing made public. */
			rc = gcm_decrypt(&g, iv, il, aad, sizeof(aad), ct, back, sizeof(ct), tag, 16);
			CT_PUBLIC(&rc, sizeof(rc));
			EXPECT_EQ(rc, 0);
			CT_PUBLIC(back, sizeof(back));
			CT_PUBLIC(pt, sizeof(pt));
			EXPECT_MEMEQ(back, pt, sizeof(pt));
			tag[3] ^= 1;
			rc_bad = gcm_decrypt(&g, iv, il, aad, sizeof(aad), ct, back, sizeof(ct), tag, 16);
			CT_PUBLIC(&rc_bad, sizeof(rc_bad));
			EXPECT_EQ(rc_bad, AES_ERR_AUTH);
			CT_PUBLIC(back, sizeof(back));
			EXPECT_EQ(back[0] | back[76], 0);
			gcm_wipe(&g);
		}
	}
}
