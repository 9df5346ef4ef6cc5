/*
 * The SVSM core protocol (see core.h; per-call register and error tables in docs/abi.md).
 *
 * Shape of every handler (STYLE.md 11 items 3 and 6):
 *   1. decode and check the registers (alignment, reserved bits): nothing changes;
 *   2. copy guest structures (request lists) into Bastion memory with ONE read, and check
 *      the copy, never the guest's page (no double fetch);
 *   3. ledger phase: apply every page-state change the call needs; each one is what refuses
 *      Bastion's pages, active VMSAs and active CAAs. A refusal undoes the changes already
 *      made in this call, which never needs memory (page_state.h: after PS_OK, any op of the
 *      same size at the same gpa cannot return PS_ERR_NO_MEMORY);
 *   4. platform phase: RMPADJUST / PVALIDATE / zeroing through the backend. A failure undoes
 *      the platform steps already done, then the ledger changes, and reports the code;
 *   5. registry: record the new VMSA / CAA. This cannot fail.
 * Batched calls (PVALIDATE, DEPOSIT_MEM) do steps 3 and 4 per entry and write `next` back to the
 * guest's list after each entry, so any error leaves `next` on the failing entry.
 *
 * Locking. Bastion runs on one CPU today, so no lock exists yet. This is where they go, in
 * this order (a lock may only be taken while holding locks to its left):
 *
 *     vm.core_lock  ->  vm.ledger_lock  ->  page allocator / kmalloc locks
 *
 *   vm.core_lock    One per VM, taken by core_protocol_handle() for the whole call. It
 *                   serialises every change to the ledger's validated/VMSA/CAA state, the
 *                   vCPU registry and the deposit pool, so a call's checks and its commit see
 *                   the same state (e.g. no PVALIDATE rescind of a page between CREATE_VCPU's
 *                   ledger change and its RMPADJUST; COCONUT needs its PVALIDATE_LOCK for the
 *                   same race). Its hold time is bounded by the page budget (core.h).
 *   vm.ledger_lock  Around each page_state_* call: in core_ledger_apply() (the one place this
 *                   file changes the ledger), page_state_get/range_all below, guest_mem's
 *                   range check, and the backend's pool operations. Never held across a
 *                   backend call. Readers outside the core protocol (guest_mem serving the
 *                   attestation and vTPM protocols) take it alone.
 *   allocator       Taken by page_state_apply()'s leaf allocation and the pool operations,
 *                   under the ledger lock; nothing is taken under it.
 *   Backend operations run with vm.core_lock held and must not take it. page_revoke's TLB
 *   shootdown waits for the other CPUs, so no CPU may spin on vm.core_lock with interrupts
 *   disabled. page_state_compact() may only run under vm.core_lock, between calls.
 */
#include "protocols/core.h"

#include <stddef.h>

#include "arch/x86/vmsa.h"
#include "kernel/check.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "mm/addr.h"
#include "mm/page_state.h"
#include "protocols/core_backend.h"
#include "protocols/svsm_abi.h"

/* A page the guest may deposit: guest-owned, validated, private, neither VMSA nor CAA. */
#define CORE_MATCH_GUEST_PLAIN                                                                  \
	((struct page_state_match){                                                             \
		.mask = PAGE_STATE_OWNER_MASK | PAGE_STATE_VALIDATED | PAGE_STATE_SHARED |      \
			PAGE_STATE_VMSA | PAGE_STATE_CAA,                                        \
		.value = PS_OWNER_GUEST | PAGE_STATE_VALIDATED,                                \
	})

/* The highest VMPL the hardware has (VMPL0..VMPL3). */
#define CORE_VMPL_MAX 3u

/* ---- small helpers ------------------------------------------------------------------------ */

static const struct core_backend *core_be(const struct svsm_call_ctx *ctx)
{
	CHECK(ctx->core != NULL && ctx->core->ledger != NULL);
	return ctx->core;
}

static uint64_t core_size_bytes(enum page_size size)
{
	return size == PAGE_SIZE_2M ? HUGE_PAGE_SIZE : PAGE_SIZE;
}

static uint32_t core_page_budget(const struct core_backend *be)
{
	return be->page_budget != 0 ? be->page_budget : CORE_PAGE_BUDGET_DEFAULT;
}

static bool core_pool_present(const struct core_backend *be)
{
	return be->pool_deposit != NULL && be->pool_withdraw != NULL && be->pool_has_free != NULL;
}

/* The one place this file changes the ledger (vm.ledger_lock goes here). */
static enum page_state_result core_ledger_apply(const struct core_backend *be, uint64_t gpa,
						enum page_size size, enum page_state_op op,
						unsigned int flags)
{
	return page_state_apply(be->ledger, gpa_init(gpa), size, op, flags);
}

/* Reverts a change this call made with PS_OK. Cannot fail (page_state.h), hence CHECK. */
static void core_ledger_undo(const struct core_backend *be, uint64_t gpa, enum page_size size,
			     enum page_state_op op)
{
	enum page_state_result r = core_ledger_apply(be, gpa, size, op, 0);

	if (r != PS_OK) {
		panic("core: ledger undo %s at 0x%llx failed: %s", page_state_op_name(op),
		      (unsigned long long)gpa, page_state_result_name(r));
	}
}

/* ---- result mapping: the one boundary from internal codes to SVSM codes ------------------ */

/*
 * An arch code from the backend (not CORE_ARCH_OK) as an SVSM result (SVSM spec 58019 rev
 * 1.00, core protocol result codes; ABI reference 1.6).
 */
static uint32_t core_arch_result(uint32_t code)
{
	if (code == CORE_ARCH_NO_CHANGE) {
		return SVSM_PVALIDATE_FAIL_NO_CHANGE;
	}
	if (code == CORE_ARCH_NO_MEMORY) {
		return CORE_RESULT_NO_MEMORY;
	}
	if (code == CORE_ARCH_FAULT) {
		return SVSM_ERR_INVALID_ADDRESS;
	}
	return svsm_err_core_insn(code);
}

