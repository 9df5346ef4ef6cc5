/* SEV_STATUS decoding and Bastion's launch policy (sev_status.h). */
#include <string.h>

#include "arch/x86/snp/ghcb_msr.h"
#include "arch/x86/snp/sev_status.h"
#include "arch/x86/snp/snp_result.h"
#include "tests/host/snp_mock_hv.h"
#include "tests/ktest/ktest.h"

/* Bit numbers against Linux's MSR_AMD64_SEV_* / MSR_AMD64_SNP_*_BIT. */
_Static_assert(SEV_STATUS_SNP == 1ull << 2 && SEV_STATUS_VTOM == 1ull << 3, "bits 2-3");
_Static_assert(SEV_STATUS_DEBUG_SWAP == 1ull << 7 && SEV_STATUS_SECURE_TSC == 1ull << 11,
	       "bits 7, 11");
_Static_assert(SEV_STATUS_VMSA_REG_PROT == 1ull << 16 && SEV_STATUS_SMT_PROTECTION == 1ull << 17,
	       "bits 16-17");

KTEST(snp_sev_status, supported_configurations_pass)
{
	struct sev_status_verdict v = { 0 };

	snp_mock_hv_reset();
	sev_status_check(snp_insn_sev_status_read(), &v); /* mock default: SEV | SEV-ES | SNP */
	EXPECT_TRUE(v.ok);
	EXPECT_EQ(v.missing, 0);
	EXPECT_EQ(v.unsupported, 0);

	sev_status_check(SEV_STATUS_REQUIRED | SEV_STATUS_DEBUG_SWAP | SEV_STATUS_BTB_ISOLATION |
				 SEV_STATUS_PREVENT_HOST_IBS | SEV_STATUS_SMT_PROTECTION |
				 SEV_STATUS_VMPL_SSS | SEV_STATUS_IBPB_ON_ENTRY,
			 &v);
	EXPECT_TRUE(v.ok);
}

KTEST(snp_sev_status, unsupported_features_terminate_with_set0_code2)
{
	struct sev_status_verdict v = { 0 };
	static const uint64_t refused[] = {
		SEV_STATUS_VTOM,           SEV_STATUS_REFLECT_VC,
		SEV_STATUS_RESTRICTED_INJECTION, SEV_STATUS_ALTERNATE_INJECTION,
		SEV_STATUS_SECURE_TSC,     SEV_STATUS_VMGEXIT_PARAM,
		SEV_STATUS_IBS_VIRT,       SEV_STATUS_VMSA_REG_PROT,
		SEV_STATUS_SECURE_AVIC,    1ull << 13,
		1ull << 15,                1ull << 19,
		1ull << 63,
	};

	for (unsigned int i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		sev_status_check(SEV_STATUS_REQUIRED | refused[i], &v);
		EXPECT_FALSE(v.ok);
		EXPECT_EQ(v.unsupported, refused[i]);
		EXPECT_EQ(v.missing, 0);
		EXPECT_EQ(v.reason_set, GHCB_TERM_SET_GENERAL);
		EXPECT_EQ(v.reason_code, GHCB_TERM_SNP_FEATURE_UNSUPPORTED);
	}
	/* Not an SNP guest at all (SEV-ES only). */
	sev_status_check(SEV_STATUS_SEV | SEV_STATUS_SEV_ES, &v);
	EXPECT_FALSE(v.ok);
	EXPECT_EQ(v.missing, SEV_STATUS_SNP);
	EXPECT_EQ(v.reason_code, 2);
}

KTEST(snp_sev_status, names_for_the_log)
{
	char buf[128] = { 0 };
	char small[8] = { 0 };
	size_t n = 0;

	EXPECT_STREQ(sev_status_bit_name(0), "SEV");
	EXPECT_STREQ(sev_status_bit_name(2), "SNP");
	EXPECT_STREQ(sev_status_bit_name(5), "RestrictedInjection");
	EXPECT_STREQ(sev_status_bit_name(16), "VmsaRegProt");
	EXPECT_STREQ(sev_status_bit_name(17), "SMTProtection");
	EXPECT_STREQ(sev_status_bit_name(13), "reserved");
	EXPECT_STREQ(sev_status_bit_name(64), "reserved");

	n = sev_status_describe(SEV_STATUS_REQUIRED | SEV_STATUS_VMSA_REG_PROT | (1ull << 13) |
					(1ull << 2) | (1ull << 40),
				buf, sizeof(buf));
	EXPECT_STREQ(buf, "SEV SEV-ES SNP bit13 VmsaRegProt bit40");
	EXPECT_EQ(n, strlen("SEV SEV-ES SNP bit13 VmsaRegProt bit40"));
	n = sev_status_describe(SEV_STATUS_REQUIRED, small, sizeof(small));
	EXPECT_STREQ(small, "SEV SEV");
	EXPECT_EQ(n, 14);
	EXPECT_EQ(sev_status_describe(0, buf, sizeof(buf)), 0);
	EXPECT_STREQ(buf, "");
	EXPECT_EQ(sev_status_describe(SEV_STATUS_SEV, NULL, 0), 3);
	EXPECT_STREQ(snp_result_name(SNP_ERR_PSC_BACKWARDS), "SNP_ERR_PSC_BACKWARDS");
	EXPECT_STREQ(snp_result_name(SNP_RESULT_COUNT), "SNP_ERR_?");
}
