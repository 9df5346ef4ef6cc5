#include "mm/mm.h"

#include "arch/x86/snp_cpuid.h"
#include "kernel/firmware.h"
#include "kernel/image_layout.h"
#include "kernel/layout.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "mm/kernel_map.h"
#include "mm/page_alloc.h"
#include "mm/page_state.h"
#include "mm/slab.h"
#include "kernel/string.h"

static struct page_state vm_page_state;

static void *ledger_alloc(size_t size, void *ctx)
{
	(void)ctx;
	return kzalloc(size);
}

static void ledger_free(void *p, size_t size, void *ctx)
{
	(void)size;
	(void)ctx;
	kfree(p);
}

static enum page_state_result ledger_apply_4k(uint64_t base, uint64_t size,
					      enum page_state_op op)
{
	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		enum page_state_result r =
			page_state_apply(&vm_page_state, gpa_init(base + off), PAGE_SIZE_4K, op, 0);

		if (r != PS_OK) {
			return r;
		}
	}
	return PS_OK;
}

/* Applies op to [base, base + size): 2 MiB at a time where aligned, else 4 KiB. */
static enum page_state_result ledger_apply_range(uint64_t base, uint64_t size,
						 enum page_state_op op)
{
	uint64_t end = base + size;

	while (base < end) {
		enum page_size ps_size = PAGE_SIZE_4K;
		uint64_t step = PAGE_SIZE;
		enum page_state_result r = PS_OK;

		if (addr_is_aligned(base, HUGE_PAGE_SIZE) && end - base >= HUGE_PAGE_SIZE) {
			ps_size = PAGE_SIZE_2M;
			step = HUGE_PAGE_SIZE;
		}
		r = page_state_apply(&vm_page_state, gpa_init(base), ps_size, op, 0);
		if (r == PS_ERR_SIZE_MISMATCH && ps_size == PAGE_SIZE_2M) {
			/* A chunk that is not uniform (e.g. partly Bastion's): page by page. */
			r = ledger_apply_4k(base, HUGE_PAGE_SIZE, op);
		}
		if (r != PS_OK) {
			return r;
		}
		base += step;
	}
	return PS_OK;
}

/* The staging copy of the firmware (QEMU < 10.2) is not guest RAM: the guest sees those
 * bytes only at the firmware's own addresses. */
static enum page_state_result ledger_assign_firmware(const struct boot_memmap *map)
{
	const struct firmware_image *fw = firmware_image();

	if (!fw->present) {
		return PS_OK;
	}
	/* Native with stock QEMU: the staging copy in RAM. SNP: the image itself, measured and
	 * validated by the launch, when the memory map lists it as RAM (otherwise the ledger
	 * does not track it and the guest cannot name it in a PVALIDATE either). */
	if (fw->staged) {
		return ledger_apply_range(fw->backing, fw->size, PS_OP_ASSIGN_FIRMWARE);
	}
	if (boot_memmap_covers_ram(map, fw->gpa, fw->size)) {
		return ledger_apply_range(fw->gpa, fw->size, PS_OP_ASSIGN_FIRMWARE);
	}
	return PS_OK;
}

/* Validates every guest-owned page of [base, base + size); other owners are skipped. */
static enum page_state_result ledger_validate_guest(uint64_t base, uint64_t size)
{
	uint64_t end = base + size;

	while (base < end) {
		struct page_state_record rec;
		enum page_state_result r = PS_OK;

		if (addr_is_aligned(base, HUGE_PAGE_SIZE) && end - base >= HUGE_PAGE_SIZE &&
		    page_state_apply(&vm_page_state, gpa_init(base), PAGE_SIZE_2M, PS_OP_VALIDATE,
				     0) == PS_OK) {
			base += HUGE_PAGE_SIZE;
			continue;
		}
		r = page_state_get(&vm_page_state, gpa_init(base), &rec);
		if (r == PS_OK && page_state_record_owner(rec) == PS_OWNER_GUEST &&
		    !page_state_record_validated(rec)) {
			r = page_state_apply(&vm_page_state, gpa_init(base), PAGE_SIZE_4K,
					     PS_OP_VALIDATE, 0);
		}
		if (r != PS_OK) {
			return r;
		}
		base += PAGE_SIZE;
	}
	return PS_OK;
}

