/* Guest boot VMSA construction and CREATE_VCPU checks (ABI reference 4.2, 2.2). */
#include <string.h>

#include "arch/x86/snp/sev_status.h"
#include "arch/x86/snp/vmsa_build.h"
#include "tests/ktest/ktest.h"

/* The reset values, pinned against ABI reference 4.2 "Guest firmware BSP VMSA". */
_Static_assert(VMSA_BOOT_CR0 == 0x60000010ull, "CR0");
_Static_assert(VMSA_BOOT_RFLAGS == 0x2ull, "RFLAGS");
_Static_assert(VMSA_BOOT_CS_SELECTOR == 0xF000u && VMSA_BOOT_CS_ATTRIB == 0x9Bu, "CS");
_Static_assert(VMSA_BOOT_DATA_ATTRIB == 0x93u && VMSA_BOOT_SEG_LIMIT == 0xFFFFu, "data segs");
_Static_assert(VMSA_BOOT_LDTR_ATTRIB == 0x82u && VMSA_BOOT_TR_ATTRIB == 0x8Bu, "LDTR/TR");
_Static_assert(VMSA_BOOT_DR6 == 0xFFFF0FF0ull && VMSA_BOOT_DR7 == 0x400ull, "DR6/DR7");
_Static_assert(VMSA_BOOT_G_PAT == 0x0007040600070406ull, "G_PAT");
_Static_assert(VMSA_BOOT_XCR0 == 1 && VMSA_BOOT_MXCSR == 0x1F80u, "XCR0/MXCSR");
_Static_assert(VMSA_BOOT_X87_FTW == 0x5555u && VMSA_BOOT_X87_FCW == 0x0040u, "x87");

static struct vmsa test_vmsa;

static bool segment_is(const struct vmsa_segment *s, uint16_t sel, uint16_t attrib,
		       uint32_t limit, uint64_t base)
{
	return s->selector == sel && s->attrib == attrib && s->limit == limit && s->base == base;
}

KTEST(snp_vmsa, boot_vmsa_at_the_ovmf_reset_vector)
{
	uint64_t status = SEV_STATUS_REQUIRED | SEV_STATUS_BTB_ISOLATION;

	memset(&test_vmsa, 0xA5, sizeof(test_vmsa));
	ASSERT_EQ(vmsa_build_guest_boot(&test_vmsa, 0xFFFFFFF0ull, 2, status), SNP_OK);
	EXPECT_TRUE(segment_is(&test_vmsa.cs, 0xF000, 0x9B, 0xFFFF, 0xFFFF0000ull));
	EXPECT_EQ(test_vmsa.rip, 0xFFF0);
	EXPECT_TRUE(segment_is(&test_vmsa.ds, 0, 0x93, 0xFFFF, 0));
	EXPECT_TRUE(segment_is(&test_vmsa.es, 0, 0x93, 0xFFFF, 0));
	EXPECT_TRUE(segment_is(&test_vmsa.fs, 0, 0x93, 0xFFFF, 0));
	EXPECT_TRUE(segment_is(&test_vmsa.gs, 0, 0x93, 0xFFFF, 0));
	EXPECT_TRUE(segment_is(&test_vmsa.ss, 0, 0x93, 0xFFFF, 0));
	EXPECT_TRUE(segment_is(&test_vmsa.gdtr, 0, 0, 0xFFFF, 0));
	EXPECT_TRUE(segment_is(&test_vmsa.idtr, 0, 0, 0xFFFF, 0));
	EXPECT_TRUE(segment_is(&test_vmsa.ldtr, 0, 0x82, 0xFFFF, 0));
	EXPECT_TRUE(segment_is(&test_vmsa.tr, 0, 0x8B, 0xFFFF, 0));
	EXPECT_EQ(test_vmsa.cr0, 0x60000010ull);
	EXPECT_EQ(test_vmsa.rflags, 0x2);
	EXPECT_EQ(test_vmsa.dr6, 0xFFFF0FF0ull);
	EXPECT_EQ(test_vmsa.dr7, 0x400);
	EXPECT_EQ(test_vmsa.g_pat, 0x0007040600070406ull);
	EXPECT_EQ(test_vmsa.xcr0, 1);
	EXPECT_EQ(test_vmsa.mxcsr, 0x1F80);
	EXPECT_EQ(test_vmsa.x87_ftw, 0x5555);
	EXPECT_EQ(test_vmsa.x87_fcw, 0x0040);
	EXPECT_EQ(test_vmsa.vmpl, 2);
	EXPECT_EQ(test_vmsa.efer, 0x1000); /* SVME only */
	EXPECT_EQ(test_vmsa.sev_features, SEV_FEATURE_SNP_ACTIVE | (1ull << 7));
	/* Everything else is zero, not stale. */
	EXPECT_EQ(test_vmsa.cr3, 0);
	EXPECT_EQ(test_vmsa.cr4, 0);
	EXPECT_EQ(test_vmsa.rax, 0);
	EXPECT_EQ(test_vmsa.rsp, 0);
	EXPECT_EQ(test_vmsa.cpl, 0);
	EXPECT_EQ(test_vmsa.guest_exit_code, 0);
	EXPECT_EQ(test_vmsa.fpreg_ymm[255], 0);

	ASSERT_EQ(vmsa_build_guest_boot(&test_vmsa, 0x00812345ull, 1, status), SNP_OK);
	EXPECT_EQ(test_vmsa.cs.base, 0x00810000ull);
	EXPECT_EQ(test_vmsa.rip, 0x2345);
	EXPECT_EQ(test_vmsa.vmpl, 1);
}

