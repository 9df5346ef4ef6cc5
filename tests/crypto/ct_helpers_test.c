/* crypto/ct.h: the constant-time helpers give the right answers at the edges. */
#include "crypto/ct.h"

#include "tests/ktest/ktest.h"

KTEST(crypto_ct, masks)
{
	static const uint64_t v[] = { 0, 1, 2, 0x7fffffffffffffffull, 0x8000000000000000ull,
				      0xfffffffffffffffeull, 0xffffffffffffffffull };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		EXPECT_EQ(ct_mask_nonzero_u64(v[i]), v[i] != 0 ? ~0ull : 0ull);
		EXPECT_EQ(ct_mask_zero_u64(v[i]), v[i] == 0 ? ~0ull : 0ull);
		for (size_t j = 0; j < sizeof(v) / sizeof(v[0]); j++) {
			EXPECT_EQ(ct_mask_eq_u64(v[i], v[j]), v[i] == v[j] ? ~0ull : 0ull);
			EXPECT_EQ(ct_mask_lt_u64(v[i], v[j]), v[i] < v[j] ? ~0ull : 0ull);
			EXPECT_EQ(ct_select_u64(~0ull, v[i], v[j]), v[i]);
			EXPECT_EQ(ct_select_u64(0, v[i], v[j]), v[j]);
		}
	}
}

KTEST(crypto_ct, memeq_and_copy_if)
{
	uint8_t a[33], b[33], d[33];

	for (size_t i = 0; i < sizeof(a); i++) {
		a[i] = b[i] = (uint8_t)(i * 7);
	}
	EXPECT_EQ(ct_memeq(a, b, sizeof(a)), 1);
	EXPECT_EQ(ct_memeq(a, b, 0), 1);
	for (size_t i = 0; i < sizeof(a); i++) {
		for (unsigned int bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1u << bit);
			EXPECT_EQ(ct_memeq(a, b, sizeof(a)), 0);
			b[i] ^= (uint8_t)(1u << bit);
		}
	}
	for (size_t i = 0; i < sizeof(d); i++) {
		d[i] = 0x55;
	}
	ct_copy_if(0, d, a, sizeof(d));
	for (size_t i = 0; i < sizeof(d); i++) {
		EXPECT_EQ(d[i], 0x55);
	}
	ct_copy_if(0xff, d, a, sizeof(d));
	EXPECT_MEMEQ(d, a, sizeof(d));
}