/*
 * A ledger refusal of a page the guest named (collision with Bastion, a VMSA or a CAA; not
 * RAM; not in a state it can use) as an SVSM result: "a gPA is invalid or belongs to the SVSM"
 * is SVSM_ERR_INVALID_ADDRESS (SVSM spec 58019 rev 1.00, result codes). The remaining codes
 * cannot come from guest input after the checks the handlers make: they are Bastion bugs.
 */
static uint32_t core_ps_guest_result(enum page_state_result r)
{
	switch (r) {
	case PS_ERR_NO_MEMORY:
		return CORE_RESULT_NO_MEMORY;
	case PS_ERR_OVERFLOW:
	case PS_ERR_NOT_RAM:
	case PS_ERR_SIZE_MISMATCH:
	case PS_ERR_BASTION_PAGE:
	case PS_ERR_FIRMWARE_PAGE:
	case PS_ERR_IN_USE_VMSA:
	case PS_ERR_IN_USE_CAA:
	case PS_ERR_SHARED:
	case PS_ERR_ALREADY_VALIDATED:
	case PS_ERR_NOT_VALIDATED:
		return SVSM_ERR_INVALID_ADDRESS;
	default:
		panic("core: unexpected ledger result %s", page_state_result_name(r));
	}
}

/*
 * The PVALIDATE view of a ledger refusal: the ledger mirrors the RMP's validated bit, so
 * "already in that state" is the instruction's "no change" (0x80001010) and a mixed 2 MiB
 * chunk its FAIL_SIZEMISMATCH (0x80001006), which makes Linux and OVMF retry as 4 KiB entries.
 */
static uint32_t core_ps_pvalidate_result(enum page_state_result r)
{
	switch (r) {
	case PS_ERR_ALREADY_VALIDATED:
	case PS_ERR_NOT_VALIDATED:
		return SVSM_PVALIDATE_FAIL_NO_CHANGE;
	case PS_ERR_SIZE_MISMATCH:
		return SVSM_PVALIDATE_FAIL_SIZEMISMATCH;
	default:
		return core_ps_guest_result(r);
	}
}

/*
 * A ledger refusal of a change the registry says must be possible (releasing a recorded CAA
 * or VMSA): only running out of memory is legitimate; anything else means the registry and
 * the ledger disagree, a Bastion bug.
 */
static uint32_t core_ps_internal_result(enum page_state_result r)
{
	if (r == PS_ERR_NO_MEMORY) {
		return CORE_RESULT_NO_MEMORY;
	}
	panic("core: ledger and vCPU registry disagree: %s", page_state_result_name(r));
}

/* ---- the vCPU registry ---------------------------------------------------------------------- */

static void core_vcpu(const struct core_backend *be, uint32_t index, struct core_vcpu_info *out)
{
	bool ok = be->vcpu_get(be->ctx, index, out);

	CHECK(ok);
}

/* The vCPU whose current VMSA, APIC ID or boot flag matches; false if none. */
enum core_vcpu_key {
	CORE_VCPU_BY_APIC_ID,
	CORE_VCPU_BY_VMSA,
	CORE_VCPU_BOOT,
};

static bool core_vcpu_find(const struct core_backend *be, enum core_vcpu_key key, uint64_t value,
			   uint32_t *index, struct core_vcpu_info *out)
{
	uint32_t count = be->vcpu_count(be->ctx);

	for (uint32_t i = 0; i < count; i++) {
		struct core_vcpu_info v = { 0 };
		bool match = false;

		core_vcpu(be, i, &v);
		switch (key) {
		case CORE_VCPU_BY_APIC_ID:
			match = v.apic_id == value;
			break;
		case CORE_VCPU_BY_VMSA:
			match = v.has_vmsa && gpa_get(v.vmsa) == value;
			break;
		case CORE_VCPU_BOOT:
			match = v.boot;
			break;
		}
		if (match) {
			*index = i;
			*out = v;
			return true;
		}
	}
	return false;
}

static uint8_t core_mem_available_value(const struct core_backend *be)
{
	return core_pool_present(be) && be->pool_has_free(be->ctx) ? 1 : 0;
}

void core_mem_available_update(const struct core_backend *be)
{
	struct core_vcpu_info boot = { 0 };
	uint32_t index = 0;
	uint8_t value = core_mem_available_value(be);

	if (!core_vcpu_find(be, CORE_VCPU_BOOT, 0, &index, &boot) || !boot.has_caa) {
		return;
	}
	/* Advisory byte (core.h): a refused write leaves the guest to try WITHDRAW_MEM. */
	(void)be->guest_write(be->ctx, gpa_add(boot.caa, SVSM_CAA_MEM_AVAILABLE_OFFSET), &value,
			      sizeof(value));
}

/* ---- SVSM_CORE_REMAP_CA ------------------------------------------------------------------- */

/**
 * SVSM_CORE_REMAP_CA (SVSM spec 58019 rev 1.00, core protocol call 0; ABI reference 2.2):
 * moves the calling vCPU's calling area to the 4 KiB page at RCX.
 *
 * On success the new page is a CAA in the ledger with call_pending = 0 (and, for the boot
 * vCPU, mem_available current); the old page is a plain guest page again and Bastion never
 * touches it after this call, except that the request loop clears call_pending in the CAA it
 * read the call from, i.e. the old one, as the spec requires. RCX equal to the current CAA
 * succeeds and changes nothing.
 *
 * Returns:
 *   SVSM_SUCCESS                done
 *   SVSM_ERR_INVALID_PARAMETER  RCX not 4 KiB aligned
 *   SVSM_ERR_INVALID_ADDRESS    the page is not RAM, is Bastion's, an active VMSA or another
 *                               vCPU's CAA, is shared or not validated, or could not be written
 *   CORE_RESULT_NO_MEMORY       the ledger needed memory for the change
 */
