/* SEV_STATUS decoding and launch policy (see sev_status.h). */
#include "arch/x86/snp/sev_status.h"

#include "arch/x86/snp/ghcb_msr.h"

static const char *const sev_status_names[64] = {
	[0] = "SEV",
	[1] = "SEV-ES",
	[2] = "SNP",
	[3] = "vTOM",
	[4] = "ReflectVC",
	[5] = "RestrictedInjection",
	[6] = "AlternateInjection",
	[7] = "DebugSwap",
	[8] = "PreventHostIBS",
	[9] = "BTBIsolation",
	[10] = "VmplSSS",
	[11] = "SecureTSC",
	[12] = "VmgexitParam",
	[14] = "IBSVirt",
	[16] = "VmsaRegProt",
	[17] = "SMTProtection",
	[18] = "SecureAVIC",
	[23] = "IBPBOnEntry",
};

void sev_status_check(uint64_t status, struct sev_status_verdict *out)
{
	out->missing = SEV_STATUS_REQUIRED & ~status;
	out->unsupported = status & ~SEV_STATUS_SUPPORTED;
	out->ok = out->missing == 0 && out->unsupported == 0;
	out->reason_set = out->ok ? 0 : GHCB_TERM_SET_GENERAL;
	out->reason_code = out->ok ? 0 : GHCB_TERM_SNP_FEATURE_UNSUPPORTED;
}

const char *sev_status_bit_name(unsigned int bit)
{
	if (bit >= 64 || sev_status_names[bit] == NULL) {
		return "reserved";
	}
	return sev_status_names[bit];
}

/* Appends c at position *len if it fits (keeping room for the NUL); always counts it. */
static void sev_status_put(char *buf, size_t size, size_t *len, char c)
{
	if (*len + 1 < size) {
		buf[*len] = c;
	}
	(*len)++;
}

size_t sev_status_describe(uint64_t bits, char *buf, size_t size)
{
	size_t len = 0;

	for (unsigned int bit = 0; bit < 64; bit++) {
		const char *name = NULL;
		char num[8] = { 0 };

		if ((bits & (1ull << bit)) == 0) {
			continue;
		}
		if (len != 0) {
			sev_status_put(buf, size, &len, ' ');
		}
		name = sev_status_names[bit];
		if (name == NULL) {
			num[0] = 'b';
			num[1] = 'i';
			num[2] = 't';
			num[3] = (char)(bit >= 10 ? '0' + bit / 10 : '0' + bit);
			num[4] = (char)(bit >= 10 ? '0' + bit % 10 : '\0');
			name = num;
		}
		for (const char *p = name; *p != '\0'; p++) {
			sev_status_put(buf, size, &len, *p);
		}
	}
	if (size > 0) {
		buf[len < size ? len : size - 1] = '\0';
	}
	return len;
}
