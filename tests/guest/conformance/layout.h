/*
 * Guest-physical layout of the conformance guest, C side (layout.inc has the boot numbers: page
 * tables, stack, where the C part runs, the SEV metadata sections). Everything the guest
 * itself uses lies below 32 MiB, far from the ranges the tests hand to the SVSM to rescind,
 * validate or deposit.
 */
#pragma once

#include <stdint.h>

/*
 * Scratch pages the checks use (all ordinary guest RAM, validated at start on both platforms).
 * Pages that a check rescinds are never touched again until the check validated them back.
 */
#define LIST0_GPA 0x1000000ul      /* request lists */
#define LIST1_GPA 0x1001000ul
#define LIST2_GPA 0x1002000ul
#define FLOOD_LIST_GPA 0x1003000ul /* the flood's list page */
#define ALT_CAA_GPA 0x1010000ul    /* REMAP_CA target */
#define PAGE_A_GPA 0x1020000ul     /* rescind/validate victims */
#define PAGE_B_GPA 0x1021000ul
#define PAGE_C_GPA 0x1022000ul
#define PAGE_D_GPA 0x1023000ul
#define VMSA_GPA 0x1030000ul       /* CREATE_VCPU: not 2 MiB aligned (ABI reference 4.1 erratum) */
#define VMSA_CAA_GPA 0x1031000ul
#define VTPM_BUF_GPA 0x1040000ul   /* VTPM_CMD buffer (two pages: the crossing check) */
#define ATTEST_OP_GPA 0x1050000ul  /* attestation: operation, report, manifest, nonce, certs */
#define ATTEST_REPORT_GPA 0x1051000ul
#define ATTEST_MANIFEST_GPA 0x1052000ul
#define ATTEST_NONCE_GPA 0x1053000ul
#define ATTEST_CERTS_GPA 0x1054000ul /* four pages */
#define SPLIT_CHUNK_GPA 0x1200000ul   /* 2 MiB chunk for the size-mismatch check */
#define MAXLIST_TARGET_GPA 0x1400000ul /* 511 pages named by the largest list */

/* The 256 MiB PVALIDATE range [512 MiB, 768 MiB) of a 1024 MiB VM. */
#define BIG_GPA 0x20000000ul
#define BIG_SIZE 0x10000000ul

/* The flood's sacrificial range [768 MiB, 896 MiB): the only guest RAM it may move. */
#define SACRIFICE_GPA 0x30000000ul
#define SACRIFICE_SIZE 0x08000000ul

/* Guest RAM the VM is given (tests/conformance_test.sh passes --mem 1024). */
#define GUEST_RAM_END 0x40000000ul

/* Bastion's region (kernel/image_layout.h); the secrets page must say the same. */
#define BASTION_GPA 0x10000000ul
#define BASTION_SIZE 0x01000000ul

/* QEMU's isa-debug-exit (scripts/qemu-run.sh): 0x10 -> status 33 (pass), 0x11 -> 35 (fail). */
#define EXIT_PORT 0xF4
#define EXIT_PASS 0x10
#define EXIT_FAIL 0x11
