/*
 * CPU exception handling. Every exception is fatal in this version: the handler prints the
 * exception name, the registers and a symbolized backtrace, then terminates the VM through
 * panic_terminate(). (Recoverable faults, e.g. guest-memory copies, get exception-table
 * fixups when mm/guest_mem lands.)
 */
#pragma once

#include "arch/x86/trap_frame.h"

/* Called by isr.asm with the saved frame. Does not return for any vector today. */
void arch_exception_dispatch(struct trap_frame *frame);

/* "#PF" style mnemonic and a readable name for vector (0..31); "#??" for others. */
const char *arch_exception_mnemonic(uint64_t vector);
const char *arch_exception_name(uint64_t vector);
