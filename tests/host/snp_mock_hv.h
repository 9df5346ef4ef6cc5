/*
 * A scripted mock hypervisor for the SEV-SNP platform layer's host tests.
 *
 * snp_mock_hv_reset() installs it as the backend of arch/x86/snp/insn.h. From then on every
 * GHCB-MSR write, VMGEXIT, PVALIDATE, RMPADJUST and HLT of the code under test lands here:
 *   - each write to MSR 0xC0010130 is recorded in msr_writes[];
 *   - each VMGEXIT is recorded in exits[] with the MSR value and, for a GHCB page exit (the
 *     MSR holds the attached GHCB GPA), a snapshot of the whole page as the host saw it;
 *   - the mock then answers like a well-behaved KVM (GHCB spec 56421 "GHCB MSR Protocol" and
 *     "Invoking VMGEXIT"): MSR-protocol responses, GHCB_ERR_* for a malformed GHCB (wrong
 *     version/usage, missing valid bits, unregistered page, bad scratch area), IOIO/MSR values,
 *     PSC progress (psc_per_exit entries per exit), AP creation, features, guest requests;
 *   - stricter than KVM where Bastion's requests have one right form: IOIO exit information
 *     must be a plain IN/OUT (no string/REP bit, exactly one size bit and one address-size
 *     bit, reserved bits clear) and an OUT's RAX must fit the size; an MSR exit's EXITINFO1 must
 *     be 0 or 1 and RCX a 32-bit MSR number; an MSR-protocol PSC must name operation 1 or 2
 *     with bits 63:56 clear (else the 0x015 response carries error 1); all answered
 *     GHCB_ERR_INVALID_INPUT otherwise. Registering a GFN other than the attached page's
 *     leaves the page unregistered (KVM refuses GHCB exits on an unregistered GPA);
 *   - IN/OUT and MSR exits are recorded in io[] and msr_naes[];
 *   - finally a test hook, if set, may rewrite the answer to play a hostile host.
 * Hooks get the exit's index (0-based) so a script can misbehave on the Nth exit only.
 * Host-only test code (built into the host test binary, never into the kernel).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/snp/ghcb.h"
#include "arch/x86/snp/insn.h"

#define SNP_MOCK_MAX_EXITS 64u
#define SNP_MOCK_MAX_MSR_WRITES 256u
#define SNP_MOCK_MAX_INSNS 2048u
#define SNP_MOCK_MAX_PSC 4096u
#define SNP_MOCK_MAX_IO 64u
#define SNP_MOCK_MAX_MSR_NAE 64u

/* IOIO exit information bits the mock checks (APM vol 2, 15.10.2; ghcb.h has the ones
 * Bastion sets). */
#define SNP_MOCK_IOIO_STR (1ull << 2)
#define SNP_MOCK_IOIO_REP (1ull << 3)
#define SNP_MOCK_IOIO_SIZE_MASK (7ull << 4)
#define SNP_MOCK_IOIO_ADDR_MASK (7ull << 7)
/* bit 1, bits 15:13, bits 63:32 */
#define SNP_MOCK_IOIO_RESERVED ((1ull << 1) | (7ull << 13) | (0xFFFFFFFFull << 32))

/* One IN/OUT the mock carried out (NAE 0x7B). */
struct snp_mock_io {
	uint16_t port;
	unsigned int size; /* bytes */
	bool in;
	uint32_t value;    /* OUT: RAX sent; IN: value answered */
};

/* One RDMSR/WRMSR the mock carried out (NAE 0x7C). */
struct snp_mock_msr {
	uint32_t msr;
	bool write;
	uint64_t value; /* WRMSR: RDX:RAX sent; RDMSR: value answered */
};

struct snp_mock_exit {
	uint64_t msr;     /* GHCB MSR value at the VMGEXIT */
	bool nae;         /* a GHCB page exit (else an MSR-protocol request) */
	struct ghcb page; /* snapshot of the GHCB page at the VMGEXIT (nae only) */
};

struct snp_mock_insn {
	uint64_t va;
	uint32_t size;
	uint64_t arg; /* PVALIDATE: validate flag; RMPADJUST: attributes */
};

