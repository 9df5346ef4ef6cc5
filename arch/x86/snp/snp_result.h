/*
 * Result codes of the SEV-SNP platform layer (arch/x86/snp/).
 *
 * Every function of the layer that talks to the hypervisor or executes an SNP instruction
 * returns one of these. Each hypervisor misbehaviour has its own code, so the log says which
 * rule the host broke; none of them is ever accepted silently. Codes are internal: they never
 * reach a guest (protocols/ maps them to SVSM_ERR_* at its boundary).
 * Portable (host-testable): no instructions.
 */
#pragma once

enum snp_result {
	SNP_OK = 0,
	/* Bastion passed an argument outside the documented range (nothing was sent). */
	SNP_ERR_INVALID_ARG,

	/* ---- GHCB MSR protocol (GHCB spec 56421, "GHCB MSR Protocol") ---- */
	/* Response bits 11:0 are not the function expected for the request. */
	SNP_ERR_MSR_RESP_CODE,
	/* A response bit the spec defines as reserved (must be zero) is set. */
	SNP_ERR_MSR_RESP_RESERVED,
	/* Register GHCB GPA: the echoed GFN differs from the requested one. */
	SNP_ERR_MSR_GFN_MISMATCH,
	/* CPUID: bits 31:30 name a register other than the requested one. */
	SNP_ERR_MSR_CPUID_REG,
	/* PSC or Run VMPL: the response carries a non-zero error value in bits 63:32. */
	SNP_ERR_MSR_RESP_ERROR,
	/* SEV information: GHCB protocol version 2 is outside the host's [min, max]. */
	SNP_ERR_GHCB_VERSION,

	/* ---- GHCB page protocol (GHCB spec 56421, "Invoking VMGEXIT") ---- */
	/* SW_EXITINFO1[31:0] == 1: the host asks to inject an exception (event in EXITINFO2). */
	SNP_ERR_HV_EXCEPTION,
	/* SW_EXITINFO1[31:0] == 2: the host reports an error (GHCB_ERR_* code in EXITINFO2). */
	SNP_ERR_HV_ERROR,
	/* SW_EXITINFO1[31:0] is neither 0, 1 nor 2: protocol violation. */
	SNP_ERR_HV_PROTOCOL,
	/* A response field the spec requires is missing its valid bit. */
	SNP_ERR_HV_MISSING_VALID,
	/* A request that must not return (termination) returned. */
	SNP_ERR_HV_RETURNED,

	/* ---- Page State Change (GHCB spec 56421, "SNP Page State Change") ---- */
	/* SW_EXITINFO2 != 0 after a PSC exit: the host failed the request. */
	SNP_ERR_PSC_HOST,
	/* The host set the header's reserved field or changed end_entry. */
	SNP_ERR_PSC_HEADER,
	/* cur_entry (or cur_page within it) moved backwards. */
	SNP_ERR_PSC_BACKWARDS,
	/* cur_entry moved beyond end_entry + 1. */
	SNP_ERR_PSC_BEYOND_END,
	/* The host returned without finishing and without making any progress. */
	SNP_ERR_PSC_NO_PROGRESS,
	/* The host wrote an impossible cur_page into the current entry. */
	SNP_ERR_PSC_ENTRY,

	/* ---- SNP guest request (GHCB spec 56421, "SNP Guest Request"; ABI reference 3.6) ---- */
	/* SW_EXITINFO2[63:32] == 2: throttled / PSP busy; resend the identical message later. */
	SNP_ERR_GUEST_REQ_BUSY,
	/* SW_EXITINFO2[63:32] == 1: certificate buffer too small; the message was not sent. */
	SNP_ERR_GUEST_REQ_INVALID_LEN,
	/* SW_EXITINFO2[63:32] is another non-zero VMM error code. */
	SNP_ERR_GUEST_REQ_VMM,
	/* SW_EXITINFO2[31:0] != 0: the PSP firmware rejected the request. */
	SNP_ERR_GUEST_REQ_FW,

	/* ---- PVALIDATE (APM vol 3, PVALIDATE) ---- */
	SNP_ERR_PVALIDATE_INPUT,         /* EAX = 1 FAIL_INPUT */
	SNP_ERR_PVALIDATE_SIZE_MISMATCH, /* EAX = 6 FAIL_SIZEMISMATCH */
	SNP_ERR_PVALIDATE_NO_CHANGE,     /* EAX = 0, CF = 1: already in the requested state */
	SNP_ERR_PVALIDATE_UNEXPECTED,    /* any other EAX value */

	/* ---- RMPADJUST (APM vol 3, RMPADJUST) ---- */
	SNP_ERR_RMPADJUST_INPUT,         /* EAX = 1 FAIL_INPUT */
	SNP_ERR_RMPADJUST_PERMISSION,    /* EAX = 2 FAIL_PERMISSION */
	SNP_ERR_RMPADJUST_SIZE_MISMATCH, /* EAX = 6 FAIL_SIZEMISMATCH */
	SNP_ERR_RMPADJUST_UNEXPECTED,    /* any other EAX value */
	/* Refused: a VMSA page must not be 2 MiB aligned (SNP erratum; ABI reference 4.1). */
	SNP_ERR_VMSA_2M_ALIGNED,

	/* ---- secrets page (ABI reference 1.2) ---- */
	SNP_ERR_SECRETS_SHORT,     /* the copy is shorter than 4096 bytes */
	SNP_ERR_SECRETS_SVSM_AREA, /* bytes 0x140..0x15F are not zero in the PSP's page */

	/* ---- SNP guest messages (ABI reference 3.6; arch/x86/snp/guest_msg.h) ---- */
	SNP_ERR_MSG_NO_KEY,  /* VMPCK0 is gone (wiped after an earlier failure): no more messages */
	SNP_ERR_MSG_HEADER,  /* the response header is not the answer to our request */
	SNP_ERR_MSG_AUTH,    /* the response does not authenticate under VMPCK0 */
	SNP_ERR_MSG_SIZE,    /* a payload does not fit, or the response's size is wrong */
	SNP_ERR_MSG_STATUS,  /* the PSP answered with a non-zero STATUS in the payload */
	SNP_ERR_MSG_SEQNO,   /* the 32-bit message counter is used up: VMPCK0 is retired */

	SNP_RESULT_COUNT
};

/* Returns a short constant name for r ("SNP_ERR_PSC_BACKWARDS"); "SNP_ERR_?" if unknown. */
const char *snp_result_name(enum snp_result r);
