#include "arch/x86/snp_cpuid.h"

#define SNP_CPUID_HEADER 16
#define SNP_CPUID_ENTRY 48

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

bool snp_cpuid_lookup(const uint8_t *page, size_t len, uint32_t leaf, uint32_t subleaf,
		      struct cpuid_regs *out)
{
	uint32_t count = 0;

	if (len < SNP_CPUID_HEADER) {
		return false;
	}
	count = rd32(page);
	if (count > SNP_CPUID_MAX_ENTRIES ||
	    (size_t)count * SNP_CPUID_ENTRY > len - SNP_CPUID_HEADER) {
		return false;
	}
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *e = page + SNP_CPUID_HEADER + (size_t)i * SNP_CPUID_ENTRY;

		if (rd32(e) == leaf && rd32(e + 4) == subleaf) {
			out->eax = rd32(e + 24);
			out->ebx = rd32(e + 28);
			out->ecx = rd32(e + 32);
			out->edx = rd32(e + 36);
			return true;
		}
	}
	return false;
}

int snp_cpuid_cbit(const uint8_t *page, size_t len, unsigned int *bit)
{
	struct cpuid_regs r;
	unsigned int b = 0;

	if (!snp_cpuid_lookup(page, len, 0x8000001Fu, 0, &r)) {
		return -1;
	}
	b = r.ebx & 0x3Fu;
	if (b < 32 || b > 51) {
		return -1;
	}
	*bit = b;
	return 0;
}
