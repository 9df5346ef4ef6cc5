/* crypto/ct.h itself is constant-time: no branch or index on its (secret) inputs. */
#include "crypto/ct.h"

#include "tests/crypto/ct/ct.h"
#include "tests/ktest/ktest.h"

KTEST(ct_check, helpers)
{
	uint8_t a[32], b[32], d[32];
	uint64_t x = 5, y = 9, m;
	int eq;

	for (size_t i = 0; i < sizeof(a); i++) {
		a[i] = (uint8_t)i;
		b[i] = (uint8_t)i;
		d[i] = 0;
	}
	CT_SECRET(a, sizeof(a));
	CT_SECRET(b, sizeof(b));
	CT_SECRET(&x, sizeof(x));
	CT_SECRET(&y, sizeof(y));
	eq = ct_memeq(a, b, sizeof(a));
	m = ct_mask_lt_u64(x, y) ^ ct_mask_eq_u64(x, y) ^ ct_mask_zero_u64(x);
	m = ct_select_u64(m, x, y);
	ct_copy_if((uint8_t)ct_mask_nonzero_u64(x), d, a, sizeof(d));
	CT_PUBLIC(&eq, sizeof(eq));
	CT_PUBLIC(&m, sizeof(m));
	CT_PUBLIC(d, sizeof(d));
	EXPECT_EQ(eq, 1);
	EXPECT_EQ(m, 5u);
	EXPECT_EQ(d[31], 31);
}