static void ledger_init(uint32_t platform_type, const struct boot_memmap *map)
{
	const struct page_state_callbacks cb = { .alloc = ledger_alloc, .free = ledger_free };
	struct page_state_stats stats;
	enum page_state_result r = page_state_init(&vm_page_state, map, &cb);

	if (r != PS_OK) {
		panic("page-state ledger: %s", page_state_result_name(r));
	}
	r = ledger_apply_range(BASTION_REGION_GPA, BASTION_REGION_SIZE, PS_OP_ASSIGN_BASTION);
	if (r != PS_OK) {
		panic("page-state ledger: assigning Bastion's region: %s", page_state_result_name(r));
	}
	r = ledger_assign_firmware(map);
	if (r != PS_OK) {
		panic("page-state ledger: assigning the firmware staging copy: %s",
		      page_state_result_name(r));
	}
	if (platform_type == BASTION_PLATFORM_NATIVE) {
		/* Nested paging maps guest RAM from the first instruction: it starts validated. */
		for (size_t i = 0; i < map->count && r == PS_OK; i++) {
			if (map->ranges[i].type == BOOT_MEM_RAM) {
				r = ledger_validate_guest(map->ranges[i].base, map->ranges[i].size);
			}
		}
		if (r != PS_OK) {
			panic("page-state ledger: validating guest RAM: %s", page_state_result_name(r));
		}
	}
	page_state_seal(&vm_page_state);
	page_state_stats(&vm_page_state, &stats);
	LOG_INFO("page-state ledger: %lu pages (%lu guest, %lu validated, %lu Bastion), %zu bytes",
		 stats.ram_pages, stats.guest_pages, stats.guest_validated_pages,
		 stats.bastion_pages, stats.top_bytes + stats.leaf_bytes);
}

/*
 * The encryption bit every private mapping carries: none natively; on SNP the C-bit from the
 * CPUID page, read (as a copy) while the boot tables still map it.
 */
static uint64_t mm_encryption_mask(uint32_t platform_type)
{
	static uint8_t cpuid_copy[SNP_CPUID_PAGE_SIZE];
	unsigned int bit = 0;

	if (platform_type != BASTION_PLATFORM_SNP) {
		return 0;
	}
	memcpy(cpuid_copy,
	       (const void *)(uintptr_t)(BASTION_VIRT_BASE + BASTION_SNP_CPUID_OFFSET),
	       sizeof(cpuid_copy));
	if (snp_cpuid_cbit(cpuid_copy, sizeof(cpuid_copy), &bit) != 0) {
		panic("SNP CPUID page has no usable leaf 0x8000001F");
	}
	return 1ull << bit;
}

void mm_init(uint32_t platform_type, const struct boot_memmap *map)
{
	struct page_pool_stats stats;
	uint64_t enc_mask = mm_encryption_mask(platform_type);

	if (page_alloc_kernel_init(paddr_init(layout_image_gpa_end()),
				   paddr_init(BASTION_REGION_GPA + BASTION_REGION_SIZE)) !=
	    PAGE_ALLOC_OK) {
		panic("page allocator: no usable free memory in Bastion's region");
	}
	slab_kernel_init(page_alloc_kernel_pool());
	kernel_map_init(enc_mask);
	ledger_init(platform_type, map);
	if (!firmware_verify()) {
		panic("firmware bytes do not match the measured descriptor");
	}
	page_pool_get_stats(page_alloc_kernel_pool(), &stats);
	LOG_INFO("memory: %lu KiB free of %lu KiB managed", stats.free_pages * 4,
		 stats.total_pages * 4);
}

struct page_state *mm_page_state(void)
{
	return &vm_page_state;
}
