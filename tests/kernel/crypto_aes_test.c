/*
 * AES, CFB and GCM known answers inside the kernel (freestanding build flags, real
 * CR0/CR4 setup and FXSAVE/FXRSTOR around the AES-NI path), on both paths:
 *   - FIPS 197 appendix C.1-C.3: AES-128/192/256 example vectors;
 *   - SP 800-38A appendix F.3.13: CFB128-AES128.Encrypt;
 *   - SP 800-38D: the NIST CAVP GCM vector gcmEncryptExtIV256.rsp [Keylen = 256]
 *     [IVlen = 96] [PTlen = 408] [AADlen = 160] [Taglen = 128] Count = 0.
 * The AES-NI path is skipped, with a note, when crypto_simd_usable() is false (fpu_init()
 * found no AES-NI/PCLMULQDQ).
 */
#include "arch/x86/fpu.h"
#include "crypto/aes.h"
#include "crypto/aes_modes.h"
#include "crypto/gcm.h"
#include "crypto/simd.h"
#include "tests/ktest/ktest.h"

static const enum aes_impl impls[] = { AES_IMPL_PORTABLE, AES_IMPL_SIMD };

static size_t impl_count(void)
{
	if (crypto_simd_usable()) {
		return 2;
	}
	ktest_print("  note: AES-NI path skipped (crypto_simd_usable() is false)\n");
	return 1;
}

static const uint8_t fips197_pt[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
					0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };

static const uint8_t fips197_ct[3][16] = {
	/* C.1 AES-128 */
	{ 0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5,
	  0x5a },
	/* C.2 AES-192 */
	{ 0xdd, 0xa9, 0x7c, 0xa4, 0x86, 0x4c, 0xdf, 0xe0, 0x6e, 0xaf, 0x70, 0xa0, 0xec, 0x0d, 0x71,
	  0x91 },
	/* C.3 AES-256 */
	{ 0x8e, 0xa2, 0xb7, 0xca, 0x51, 0x67, 0x45, 0xbf, 0xea, 0xfc, 0x49, 0x90, 0x4b, 0x49, 0x60,
	  0x89 },
};

KTEST(crypto_aes, fips197_appendix_c)
{
	uint8_t key[32], out[16], back[16];

	for (unsigned int i = 0; i < 32; i++) {
		key[i] = (uint8_t)i; /* the appendix's keys are 00 01 02 ... */
	}
	for (size_t m = 0; m < impl_count(); m++) {
		for (unsigned int k = 0; k < 3; k++) {
			struct aes_ctx a;

			ASSERT_EQ(aes_init_impl(&a, key, 16 + 8 * k, impls[m]), 0);
			aes_encrypt_block(&a, fips197_pt, out);
			EXPECT_MEMEQ(out, fips197_ct[k], 16);
			aes_decrypt_block(&a, out, back);
			EXPECT_MEMEQ(back, fips197_pt, 16);
			aes_wipe(&a);
		}
	}
	EXPECT_FALSE(fpu_simd_active());
}

KTEST(crypto_aes, sp800_38a_cfb128_aes128)
{
	static const uint8_t key[16] = { 0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
					 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c };
	static const uint8_t iv[16] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
					0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
	static const uint8_t pt[64] = {
		0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93,
		0x17, 0x2a, 0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03, 0xac, 0x9c, 0x9e, 0xb7, 0x6f, 0xac,
		0x45, 0xaf, 0x8e, 0x51, 0x30, 0xc8, 0x1c, 0x46, 0xa3, 0x5c, 0xe4, 0x11, 0xe5, 0xfb,
		0xc1, 0x19, 0x1a, 0x0a, 0x52, 0xef, 0xf6, 0x9f, 0x24, 0x45, 0xdf, 0x4f, 0x9b, 0x17,
		0xad, 0x2b, 0x41, 0x7b, 0xe6, 0x6c, 0x37, 0x10,
	};
	static const uint8_t ct[64] = {
		0x3b, 0x3f, 0xd9, 0x2e, 0xb7, 0x2d, 0xad, 0x20, 0x33, 0x34, 0x49, 0xf8, 0xe8, 0x3c,
		0xfb, 0x4a, 0xc8, 0xa6, 0x45, 0x37, 0xa0, 0xb3, 0xa9, 0x3f, 0xcd, 0xe3, 0xcd, 0xad,
		0x9f, 0x1c, 0xe5, 0x8b, 0x26, 0x75, 0x1f, 0x67, 0xa3, 0xcb, 0xb1, 0x40, 0xb1, 0x80,
		0x8c, 0xf1, 0x87, 0xa4, 0xf4, 0xdf, 0xc0, 0x4b, 0x05, 0x35, 0x7c, 0x5d, 0x1c, 0x0e,
		0xea, 0xc4, 0xc6, 0x6f, 0x9f, 0xf7, 0xf2, 0xe6,
	};
	uint8_t out[64];

	for (size_t m = 0; m < impl_count(); m++) {
		struct aes_ctx a;
		struct aes_cfb_ctx c;

		ASSERT_EQ(aes_init_impl(&a, key, 16, impls[m]), 0);
		aes_cfb_encrypt(&a, iv, pt, out, sizeof(pt));
		EXPECT_MEMEQ(out, ct, sizeof(ct));
		/* Streaming, with a partial first piece (the TPM encrypts odd-length buffers). */
		aes_cfb_init(&c, &a, iv);
		aes_cfb_decrypt_update(&c, ct, out, 5);
		aes_cfb_decrypt_update(&c, ct + 5, out + 5, sizeof(ct) - 5);
		aes_cfb_wipe(&c);
		EXPECT_MEMEQ(out, pt, sizeof(pt));
		aes_wipe(&a);
	}
}

