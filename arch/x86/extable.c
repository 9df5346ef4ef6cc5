#include "arch/x86/extable.h"

#include <stdint.h>

#define EXTABLE_KIND_INSN 1
#define EXTABLE_KIND_CALL 2
#define PF_ERR_INSTRUCTION_FETCH (1ull << 4) /* APM vol 2, 8.4.2 */

struct extable_entry {
	uint64_t insn;
	uint64_t fixup;
	uint64_t kind;
};

extern const struct extable_entry __extable_start[];
extern const struct extable_entry __extable_end[];

static bool vector_recoverable(uint64_t vector)
{
	return vector == 14 || vector == 13 || vector == 12 || vector == 17 || vector == 29;
}

bool extable_fixup(struct trap_frame *frame)
{
	if (!vector_recoverable(frame->vector)) {
		return false;
	}
	/* The linker's bracket symbols: compared as addresses, not as pointers into one object. */
	for (const struct extable_entry *e = __extable_start; (uintptr_t)e < (uintptr_t)__extable_end; e++) {
		if (e->kind == EXTABLE_KIND_INSN && frame->rip == e->insn) {
			frame->rip = e->fixup;
			frame->rax = frame->vector + 1;
			return true;
		}
		/* A call into non-executable memory faults at the target with the caller's return
		 * address on top of the stack (the stack is Bastion's own, so reading it is safe). */
		if (e->kind == EXTABLE_KIND_CALL && frame->vector == 14 &&
		    (frame->error_code & PF_ERR_INSTRUCTION_FETCH) != 0 &&
		    *(const uint64_t *)(uintptr_t)frame->rsp == e->insn) {
			frame->rip = e->fixup;
			frame->rsp += 8;
			frame->rax = frame->vector + 1;
			return true;
		}
	}
	return false;
}
