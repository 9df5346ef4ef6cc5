/*
 * DEPOSIT_MEM and WITHDRAW_MEM (SVSM spec tables 7 and 8; ABI reference 2.3; docs/abi.md rows
 * 4-5, D10). Both platforms have a deposit pool: a deposited page leaves the guest (native:
 * the nested page tables; SNP: RMPADJUST) and comes back scrubbed.
 */
#include "tests/guest/conformance/checks.h"

#include "tests/guest/conformance/check.h"
#include "tests/guest/conformance/io.h"
#include "tests/guest/conformance/layout.h"
#include "tests/guest/conformance/svsm.h"

static uint64_t deposit(uint64_t list_gpa)
{
	struct svsm_regs r;

	return svsm_call3(SVSM_CORE_PROTOCOL, SVSM_CORE_DEPOSIT_MEM, list_gpa, 0, 0, &r);
}

static uint64_t withdraw(uint64_t list_gpa)
{
	struct svsm_regs r;

	return svsm_call3(SVSM_CORE_PROTOCOL, SVSM_CORE_WITHDRAW_MEM, list_gpa, 0, 0, &r);
}

static void checks_pool(void)
{
	volatile struct svsm_withdraw_hdr *w = gpa_ptr(LIST1_GPA);
	volatile uint64_t *wl = gpa_ptr(LIST1_GPA + SVSM_WITHDRAW_HDR_SIZE);
	bool found = false;

	list_init(LIST0_GPA, 1, 0);
	list_entries(LIST0_GPA)[0] = svsm_deposit_entry_make(SACRIFICE_GPA >> 12, SVSM_PAGE_SIZE_4K);
	check_eq(deposit(LIST0_GPA + 4), SVSM_ERR_INVALID_PARAMETER,
		 "DEPOSIT_MEM with a misaligned list: INVALID_PARAMETER");
	list_hdr(LIST0_GPA)->entries = 0;
	check_eq(deposit(LIST0_GPA), SVSM_ERR_INVALID_PARAMETER,
		 "DEPOSIT_MEM with 0 entries: INVALID_PARAMETER");
	list_init(LIST0_GPA, 1, 0);
	list_entries(LIST0_GPA)[0] = svsm_deposit_entry_make(SACRIFICE_GPA >> 12, 0) | 0x4;
	check_eq(deposit(LIST0_GPA), SVSM_ERR_INVALID_PARAMETER,
		 "DEPOSIT_MEM entry with reserved bit 2: INVALID_PARAMETER");
	list_entries(LIST0_GPA)[0] = svsm_deposit_entry_make(svsm.base >> 12, 0);
	check_eq(deposit(LIST0_GPA), SVSM_ERR_INVALID_ADDRESS,
		 "DEPOSIT_MEM of a Bastion page: INVALID_ADDRESS");
	list_entries(LIST0_GPA)[0] = svsm_deposit_entry_make(svsm_caa_gpa >> 12, 0);
	check_eq(deposit(LIST0_GPA), SVSM_ERR_INVALID_ADDRESS,
		 "DEPOSIT_MEM of the active CAA: INVALID_ADDRESS");
	check_eq(withdraw(LIST1_GPA + 4), SVSM_ERR_INVALID_PARAMETER,
		 "WITHDRAW_MEM with a misaligned list: INVALID_PARAMETER");
	check_eq(withdraw(LIST1_GPA + 0xFF8), SVSM_ERR_INVALID_PARAMETER,
		 "WITHDRAW_MEM at page offset 0xff8 (no room for an entry): INVALID_PARAMETER");

	/* The page carries the guest's data when it is deposited ... */
	for (unsigned int i = 0; i < 512; i++) {
		((volatile uint64_t *)gpa_ptr(SACRIFICE_GPA))[i] = 0x5AC81F1CE0000000ull + i;
	}
	list_init(LIST0_GPA, 1, 0);
	list_entries(LIST0_GPA)[0] = svsm_deposit_entry_make(SACRIFICE_GPA >> 12, SVSM_PAGE_SIZE_4K);
	check_true(deposit(LIST0_GPA) == SVSM_SUCCESS && list_hdr(LIST0_GPA)->next == 1,
		   "DEPOSIT_MEM of one page: SUCCESS, next 1");
	check_eq(deposit(LIST0_GPA), SVSM_ERR_INVALID_PARAMETER,
		 "DEPOSIT_MEM re-issued with next == entries: INVALID_PARAMETER");
	list_hdr(LIST0_GPA)->next = 0;
	check_eq(deposit(LIST0_GPA), SVSM_ERR_INVALID_ADDRESS,
		 "DEPOSIT_MEM of a page already deposited: INVALID_ADDRESS");
	check_eq(*(volatile uint8_t *)gpa_ptr(svsm_caa_gpa + SVSM_CAA_MEM_AVAILABLE_OFFSET), 1,
		 "mem_available is 1 after a deposit");
	check_eq(withdraw(LIST1_GPA), SVSM_SUCCESS, "WITHDRAW_MEM: SUCCESS");
	for (unsigned int i = 0; i < w->entries && i < 256; i++) {
		found = found || wl[i] == SACRIFICE_GPA;
	}
	check_true(found, "WITHDRAW_MEM returned the deposited page (%u entries)", w->entries);
	check_eq(*(volatile uint8_t *)gpa_ptr(svsm_caa_gpa + SVSM_CAA_MEM_AVAILABLE_OFFSET), 0,
		 "mem_available is 0 when the pool is empty again");
	/* ... and comes back scrubbed: Bastion may have kept its own data in it. */
	if (found) {
		uint64_t nonzero = 0;

		for (unsigned int i = 0; i < 512; i++) {
			nonzero |= ((volatile uint64_t *)gpa_ptr(SACRIFICE_GPA))[i];
		}
		check_eq(nonzero, 0, "the withdrawn page reads as zero");
	}
	check_true(withdraw(LIST1_GPA) == SVSM_SUCCESS && w->entries == 0,
		   "WITHDRAW_MEM with an empty pool: SUCCESS, 0 entries");
}

void checks_memory(void)
{
	checks_pool();
}
