#include "mm/guest_mem.h"

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/fallible.h"
#include "kernel/image_layout.h"
#include "mm/mm.h"
#include "mm/page_state.h"
#include "mm/tempmap.h"

static enum guest_mem_result guest_check(gpa_t gpa, uint64_t len)
{
	uint64_t end = 0;

	if (!addr_range_end(gpa_get(gpa), len, &end)) {
		return GUEST_MEM_ERR_RANGE;
	}
	if (len == 0) {
		return GUEST_MEM_OK;
	}
	/* The ledger refuses Bastion's pages too; this explicit check names the reason and does
	 * not depend on the ledger being right about Bastion. */
	if (addr_ranges_overlap(gpa_get(gpa), len, BASTION_REGION_GPA, BASTION_REGION_SIZE)) {
		return GUEST_MEM_ERR_BASTION;
	}
	if (page_state_range_all(mm_page_state(), gpa, len, PAGE_STATE_MATCH_GUEST_PRIVATE, NULL) !=
	    PS_OK) {
		return GUEST_MEM_ERR_NOT_GUEST;
	}
	return GUEST_MEM_OK;
}

/* Copies page by page through the temporary window; to_guest selects the direction. */
static enum guest_mem_result guest_copy(gpa_t gpa, void *buf, size_t len, bool to_guest)
{
	enum guest_mem_result r = guest_check(gpa, len);
	uint8_t *p = buf;

	if (r != GUEST_MEM_OK) {
		return r;
	}
	while (len > 0) {
		uint64_t page = gpa_get(gpa) & ~PAGE_MASK;
		uint64_t offset = gpa_get(gpa) & PAGE_MASK;
		size_t chunk = PAGE_SIZE - offset < len ? (size_t)(PAGE_SIZE - offset) : len;
		uint8_t *window = tempmap_map(paddr_init(page), PAGE_SIZE, 0);
		uint64_t fault = 0;

		if (window == NULL) {
			return GUEST_MEM_ERR_BUSY;
		}
		if (to_guest) {
			fault = arch_copy_fallible(window + offset, p, chunk);
		} else {
			fault = arch_copy_fallible(p, window + offset, chunk);
		}
		tempmap_unmap(window);
		if (fault != ARCH_FAULT_NONE) {
			return GUEST_MEM_ERR_FAULT;
		}
		gpa = gpa_add(gpa, chunk);
		p += chunk;
		len -= chunk;
	}
	return GUEST_MEM_OK;
}

enum guest_mem_result guest_copy_from(gpa_t gpa, void *dst, size_t len)
{
	return guest_copy(gpa, dst, len, false);
}

enum guest_mem_result guest_copy_to(gpa_t gpa, const void *src, size_t len)
{
	/* guest_copy only reads from buf in this direction. */
	return guest_copy(gpa, (void *)(uintptr_t)src, len, true);
}

enum guest_mem_result guest_map(gpa_t gpa, size_t len, struct guest_mapping *m)
{
	uint64_t start = gpa_get(gpa);
	uint64_t last = 0;
	uint64_t base = 0;
	uint64_t size = 0;
	enum guest_mem_result r = GUEST_MEM_OK;
	uint8_t *window = NULL;

	if (len == 0 || !addr_range_end(start, len - 1, &last)) {
		return GUEST_MEM_ERR_RANGE;
	}
	if ((start & ~PAGE_MASK) == (last & ~PAGE_MASK)) {
		base = start & ~PAGE_MASK;
		size = PAGE_SIZE;
	} else if ((start & ~HUGE_PAGE_MASK) == (last & ~HUGE_PAGE_MASK)) {
		base = start & ~HUGE_PAGE_MASK;
		size = HUGE_PAGE_SIZE;
	} else {
		return GUEST_MEM_ERR_TOO_LARGE;
	}
	/* Check everything the mapping exposes, not only the bytes asked for. */
	r = guest_check(gpa_init(base), size);
	if (r != GUEST_MEM_OK) {
		return r;
	}
	window = tempmap_map(paddr_init(base), size, 0);
	if (window == NULL) {
		return GUEST_MEM_ERR_BUSY;
	}
	m->base = window;
	m->ptr = window + (start - base);
	return GUEST_MEM_OK;
}

void guest_unmap(struct guest_mapping *m)
{
	tempmap_unmap(m->base);
	m->base = NULL;
	m->ptr = NULL;
}

const char *guest_mem_result_name(enum guest_mem_result r)
{
	static const char *const names[] = {
		[GUEST_MEM_OK] = "ok",
		[GUEST_MEM_ERR_RANGE] = "range wraps",
		[GUEST_MEM_ERR_BASTION] = "range touches Bastion's region",
		[GUEST_MEM_ERR_NOT_GUEST] = "page not accessible guest memory",
		[GUEST_MEM_ERR_FAULT] = "access faulted",
		[GUEST_MEM_ERR_BUSY] = "no mapping slot free",
		[GUEST_MEM_ERR_TOO_LARGE] = "range too large to map",
	};

	if ((size_t)r >= sizeof(names) / sizeof(names[0])) {
		return "unknown";
	}
	return names[r];
}