static uint32_t core_remap_ca(struct svsm_call_ctx *ctx, const struct svsm_request *req)
{
	const struct core_backend *be = core_be(ctx);
	uint64_t gpa = req->rcx;
	struct core_vcpu_info me = { 0 };
	enum page_state_result pr = PS_OK;
	uint8_t head[2] = { 0, 0 };
	uint32_t rc = SVSM_SUCCESS;

	if (!addr_is_aligned(gpa, PAGE_SIZE)) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	core_vcpu(be, ctx->vcpu, &me);
	if (me.has_caa && gpa_get(me.caa) == gpa) {
		return SVSM_SUCCESS;
	}

	pr = core_ledger_apply(be, gpa, PAGE_SIZE_4K, PS_OP_MAKE_CAA, 0);
	if (pr != PS_OK) {
		return core_ps_guest_result(pr);
	}
	if (me.has_caa) {
		pr = core_ledger_apply(be, gpa_get(me.caa), PAGE_SIZE_4K, PS_OP_UNMAKE_CAA, 0);
		if (pr != PS_OK) {
			rc = core_ps_internal_result(pr);
			goto undo_new;
		}
	}
	/* The new CAA starts with no call pending (SVSM spec, SVSM_CORE_REMAP_CA). */
	head[SVSM_CAA_CALL_PENDING_OFFSET] = 0;
	head[SVSM_CAA_MEM_AVAILABLE_OFFSET] = me.boot ? core_mem_available_value(be) : 0;
	if (be->guest_write(be->ctx, gpa_init(gpa), head, sizeof(head)) != 0) {
		rc = SVSM_ERR_INVALID_ADDRESS;
		goto undo_old;
	}
	be->vcpu_set_caa(be->ctx, ctx->vcpu, true, gpa_init(gpa));
	return SVSM_SUCCESS;

undo_old:
	if (me.has_caa) {
		core_ledger_undo(be, gpa_get(me.caa), PAGE_SIZE_4K, PS_OP_MAKE_CAA);
	}
undo_new:
	core_ledger_undo(be, gpa, PAGE_SIZE_4K, PS_OP_UNMAKE_CAA);
	return rc;
}

/* ---- request lists (PVALIDATE table 6, DEPOSIT_MEM table 7) ------------------------------ */

/*
 * A copy of a guest request list: everything from the list's GPA to the end of its page, read
 * once. Both lists share the header layout (u16 entries, u16 next, u32 reserved) and 8-byte
 * entries whose bits 1:0 give the page size.
 */
struct core_list {
	uint8_t bytes[PAGE_SIZE];
	uint16_t entries;
	uint16_t next;
};

_Static_assert(offsetof(struct svsm_pvalidate_hdr, next) == SVSM_DEPOSIT_NEXT_OFFSET,
	       "PVALIDATE and DEPOSIT_MEM lists share the header layout");

/*
 * Copies and checks a list header. Returns SVSM_SUCCESS, SVSM_ERR_INVALID_PARAMETER (gpa not
 * 8-byte aligned, entries 0, next >= entries, list crosses the end of its 4 KiB page) or
 * SVSM_ERR_INVALID_ADDRESS (the page cannot be read). The reserved header word is ignored.
 */
static uint32_t core_list_load(const struct core_backend *be, uint64_t gpa, struct core_list *list)
{
	uint64_t avail = 0;

	if (!addr_is_aligned(gpa, 8)) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	avail = PAGE_SIZE - (gpa & PAGE_MASK);
	if (be->guest_read(be->ctx, gpa_init(gpa), list->bytes, avail) != 0) {
		return SVSM_ERR_INVALID_ADDRESS;
	}
	bastion_memcpy(&list->entries, &list->bytes[0], sizeof(list->entries));
	bastion_memcpy(&list->next, &list->bytes[SVSM_PVALIDATE_NEXT_OFFSET], sizeof(list->next));
	if (list->entries == 0 || list->next >= list->entries) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	if (SVSM_PVALIDATE_HDR_SIZE + (uint64_t)list->entries * SVSM_PVALIDATE_ENTRY_SIZE > avail) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	return SVSM_SUCCESS;
}

static uint64_t core_list_entry(const struct core_list *list, uint32_t i)
{
	uint64_t e = 0;

	bastion_memcpy(&e, &list->bytes[SVSM_PVALIDATE_HDR_SIZE + (size_t)i * 8], sizeof(e));
	return e;
}

typedef uint32_t (*core_entry_fn)(const struct core_backend *be, uint64_t entry);

/*
 * Processes entries next..entries-1 of the copied list with fn, writing `next` back to the
 * guest's list after each success. Stops at the first error (next names the failing entry),
 * or with SVSM_ERR_INCOMPLETE before an entry that would exceed the page budget (never before
 * the first entry of the call). A failed write-back is SVSM_ERR_INVALID_ADDRESS.
 */
static uint32_t core_list_run(const struct core_backend *be, uint64_t gpa,
			      const struct core_list *list, core_entry_fn fn)
{
	uint64_t budget = core_page_budget(be);
	uint64_t done = 0;

	for (uint32_t i = list->next; i < list->entries; i++) {
		uint64_t entry = core_list_entry(list, i);
		uint64_t pages = (entry & SVSM_PVALIDATE_ENTRY_SIZE_MASK) == SVSM_PAGE_SIZE_2M ?
					 HUGE_PAGE_SIZE / PAGE_SIZE :
					 1;
		uint16_t next = (uint16_t)(i + 1);
		uint32_t rc = SVSM_SUCCESS;

		if (i != list->next && done + pages > budget) {
			return SVSM_ERR_INCOMPLETE;
		}
		rc = fn(be, entry);
		if (rc != SVSM_SUCCESS) {
			return rc;
		}
		done += pages;
		if (be->guest_write(be->ctx, gpa_init(gpa + SVSM_PVALIDATE_NEXT_OFFSET), &next,
				    sizeof(next)) != 0) {
			return SVSM_ERR_INVALID_ADDRESS;
		}
	}
	return SVSM_SUCCESS;
}

/* ---- SVSM_CORE_PVALIDATE ------------------------------------------------------------------ */

