/*
 * A fake struct core_backend for the core protocol host tests.
 *
 * The fake VM:
 *   RAM [0, 16 MiB) and [20, 24 MiB); [16, 20 MiB) is a hole (not RAM). All 24 MiB are
 *   backed by one host buffer (fake guest memory), so tests can plant and inspect bytes.
 *   Bastion's region [8, 10 MiB): ledger "Bastion", platform validated, no guest access.
 *   [0, 4 MiB): guest validated private (released firmware) with guest access; the rest of
 *   RAM is guest, unvalidated.
 *   vCPU 0 (APIC ID 0) is the boot vCPU: VMSA at FAKE_BOOT_VMSA, CAA at FAKE_BOOT_CAA.
 *   vCPUs 1..3 (APIC IDs 1, 2, 7) exist without VMSA. Every vCPU runs at VMPL 2.
 *
 * A real page_state ledger tracks the pages; a platform model keeps per-page "hardware"
 * bits (validated, guest access, VMSA attribute) so tests can check that the platform and the
 * ledger agree (fake_core_check). Deposited pages are modelled in the ledger as firmware
 * pages (RESCIND + ASSIGN_FIRMWARE, given back with RELEASE_FIRMWARE; the fake never seals
 * the ledger), which refuses them to the guest exactly as the kernel's deposit state must.
 *
 * Failure injection: f->fail[op] = { code, nth } makes the nth call of op from now return
 * code (arch operations), non-zero (int operations) or false (bool operations) once.
 * Double fetch: f->mutate runs once right after the guest read number f->mutate_after_read.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/vmsa.h"
#include "mm/page_state.h"
#include "protocols/core_backend.h"
#include "protocols/dispatch.h"

#define FAKE_MIB (1ull << 20)
#define FAKE_MEM_SIZE (24 * FAKE_MIB)
#define FAKE_PAGES (FAKE_MEM_SIZE / 4096)
#define FAKE_CHUNKS (FAKE_MEM_SIZE / (2 * FAKE_MIB))
#define FAKE_RAM0_SIZE (16 * FAKE_MIB)
#define FAKE_HOLE_BASE (16 * FAKE_MIB)
#define FAKE_RAM1_BASE (20 * FAKE_MIB)
#define FAKE_RAM1_SIZE (4 * FAKE_MIB)
#define FAKE_BASTION_BASE (8 * FAKE_MIB)
#define FAKE_BASTION_SIZE (2 * FAKE_MIB)
#define FAKE_VALIDATED_END (4 * FAKE_MIB)
#define FAKE_UNVALIDATED_BASE (4 * FAKE_MIB)
#define FAKE_BOOT_VMSA 0x1000ull
#define FAKE_BOOT_CAA 0x2000ull
#define FAKE_VCPU_COUNT 4
#define FAKE_GUEST_VMPL 2
#define FAKE_SEV_FEATURES 0x1ull

/* Per-page platform bits. */
#define FAKE_HW_VALIDATED 0x1u
#define FAKE_HW_ACCESS 0x2u
#define FAKE_HW_VMSA 0x4u

enum fake_op {
	FAKE_OP_READ,
	FAKE_OP_WRITE,
	FAKE_OP_PVALIDATE,
	FAKE_OP_ZERO,
	FAKE_OP_GRANT,
	FAKE_OP_REVOKE,
	FAKE_OP_VMSA_READ,
	FAKE_OP_VMSA_MAKE,
	FAKE_OP_VMSA_UNMAKE,
	FAKE_OP_POOL_DEPOSIT,
	FAKE_OP_COUNT,
};

struct fake_fail {
	uint32_t code;     /* arch code to return (arch operations) */
	unsigned int nth;  /* fail the nth call from now (1 = the next); 0 = never */
};

struct fake_vcpu {
	uint32_t apic_id;
	bool boot;
	uint8_t vmpl;
	bool has_vmsa;
	uint64_t vmsa;
	bool has_caa;
	uint64_t caa;
};

