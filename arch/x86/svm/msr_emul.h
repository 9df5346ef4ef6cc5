/*
 * MSR accesses of a native-platform guest (every MSR is intercepted).
 *
 * Policy: MSRs whose guest value lives in the VMCB/VMSA (EFER, PAT, the SYSCALL/SYSENTER set,
 * FS/GS bases) read and write that value; the APIC base reads as the architectural default and
 * ignores writes (the guest does not move the APIC Bastion's CPU uses); MTRRs are a per-vCPU
 * shadow (the guest sees consistent values, the physical MTRRs never change); the GHCB MSR is
 * a per-vCPU virtual register. Anything else is refused: the caller injects #GP, as real
 * hardware does for an MSR it does not implement.
 * Portable: host tests drive it with a VMSA in memory.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/vmsa.h"

#define MSR_EMUL_MTRR_COUNT 32

struct msr_emul_state {
	uint64_t ghcb;
	uint64_t mtrr_def_type;
	uint64_t mtrr_var[16];    /* 0x200..0x20F: base/mask pairs */
	uint64_t mtrr_fixed[11];  /* 0x250, 0x258, 0x259, 0x268..0x26F */
	uint64_t mtrr_cap;        /* what MTRRcap (0xFE) reports */
};

/* Reads msr into *value. Returns false if the MSR is not emulated (inject #GP). */
bool msr_emul_read(struct msr_emul_state *st, const struct vmsa *v, uint32_t msr, uint64_t *value);

/* Writes value to msr. Returns false if the MSR is not emulated or the value is invalid for it
 * (reserved EFER bits, a PAT entry with a reserved type): inject #GP. */
bool msr_emul_write(struct msr_emul_state *st, struct vmsa *v, uint32_t msr, uint64_t value);