/*
 * Validate: ledger VALIDATE, PVALIDATE, zero, grant. With ignore_cf a page the ledger already
 * shows validated succeeds without touching it (it was zeroed when it was validated).
 */
static uint32_t core_validate_page(const struct core_backend *be, uint64_t gpa,
				   enum page_size size, bool ignore_cf)
{
	enum page_state_result pr = PS_OK;
	uint32_t code = CORE_ARCH_OK;
	uint32_t rc = SVSM_SUCCESS;

	pr = core_ledger_apply(be, gpa, size, PS_OP_VALIDATE, ignore_cf ? PS_F_IGNORE_SAME : 0);
	if (pr == PS_OK_UNCHANGED) {
		return SVSM_SUCCESS;
	}
	if (pr != PS_OK) {
		return core_ps_pvalidate_result(pr);
	}
	code = be->page_pvalidate(be->ctx, gpa_init(gpa), size, true);
	if (code == CORE_ARCH_NO_CHANGE && ignore_cf) {
		code = CORE_ARCH_OK;
	}
	if (code != CORE_ARCH_OK) {
		rc = core_arch_result(code);
		goto undo_ledger;
	}
	/* Zero before the guest gets access: the page may hold data the hypervisor remapped
	 * from elsewhere (COCONUT's core_pvalidate_one explains the attack). */
	if (be->page_zero(be->ctx, gpa_init(gpa), size) != 0) {
		rc = SVSM_ERR_INVALID_ADDRESS;
		goto undo_pvalidate;
	}
	code = be->page_grant(be->ctx, gpa_init(gpa), size);
	if (code != CORE_ARCH_OK) {
		rc = core_arch_result(code);
		goto undo_pvalidate;
	}
	return SVSM_SUCCESS;

undo_pvalidate:
	/* Best effort: if the hypervisor took the page meanwhile it is unvalidated anyway. */
	(void)be->page_pvalidate(be->ctx, gpa_init(gpa), size, false);
undo_ledger:
	core_ledger_undo(be, gpa, size, PS_OP_RESCIND);
	return rc;
}

/* Rescind: ledger RESCIND, revoke, PVALIDATE rescind. */
static uint32_t core_rescind_page(const struct core_backend *be, uint64_t gpa, enum page_size size,
				  bool ignore_cf)
{
	enum page_state_result pr = PS_OK;
	uint32_t code = CORE_ARCH_OK;
	uint32_t rc = SVSM_SUCCESS;

	pr = core_ledger_apply(be, gpa, size, PS_OP_RESCIND, ignore_cf ? PS_F_IGNORE_SAME : 0);
	if (pr == PS_OK_UNCHANGED) {
		return SVSM_SUCCESS;
	}
	if (pr != PS_OK) {
		return core_ps_pvalidate_result(pr);
	}
	/* Every VMPL >= the guest's loses access first (SVSM spec, SVSM_CORE_PVALIDATE). */
	code = be->page_revoke(be->ctx, gpa_init(gpa), size);
	if (code != CORE_ARCH_OK) {
		rc = core_arch_result(code);
		goto undo_ledger;
	}
	code = be->page_pvalidate(be->ctx, gpa_init(gpa), size, false);
	if (code == CORE_ARCH_NO_CHANGE && ignore_cf) {
		code = CORE_ARCH_OK;
	}
	if (code != CORE_ARCH_OK) {
		rc = core_arch_result(code);
		goto undo_revoke;
	}
	return SVSM_SUCCESS;

undo_revoke:
	/* Best effort: the page is still validated, give the guest its access back. */
	(void)be->page_grant(be->ctx, gpa_init(gpa), size);
undo_ledger:
	core_ledger_undo(be, gpa, size, PS_OP_VALIDATE);
	return rc;
}

/*
 * One PVALIDATE entry. Format errors (page size 2 or 3, reserved bits 11:4, a 2 MiB GFN with
 * bits 20:12 set) are SVSM_ERR_INVALID_PARAMETER; everything else is decided by the ledger and
 * the platform.
 */
static uint32_t core_pvalidate_one(const struct core_backend *be, uint64_t entry)
{
	uint32_t size_field = svsm_pvalidate_entry_page_size(entry);
	uint64_t gpa = svsm_pvalidate_entry_gpa(entry);
	enum page_size size = PAGE_SIZE_4K;

	if (size_field > SVSM_PAGE_SIZE_2M || svsm_pvalidate_entry_reserved(entry) != 0) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	size = size_field == SVSM_PAGE_SIZE_2M ? PAGE_SIZE_2M : PAGE_SIZE_4K;
	if (!addr_is_aligned(gpa, core_size_bytes(size))) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	if (svsm_pvalidate_entry_validate(entry)) {
		return core_validate_page(be, gpa, size, svsm_pvalidate_entry_ignore_cf(entry));
	}
	return core_rescind_page(be, gpa, size, svsm_pvalidate_entry_ignore_cf(entry));
}

/**
 * SVSM_CORE_PVALIDATE (SVSM spec 58019 rev 1.00, core protocol call 1, table 6; ABI reference
 * 2.2): validates or rescinds the pages of the list at RCX, from entry `next` on.
 *
 * The list (8-byte header, 8-byte entries) is copied with one read; `next` in the guest's
 * list is updated after each entry, so after the call it is the number of entries done: on
 * SVSM_SUCCESS equal to `entries`, otherwise the entry that failed or, on INCOMPLETE, the
 * first entry not yet processed.
 *
 * Returns:
 *   SVSM_SUCCESS                      every entry done
 *   SVSM_ERR_INCOMPLETE               the page budget (core.h) was reached; re-issue the call
 *   SVSM_ERR_INVALID_PARAMETER        RCX not 8-byte aligned; entries 0; next >= entries; the
 *                                     list crosses a 4 KiB boundary; an entry with page size
 *                                     2 or 3, reserved bits 11:4 set, or a 2 MiB GFN with
 *                                     bits 20:12 set
 *   SVSM_ERR_INVALID_ADDRESS          the list cannot be read or `next` written; an entry
 *                                     names a page that is not RAM, Bastion's, an active VMSA
 *                                     or CAA, shared, or the firmware image's; zeroing failed
 *   SVSM_PVALIDATE_FAIL_NO_CHANGE     the page already is in the requested state (ledger, or
 *                                     CF = 1) and the entry's ignore_cf is 0
 *   SVSM_PVALIDATE_FAIL_SIZEMISMATCH  2 MiB entry over a chunk whose pages differ in the
 *                                     ledger, or PVALIDATE/RMPADJUST EAX 6: retry as 4 KiB
 *   0x80001000 + EAX                  PVALIDATE or RMPADJUST failed with EAX (1..0xF)
 *   SVSM_PVALIDATE_FAIL_UNEXPECTED    an instruction result above 0xF
 *   CORE_RESULT_NO_MEMORY             the ledger needed memory (a leaf) for this entry
 */
