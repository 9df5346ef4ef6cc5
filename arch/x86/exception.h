/*
 * CPU exception handling. A fault at an instruction listed in the exception table (see
 * arch/x86/extable.h: fault-tolerant copies and probes) resumes at its fixup. Every other
 * exception is fatal: the handler prints the exception name, the registers and a symbolized
 * backtrace, then terminates the VM through panic_terminate().
 */
#pragma once

#include "arch/x86/trap_frame.h"

/* Called by isr.asm with the saved frame. Returns only after an exception-table fixup. */
void arch_exception_dispatch(struct trap_frame *frame);

/* "#PF" style mnemonic and a readable name for vector (0..31); "#??" for others. */
const char *arch_exception_mnemonic(uint64_t vector);
const char *arch_exception_name(uint64_t vector);
