/*
 * PVALIDATE and RMPADJUST policy (AMD APM vol 3, "PVALIDATE", "RMPADJUST";
 * svsm-snp-igvm-abi.md section 4.1): validating and rescinding ranges of Bastion-mapped
 * memory, and changing lower-VMPL permissions and the VMSA attribute of single pages.
 *
 * PVALIDATE: 2 MiB pages are used where the virtual address is 2 MiB aligned and at least
 * 2 MiB remain; a 2 MiB attempt that fails with FAIL_SIZEMISMATCH (the RMP or the guest
 * mapping holds 4 KiB entries there) is redone as 512 4 KiB PVALIDATEs, as Linux's
 * pvalidate_pages() does. CF = 1 ("no change": the page already was in the requested state)
 * is an error of its own, SNP_ERR_PVALIDATE_NO_CHANGE, unless the caller asks to ignore it;
 * double validation is how a malicious host replays pages, so Bastion never ignores it for
 * memory it validates for itself.
 *
 * RMPADJUST: target VMPLs are 1..3 (RMPADJUST can only lower the privilege it changes);
 * VMSA pages must not be 2 MiB aligned (SNP erratum: an RMP check against a large page that
 * overlaps the VMSA's RMP entry can raise a spurious RMP #PF; Linux's snp_alloc_vmsa_page()
 * and COCONUT avoid it the same way; ABI reference 4.1), so setting the VMSA bit on such a
 * page is refused before the instruction runs.
 * Portable: the instructions go through arch/x86/snp/insn.h (the mock under BASTION_HOST).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/snp/insn.h"
#include "arch/x86/snp/snp_result.h"
#include "mm/addr.h"

/* pvalidate_range() flags. */
#define PVALIDATE_F_IGNORE_NO_CHANGE 0x1u /* count CF = 1 pages as done */

/*
 * One PVALIDATE of the page at va. Inputs: size, validate (true: validate, false: rescind).
 * Errors: SNP_ERR_INVALID_ARG (va not aligned to size), SNP_ERR_PVALIDATE_INPUT,
 * SNP_ERR_PVALIDATE_SIZE_MISMATCH, SNP_ERR_PVALIDATE_NO_CHANGE, SNP_ERR_PVALIDATE_UNEXPECTED.
 * Faults: #PF if va is not mapped (the caller maps it first).
 */
enum snp_result pvalidate_page(vaddr_t va, enum snp_page_size size, bool validate);

/*
 * Validates or rescinds [va, va + len) (see the file comment for page sizes and fallback).
 * Inputs: va and len 4 KiB aligned, len > 0, no wrap; flags PVALIDATE_F_*.
 * Output: *done (may be NULL) = bytes completed from va before the page that failed (len on
 * success), so a batched caller can report progress.
 * Errors: SNP_ERR_INVALID_ARG (alignment, zero length, wrap, unknown flag: nothing executed),
 * SNP_ERR_PVALIDATE_INPUT, SNP_ERR_PVALIDATE_SIZE_MISMATCH (a 4 KiB page; a 2 MiB mismatch
 * is handled by the fallback), SNP_ERR_PVALIDATE_NO_CHANGE (without
 * PVALIDATE_F_IGNORE_NO_CHANGE), SNP_ERR_PVALIDATE_UNEXPECTED.
 */
enum snp_result pvalidate_range(vaddr_t va, uint64_t len, bool validate, unsigned int flags,
				uint64_t *done);

/*
 * Grants VMPL vmpl (1..3) the permissions perms (RMPADJUST_PERM_*) on the page at va, without
 * the VMSA attribute. Errors: SNP_ERR_INVALID_ARG (vmpl 0 or > 3, perms > 0xF, va not aligned
 * to size), SNP_ERR_RMPADJUST_INPUT, SNP_ERR_RMPADJUST_PERMISSION,
 * SNP_ERR_RMPADJUST_SIZE_MISMATCH, SNP_ERR_RMPADJUST_UNEXPECTED.
 */
enum snp_result rmpadjust_grant(vaddr_t va, enum snp_page_size size, uint8_t vmpl,
				uint8_t perms);

/*
 * Revokes every permission of VMPL1, VMPL2 and VMPL3 on the page at va (three RMPADJUSTs,
 * stopping at the first failure). Errors: as rmpadjust_grant().
 */
enum snp_result rmpadjust_revoke_lower(vaddr_t va, enum snp_page_size size);

/*
 * Makes the 4 KiB page at va (physical address pa) a VMSA: revokes lower-VMPL access, then
 * RMPADJUST (vmpl | perms | VMSA). The VMSA attribute belongs to the page, not to a VMPL; the
 * VMSA's own VMPL is its field at 0x0CA. RMPADJUST can only target a less privileged VMPL,
 * so vmpl is 1..3 even for Bastion's own VMPL0 VMSAs.
 *   Bastion's own (VMPL0) AP VMSAs: vmpl 1, perms 0, as Linux's snp_set_vmsa() does; never
 *   give a lower VMPL read access to a VMPL0 VMSA (it holds Bastion's registers).
 *   Guest VMSAs: vmpl = guest VMPL, perms RMPADJUST_PERM_READ (COCONUT's choice).
 * Errors: SNP_ERR_INVALID_ARG (vmpl, perms > 0xF, alignment), SNP_ERR_VMSA_2M_ALIGNED (pa
 * 2 MiB aligned: nothing executed), and the RMPADJUST errors.
 */
enum snp_result rmpadjust_set_vmsa(vaddr_t va, paddr_t pa, uint8_t vmpl, uint8_t perms);

/*
 * Turns the VMSA page at va back into a normal page for VMPL vmpl (1..3): revokes lower-VMPL
 * access (dropping the VMSA bit), then grants vmpl perms without the VMSA bit (perms 0 leaves
 * it inaccessible below VMPL0). The caller first makes sure no vCPU runs on it (EFER.SVME 0).
 * Errors: as rmpadjust_grant().
 */
enum snp_result rmpadjust_clear_vmsa(vaddr_t va, uint8_t vmpl, uint8_t perms);