static uint32_t core_pvalidate(struct svsm_call_ctx *ctx, const struct svsm_request *req)
{
	const struct core_backend *be = core_be(ctx);
	struct core_list list = { .entries = 0 };
	uint32_t rc = core_list_load(be, req->rcx, &list);

	if (rc != SVSM_SUCCESS) {
		return rc;
	}
	return core_list_run(be, req->rcx, &list, core_pvalidate_one);
}

/* ---- SVSM_CORE_CREATE_VCPU / SVSM_CORE_DELETE_VCPU ---------------------------------------- */

/* The candidate VMSA fields the spec's checks need, read once after access was revoked. */
struct core_vmsa_fields {
	uint8_t vmpl;
	uint64_t efer;
	uint64_t sev_features;
};

static int core_vmsa_fields_read(const struct core_backend *be, uint64_t gpa,
				 struct core_vmsa_fields *f)
{
	if (be->vmsa_read(be->ctx, gpa_init(gpa), offsetof(struct vmsa, vmpl), &f->vmpl,
			  sizeof(f->vmpl)) != 0 ||
	    be->vmsa_read(be->ctx, gpa_init(gpa), offsetof(struct vmsa, efer), &f->efer,
			  sizeof(f->efer)) != 0 ||
	    be->vmsa_read(be->ctx, gpa_init(gpa), offsetof(struct vmsa, sev_features),
			  &f->sev_features, sizeof(f->sev_features)) != 0) {
		return -1;
	}
	return 0;
}

/*
 * SVSM spec 58019 rev 1.00, SVSM_CORE_CREATE_VCPU: VMPL not 0 and not more privileged than
 * the caller, EFER.SVME set, SEV_FEATURES equal to the boot vCPU's. Bastion also refuses a
 * VMPL above 3, which no hardware can run.
 */
static bool core_vmsa_acceptable(const struct core_vmsa_fields *f, uint8_t caller_vmpl,
				 uint64_t boot_features)
{
	return f->vmpl != 0 && f->vmpl >= caller_vmpl && f->vmpl <= CORE_VMPL_MAX &&
	       (f->efer & VMSA_EFER_SVME) != 0 && f->sev_features == boot_features;
}

/**
 * SVSM_CORE_CREATE_VCPU (SVSM spec 58019 rev 1.00, core protocol call 2; ABI reference 2.2):
 * makes the page at RCX the VMSA of the vCPU with APIC ID R8[31:0], with its CAA at RDX.
 *
 * Order: ledger MAKE_VMSA (and MAKE_CAA unless RDX already is that vCPU's CAA; a different
 * old CAA is released), revoke the guest's access to the VMSA page, read and check the
 * fields, set the VMSA attribute, record VMSA and CAA in the registry. Any failure undoes
 * what was done. A VMSA the vCPU had before stays a VMSA (the guest deletes it with
 * DELETE_VCPU; Linux creates the new VMSA first and deletes the old one afterwards).
 *
 * Returns:
 *   SVSM_SUCCESS                done
 *   SVSM_ERR_INVALID_PARAMETER  RCX or RDX not 4 KiB aligned; no vCPU has that APIC ID; the
 *                               VMSA's VMPL is 0, below the caller's or above 3, its
 *                               EFER.SVME is clear, or its SEV_FEATURES differ from the boot
 *                               vCPU's
 *   SVSM_ERR_INVALID_REQUEST    the APIC ID is the caller's own (a vCPU cannot replace the
 *                               VMSA it is calling from)
 *   SVSM_ERR_INVALID_ADDRESS    RCX == RDX; either page is not RAM, Bastion's, an active VMSA,
 *                               another vCPU's CAA, shared or not validated; the VMSA page
 *                               cannot be read
 *   0x80001000 + EAX            RMPADJUST failed (e.g. 0x80001001 for a VMSA page the
 *                               platform cannot use, such as a 2 MiB-aligned one on SNP)
 *   CORE_RESULT_NO_MEMORY       the ledger needed memory
 */