KTEST(snp_vmsa, guest_sev_features_from_sev_status)
{
	uint64_t status = SEV_STATUS_REQUIRED | SEV_STATUS_RESTRICTED_INJECTION |
			  SEV_STATUS_DEBUG_SWAP | SEV_STATUS_ALTERNATE_INJECTION |
			  SEV_STATUS_VMSA_REG_PROT;

	/* bit n + 2 of SEV_STATUS is bit n of SEV_FEATURES; RI and DebugSwap are dropped */
	EXPECT_EQ(vmsa_guest_sev_features(status),
		  SEV_FEATURE_SNP_ACTIVE | SEV_FEATURE_ALTERNATE_INJECTION |
			  SEV_FEATURE_VMSA_REG_PROT);
	EXPECT_EQ(vmsa_guest_sev_features(SEV_STATUS_REQUIRED), SEV_FEATURE_SNP_ACTIVE);
	EXPECT_EQ(vmsa_guest_sev_features(SEV_STATUS_REQUIRED | SEV_STATUS_VTOM),
		  SEV_FEATURE_SNP_ACTIVE | SEV_FEATURE_VTOM);
}

KTEST(snp_vmsa, boot_vmsa_rejects_bad_arguments)
{
	memset(&test_vmsa, 0x5A, sizeof(test_vmsa));
	EXPECT_EQ(vmsa_build_guest_boot(&test_vmsa, 0xFFFFFFF0ull, 0, 7), SNP_ERR_INVALID_ARG);
	EXPECT_EQ(vmsa_build_guest_boot(&test_vmsa, 0xFFFFFFF0ull, 4, 7), SNP_ERR_INVALID_ARG);
	EXPECT_EQ(vmsa_build_guest_boot(&test_vmsa, 0x100000000ull, 2, 7), SNP_ERR_INVALID_ARG);
	EXPECT_EQ(test_vmsa.rip, 0x5A5A5A5A5A5A5A5Aull); /* untouched */
}

KTEST(snp_vmsa, create_vcpu_checks)
{
	uint64_t features = SEV_FEATURE_SNP_ACTIVE;

	ASSERT_EQ(vmsa_build_guest_boot(&test_vmsa, 0xFFFFFFF0ull, 2, SEV_STATUS_REQUIRED), SNP_OK);
	EXPECT_EQ(vmsa_check_create_vcpu(&test_vmsa, 2, features), VMSA_CHECK_OK);
	EXPECT_EQ(vmsa_check_create_vcpu(&test_vmsa, 1, features), VMSA_CHECK_OK);
	EXPECT_EQ(vmsa_check_create_vcpu(&test_vmsa, 3, features), VMSA_CHECK_VMPL_BELOW_CALLER);
	EXPECT_EQ(vmsa_check_create_vcpu(&test_vmsa, 2, features | SEV_FEATURE_DEBUG_SWAP),
		  VMSA_CHECK_SEV_FEATURES);

	test_vmsa.vmpl = 0;
	EXPECT_EQ(vmsa_check_create_vcpu(&test_vmsa, 0, features), VMSA_CHECK_VMPL_ZERO);
	test_vmsa.vmpl = 4;
	EXPECT_EQ(vmsa_check_create_vcpu(&test_vmsa, 2, features), VMSA_CHECK_VMPL_INVALID);
	test_vmsa.vmpl = 2;
	test_vmsa.efer &= ~VMSA_EFER_SVME;
	EXPECT_EQ(vmsa_check_create_vcpu(&test_vmsa, 2, features), VMSA_CHECK_SVME_CLEAR);
	EXPECT_STREQ(vmsa_check_name(VMSA_CHECK_SVME_CLEAR), "VMSA_CHECK_SVME_CLEAR");
	EXPECT_STREQ(vmsa_check_name((enum vmsa_check)99), "VMSA_CHECK_?");
}
