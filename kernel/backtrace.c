#include "kernel/backtrace.h"

#include <stdbool.h>

#include "kernel/console.h"
#include "kernel/image_layout.h"
#include "kernel/ksyms.h"

struct stack_frame {
	uint64_t saved_rbp;
	uint64_t return_addr;
};

static bool frame_pointer_ok(uint64_t rbp)
{
	return rbp >= BASTION_VIRT_BASE &&
	       rbp <= BASTION_VIRT_BASE + BASTION_REGION_SIZE - sizeof(struct stack_frame) &&
	       (rbp & 7) == 0;
}

size_t backtrace_capture(uint64_t rbp, uint64_t *return_addrs, size_t max)
{
	size_t n = 0;

	while (n < max && frame_pointer_ok(rbp)) {
		const struct stack_frame *f = (const struct stack_frame *)(uintptr_t)rbp;

		if (f->return_addr == 0) {
			break;
		}
		return_addrs[n++] = f->return_addr;
		if (f->saved_rbp <= rbp) {
			break; /* stacks grow down: callers' frames are at higher addresses */
		}
		rbp = f->saved_rbp;
	}
	return n;
}

static void backtrace_print_one(size_t index, uint64_t addr, uint64_t lookup_addr)
{
	uint64_t offset = 0;
	const char *sym = ksyms_lookup(&ksyms_kernel, lookup_addr, &offset);

	if (sym != NULL) {
		console_printf("bastion:   #%zu 0x%016lx %s+0x%lx\n", index, addr, sym,
			       offset + (addr - lookup_addr));
	} else {
		console_printf("bastion:   #%zu 0x%016lx ?\n", index, addr);
	}
}

void backtrace_print(uint64_t rip, uint64_t rbp)
{
	uint64_t addrs[BACKTRACE_MAX_FRAMES];
	size_t n = backtrace_capture(rbp, addrs, BACKTRACE_MAX_FRAMES);

	console_printf("bastion: backtrace:\n");
	backtrace_print_one(0, rip, rip);
	for (size_t i = 0; i < n; i++) {
		/* A return address may lie past the end of a noreturn caller: look up addr - 1. */
		backtrace_print_one(i + 1, addrs[i], addrs[i] - 1);
	}
}