static uint32_t core_create_vcpu(struct svsm_call_ctx *ctx, const struct svsm_request *req)
{
	const struct core_backend *be = core_be(ctx);
	uint64_t vmsa = req->rcx;
	uint64_t caa = req->rdx;
	uint32_t apic_id = (uint32_t)req->r8;
	struct core_vcpu_info me = { 0 };
	struct core_vcpu_info target = { 0 };
	struct core_vmsa_fields fields = { 0 };
	uint32_t target_index = 0;
	bool new_caa = false;
	bool drop_old_caa = false;
	enum page_state_result pr = PS_OK;
	uint32_t code = CORE_ARCH_OK;
	uint32_t rc = SVSM_SUCCESS;

	if (!addr_is_aligned(vmsa, PAGE_SIZE) || !addr_is_aligned(caa, PAGE_SIZE)) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	if (vmsa == caa) {
		return SVSM_ERR_INVALID_ADDRESS;
	}
	if (!core_vcpu_find(be, CORE_VCPU_BY_APIC_ID, apic_id, &target_index, &target)) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	if (target_index == ctx->vcpu) {
		return SVSM_ERR_INVALID_REQUEST;
	}
	core_vcpu(be, ctx->vcpu, &me);
	new_caa = !(target.has_caa && gpa_get(target.caa) == caa);
	drop_old_caa = new_caa && target.has_caa;

	/* Ledger phase: refuses Bastion's pages, active VMSAs and other vCPUs' CAAs. */
	pr = core_ledger_apply(be, vmsa, PAGE_SIZE_4K, PS_OP_MAKE_VMSA, 0);
	if (pr != PS_OK) {
		return core_ps_guest_result(pr);
	}
	if (new_caa) {
		pr = core_ledger_apply(be, caa, PAGE_SIZE_4K, PS_OP_MAKE_CAA, 0);
		if (pr != PS_OK) {
			rc = core_ps_guest_result(pr);
			goto undo_vmsa;
		}
	}
	if (drop_old_caa) {
		pr = core_ledger_apply(be, gpa_get(target.caa), PAGE_SIZE_4K, PS_OP_UNMAKE_CAA, 0);
		if (pr != PS_OK) {
			rc = core_ps_internal_result(pr);
			goto undo_caa;
		}
	}

	/* Platform phase. The guest loses access before Bastion reads the fields, so what is
	 * checked is what will run (SVSM spec, SVSM_CORE_CREATE_VCPU). */
	code = be->page_revoke(be->ctx, gpa_init(vmsa), PAGE_SIZE_4K);
	if (code != CORE_ARCH_OK) {
		rc = core_arch_result(code);
		goto undo_old_caa;
	}
	if (core_vmsa_fields_read(be, vmsa, &fields) != 0) {
		rc = SVSM_ERR_INVALID_ADDRESS;
		goto undo_revoke;
	}
	if (!core_vmsa_acceptable(&fields, me.vmpl, be->boot_sev_features(be->ctx))) {
		rc = SVSM_ERR_INVALID_PARAMETER;
		goto undo_revoke;
	}
	code = be->vmsa_make(be->ctx, gpa_init(vmsa));
	if (code != CORE_ARCH_OK) {
		rc = core_arch_result(code);
		goto undo_revoke;
	}

	be->vcpu_set_vmsa(be->ctx, target_index, true, gpa_init(vmsa));
	be->vcpu_set_caa(be->ctx, target_index, true, gpa_init(caa));
	return SVSM_SUCCESS;

undo_revoke:
	/* Best effort: if the hypervisor interfered, the guest loses a page it gave us. */
	(void)be->page_grant(be->ctx, gpa_init(vmsa), PAGE_SIZE_4K);
undo_old_caa:
	if (drop_old_caa) {
		core_ledger_undo(be, gpa_get(target.caa), PAGE_SIZE_4K, PS_OP_MAKE_CAA);
	}
undo_caa:
	if (new_caa) {
		core_ledger_undo(be, caa, PAGE_SIZE_4K, PS_OP_UNMAKE_CAA);
	}
undo_vmsa:
	core_ledger_undo(be, vmsa, PAGE_SIZE_4K, PS_OP_UNMAKE_VMSA);
	return rc;
}

/**
 * SVSM_CORE_DELETE_VCPU (SVSM spec 58019 rev 1.00, core protocol call 3; ABI reference 2.2):
 * turns the VMSA at RCX back into a normal guest page.
 *
 * If it is some vCPU's current VMSA, that vCPU loses its VMSA and its CAA (both released in
 * the ledger); if that vCPU is the caller, ctx->caller_vmsa_deleted tells the request loop not
 * to resume it (the call "never returns"). A VMSA replaced by a later CREATE_VCPU belongs to
 * no vCPU and only becomes a normal page.
 *
 * Returns:
 *   SVSM_SUCCESS                done
 *   SVSM_ERR_INVALID_PARAMETER  RCX not 4 KiB aligned; the page is not a VMSA; it is the boot
 *                               vCPU's current VMSA; its VMPL is below the caller's
 *   SVSM_ERR_INVALID_ADDRESS    the VMSA page cannot be read
 *   SVSM_ERR_FAIL_INUSE         the VMSA is running, EFER.SVME could not be cleared
 *   0x80001000 + EAX            RMPADJUST failed (the VMSA stays registered, with SVME clear)
 *   CORE_RESULT_NO_MEMORY       the ledger needed memory
 */
static uint32_t core_delete_vcpu(struct svsm_call_ctx *ctx, const struct svsm_request *req)
{
	const struct core_backend *be = core_be(ctx);
	uint64_t vmsa = req->rcx;
	struct page_state_record rec = { 0 };
	struct core_vcpu_info me = { 0 };
	struct core_vcpu_info owner = { 0 };
	uint32_t owner_index = 0;
	bool owned = false;
	bool drop_caa = false;
	uint8_t vmpl = 0;
	enum page_state_result pr = PS_OK;
	uint32_t code = CORE_ARCH_OK;
	uint32_t rc = SVSM_SUCCESS;

	if (!addr_is_aligned(vmsa, PAGE_SIZE)) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	if (page_state_get(be->ledger, gpa_init(vmsa), &rec) != PS_OK ||
	    !page_state_record_vmsa(rec)) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	owned = core_vcpu_find(be, CORE_VCPU_BY_VMSA, vmsa, &owner_index, &owner);
	if (owned && owner.boot) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	core_vcpu(be, ctx->vcpu, &me);
	if (be->vmsa_read(be->ctx, gpa_init(vmsa), offsetof(struct vmsa, vmpl), &vmpl,
			  sizeof(vmpl)) != 0) {
		return SVSM_ERR_INVALID_ADDRESS;
	}
	if (vmpl < me.vmpl) {
		return SVSM_ERR_INVALID_PARAMETER;
	}

	pr = core_ledger_apply(be, vmsa, PAGE_SIZE_4K, PS_OP_UNMAKE_VMSA, 0);
	if (pr != PS_OK) {
		return core_ps_internal_result(pr);
	}
	drop_caa = owned && owner.has_caa;
	if (drop_caa) {
		pr = core_ledger_apply(be, gpa_get(owner.caa), PAGE_SIZE_4K, PS_OP_UNMAKE_CAA, 0);
		if (pr != PS_OK) {
			rc = core_ps_internal_result(pr);
			goto undo_vmsa;
		}
	}
	if (!be->vmsa_disable(be->ctx, gpa_init(vmsa))) {
		rc = SVSM_ERR_FAIL_INUSE;
		goto undo_caa;
	}
	code = be->vmsa_unmake(be->ctx, gpa_init(vmsa));
	if (code != CORE_ARCH_OK) {
		rc = core_arch_result(code);
		goto undo_caa;
	}

	if (owned) {
		be->vcpu_set_vmsa(be->ctx, owner_index, false, gpa_init(0));
		be->vcpu_set_caa(be->ctx, owner_index, false, gpa_init(0));
		if (owner_index == ctx->vcpu) {
			ctx->caller_vmsa_deleted = true;
		}
	}
	return SVSM_SUCCESS;

undo_caa:
	if (drop_caa) {
		core_ledger_undo(be, gpa_get(owner.caa), PAGE_SIZE_4K, PS_OP_MAKE_CAA);
	}
undo_vmsa:
	core_ledger_undo(be, vmsa, PAGE_SIZE_4K, PS_OP_MAKE_VMSA);
	return rc;
}

