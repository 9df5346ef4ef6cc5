/*
 * #VC handling for Bastion itself (see vc.h). Instruction encodings: AMD APM vol 3,
 * "IN", "OUT", "INS", "OUTS", "CPUID", "RDMSR", "WRMSR"; IOIO exit information: APM vol 2,
 * 15.10.2, built by ghcb_ioio_exitinfo(); MSR NAE: GHCB spec 56421, "MSR protocol" NAE
 * (exit code 0x7C, SW_EXITINFO1 0 read / 1 write).
 */
#include "arch/x86/snp/vc.h"

#include <stdarg.h>

#include "arch/x86/snp/cpuid_emul.h"
#include "arch/x86/snp/insn.h"
#include "kernel/format.h"
#include "kernel/panic.h"
#include "kernel/string.h"

#define LOW32 0xFFFFFFFFull
#define VC_LOG_LINE 160u

/* Opcodes (one byte, after prefixes). */
#define OP_IN_AL_IMM8 0xE4u
#define OP_IN_EAX_IMM8 0xE5u
#define OP_OUT_IMM8_AL 0xE6u
#define OP_OUT_IMM8_EAX 0xE7u
#define OP_IN_AL_DX 0xECu
#define OP_IN_EAX_DX 0xEDu
#define OP_OUT_DX_AL 0xEEu
#define OP_OUT_DX_EAX 0xEFu
#define OP_INSB 0x6Cu
#define OP_OUTSD 0x6Fu
#define OP_TWO_BYTE 0x0Fu
#define OP2_CPUID 0xA2u
#define OP2_RDMSR 0x32u
#define OP2_WRMSR 0x30u
#define PREFIX_OPSIZE 0x66u
#define PREFIX_REPNE 0xF2u
#define PREFIX_REP 0xF3u

/* MSRs (AMD APM vol 2, appendix A; Intel SDM vol 4). */
#define MSR_TSC 0x10u
#define MSR_APIC_BASE 0x1Bu
#define MSR_MTRR_CAP 0xFEu
#define MSR_MTRR_DEF_TYPE 0x2FFu
#define MSR_X2APIC_ID 0x802u
#define MSR_X2APIC_VERSION 0x803u
#define MSR_X2APIC_EOI 0x80Bu
#define MSR_X2APIC_ICR 0x830u
#define MSR_TSC_DEADLINE 0x6E0u

struct vc_msr_rule {
	uint32_t msr;
	bool read;
	bool write;
	const char *name;
};

/*
 * The MSRs Bastion may access through the hypervisor. Values the hypervisor returns for
 * them are not security relevant to Bastion (timekeeping, APIC identification and interrupt
 * delivery, which the hypervisor controls anyway; MTRRs, which do not affect SNP memory
 * protection). Everything else, including the GHCB MSR and SEV_STATUS, is never forwarded.
 */
static const struct vc_msr_rule vc_msr_allowlist[] = {
	{ MSR_TSC, true, false, "TSC" },
	{ MSR_APIC_BASE, true, false, "APIC_BASE" },
	{ MSR_MTRR_CAP, true, false, "MTRRcap" },
	{ MSR_MTRR_DEF_TYPE, true, false, "MTRRdefType" },
	{ MSR_TSC_DEADLINE, true, true, "TSC_DEADLINE" },
	{ MSR_X2APIC_ID, true, false, "x2APIC_ID" },
	{ MSR_X2APIC_VERSION, true, false, "x2APIC_VERSION" },
	{ MSR_X2APIC_EOI, false, true, "x2APIC_EOI" },
	{ MSR_X2APIC_ICR, true, true, "x2APIC_ICR" },
};

static const char *const vc_reason_names[VC_REASON_COUNT] = {
	[VC_OK] = "VC_OK",
	[VC_ERR_NOT_READY] = "VC_ERR_NOT_READY",
	[VC_ERR_NOT_KERNEL] = "VC_ERR_NOT_KERNEL",
	[VC_ERR_EXIT_CODE] = "VC_ERR_EXIT_CODE",
	[VC_ERR_FETCH] = "VC_ERR_FETCH",
	[VC_ERR_DECODE] = "VC_ERR_DECODE",
	[VC_ERR_IO_STRING] = "VC_ERR_IO_STRING",
	[VC_ERR_IO_REP] = "VC_ERR_IO_REP",
	[VC_ERR_CPUID] = "VC_ERR_CPUID",
	[VC_ERR_NO_GHCB] = "VC_ERR_NO_GHCB",
	[VC_ERR_GHCB] = "VC_ERR_GHCB",
};

