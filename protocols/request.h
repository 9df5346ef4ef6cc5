/*
 * One SVSM call as Bastion sees it: the registers decoded from the calling vCPU's VMSA, and
 * the result written back.
 *
 * Decoding and applying happen in exactly one place each (STYLE.md 11 item 2): the request
 * loop calls svsm_request_decode() on the caller's VMSA, hands the struct svsm_request to
 * svsm_dispatch(), and writes the struct svsm_result back with svsm_result_apply(). Handlers
 * never see the VMSA.
 *
 * Register convention (SVSM spec 58019 rev 1.00, "Calling convention"; ABI reference 1.4):
 * RAX = (protocol << 32) | call, arguments in RCX, RDX, R8, R9; RAX returns a 32-bit result
 * code, zero-extended, and a call may define outputs in RCX, RDX and R8.
 * Portable (host-testable).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/vmsa.h"

struct svsm_request {
	uint32_t protocol; /* RAX[63:32] */
	uint32_t call;     /* RAX[31:0] */
	uint64_t rcx;
	uint64_t rdx;
	uint64_t r8;
	uint64_t r9;
};

/*
 * What a handler returns. rax is the 32-bit result code; an output register is written back
 * only if its set_ flag is true, so registers a call does not define keep the guest's values.
 */
struct svsm_result {
	uint32_t rax;
	bool set_rcx;
	bool set_rdx;
	bool set_r8;
	uint64_t rcx;
	uint64_t rdx;
	uint64_t r8;
};

/* Reads RAX, RCX, RDX, R8 and R9 of the calling vCPU's VMSA into *req. */
void svsm_request_decode(const struct vmsa *v, struct svsm_request *req);

/*
 * Writes res into the VMSA: RAX = res->rax zero-extended to 64 bits (Linux and OVMF compare
 * all 64 bits), and RCX, RDX, R8 only where res->set_* is true. Nothing else is touched.
 */
void svsm_result_apply(struct vmsa *v, const struct svsm_result *res);

/* A result with code rax and no output registers. */
static inline struct svsm_result svsm_result_code(uint32_t rax)
{
	return (struct svsm_result){ .rax = rax };
}

static inline void svsm_result_set_rcx(struct svsm_result *res, uint64_t value)
{
	res->set_rcx = true;
	res->rcx = value;
}

static inline void svsm_result_set_rdx(struct svsm_result *res, uint64_t value)
{
	res->set_rdx = true;
	res->rdx = value;
}

static inline void svsm_result_set_r8(struct svsm_result *res, uint64_t value)
{
	res->set_r8 = true;
	res->r8 = value;
}

/*
 * A constant name for a result code, for logs: "SVSM_SUCCESS", "SVSM_ERR_INVALID_ADDRESS",
 * "SVSM_PVALIDATE_FAIL_SIZEMISMATCH", "SVSM_MEM_NEEDED" (0x40000000..0x7FFFFFFF),
 * "SVSM_ERR_PROTOCOL" (other protocol-defined errors), "SVSM_?" otherwise. Never NULL.
 */
const char *svsm_result_name(uint32_t rax);
