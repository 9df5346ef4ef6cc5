/*
 * Lengths of the few guest instructions the native platform intercepts and must step over
 * when the CPU does not save the next RIP (QEMU's TCG has no NRIPS): HLT, RDMSR, WRMSR,
 * VMMCALL (plain, or `rep vmmcall`, which is how SEV guests spell VMGEXIT).
 * Portable: host tests feed it byte strings.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum insn_kind {
	INSN_HLT,
	INSN_RDMSR,
	INSN_WRMSR,
	INSN_VMMCALL,
};

/*
 * Returns the length of the instruction of the given kind at bytes[0..len), counting legacy
 * prefixes (and REX prefixes when long_mode), or 0 if the bytes are not that instruction
 * (the guest changed them, or the exit was for something else): callers then stop the guest
 * rather than guess.
 */
size_t insn_len(enum insn_kind kind, const uint8_t *bytes, size_t len, int long_mode);