struct fake_core {
	struct core_backend be;
	struct page_state ledger;
	uint8_t *mem;                   /* fake guest memory, FAKE_MEM_SIZE bytes */
	uint8_t hw[FAKE_PAGES];         /* FAKE_HW_* per 4 KiB page */
	bool rmp_4k_only[FAKE_CHUNKS];  /* 2 MiB PVALIDATE here fails with FAIL_SIZEMISMATCH */
	struct fake_vcpu vcpu[FAKE_VCPU_COUNT];
	uint64_t pool[FAKE_PAGES];      /* deposited 4 KiB pages, a stack */
	size_t pool_count;
	bool zero_for_real;             /* page_zero writes zeroes (default true) */
	bool has_running_vmsa;          /* vmsa_disable refuses running_vmsa */
	uint64_t running_vmsa;
	unsigned int calls[FAKE_OP_COUNT];
	struct fake_fail fail[FAKE_OP_COUNT];
	unsigned int mutate_after_read; /* 1-based count of guest reads; 0 = never */
	void (*mutate)(struct fake_core *f);
	void *mutate_arg;
	bool alloc_fail;                /* the ledger's allocator fails */
	size_t alloc_live;
	uint64_t zeroed_pages;
	const struct attest_backend *attest; /* the backends fake_call puts in the context */
	const struct vtpm_backend *vtpm;
	struct vmsa regs;               /* the caller's registers after the last fake_call */
	struct svsm_call_ctx ctx;       /* the context of the last fake_call */
};

/* A fresh fake VM (and svsm_dispatch_init()); NULL if the host is out of memory. */
struct fake_core *fake_core_new(void);
void fake_core_free(struct fake_core *f);

/*
 * Issues one SVSM call from vCPU vcpu the way the request loop will: registers into a VMSA
 * (every other register holds a sentinel), svsm_request_decode, svsm_dispatch,
 * svsm_result_apply. Returns the low 32 bits of the resulting RAX; f->regs holds all of them.
 */
uint32_t fake_call(struct fake_core *f, uint32_t vcpu, uint64_t rax, uint64_t rcx, uint64_t rdx,
		   uint64_t r8, uint64_t r9);

/* Sentinel the fake puts in every register it does not set (RDX = sentinel + 2, ...). */
#define FAKE_REG_SENTINEL 0x5e5e000000000000ull

/*
 * Checks the whole fake: page_state_check(), and for every RAM page that the ledger and the
 * platform bits agree (guest validated <-> platform validated; a validated non-VMSA guest page
 * has guest access, a VMSA page has the VMSA bit and no access; deposited pages are validated
 * without access), that every vCPU VMSA/CAA is one in the ledger, and that the ledger's CAAs
 * are exactly the vCPUs' CAAs. Returns NULL or a description of the first problem.
 */
const char *fake_core_check(struct fake_core *f);

/* The ledger record of the page at gpa (owner NONE if not RAM). */
uint8_t fake_record(struct fake_core *f, uint64_t gpa);

/* Direct access to fake guest memory (no checks). */
void fake_mem_put(struct fake_core *f, uint64_t gpa, const void *src, size_t len);
void fake_mem_get(struct fake_core *f, uint64_t gpa, void *dst, size_t len);
void fake_put_u16(struct fake_core *f, uint64_t gpa, uint16_t v);
uint16_t fake_get_u16(struct fake_core *f, uint64_t gpa);
void fake_put_u32(struct fake_core *f, uint64_t gpa, uint32_t v);
void fake_put_u64(struct fake_core *f, uint64_t gpa, uint64_t v);
uint64_t fake_get_u64(struct fake_core *f, uint64_t gpa);

/* Writes a list header (entries, next, reserved 0) and n entries at gpa. */
void fake_put_list(struct fake_core *f, uint64_t gpa, uint16_t entries, uint16_t next,
		   const uint64_t *entry, size_t n);

/* Writes a zeroed VMSA page at gpa with the given VMPL, EFER and SEV_FEATURES. */
void fake_put_vmsa(struct fake_core *f, uint64_t gpa, uint8_t vmpl, uint64_t efer,
		   uint64_t sev_features);

/* A VMSA the core accepts (VMPL 2, EFER.SVME, the boot SEV_FEATURES). */
void fake_put_good_vmsa(struct fake_core *f, uint64_t gpa);
