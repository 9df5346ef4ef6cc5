/*
 * The register frame arch/x86/isr.asm builds on the stack for every exception.
 * Field order is the reverse of the push order in isr.asm; _Static_asserts pin the offsets
 * the assembly relies on.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct trap_frame {
	uint64_t r15;
	uint64_t r14;
	uint64_t r13;
	uint64_t r12;
	uint64_t r11;
	uint64_t r10;
	uint64_t r9;
	uint64_t r8;
	uint64_t rbp;
	uint64_t rdi;
	uint64_t rsi;
	uint64_t rdx;
	uint64_t rcx;
	uint64_t rbx;
	uint64_t rax;
	uint64_t vector;     /* pushed by the per-vector stub */
	uint64_t error_code; /* pushed by the CPU, or 0 by the stub */
	uint64_t rip;        /* hardware interrupt frame (APM vol 2, 8.9.3) */
	uint64_t cs;
	uint64_t rflags;
	uint64_t rsp;
	uint64_t ss;
};

_Static_assert(offsetof(struct trap_frame, vector) == 15 * 8, "isr.asm pushes 15 GPRs");
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap frame size");