static struct {
	bool enabled;
	bool failed; /* a #VC was not handled: the VM is on its way to termination */
	struct vc_config cfg;
	struct cpuid_emul_table cpuid;
} vc_state;

/* ---- setup ---------------------------------------------------------------------------------- */

int vc_init(const struct vc_config *cfg)
{
	const struct vc_ops *ops = cfg->ops;

	vc_reset();
	if (ops == NULL || ops->fetch == NULL || ops->read_cr4 == NULL || ops->read_xcr0 == NULL ||
	    ops->read_xss == NULL || ops->apic_id == NULL || ops->ghcb == NULL ||
	    ops->log == NULL || cfg->cpuid_page == NULL) {
		return -1;
	}
	if (cpuid_emul_init(&vc_state.cpuid, cfg->cpuid_page, cfg->cpuid_len) != 0) {
		return -1;
	}
	vc_state.cfg = *cfg;
	vc_state.cfg.cpuid_page = NULL; /* only the private parsed copy is used */
	vc_state.cfg.cpuid_len = 0;
	vc_state.enabled = true;
	return 0;
}

bool vc_enabled(void)
{
	return vc_state.enabled;
}

void vc_reset(void)
{
	bastion_memset(&vc_state, 0, sizeof(vc_state));
}

const char *vc_reason_name(int reason)
{
	int r = reason < 0 ? -reason : reason;

	if (r >= 0 && r < VC_REASON_COUNT) {
		return vc_reason_names[r];
	}
	return "VC_ERR_?";
}

bool vc_msr_allowed(uint32_t msr, bool write)
{
	for (size_t i = 0; i < sizeof(vc_msr_allowlist) / sizeof(vc_msr_allowlist[0]); i++) {
		if (vc_msr_allowlist[i].msr == msr) {
			return write ? vc_msr_allowlist[i].write : vc_msr_allowlist[i].read;
		}
	}
	return false;
}

/* ---- helpers -------------------------------------------------------------------------------- */

__attribute__((format(printf, 2, 3))) static int vc_fail(enum vc_reason reason,
							 const char *fmt, ...)
{
	char line[VC_LOG_LINE];
	size_t n = 0;
	va_list ap;

	/* Set before logging: the log's own OUTs may need the (possibly failing) GHCB. */
	vc_state.failed = true;
	n = fmt_snprintf(line, sizeof(line), "snp: #VC not handled (%s): ",
			 vc_reason_name((int)reason));
	if (n < sizeof(line)) {
		va_start(ap, fmt);
		fmt_vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		va_end(ap);
	}
	vc_state.cfg.ops->log(line);
	return -(int)reason;
}

/* Fetches the byte at tf->rip + off; false if beyond the limit or unreadable. */
static bool vc_fetch(const struct trap_frame *tf, unsigned int off, uint8_t *b)
{
	if (off >= VC_INSN_MAX) {
		return false;
	}
	return vc_state.cfg.ops->fetch(tf->rip + off, b, 1) == 0;
}

/* Reads a two-byte 0F xx instruction with no prefix; returns its second byte or -1. */
static int vc_decode_0f(const struct trap_frame *tf)
{
	uint8_t b0 = 0;
	uint8_t b1 = 0;

	if (!vc_fetch(tf, 0, &b0) || !vc_fetch(tf, 1, &b1)) {
		return -2;
	}
	return b0 == OP_TWO_BYTE ? b1 : -1;
}

static struct ghcb_ctx *vc_ghcb(void)
{
	return vc_state.cfg.ops->ghcb();
}

static int vc_ghcb_fail(const char *what, enum snp_result r, const struct ghcb_ctx *g)
{
	return vc_fail(VC_ERR_GHCB, "%s: %s (SW_EXITINFO1 0x%lx, SW_EXITINFO2 0x%lx)", what,
		       snp_result_name(r), (unsigned long)g->last.exit_info_1,
		       (unsigned long)g->last.exit_info_2);
}

/* ---- CPUID (exit code 0x72) ----------------------------------------------------------------- */

