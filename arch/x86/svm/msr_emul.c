/* MSR numbers: AMD APM vol 2, appendix A; MTRRs: APM vol 2, 7.7. */
#include "arch/x86/svm/msr_emul.h"

#define MSR_APIC_BASE 0x1Bu
#define MSR_MTRR_CAP 0xFEu
#define MSR_SYSENTER_CS 0x174u
#define MSR_SYSENTER_ESP 0x175u
#define MSR_SYSENTER_EIP 0x176u
#define MSR_MTRR_VAR_BASE 0x200u
#define MSR_MTRR_FIX64K 0x250u
#define MSR_MTRR_FIX16K_80000 0x258u
#define MSR_MTRR_FIX16K_A0000 0x259u
#define MSR_MTRR_FIX4K_C0000 0x268u
#define MSR_PAT 0x277u
#define MSR_MTRR_DEF_TYPE 0x2FFu
#define MSR_EFER 0xC0000080u
#define MSR_STAR 0xC0000081u
#define MSR_LSTAR 0xC0000082u
#define MSR_CSTAR 0xC0000083u
#define MSR_SFMASK 0xC0000084u
#define MSR_FS_BASE 0xC0000100u
#define MSR_GS_BASE 0xC0000101u
#define MSR_KERNEL_GS_BASE 0xC0000102u
#define MSR_GHCB 0xC0010130u

#define APIC_BASE_DEFAULT 0xFEE00900ull /* base 0xFEE00000, enabled, bootstrap processor */
/* EFER bits a guest may set: SCE, LME, LMA, NXE, SVME, LMSLE, FFXSR, TCE (APM 3.1.7). */
#define EFER_ALLOWED 0xFD01ull
#define EFER_SVME (1ull << 12)

static bool pat_valid(uint64_t pat)
{
	for (int i = 0; i < 8; i++) {
		uint8_t t = (uint8_t)(pat >> (8 * i));

		/* Types 2 and 3 and anything above 7 are reserved. */
		if (t == 2 || t == 3 || t > 7) {
			return false;
		}
	}
	return true;
}

static uint64_t *mtrr_slot(struct msr_emul_state *st, uint32_t msr)
{
	if (msr >= MSR_MTRR_VAR_BASE && msr < MSR_MTRR_VAR_BASE + 16) {
		return &st->mtrr_var[msr - MSR_MTRR_VAR_BASE];
	}
	if (msr == MSR_MTRR_FIX64K) {
		return &st->mtrr_fixed[0];
	}
	if (msr == MSR_MTRR_FIX16K_80000) {
		return &st->mtrr_fixed[1];
	}
	if (msr == MSR_MTRR_FIX16K_A0000) {
		return &st->mtrr_fixed[2];
	}
	if (msr >= MSR_MTRR_FIX4K_C0000 && msr < MSR_MTRR_FIX4K_C0000 + 8) {
		return &st->mtrr_fixed[3 + msr - MSR_MTRR_FIX4K_C0000];
	}
	if (msr == MSR_MTRR_DEF_TYPE) {
		return &st->mtrr_def_type;
	}
	return 0;
}

/* The VMSA fields that hold guest-context MSRs. */
static uint64_t *vmsa_msr(struct vmsa *v, uint32_t msr)
{
	switch (msr) {
	case MSR_SYSENTER_CS:
		return &v->sysenter_cs;
	case MSR_SYSENTER_ESP:
		return &v->sysenter_esp;
	case MSR_SYSENTER_EIP:
		return &v->sysenter_eip;
	case MSR_STAR:
		return &v->star;
	case MSR_LSTAR:
		return &v->lstar;
	case MSR_CSTAR:
		return &v->cstar;
	case MSR_SFMASK:
		return &v->sfmask;
	case MSR_FS_BASE:
		return &v->fs.base;
	case MSR_GS_BASE:
		return &v->gs.base;
	case MSR_KERNEL_GS_BASE:
		return &v->kernel_gs_base;
	default:
		return 0;
	}
}

bool msr_emul_read(struct msr_emul_state *st, const struct vmsa *v, uint32_t msr, uint64_t *value)
{
	uint64_t *slot = vmsa_msr((struct vmsa *)(uintptr_t)v, msr);

	if (slot != 0) {
		*value = *slot;
		return true;
	}
	slot = mtrr_slot(st, msr);
	if (slot != 0) {
		*value = *slot;
		return true;
	}
	switch (msr) {
	case MSR_EFER:
		*value = v->efer & ~EFER_SVME; /* the guest did not turn SVM on: it sees it off */
		return true;
	case MSR_PAT:
		*value = v->g_pat;
		return true;
	case MSR_APIC_BASE:
		*value = APIC_BASE_DEFAULT;
		return true;
	case MSR_MTRR_CAP:
		*value = st->mtrr_cap;
		return true;
	case MSR_GHCB:
		*value = st->ghcb;
		return true;
	default:
		return false;
	}
}

bool msr_emul_write(struct msr_emul_state *st, struct vmsa *v, uint32_t msr, uint64_t value)
{
	uint64_t *slot = vmsa_msr(v, msr);

	if (slot != 0) {
		*slot = value;
		return true;
	}
	slot = mtrr_slot(st, msr);
	if (slot != 0) {
		*slot = value;
		return true;
	}
	switch (msr) {
	case MSR_EFER:
		if ((value & ~EFER_ALLOWED) != 0) {
			return false;
		}
		v->efer = value | EFER_SVME; /* VMRUN requires SVME in the guest's EFER */
		return true;
	case MSR_PAT:
		if (!pat_valid(value)) {
			return false;
		}
		v->g_pat = value;
		return true;
	case MSR_APIC_BASE:
		return true; /* ignored: the guest does not relocate or disable the APIC */
	case MSR_GHCB:
		st->ghcb = value;
		return true;
	default:
		return false;
	}
}
