#include "kernel/panic.h"

#include <stdarg.h>
#include <stdbool.h>

#include "arch/x86/cpu.h"
#include "arch/x86/qemu_exit.h"
#include "kernel/backtrace.h"
#include "kernel/console.h"

void panic(const char *fmt, ...)
{
	static bool panicking;
	va_list ap;

	cpu_irq_disable();
	if (panicking) {
		console_printf("bastion: PANIC while panicking\n");
		panic_terminate();
	}
	panicking = true;
	console_printf("bastion: PANIC: ");
	va_start(ap, fmt);
	console_vprintf(fmt, ap);
	va_end(ap);
	console_putc('\n');
	/* Frame #0 is panic()'s caller (the call instruction: the return address - 1, which
	 * stays inside the caller even when the call is its last instruction); its frame pointer
	 * is the one saved in our frame. */
	backtrace_print((uint64_t)(uintptr_t)__builtin_return_address(0) - 1,
			*(const uint64_t *)__builtin_frame_address(0));
	panic_terminate();
}

static void (*panic_platform_hook)(void);

void panic_set_platform_hook(void (*fn)(void))
{
	panic_platform_hook = fn;
}

void panic_terminate(void)
{
	static bool hook_called;

	/* The platform hook runs at most once: a panic or fault inside it ends up here again. */
	if (panic_platform_hook != NULL && !hook_called) {
		hook_called = true;
		panic_platform_hook();
	}
	/* The vTPM and attestation code will register their wipes here. */
	arch_qemu_exit(false);
}
