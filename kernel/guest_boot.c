#include "kernel/guest_boot.h"

#include "arch/x86/snp/vmsa_build.h"
#include "kernel/firmware.h"
#include "kernel/log.h"
#include "kernel/platform.h"

static const char *exit_name(enum platform_exit e)
{
	switch (e) {
	case PLATFORM_EXIT_SVSM_CALL:
		return "SVSM call";
	case PLATFORM_EXIT_HALT:
		return "halt";
	case PLATFORM_EXIT_SHUTDOWN:
		return "shutdown";
	case PLATFORM_EXIT_TERMINATED:
		return "stopped";
	default:
		return "unknown";
	}
}

void guest_boot(void)
{
	const struct firmware_image *fw = firmware_image();
	const struct platform_ops *p = platform();
	struct platform_vcpu *v = NULL;
	struct vmsa *s = NULL;

	if (!fw->present) {
		LOG_INFO("no guest firmware in the IGVM file: idle");
		return;
	}
	v = p->vcpu_create();
	if (v == NULL) {
		LOG_ERROR("no memory for the guest's boot vCPU");
		return;
	}
	s = p->vcpu_vmsa(v);
	/* The architectural reset state at the firmware's reset vector (the same VMSA an SNP
	 * guest gets; VMPL and SEV features mean nothing to plain SVM, so they are cleared). */
	if (vmsa_build_guest_boot(s, fw->reset_vector, 1, 0) != SNP_OK) {
		LOG_ERROR("cannot build the guest's reset state");
		return;
	}
	s->vmpl = 0;
	s->sev_features = 0;
	LOG_INFO("entering the guest firmware at its reset vector 0x%lx", fw->reset_vector);
	for (;;) {
		enum platform_exit e = p->enter_guest(v);

		LOG_VERBOSE("guest exit: %s", exit_name(e));
		/* HLT: the guest waits for an interrupt, which (passed through) can only reach it
		 * in guest mode: enter it again. */
		if (e == PLATFORM_EXIT_SVSM_CALL || e == PLATFORM_EXIT_HALT) {
			continue;
		}
		LOG_INFO("guest %s (rip 0x%lx, exit code 0x%lx); Bastion stays up", exit_name(e),
			 s->rip, s->guest_exit_code);
		return;
	}
}
