/*
 * guest_mem: the only door from Bastion to guest memory.
 *
 * Every access names a guest-physical range, which is checked before anything is touched:
 *   - the range must not wrap (GUEST_MEM_ERR_RANGE);
 *   - it must not touch Bastion's region (GUEST_MEM_ERR_BASTION);
 *   - every page must be, per the page-state ledger, guest-owned, validated, private and not
 *     a VMSA (GUEST_MEM_ERR_NOT_GUEST); calling areas are allowed.
 * The copy itself goes through the per-CPU temporary window with a fault-tolerant copy, so a
 * page that faults anyway (e.g. one the host took away) becomes GUEST_MEM_ERR_FAULT, never a
 * crash. Callers copy guest structures into Bastion memory with guest_copy_from() and check
 * the copy, never the guest's page (no double fetch).
 */
#pragma once

#include <stddef.h>

#include "mm/addr.h"

enum guest_mem_result {
	GUEST_MEM_OK = 0,
	GUEST_MEM_ERR_RANGE,     /* gpa + len wraps */
	GUEST_MEM_ERR_BASTION,   /* the range touches Bastion's own region */
	GUEST_MEM_ERR_NOT_GUEST, /* a page is not RAM, not the guest's, not validated, shared or
				  * a VMSA */
	GUEST_MEM_ERR_FAULT,     /* the access faulted */
	GUEST_MEM_ERR_BUSY,      /* no temporary-mapping slot free on this CPU */
	GUEST_MEM_ERR_TOO_LARGE, /* guest_map(): the range does not fit one 4 KiB page or one
				  * aligned 2 MiB chunk */
};

/* Copies len bytes from guest-physical gpa to dst. dst is unspecified on error. */
enum guest_mem_result guest_copy_from(gpa_t gpa, void *dst, size_t len);

/* Copies len bytes from src to guest-physical gpa. On error a prefix may have been written. */
enum guest_mem_result guest_copy_to(gpa_t gpa, const void *src, size_t len);

struct guest_mapping {
	void *base;  /* start of the mapped page or chunk */
	void *ptr;   /* the byte at gpa */
};

/*
 * Maps [gpa, gpa + len) for direct access when a copy would be too costly. The range must lie
 * in one 4 KiB page, or in one 2 MiB-aligned chunk all of whose pages pass the checks above.
 * Accesses through the mapping can fault: use arch_copy_fallible() or the probes on it.
 * Returns GUEST_MEM_OK with *m filled, or an error and *m untouched.
 */
enum guest_mem_result guest_map(gpa_t gpa, size_t len, struct guest_mapping *m);
void guest_unmap(struct guest_mapping *m);

const char *guest_mem_result_name(enum guest_mem_result r);
