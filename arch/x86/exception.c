/*
 * Fatal exception reporting (vector numbers and names: APM vol 2, table 8-1).
 */
#include "arch/x86/exception.h"

#include "arch/x86/cpu.h"
#include "arch/x86/extable.h"
#include "arch/x86/snp/vc.h"
#include "kernel/backtrace.h"
#include "kernel/console.h"
#include "kernel/ksyms.h"
#include "kernel/panic.h"

struct exception_desc {
	const char *mnemonic;
	const char *name;
};

static const struct exception_desc exception_descs[32] = {
	[0] = { "#DE", "divide error" },
	[1] = { "#DB", "debug" },
	[2] = { "NMI", "non-maskable interrupt" },
	[3] = { "#BP", "breakpoint" },
	[4] = { "#OF", "overflow" },
	[5] = { "#BR", "bound range" },
	[6] = { "#UD", "invalid opcode" },
	[7] = { "#NM", "device not available" },
	[8] = { "#DF", "double fault" },
	[9] = { "#CSO", "coprocessor segment overrun" },
	[10] = { "#TS", "invalid TSS" },
	[11] = { "#NP", "segment not present" },
	[12] = { "#SS", "stack fault" },
	[13] = { "#GP", "general protection" },
	[14] = { "#PF", "page fault" },
	[15] = { "#15", "reserved" },
	[16] = { "#MF", "x87 floating-point" },
	[17] = { "#AC", "alignment check" },
	[18] = { "#MC", "machine check" },
	[19] = { "#XF", "SIMD floating-point" },
	[20] = { "#20", "reserved" },
	[21] = { "#CP", "control protection" },
	[22] = { "#22", "reserved" },
	[23] = { "#23", "reserved" },
	[24] = { "#24", "reserved" },
	[25] = { "#25", "reserved" },
	[26] = { "#26", "reserved" },
	[27] = { "#27", "reserved" },
	[28] = { "#HV", "hypervisor injection" },
	[29] = { "#VC", "VMM communication" },
	[30] = { "#SX", "security" },
	[31] = { "#31", "reserved" },
};

const char *arch_exception_mnemonic(uint64_t vector)
{
	return vector < 32 ? exception_descs[vector].mnemonic : "#??";
}

const char *arch_exception_name(uint64_t vector)
{
	return vector < 32 ? exception_descs[vector].name : "unknown vector";
}

static void print_reg_pair(const char *a, uint64_t va, const char *b, uint64_t vb)
{
	console_printf("bastion:   %-6s 0x%016lx  %-6s 0x%016lx\n", a, va, b, vb);
}

static void exception_report(const struct trap_frame *f)
{
	uint64_t offset = 0;
	const char *sym = ksyms_lookup(&ksyms_kernel, f->rip, &offset);

	console_printf("bastion: FATAL EXCEPTION %s (%s), vector %lu, error code 0x%lx\n",
		       arch_exception_mnemonic(f->vector), arch_exception_name(f->vector), f->vector,
		       f->error_code);
	if (sym != NULL) {
		console_printf("bastion:   at RIP 0x%016lx <%s+0x%lx>\n", f->rip, sym, offset);
	} else {
		console_printf("bastion:   at RIP 0x%016lx <unknown>\n", f->rip);
	}
	print_reg_pair("RAX", f->rax, "RBX", f->rbx);
	print_reg_pair("RCX", f->rcx, "RDX", f->rdx);
	print_reg_pair("RSI", f->rsi, "RDI", f->rdi);
	print_reg_pair("RBP", f->rbp, "RSP", f->rsp);
	print_reg_pair("R8", f->r8, "R9", f->r9);
	print_reg_pair("R10", f->r10, "R11", f->r11);
	print_reg_pair("R12", f->r12, "R13", f->r13);
	print_reg_pair("R14", f->r14, "R15", f->r15);
	print_reg_pair("RIP", f->rip, "RFLAGS", f->rflags);
	print_reg_pair("CS", f->cs, "SS", f->ss);
	print_reg_pair("CR0", cpu_read_cr0(), "CR2", cpu_read_cr2());
	print_reg_pair("CR3", cpu_read_cr3(), "CR4", cpu_read_cr4());
	backtrace_print(f->rip, f->rbp);
}

void arch_exception_dispatch(struct trap_frame *frame)
{
	static int depth;

	if (extable_fixup(frame)) {
		return; /* an expected fault: the faulting function returns an error */
	}
	/* SNP only (vc_init() ran): emulate CPUID/IOIO/MSR; anything else stays fatal. */
	if (frame->vector == VC_VECTOR && vc_enabled()) {
		int vc = vc_handle(frame);

		if (vc == 0) {
			return;
		}
		console_printf("bastion: #VC not handled: %s\n", vc_reason_name(vc));
	}
	depth++;
	if (depth > 1) {
		/* Faulted while reporting: say so with as little machinery as possible. */
		console_printf("bastion: FATAL EXCEPTION %s while handling an exception\n",
			       arch_exception_mnemonic(frame->vector));
		panic_terminate();
	}
	exception_report(frame);
	panic_terminate();
}
