/* Guest VMSA construction and CREATE_VCPU checks (see vmsa_build.h). */
#include "arch/x86/snp/vmsa_build.h"

#include "kernel/string.h"

#define VMSA_SEV_STATUS_TO_FEATURES_SHIFT 2

uint64_t vmsa_guest_sev_features(uint64_t sev_status)
{
	return (sev_status >> VMSA_SEV_STATUS_TO_FEATURES_SHIFT) & ~VMSA_GUEST_FEATURES_DROPPED;
}

static void vmsa_set_segment(struct vmsa_segment *s, uint16_t selector, uint16_t attrib,
			     uint32_t limit, uint64_t base)
{
	s->selector = selector;
	s->attrib = attrib;
	s->limit = limit;
	s->base = base;
}

enum snp_result vmsa_build_guest_boot(struct vmsa *v, uint64_t reset_rip, uint8_t guest_vmpl,
				      uint64_t sev_status)
{
	if (guest_vmpl == 0 || guest_vmpl > 3 || reset_rip > 0xFFFFFFFFull) {
		return SNP_ERR_INVALID_ARG;
	}
	bastion_memset(v, 0, sizeof(*v));

	vmsa_set_segment(&v->cs, VMSA_BOOT_CS_SELECTOR, VMSA_BOOT_CS_ATTRIB, VMSA_BOOT_SEG_LIMIT,
			 reset_rip & 0xFFFF0000ull);
	vmsa_set_segment(&v->ds, 0, VMSA_BOOT_DATA_ATTRIB, VMSA_BOOT_SEG_LIMIT, 0);
	vmsa_set_segment(&v->es, 0, VMSA_BOOT_DATA_ATTRIB, VMSA_BOOT_SEG_LIMIT, 0);
	vmsa_set_segment(&v->fs, 0, VMSA_BOOT_DATA_ATTRIB, VMSA_BOOT_SEG_LIMIT, 0);
	vmsa_set_segment(&v->gs, 0, VMSA_BOOT_DATA_ATTRIB, VMSA_BOOT_SEG_LIMIT, 0);
	vmsa_set_segment(&v->ss, 0, VMSA_BOOT_DATA_ATTRIB, VMSA_BOOT_SEG_LIMIT, 0);
	vmsa_set_segment(&v->gdtr, 0, 0, VMSA_BOOT_SEG_LIMIT, 0);
	vmsa_set_segment(&v->idtr, 0, 0, VMSA_BOOT_SEG_LIMIT, 0);
	vmsa_set_segment(&v->ldtr, 0, VMSA_BOOT_LDTR_ATTRIB, VMSA_BOOT_SEG_LIMIT, 0);
	vmsa_set_segment(&v->tr, 0, VMSA_BOOT_TR_ATTRIB, VMSA_BOOT_SEG_LIMIT, 0);

	v->rip = reset_rip & 0xFFFFull;
	v->rflags = VMSA_BOOT_RFLAGS;
	v->cr0 = VMSA_BOOT_CR0;
	v->dr6 = VMSA_BOOT_DR6;
	v->dr7 = VMSA_BOOT_DR7;
	v->g_pat = VMSA_BOOT_G_PAT;
	v->xcr0 = VMSA_BOOT_XCR0;
	v->mxcsr = VMSA_BOOT_MXCSR;
	v->x87_ftw = VMSA_BOOT_X87_FTW;
	v->x87_fcw = VMSA_BOOT_X87_FCW;
	v->vmpl = guest_vmpl;
	v->efer = VMSA_EFER_SVME;
	v->sev_features = vmsa_guest_sev_features(sev_status);
	return SNP_OK;
}

enum vmsa_check vmsa_check_create_vcpu(const struct vmsa *copy, uint8_t caller_vmpl,
				       uint64_t expected_sev_features)
{
	if (copy->vmpl == 0) {
		return VMSA_CHECK_VMPL_ZERO;
	}
	if (copy->vmpl > 3) {
		return VMSA_CHECK_VMPL_INVALID;
	}
	if (copy->vmpl < caller_vmpl) {
		return VMSA_CHECK_VMPL_BELOW_CALLER;
	}
	if ((copy->efer & VMSA_EFER_SVME) == 0) {
		return VMSA_CHECK_SVME_CLEAR;
	}
	if (copy->sev_features != expected_sev_features) {
		return VMSA_CHECK_SEV_FEATURES;
	}
	return VMSA_CHECK_OK;
}

const char *vmsa_check_name(enum vmsa_check c)
{
	switch (c) {
	case VMSA_CHECK_OK:
		return "VMSA_CHECK_OK";
	case VMSA_CHECK_VMPL_ZERO:
		return "VMSA_CHECK_VMPL_ZERO";
	case VMSA_CHECK_VMPL_INVALID:
		return "VMSA_CHECK_VMPL_INVALID";
	case VMSA_CHECK_VMPL_BELOW_CALLER:
		return "VMSA_CHECK_VMPL_BELOW_CALLER";
	case VMSA_CHECK_SVME_CLEAR:
		return "VMSA_CHECK_SVME_CLEAR";
	case VMSA_CHECK_SEV_FEATURES:
		return "VMSA_CHECK_SEV_FEATURES";
	}
	return "VMSA_CHECK_?";
}