static int vc_cpuid(struct trap_frame *tf)
{
	const struct vc_ops *ops = vc_state.cfg.ops;
	struct cpuid_emul_env env = { 0 };
	struct cpuid_regs r = { 0 };
	uint32_t leaf = (uint32_t)tf->rax;
	uint32_t subleaf = (uint32_t)tf->rcx;
	int op = vc_decode_0f(tf);

	if (op == -2) {
		return vc_fail(VC_ERR_FETCH, "CPUID at 0x%lx", (unsigned long)tf->rip);
	}
	if (op != OP2_CPUID) {
		return vc_fail(VC_ERR_DECODE, "exit code CPUID but no CPUID at 0x%lx",
			       (unsigned long)tf->rip);
	}
	env.cr4 = ops->read_cr4();
	env.xcr0 = (env.cr4 & CPUID_EMUL_CR4_OSXSAVE) != 0 ? ops->read_xcr0() : 1;
	env.xss = ops->read_xss();
	env.apic_id = ops->apic_id();
	if (cpuid_emul(&vc_state.cpuid, &env, leaf, subleaf, &r) != 0) {
		return vc_fail(VC_ERR_CPUID, "leaf 0x%x subleaf 0x%x (XCR0 0x%lx, XSS 0x%lx)", leaf,
			       subleaf, (unsigned long)env.xcr0, (unsigned long)env.xss);
	}
	/* 32-bit results zero-extend into the 64-bit registers. */
	tf->rax = r.eax;
	tf->rbx = r.ebx;
	tf->rcx = r.ecx;
	tf->rdx = r.edx;
	tf->rip += 2;
	return 0;
}

/* ---- IOIO (exit code 0x7B) ------------------------------------------------------------------ */

struct vc_io {
	bool in;
	unsigned int size; /* 1, 2, 4 */
	uint16_t port;
	unsigned int len;  /* instruction length */
};

static int vc_decode_io(const struct trap_frame *tf, struct vc_io *io)
{
	bool opsize16 = false;
	bool rep = false;
	unsigned int i = 0;
	uint8_t b = 0;
	uint8_t imm = 0;

	for (;;) {
		if (!vc_fetch(tf, i, &b)) {
			return i >= VC_INSN_MAX
				       ? vc_fail(VC_ERR_DECODE, "IOIO at 0x%lx: longer than %u bytes",
						 (unsigned long)tf->rip, VC_INSN_MAX)
				       : vc_fail(VC_ERR_FETCH, "IOIO at 0x%lx, byte %u",
						 (unsigned long)tf->rip, i);
		}
		if (b == PREFIX_OPSIZE) {
			opsize16 = true;
		} else if (b == PREFIX_REP || b == PREFIX_REPNE) {
			rep = true;
		} else {
			break;
		}
		i++;
	}
	if (b >= OP_INSB && b <= OP_OUTSD) {
		return vc_fail(VC_ERR_IO_STRING, "INS/OUTS (opcode 0x%x) at 0x%lx", b,
			       (unsigned long)tf->rip);
	}
	switch (b) {
	case OP_IN_AL_IMM8:
	case OP_IN_EAX_IMM8:
	case OP_OUT_IMM8_AL:
	case OP_OUT_IMM8_EAX:
		if (i + 1 >= VC_INSN_MAX) {
			return vc_fail(VC_ERR_DECODE, "IOIO at 0x%lx: longer than %u bytes",
				       (unsigned long)tf->rip, VC_INSN_MAX);
		}
		if (!vc_fetch(tf, i + 1, &imm)) {
			return vc_fail(VC_ERR_FETCH, "IOIO at 0x%lx, immediate",
				       (unsigned long)tf->rip);
		}
		io->port = imm;
		io->len = i + 2;
		break;
	case OP_IN_AL_DX:
	case OP_IN_EAX_DX:
	case OP_OUT_DX_AL:
	case OP_OUT_DX_EAX:
		io->port = (uint16_t)tf->rdx;
		io->len = i + 1;
		break;
	default:
		return vc_fail(VC_ERR_DECODE, "exit code IOIO but opcode 0x%x at 0x%lx", b,
			       (unsigned long)tf->rip);
	}
	if (rep) {
		return vc_fail(VC_ERR_IO_REP, "REP IN/OUT at 0x%lx", (unsigned long)tf->rip);
	}
	io->in = b == OP_IN_AL_IMM8 || b == OP_IN_EAX_IMM8 || b == OP_IN_AL_DX ||
		 b == OP_IN_EAX_DX;
	/* Even opcodes move AL; odd ones AX with 0x66, else EAX (no 64-bit form exists). */
	io->size = (b & 1u) == 0 ? 1 : (opsize16 ? 2 : 4);
	return 0;
}

/*
 * After a #VC failure the console (port I/O) may be what is broken, and the failure report
 * itself does port I/O: an IN/OUT that cannot be carried out then is dropped (OUT discarded,
 * IN reads all ones, as from an absent device) instead of failing again, so the report runs
 * to panic_terminate() and the termination request instead of recursing through #VC.
 */
static int vc_io_drop(struct trap_frame *tf, const struct vc_io *io)
{
	if (io->in) {
		if (io->size == 4) {
			tf->rax = 0xFFFFFFFFull;
		} else {
			tf->rax |= io->size == 1 ? 0xFFull : 0xFFFFull;
		}
	}
	tf->rip += io->len;
	return 0;
}