KTEST(crypto_aes, sp800_38d_gcm_aes256)
{
	static const uint8_t key[32] = {
		0x24, 0x50, 0x1a, 0xd3, 0x84, 0xe4, 0x73, 0x96, 0x3d, 0x47, 0x6e, 0xdc, 0xfe, 0x08,
		0x20, 0x52, 0x37, 0xac, 0xfd, 0x49, 0xb5, 0xb8, 0xf3, 0x38, 0x57, 0xf8, 0x11, 0x4e,
		0x86, 0x3f, 0xec, 0x7f,
	};
	static const uint8_t iv[12] = { 0x9f, 0xf1, 0x85, 0x63, 0xb9, 0x78,
					0xec, 0x28, 0x1b, 0x3f, 0x27, 0x94 };
	static const uint8_t pt[51] = {
		0x27, 0xf3, 0x48, 0xf9, 0xcd, 0xc0, 0xc5, 0xbd, 0x5e, 0x66, 0xb1, 0xcc, 0xb6, 0x3a,
		0xd9, 0x20, 0xff, 0x22, 0x19, 0xd1, 0x4e, 0x8d, 0x63, 0x1b, 0x38, 0x72, 0x26, 0x5c,
		0xf1, 0x17, 0xee, 0x86, 0x75, 0x7a, 0xcc, 0xb1, 0x58, 0xbd, 0x9a, 0xbb, 0x38, 0x68,
		0xfd, 0xc0, 0xd0, 0xb0, 0x74, 0xb5, 0xf0, 0x1b, 0x2c,
	};
	static const uint8_t aad[20] = { 0xad, 0xb5, 0xec, 0x72, 0x0c, 0xcf, 0x98, 0x98, 0x50, 0x00,
					 0x28, 0xbf, 0x34, 0xaf, 0xcc, 0xbc, 0xac, 0xa1, 0x26, 0xef };
	static const uint8_t ct[51] = {
		0xeb, 0x7c, 0xb7, 0x54, 0xc8, 0x24, 0xe8, 0xd9, 0x6f, 0x7c, 0x6d, 0x9b, 0x76, 0xc7,
		0xd2, 0x6f, 0xb8, 0x74, 0xff, 0xbf, 0x1d, 0x65, 0xc6, 0xf6, 0x4a, 0x69, 0x8d, 0x83,
		0x9b, 0x0b, 0x06, 0x14, 0x5d, 0xae, 0x82, 0x05, 0x7a, 0xd5, 0x59, 0x94, 0xcf, 0x59,
		0xad, 0x7f, 0x67, 0xc0, 0xfa, 0x5e, 0x85, 0xfa, 0xb8,
	};
	static const uint8_t tag[16] = { 0xbc, 0x95, 0xc5, 0x32, 0xfe, 0xcc, 0x59, 0x4c,
					 0x36, 0xd1, 0x55, 0x02, 0x86, 0xa7, 0xa3, 0xf0 };
	uint8_t out[51], t[16];

	for (size_t m = 0; m < impl_count(); m++) {
		static struct gcm_ctx g; /* ~1 KiB: off the test's stack */

		ASSERT_EQ(gcm_init_impl(&g, key, sizeof(key), impls[m]), 0);
		EXPECT_EQ(gcm_encrypt(&g, iv, sizeof(iv), aad, sizeof(aad), pt, out, sizeof(pt), t, 16),
			  0);
		EXPECT_MEMEQ(out, ct, sizeof(ct));
		EXPECT_MEMEQ(t, tag, sizeof(tag));
		EXPECT_EQ(gcm_decrypt(&g, iv, sizeof(iv), aad, sizeof(aad), ct, out, sizeof(ct), tag, 16),
			  0);
		EXPECT_MEMEQ(out, pt, sizeof(pt));
		t[0] = (uint8_t)(tag[0] ^ 1);
		for (unsigned int i = 1; i < 16; i++) {
			t[i] = tag[i];
		}
		EXPECT_EQ(gcm_decrypt(&g, iv, sizeof(iv), aad, sizeof(aad), ct, out, sizeof(ct), t, 16),
			  AES_ERR_AUTH);
		EXPECT_EQ(out[0] | out[50], 0);
		gcm_wipe(&g);
	}
	EXPECT_FALSE(fpu_simd_active());
}