struct snp_mock_hv;

/* MSR-protocol hook: req is the request, *resp the default answer (rewritable). */
typedef void (*snp_mock_msr_hook)(struct snp_mock_hv *hv, unsigned int exit_index, uint64_t req,
				  uint64_t *resp);
/* GHCB hook: runs after the default answer was written into page. */
typedef void (*snp_mock_nae_hook)(struct snp_mock_hv *hv, unsigned int exit_index,
				  struct ghcb *page);
/* Instruction hooks: return the raw result (default {0, false}). call_index counts per insn. */
typedef struct snp_insn_ret (*snp_mock_insn_hook)(struct snp_mock_hv *hv,
						  unsigned int call_index, uint64_t va,
						  uint32_t size, uint64_t arg);

struct snp_mock_hv {
	/* ---- configuration: defaults from snp_mock_hv_reset(), then set by the test ---- */
	struct ghcb *ghcb_page;   /* attached GHCB page (snp_mock_hv_attach_ghcb) */
	uint64_t ghcb_gpa;
	bool ghcb_registered;     /* set by the 0x012 request or by attach */
	uint64_t sev_status;      /* answered to RDMSR 0xC0010131 */
	uint16_t ghcb_min_version;
	uint16_t ghcb_max_version;
	uint8_t cbit;
	uint64_t hv_features;     /* MSR 0x081 / NAE 0x8000FFFD */
	unsigned int psc_per_exit; /* PSC entries completed per exit; 0: all */
	uint32_t io_in_value;     /* RAX for IOIO IN */
	uint64_t msr_value;       /* RDX:RAX for NAE RDMSR */
	uint64_t guest_req_info2; /* SW_EXITINFO2 answered to SNP guest requests */
	snp_mock_msr_hook msr_hook;
	snp_mock_nae_hook nae_hook;
	snp_mock_insn_hook pvalidate_hook;
	snp_mock_insn_hook rmpadjust_hook;
	uint64_t script[8];       /* free for hooks */

	/* ---- state and records ---- */
	uint64_t ghcb_msr;        /* current value of MSR 0xC0010130 */
	bool terminated;
	uint64_t term_request;    /* the MSR value or NAE EXITINFO1 of the termination */
	unsigned int halt_count;
	unsigned int msr_write_count;
	uint64_t msr_writes[SNP_MOCK_MAX_MSR_WRITES];
	unsigned int exit_count;
	struct snp_mock_exit exits[SNP_MOCK_MAX_EXITS];
	unsigned int pvalidate_count;
	struct snp_mock_insn pvalidates[SNP_MOCK_MAX_INSNS];
	unsigned int rmpadjust_count;
	struct snp_mock_insn rmpadjusts[SNP_MOCK_MAX_INSNS];
	unsigned int psc_done_count; /* PSC entries (MSR or GHCB) the mock carried out */
	uint64_t psc_done[SNP_MOCK_MAX_PSC];
	uint64_t registered_gpa;     /* GPA of the last 0x012 request */
	unsigned int io_count;
	struct snp_mock_io io[SNP_MOCK_MAX_IO];
	unsigned int msr_nae_count;
	struct snp_mock_msr msr_naes[SNP_MOCK_MAX_MSR_NAE];
};

extern struct snp_mock_hv snp_mock;

/*
 * Clears every record and hook, sets defaults (SEV_STATUS = SEV|SEV-ES|SNP, GHCB versions
 * 1..2, C-bit 51, features SNP|AP creation|multi-VMPL, psc_per_exit 0) and installs the mock as
 * the insn.h backend. Call first in every test.
 */
void snp_mock_hv_reset(void);

/* Attaches the GHCB page the code under test will use at gpa; registered: skip 0x012. */
void snp_mock_hv_attach_ghcb(struct ghcb *page, uint64_t gpa, bool registered);

/* The last recorded exit (panics if there is none). */
const struct snp_mock_exit *snp_mock_hv_last_exit(void);

/* Number of set bits in a GHCB valid bitmap. */
unsigned int snp_mock_hv_valid_count(const uint8_t bitmap[GHCB_VALID_BITMAP_SIZE]);
