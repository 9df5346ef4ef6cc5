/*
 * The SNP secrets page (SEV-SNP firmware ABI, "Secrets page"; svsm-snp-igvm-abi.md section
 * 1.2): filled by the PSP at launch with the VM platform communication keys VMPCK0..3 (one
 * per VMPL, AES-256-GCM keys for SNP guest messages), and with bytes 0x140..0x15F reserved
 * for the SVSM, which tells the guest where it is through them.
 *
 * Bastion keeps one private copy (secrets_init()); VMPCK0 is its own key for attestation.
 * The guest gets a separate copy (secrets_build_guest_copy()) in which every key of a VMPL
 * more privileged than the guest's is wiped (SVSM spec 58019, section 4 "secrets page":
 * "zero VMPCK0 in the guest's copy"; COCONUT also wipes VMPCK1..guest_vmpl-1), and the
 * SVSM fields are filled in. secrets_wipe_keys() erases Bastion's copy of every key; panic
 * and any unexpected guest-message failure call it, so a sequence number can never be
 * reused with a key (ABI reference 3.6).
 * Portable (host-tested). Never log key bytes.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/snp/snp_result.h"

#define SECRETS_PAGE_SIZE 4096u
#define SECRETS_VMPCK_COUNT 4u
#define SECRETS_VMPCK_SIZE 32u
#define SECRETS_SVSM_MAX_VERSION 1u /* core protocol version Bastion implements */

struct snp_secrets_page {
	uint32_t version;              /* 0x000 */
	uint32_t imi_en;               /* 0x004: bit 0 IMI_EN */
	uint32_t fms;                  /* 0x008: CPUID family/model/stepping */
	uint32_t reserved_00c;
	uint8_t gosvw[16];             /* 0x010: guest OS-visible workarounds */
	uint8_t vmpck[SECRETS_VMPCK_COUNT][SECRETS_VMPCK_SIZE]; /* 0x020: VMPCK0..3 */
	uint8_t guest_os_area[96];     /* 0x0A0 */
	uint8_t vmsa_tweak_bitmap[64]; /* 0x100 */
	uint64_t svsm_base;            /* 0x140: GPA of the SVSM region */
	uint64_t svsm_size;            /* 0x148: its size in bytes (0: no SVSM) */
	uint64_t svsm_caa;             /* 0x150: boot vCPU's calling area GPA */
	uint32_t svsm_max_version;     /* 0x158 */
	uint8_t svsm_guest_vmpl;       /* 0x15C */
	uint8_t reserved_15d[3];
	uint32_t tsc_factor;           /* 0x160 */
	uint8_t reserved_164[0xE9C];
};

#define SECRETS_CHECK_(field, off)                                                               \
	_Static_assert(offsetof(struct snp_secrets_page, field) == (off),                          \
		       "secrets page (ABI reference 1.2): " #field)
SECRETS_CHECK_(fms, 0x008);
SECRETS_CHECK_(gosvw, 0x010);
SECRETS_CHECK_(vmpck, 0x020);
SECRETS_CHECK_(guest_os_area, 0x0A0);
SECRETS_CHECK_(vmsa_tweak_bitmap, 0x100);
SECRETS_CHECK_(svsm_base, 0x140);
SECRETS_CHECK_(svsm_size, 0x148);
SECRETS_CHECK_(svsm_caa, 0x150);
SECRETS_CHECK_(svsm_max_version, 0x158);
SECRETS_CHECK_(svsm_guest_vmpl, 0x15C);
SECRETS_CHECK_(tsc_factor, 0x160);
_Static_assert(sizeof(struct snp_secrets_page) == SECRETS_PAGE_SIZE, "secrets page is 4 KiB");

/* What Bastion tells the guest through the SVSM fields. */
struct secrets_svsm_info {
	uint64_t base;       /* GPA of Bastion's region, 4 KiB aligned */
	uint64_t size;       /* its size, a non-zero multiple of 4 KiB */
	uint64_t caa;        /* the boot vCPU's calling area GPA, 4 KiB aligned */
	uint8_t guest_vmpl;  /* 1..3 */
};

/*
 * Parses src (len bytes, e.g. the page the IGVM loader placed) into *out. The PSP leaves bytes
 * 0x140..0x15F zero for the SVSM; anything else means the page is not a fresh PSP page.
 * Errors: SNP_ERR_SECRETS_SHORT (len < 4096; *out untouched), SNP_ERR_SECRETS_SVSM_AREA (*out
 * is wiped).
 */
enum snp_result secrets_parse(const void *src, size_t len, struct snp_secrets_page *out);

/*
 * Parses src into Bastion's private copy (replacing and wiping any previous one). The caller
 * then wipes or unmaps src. Errors: as secrets_parse(); on error no copy is held.
 */
enum snp_result secrets_init(const void *src, size_t len);

/*
 * Bastion's copy of VMPCK index (0..3), or NULL if secrets_init() has not succeeded, the index
 * is out of range, or the key was wiped (all zero: a wiped key is never handed out).
 */
const uint8_t *secrets_vmpck(unsigned int index);

/*
 * Builds the guest's secrets page in *out from src (Bastion's copy; never modified): a copy
 * with VMPCK0..VMPCK(guest_vmpl - 1) wiped and the SVSM fields set from info, SVSM_MAX_VERSION
 * = 1. Errors: SNP_ERR_INVALID_ARG (guest_vmpl 0 or > 3; base, size or caa not 4 KiB aligned;
 * size 0; base + size wraps; caa inside [base, base + size)): *out is wiped.
 * out must not be src (a Bastion bug: CHECK).
 */
enum snp_result secrets_build_guest_copy(const struct snp_secrets_page *src,
					 const struct secrets_svsm_info *info,
					 struct snp_secrets_page *out);

/* Bastion's copy, or NULL before secrets_init(): input of secrets_build_guest_copy(). */
const struct snp_secrets_page *secrets_bastion_copy(void);

/* Wipes VMPCK index (0..3) in Bastion's copy (no-op for other indices). */
void secrets_wipe_vmpck(unsigned int index);

/* Wipes every VMPCK in Bastion's copy. Safe at any time, including in panic. */
void secrets_wipe_keys(void);
