/* Reading the SNP CPUID page (hostile layout from the hypervisor, checked by the PSP). */
#include <string.h>

#include "arch/x86/snp_cpuid.h"
#include "tests/ktest/ktest.h"

static uint8_t cpuid_page[SNP_CPUID_PAGE_SIZE];

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void add_entry(uint32_t index, uint32_t leaf, uint32_t subleaf, uint32_t ebx)
{
	uint8_t *e = cpuid_page + 16 + index * 48;

	put32(e, leaf);
	put32(e + 4, subleaf);
	put32(e + 28, ebx);
	put32(cpuid_page, index + 1);
}

KTEST(snp_cpuid, finds_the_c_bit)
{
	unsigned int bit = 0;
	struct cpuid_regs r;

	memset(cpuid_page, 0, sizeof(cpuid_page));
	add_entry(0, 0x1, 0, 0x11);
	add_entry(1, 0x8000001F, 1, 0x22);
	add_entry(2, 0x8000001F, 0, 0x1200 | 51);
	ASSERT_EQ(snp_cpuid_cbit(cpuid_page, sizeof(cpuid_page), &bit), 0);
	EXPECT_EQ(bit, 51);
	ASSERT_TRUE(snp_cpuid_lookup(cpuid_page, sizeof(cpuid_page), 0x8000001F, 1, &r));
	EXPECT_EQ(r.ebx, 0x22);
	EXPECT_FALSE(snp_cpuid_lookup(cpuid_page, sizeof(cpuid_page), 0x7, 0, &r));
}

KTEST(snp_cpuid, refuses_bad_pages)
{
	unsigned int bit = 0;

	memset(cpuid_page, 0, sizeof(cpuid_page));
	EXPECT_EQ(snp_cpuid_cbit(cpuid_page, sizeof(cpuid_page), &bit), -1); /* empty */
	add_entry(0, 0x8000001F, 0, 12); /* C-bit below 32: not a real SEV C-bit position */
	EXPECT_EQ(snp_cpuid_cbit(cpuid_page, sizeof(cpuid_page), &bit), -1);
	add_entry(0, 0x8000001F, 0, 47);
	put32(cpuid_page, 65); /* count beyond the page's 64 entries */
	EXPECT_EQ(snp_cpuid_cbit(cpuid_page, sizeof(cpuid_page), &bit), -1);
	put32(cpuid_page, 1);
	EXPECT_EQ(snp_cpuid_cbit(cpuid_page, 40, &bit), -1); /* truncated copy */
	EXPECT_EQ(snp_cpuid_cbit(cpuid_page, sizeof(cpuid_page), &bit), 0);
	EXPECT_EQ(bit, 47);
}