static int vc_ioio(struct trap_frame *tf)
{
	struct vc_io io = { 0 };
	struct ghcb_ctx *g = NULL;
	enum snp_result r = SNP_OK;
	uint32_t value = 0;
	int rc = vc_decode_io(tf, &io);

	if (rc != 0) {
		return rc;
	}
	g = vc_ghcb();
	if (g == NULL) {
		if (vc_state.failed) {
			return vc_io_drop(tf, &io);
		}
		return vc_fail(VC_ERR_NO_GHCB, "%s port 0x%x", io.in ? "IN" : "OUT", io.port);
	}
	if (!io.in) {
		r = ghcb_ioio_out(g, io.port, io.size, (uint32_t)tf->rax);
	} else {
		r = ghcb_ioio_in(g, io.port, io.size, &value);
	}
	if (r != SNP_OK) {
		if (vc_state.failed) {
			return vc_io_drop(tf, &io);
		}
		return vc_ghcb_fail(io.in ? "IN" : "OUT", r, g);
	}
	if (io.in) {
		if (io.size == 4) {
			tf->rax = value; /* a 32-bit destination zero-extends */
		} else {
			uint64_t mask = io.size == 1 ? 0xFFull : 0xFFFFull;

			tf->rax = (tf->rax & ~mask) | (value & mask);
		}
	}
	tf->rip += io.len;
	return 0;
}

/* ---- MSR (exit code 0x7C) ------------------------------------------------------------------- */

static int vc_msr(struct trap_frame *tf)
{
	struct ghcb_ctx *g = NULL;
	enum snp_result r = SNP_OK;
	uint32_t msr = (uint32_t)tf->rcx;
	uint64_t value = 0;
	bool write = false;
	int op = vc_decode_0f(tf);

	if (op == -2) {
		return vc_fail(VC_ERR_FETCH, "RDMSR/WRMSR at 0x%lx", (unsigned long)tf->rip);
	}
	if (op != OP2_RDMSR && op != OP2_WRMSR) {
		return vc_fail(VC_ERR_DECODE, "exit code MSR but no RDMSR/WRMSR at 0x%lx",
			       (unsigned long)tf->rip);
	}
	write = op == OP2_WRMSR;
	if (msr == MSR_SEV_STATUS && !write) {
		value = vc_state.cfg.sev_status;
	} else if (msr == MSR_SEV_ES_GHCB || msr == MSR_SEV_STATUS) {
		panic("snp: #VC: %s of MSR 0x%x (%s) is never forwarded to the hypervisor",
		      write ? "WRMSR" : "RDMSR", msr,
		      msr == MSR_SEV_ES_GHCB ? "GHCB" : "SEV_STATUS");
	} else if (!vc_msr_allowed(msr, write)) {
		panic("snp: #VC: %s of MSR 0x%x is not on the #VC allowlist (arch/x86/snp/vc.c)",
		      write ? "WRMSR" : "RDMSR", msr);
	} else {
		g = vc_ghcb();
		if (g == NULL) {
			return vc_fail(VC_ERR_NO_GHCB, "%s 0x%x", write ? "WRMSR" : "RDMSR", msr);
		}
		if (write) {
			r = ghcb_wrmsr(g, msr, ((tf->rdx & LOW32) << 32) | (tf->rax & LOW32));
		} else {
			r = ghcb_rdmsr(g, msr, &value);
		}
		if (r != SNP_OK) {
			return vc_ghcb_fail(write ? "WRMSR" : "RDMSR", r, g);
		}
	}
	if (!write) {
		tf->rax = value & LOW32;
		tf->rdx = value >> 32;
	}
	tf->rip += 2;
	return 0;
}

/* ---- entry ---------------------------------------------------------------------------------- */

int vc_handle(struct trap_frame *tf)
{
	if (!vc_state.enabled) {
		return -VC_ERR_NOT_READY;
	}
	if ((tf->cs & 3u) != 0) {
		return vc_fail(VC_ERR_NOT_KERNEL, "CS 0x%lx", (unsigned long)tf->cs);
	}
	switch (tf->error_code) {
	case VC_EXIT_CPUID:
		return vc_cpuid(tf);
	case VC_EXIT_IOIO:
		return vc_ioio(tf);
	case VC_EXIT_MSR:
		return vc_msr(tf);
	default:
		return vc_fail(VC_ERR_EXIT_CODE, "exit code 0x%lx at 0x%lx",
			       (unsigned long)tf->error_code, (unsigned long)tf->rip);
	}
}