/* ---- SVSM_CORE_DEPOSIT_MEM / SVSM_CORE_WITHDRAW_MEM --------------------------------------- */

/* The WITHDRAW_MEM list Bastion builds before writing it out in one go. */
#define CORE_WITHDRAW_BUF_SIZE                                                                   \
	(SVSM_WITHDRAW_HDR_SIZE + CORE_WITHDRAW_MAX_PAGES * SVSM_WITHDRAW_ENTRY_SIZE)

/* Bytes of a WITHDRAW_MEM list with count entries. */
static size_t core_withdraw_len(uint16_t count)
{
	return SVSM_WITHDRAW_HDR_SIZE + (size_t)count * SVSM_WITHDRAW_ENTRY_SIZE;
}

/* One deposit entry: format, then the ledger (exactly guest, validated, private, no
 * VMSA/CAA), then the pool takes it. */
static uint32_t core_deposit_one(const struct core_backend *be, uint64_t entry)
{
	uint32_t size_field = svsm_deposit_entry_page_size(entry);
	uint64_t gpa = svsm_deposit_entry_gpa(entry);
	enum page_size size = PAGE_SIZE_4K;
	enum page_state_result pr = PS_OK;
	uint32_t code = CORE_ARCH_OK;

	if (size_field > SVSM_PAGE_SIZE_2M || svsm_deposit_entry_reserved(entry) != 0) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	size = size_field == SVSM_PAGE_SIZE_2M ? PAGE_SIZE_2M : PAGE_SIZE_4K;
	if (!addr_is_aligned(gpa, core_size_bytes(size))) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	pr = page_state_range_all(be->ledger, gpa_init(gpa), core_size_bytes(size),
				  CORE_MATCH_GUEST_PLAIN, NULL);
	if (pr != PS_OK) {
		return core_ps_guest_result(pr);
	}
	code = be->pool_deposit(be->ctx, gpa_init(gpa), size);
	if (code != CORE_ARCH_OK) {
		return core_arch_result(code);
	}
	return SVSM_SUCCESS;
}

/**
 * SVSM_CORE_DEPOSIT_MEM (SVSM spec 58019 rev 1.00, core protocol call 4, table 7; ABI
 * reference 2.3): gives Bastion the pages of the list at RCX, from entry `next` on. The list
 * and `next` behave as for PVALIDATE (partial success leaves `next` on the failing entry).
 * Deposited pages become VMPL0-only and join Bastion's allocator; SVSM_MEM_AVAILABLE in the
 * boot vCPU's CAA is updated afterwards.
 *
 * Returns:
 *   SVSM_SUCCESS                every entry deposited
 *   SVSM_ERR_INCOMPLETE         the page budget was reached; re-issue the call
 *   SVSM_ERR_INVALID_PARAMETER  RCX not 8-byte aligned; entries 0; next >= entries; the list
 *                               crosses a 4 KiB boundary; an entry with page size 2 or 3,
 *                               reserved bits 11:2 set, or a 2 MiB GFN with bits 20:12 set
 *   SVSM_ERR_INVALID_ADDRESS    the list cannot be read or `next` written; a page is not
 *                               RAM, Bastion's, a VMSA or CAA, shared or not validated
 *   0x80001000 + EAX            RMPADJUST failed
 *   CORE_RESULT_NO_MEMORY       Bastion needed memory to take the page
 *   SVSM_ERR_UNSUPPORTED_CALL   the backend has no deposit pool
 */
static uint32_t core_deposit_mem(struct svsm_call_ctx *ctx, const struct svsm_request *req)
{
	const struct core_backend *be = core_be(ctx);
	struct core_list list = { .entries = 0 };
	uint32_t rc = SVSM_SUCCESS;

	if (!core_pool_present(be)) {
		return SVSM_ERR_UNSUPPORTED_CALL;
	}
	rc = core_list_load(be, req->rcx, &list);
	if (rc != SVSM_SUCCESS) {
		return rc;
	}
	rc = core_list_run(be, req->rcx, &list, core_deposit_one);
	core_mem_available_update(be);
	return rc;
}

/**
 * SVSM_CORE_WITHDRAW_MEM (SVSM spec 58019 rev 1.00, core protocol call 5, table 8; ABI
 * reference 2.3): fills the list at RCX with the GPAs of deposited 4 KiB pages Bastion gives
 * back (guest-owned, validated, scrubbed, full access for the guest VMPL): as many as fit
 * between RCX + 8 and the end of the page, at most CORE_WITHDRAW_MAX_PAGES, and 0 if none is
 * free. Never INCOMPLETE: SVSM_MEM_AVAILABLE in the boot vCPU's CAA says whether more is left.
 * The list is probed (header written with 0 entries) before any page leaves the pool.
 *
 * Returns:
 *   SVSM_SUCCESS                the list holds the count and the GPAs
 *   SVSM_ERR_INVALID_PARAMETER  RCX not 8-byte aligned, or at page offset 0xFF8 (no room for
 *                               one entry)
 *   SVSM_ERR_INVALID_ADDRESS    the list cannot be written (if this happens after pages left
 *                               the pool, they are the guest's but unnamed)
 *   SVSM_ERR_UNSUPPORTED_CALL   the backend has no deposit pool
 */
