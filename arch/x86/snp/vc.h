/*
 * Bastion's own #VC handler (exception 29, "VMM communication exception"; AMD APM vol 2,
 * 15.35 "SEV-ES": an SEV-ES/SNP guest gets #VC instead of an intercept, with the SVM exit
 * code as error code, and must emulate the instruction itself, asking the hypervisor through
 * the GHCB where needed; GHCB spec 56421, "#VC handling"; svsm-snp-igvm-abi.md 3.4).
 *
 * A #VC in Bastion comes from Bastion's own code at CPL 0. Three exit codes are handled:
 *   0x72 CPUID  answered from the SNP CPUID page with the dynamic fixups (cpuid_emul.h).
 *               Never from the hypervisor: a leaf missing from the page reads as zero.
 *   0x7B IOIO   IN/OUT AL/AX/EAX with an imm8 or DX port, optionally 0x66: decoded from
 *               the instruction bytes, sent as the GHCB IOIO NAE (exit info 1 built by
 *               ghcb_ioio_exitinfo(): port 31:16, size bit 4/5/6, address size 64 bit 9,
 *               bit 0 for IN); IN writes AL/AX (rest of RAX kept) or EAX (zero-extended,
 *               as the CPU does). String forms (INS/OUTS) and REP prefixes are refused.
 *   0x7C MSR    RDMSR/WRMSR (0F 32 / 0F 30) of an MSR on vc.c's allowlist, sent as the
 *               GHCB MSR NAE (exit info 1: 0 read, 1 write). SEV_STATUS reads are answered
 *               from the value cached at vc_init(). Every other MSR, the GHCB MSR, and any
 *               write of SEV_STATUS panic with the MSR number: Bastion never lets the
 *               hypervisor choose an MSR value it did not expect to need.
 * On success RIP moves past the instruction (its decoded length) and 0 is returned.
 * Everything else returns -VC_ERR_* after logging one line with the details through the
 * configured log function (the caller treats the exception as fatal). Errors the hypervisor
 * reports through the GHCB (SW_EXITINFO1 != 0: an exception to inject or GHCB_ERR_*) are
 * VC_ERR_GHCB: Bastion never expects a fault from these accesses, so nothing is injected.
 *
 * After the first failure (the VM is then on its way to termination) an IN/OUT the GHCB
 * cannot carry out is dropped instead (OUT discarded, IN reads all ones): the failure report
 * goes to the serial console through #VC itself, and must reach panic_terminate() rather than
 * recurse. The handler must not run on an IST stack for the same reason (nested #VC).
 *
 * Decoding is defensive: instruction bytes are fetched one at a time through ops->fetch (at
 * most 15, the architectural limit), only the encodings above are accepted, and any other
 * prefix or opcode is VC_ERR_DECODE.
 *
 * Environment: the instruction fetch, CR4/XCR0/XSS, the APIC ID, this CPU's GHCB and the log
 * are behind struct vc_ops so the host tests can fake them; the GHCB exits go through
 * arch/x86/snp/insn.h (the mock hypervisor on the host).
 * Reentrancy: none. The GHCB calls are not reentrant; ghcb.c executes no instruction that
 * raises #VC, so a #VC can only interrupt a GHCB call from an NMI-like path, which Bastion
 * does not have. The ops->ghcb callback must return NULL (VC_ERR_NO_GHCB) while the CPU's
 * GHCB is in use by interrupted code, if that ever becomes possible.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/snp/ghcb.h"
#include "arch/x86/trap_frame.h"

/* Exception vector of #VC (APM vol 2, table 8-1). */
#define VC_VECTOR 29u

/* #VC error codes (= SVM exit codes, APM vol 2 appendix C; ABI reference 3.4) handled here. */
#define VC_EXIT_CPUID 0x72u
#define VC_EXIT_IOIO 0x7Bu
#define VC_EXIT_MSR 0x7Cu

/* Architectural maximum length of an x86 instruction. */
#define VC_INSN_MAX 15u

/* Reasons for not handling a #VC; vc_handle() returns their negation. */
enum vc_reason {
	VC_OK = 0,
	VC_ERR_NOT_READY,   /* vc_init() was not called (or failed) */
	VC_ERR_NOT_KERNEL,  /* the #VC came from CPL != 0 */
	VC_ERR_EXIT_CODE,   /* an exit code Bastion does not emulate */
	VC_ERR_FETCH,       /* the instruction bytes could not be read */
	VC_ERR_DECODE,      /* not an accepted encoding for the exit code (or too long) */
	VC_ERR_IO_STRING,   /* INS/OUTS */
	VC_ERR_IO_REP,      /* REP prefix on IN/OUT */
	VC_ERR_CPUID,       /* cpuid_emul() failed (0xD size) */
	VC_ERR_NO_GHCB,     /* this CPU has no usable GHCB */
	VC_ERR_GHCB,        /* the GHCB call failed (hypervisor error or protocol violation) */
	VC_REASON_COUNT
};

struct vc_ops {
	/*
	 * Copies n bytes of Bastion's own memory at va into buf. Returns 0, or -1 if the range
	 * is not Bastion code it can read (never faults). Called with n = 1.
	 */
	int (*fetch)(uint64_t va, uint8_t *buf, size_t n);
	uint64_t (*read_cr4)(void);
	/* XCR0 (XGETBV 0); called only when CR4.OSXSAVE is set. */
	uint64_t (*read_xcr0)(void);
	/* IA32_XSS; Bastion never sets it, so the kernel returns 0 without an MSR access. */
	uint64_t (*read_xss)(void);
	/* This CPU's APIC ID as Bastion assigned it (not the hypervisor's word). */
	uint32_t (*apic_id)(void);
	/* This CPU's registered GHCB, or NULL if there is none (yet). */
	struct ghcb_ctx *(*ghcb)(void);
	/* Logs one complete line (no newline). */
	void (*log)(const char *line);
};

struct vc_config {
	const struct vc_ops *ops;     /* every member non-NULL */
	const uint8_t *cpuid_page;    /* a copy of the CPUID page (parsed and copied by vc_init) */
	size_t cpuid_len;
	uint64_t sev_status;          /* SEV_STATUS as read at boot */
};

/*
 * Enables the handler with cfg (copied; the CPUID page is parsed into a private copy).
 * Returns 0, or -1 if an op is missing or the CPUID page is malformed (the handler stays
 * disabled). Called once on the BSP, on SNP only, before the first instruction that can
 * raise #VC (CPUID, IN/OUT, intercepted RDMSR/WRMSR).
 */
int vc_init(const struct vc_config *cfg);

/* True once vc_init() succeeded: exception.c dispatches vector 29 here only then. */
bool vc_enabled(void);

/* Disables the handler again (host tests). */
void vc_reset(void);

/*
 * Handles the #VC described by tf (tf->vector 29, tf->error_code = exit code). On success
 * updates tf (RIP, and RAX/RBX/RCX/RDX as the instruction defines) and returns 0; otherwise
 * logs the reason and returns -VC_ERR_*, tf unchanged. Panics for a refused MSR.
 */
int vc_handle(struct trap_frame *tf);

/* "VC_ERR_IO_STRING" style name of reason (a vc_reason or its negation); "VC_ERR_?" else. */
const char *vc_reason_name(int reason);

/* The allowlist, for tests and the docs: true if RDMSR (write false) or WRMSR of msr is
 * forwarded to the hypervisor. */
bool vc_msr_allowed(uint32_t msr, bool write);
