/* MSR emulation for native-platform guests. */
#include <string.h>

#include "arch/x86/svm/msr_emul.h"
#include "tests/ktest/ktest.h"

static struct vmsa msr_vmsa;

KTEST(msr_emul, guest_context_msrs_live_in_the_vmsa)
{
	struct msr_emul_state st;
	uint64_t v = 0;

	memset(&st, 0, sizeof(st));
	memset(&msr_vmsa, 0, sizeof(msr_vmsa));
	ASSERT_TRUE(msr_emul_write(&st, &msr_vmsa, 0xC0000082u, 0xffffffff81000000ull));
	EXPECT_EQ(msr_vmsa.lstar, 0xffffffff81000000ull);
	ASSERT_TRUE(msr_emul_write(&st, &msr_vmsa, 0xC0000100u, 0x1234));
	EXPECT_EQ(msr_vmsa.fs.base, 0x1234);
	ASSERT_TRUE(msr_emul_read(&st, &msr_vmsa, 0xC0000100u, &v));
	EXPECT_EQ(v, 0x1234);
	ASSERT_TRUE(msr_emul_write(&st, &msr_vmsa, 0x277u, 0x0007040600070406ull));
	EXPECT_EQ(msr_vmsa.g_pat, 0x0007040600070406ull);
	EXPECT_FALSE(msr_emul_write(&st, &msr_vmsa, 0x277u, 0x0007040600070402ull)); /* type 2 */
}

KTEST(msr_emul, efer_keeps_svme_hidden_and_refuses_reserved_bits)
{
	struct msr_emul_state st;
	uint64_t v = 0;

	memset(&st, 0, sizeof(st));
	memset(&msr_vmsa, 0, sizeof(msr_vmsa));
	ASSERT_TRUE(msr_emul_write(&st, &msr_vmsa, 0xC0000080u, 0x500)); /* LME | LMA */
	EXPECT_EQ(msr_vmsa.efer, 0x1500);
	ASSERT_TRUE(msr_emul_read(&st, &msr_vmsa, 0xC0000080u, &v));
	EXPECT_EQ(v, 0x500);
	EXPECT_FALSE(msr_emul_write(&st, &msr_vmsa, 0xC0000080u, 1ull << 20));
	EXPECT_EQ(msr_vmsa.efer, 0x1500);
}

KTEST(msr_emul, apic_mtrr_ghcb_and_unknown)
{
	struct msr_emul_state st;
	uint64_t v = 0;

	memset(&st, 0, sizeof(st));
	st.mtrr_cap = 0x508;
	ASSERT_TRUE(msr_emul_read(&st, &msr_vmsa, 0x1Bu, &v));
	EXPECT_EQ(v, 0xFEE00900ull);
	EXPECT_TRUE(msr_emul_write(&st, &msr_vmsa, 0x1Bu, 0)); /* ignored */
	ASSERT_TRUE(msr_emul_read(&st, &msr_vmsa, 0x1Bu, &v));
	EXPECT_EQ(v, 0xFEE00900ull);
	ASSERT_TRUE(msr_emul_write(&st, &msr_vmsa, 0x2FFu, 0xC06));
	ASSERT_TRUE(msr_emul_write(&st, &msr_vmsa, 0x20Fu, 0xABC));
	ASSERT_TRUE(msr_emul_read(&st, &msr_vmsa, 0x2FFu, &v));
	EXPECT_EQ(v, 0xC06);
	ASSERT_TRUE(msr_emul_read(&st, &msr_vmsa, 0x20Fu, &v));
	EXPECT_EQ(v, 0xABC);
	ASSERT_TRUE(msr_emul_read(&st, &msr_vmsa, 0xFEu, &v));
	EXPECT_EQ(v, 0x508);
	ASSERT_TRUE(msr_emul_write(&st, &msr_vmsa, 0xC0010130u, 0x16));
	EXPECT_EQ(st.ghcb, 0x16);
	EXPECT_FALSE(msr_emul_read(&st, &msr_vmsa, 0xC0010117u, &v)); /* VM_HSAVE_PA: never */
	EXPECT_FALSE(msr_emul_write(&st, &msr_vmsa, 0xC0010117u, 0));
	EXPECT_FALSE(msr_emul_write(&st, &msr_vmsa, 0x79u, 0)); /* microcode update trigger */
}
