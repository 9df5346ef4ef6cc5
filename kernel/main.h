/* The boot sequence (kernel/main.c). */
#pragma once

#include <stdint.h>

/* Called once by arch/x86/entry.asm; never returns. */
__attribute__((noreturn)) void kmain(uint32_t platform_type);

/* Idles this CPU forever (interrupts off, HLT loop). */
__attribute__((noreturn)) void kmain_halt(void);