static uint32_t core_withdraw_mem(struct svsm_call_ctx *ctx, const struct svsm_request *req)
{
	const struct core_backend *be = core_be(ctx);
	uint64_t gpa = req->rcx;
	uint8_t out[CORE_WITHDRAW_BUF_SIZE] = { 0 };
	struct svsm_withdraw_hdr hdr = { 0 };
	uint64_t room = 0;
	uint16_t count = 0;
	uint32_t rc = SVSM_SUCCESS;

	if (!core_pool_present(be)) {
		return SVSM_ERR_UNSUPPORTED_CALL;
	}
	if (!addr_is_aligned(gpa, 8)) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	room = (PAGE_SIZE - (gpa & PAGE_MASK) - SVSM_WITHDRAW_HDR_SIZE) / SVSM_WITHDRAW_ENTRY_SIZE;
	if (room == 0) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	if (room > CORE_WITHDRAW_MAX_PAGES) {
		room = CORE_WITHDRAW_MAX_PAGES;
	}
	if (be->guest_write(be->ctx, gpa_init(gpa), &hdr, sizeof(hdr)) != 0) {
		return SVSM_ERR_INVALID_ADDRESS;
	}
	while (count < room) {
		gpa_t page = gpa_init(0);
		uint64_t value = 0;

		if (!be->pool_withdraw(be->ctx, &page)) {
			break;
		}
		value = gpa_get(page);
		bastion_memcpy(&out[core_withdraw_len(count)], &value, sizeof(value));
		count++;
	}
	hdr.entries = count;
	bastion_memcpy(out, &hdr, sizeof(hdr));
	if (be->guest_write(be->ctx, gpa_init(gpa), out, core_withdraw_len(count)) != 0) {
		rc = SVSM_ERR_INVALID_ADDRESS;
	}
	core_mem_available_update(be);
	return rc;
}

/* ---- SVSM_CORE_QUERY_PROTOCOL / SVSM_CORE_CONFIGURE_VTOM ---------------------------------- */

/**
 * SVSM_CORE_QUERY_PROTOCOL (SVSM spec 58019 rev 1.00, core protocol call 6; ABI reference
 * 2.4): RCX = (protocol << 32) | version. Answered from the dispatch table: RCX =
 * (max << 32) | min if that protocol serves that version, else 0.
 *
 * Returns: SVSM_SUCCESS always (RCX carries the answer).
 */
static uint32_t core_query_protocol(const struct svsm_request *req, struct svsm_result *res)
{
	uint32_t protocol = (uint32_t)(req->rcx >> 32);
	uint32_t version = (uint32_t)req->rcx;

	svsm_result_set_rcx(res, svsm_dispatch_query(protocol, version));
	return SVSM_SUCCESS;
}

/**
 * SVSM_CORE_CONFIGURE_VTOM (SVSM spec 58019 rev 1.00, core protocol call 7, table 9; ABI
 * reference 2.5). Bastion does not support vTOM reconfiguration and says so:
 *   query (RCX == 1): RCX = 0 (bit 1 clear: unsupported), RDX = 0 (minimum vTOM) and R8 = 0
 *   (maximum vTOM), the registers the spec's query answer defines.
 *   configure (RCX bit 0 clear): refused.
 *
 * Returns:
 *   SVSM_SUCCESS                query answered
 *   SVSM_ERR_INVALID_PARAMETER  query with any of bits 63:1 set, or configure with reserved
 *                               bits 11:5 set
 *   SVSM_ERR_INVALID_REQUEST    configure: reconfiguration is not supported
 */
static uint32_t core_configure_vtom(const struct svsm_request *req, struct svsm_result *res)
{
	if ((req->rcx & SVSM_VTOM_QUERY) != 0) {
		if (req->rcx != SVSM_VTOM_QUERY) {
			return SVSM_ERR_INVALID_PARAMETER;
		}
		svsm_result_set_rcx(res, 0);
		svsm_result_set_rdx(res, 0);
		svsm_result_set_r8(res, 0);
		return SVSM_SUCCESS;
	}
	if ((req->rcx & SVSM_VTOM_RESERVED_MASK) != 0) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	return SVSM_ERR_INVALID_REQUEST;
}

/* ---- entry -------------------------------------------------------------------------------- */

void core_protocol_handle(struct svsm_call_ctx *ctx, const struct svsm_request *req,
			  struct svsm_result *res)
{
	CHECK(ctx != NULL && req != NULL && res != NULL);
	(void)core_be(ctx);
	*res = svsm_result_code(SVSM_ERR_UNSUPPORTED_CALL);
	switch (req->call) {
	case SVSM_CORE_REMAP_CA:
		res->rax = core_remap_ca(ctx, req);
		break;
	case SVSM_CORE_PVALIDATE:
		res->rax = core_pvalidate(ctx, req);
		break;
	case SVSM_CORE_CREATE_VCPU:
		res->rax = core_create_vcpu(ctx, req);
		break;
	case SVSM_CORE_DELETE_VCPU:
		res->rax = core_delete_vcpu(ctx, req);
		break;
	case SVSM_CORE_DEPOSIT_MEM:
		res->rax = core_deposit_mem(ctx, req);
		break;
	case SVSM_CORE_WITHDRAW_MEM:
		res->rax = core_withdraw_mem(ctx, req);
		break;
	case SVSM_CORE_QUERY_PROTOCOL:
		res->rax = core_query_protocol(req, res);
		break;
	case SVSM_CORE_CONFIGURE_VTOM:
		res->rax = core_configure_vtom(req, res);
		break;
	default:
		break;
	}
}
