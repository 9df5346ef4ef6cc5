/* How both guest images (conformance, relay) end: isa-debug-exit, and fatal exceptions. */
#include <stdint.h>

#include "tests/guest/conformance/console.h"
#include "tests/guest/conformance/io.h"
#include "tests/guest/conformance/layout.h"

void guest_exception(uint64_t vector, uint64_t error, uint64_t rip, uint64_t cr2);

_Noreturn void guest_exit(uint8_t code)
{
	/* isa-debug-exit: the value written becomes QEMU's exit status (value << 1) | 1. */
	outb(EXIT_PORT, code);
	for (;;) {
		__asm__ volatile("cli; hlt");
	}
}

void guest_exception(uint64_t vector, uint64_t error, uint64_t rip, uint64_t cr2)
{
	con_printf("conformance: FATAL exception %lu (error 0x%lx) at rip 0x%lx, cr2 0x%lx\n",
		   vector, error, rip, cr2);
	guest_exit(EXIT_FAIL);
}