/*
 * The AES-NI path leaves the SSE state as it found it: XMM0-15 and MXCSR hold a "guest"
 * pattern before, and the same after, several SIMD crypto calls. (This file is built with
 * -mgeneral-regs-only, so the compiler itself never touches the XMM registers between the
 * asm statements.)
 */
static void xmm_load_all(const uint8_t (*p)[16])
{
	__asm__ volatile("movdqu 0(%0), %%xmm0\n\tmovdqu 16(%0), %%xmm1\n\t"
			 "movdqu 32(%0), %%xmm2\n\tmovdqu 48(%0), %%xmm3\n\t"
			 "movdqu 64(%0), %%xmm4\n\tmovdqu 80(%0), %%xmm5\n\t"
			 "movdqu 96(%0), %%xmm6\n\tmovdqu 112(%0), %%xmm7\n\t"
			 "movdqu 128(%0), %%xmm8\n\tmovdqu 144(%0), %%xmm9\n\t"
			 "movdqu 160(%0), %%xmm10\n\tmovdqu 176(%0), %%xmm11\n\t"
			 "movdqu 192(%0), %%xmm12\n\tmovdqu 208(%0), %%xmm13\n\t"
			 "movdqu 224(%0), %%xmm14\n\tmovdqu 240(%0), %%xmm15"
			 :
			 : "r"(p)
			 : "memory");
}

static void xmm_store_all(uint8_t (*p)[16])
{
	__asm__ volatile("movdqu %%xmm0, 0(%0)\n\tmovdqu %%xmm1, 16(%0)\n\t"
			 "movdqu %%xmm2, 32(%0)\n\tmovdqu %%xmm3, 48(%0)\n\t"
			 "movdqu %%xmm4, 64(%0)\n\tmovdqu %%xmm5, 80(%0)\n\t"
			 "movdqu %%xmm6, 96(%0)\n\tmovdqu %%xmm7, 112(%0)\n\t"
			 "movdqu %%xmm8, 128(%0)\n\tmovdqu %%xmm9, 144(%0)\n\t"
			 "movdqu %%xmm10, 160(%0)\n\tmovdqu %%xmm11, 176(%0)\n\t"
			 "movdqu %%xmm12, 192(%0)\n\tmovdqu %%xmm13, 208(%0)\n\t"
			 "movdqu %%xmm14, 224(%0)\n\tmovdqu %%xmm15, 240(%0)"
			 :
			 : "r"(p)
			 : "memory");
}

KTEST(crypto_aes, simd_preserves_sse_state)
{
	static uint8_t pattern[16][16], after[16][16], buf[256], tag[16];
	static struct gcm_ctx g;
	static const uint8_t key[32] = { 1, 2, 3 };
	uint32_t mxcsr_saved, mxcsr_in = 0x1f80u | 0x6000u, mxcsr_out; /* all masked, RC = zero */
	struct aes_ctx a;

	if (!crypto_simd_usable()) {
		ktest_print("  note: AES-NI path skipped (crypto_simd_usable() is false)\n");
		return;
	}
	for (unsigned int i = 0; i < 16; i++) {
		for (unsigned int j = 0; j < 16; j++) {
			pattern[i][j] = (uint8_t)(0xA5 ^ (i * 16 + j));
		}
	}
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr_saved));
	__asm__ volatile("ldmxcsr %0" ::"m"(mxcsr_in));
	xmm_load_all(pattern);
	EXPECT_EQ(aes_init_impl(&a, key, 32, AES_IMPL_SIMD), 0);
	aes_encrypt_blocks(&a, buf, buf, 16);
	EXPECT_EQ(gcm_init_impl(&g, key, 32, AES_IMPL_SIMD), 0);
	EXPECT_EQ(gcm_encrypt(&g, key, 12, buf, 48, buf, buf, sizeof(buf), tag, 16), 0);
	xmm_store_all(after);
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr_out));
	__asm__ volatile("ldmxcsr %0" ::"m"(mxcsr_saved));
	EXPECT_MEMEQ(after, pattern, sizeof(pattern));
	EXPECT_EQ(mxcsr_out, mxcsr_in);
	EXPECT_FALSE(fpu_simd_active());
	aes_wipe(&a);
	gcm_wipe(&g);
}
