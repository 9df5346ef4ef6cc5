#include "mm/kernel_map.h"

#include "arch/x86/cpu.h"
#include "kernel/check.h"
#include "kernel/image_layout.h"
#include "kernel/layout.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "mm/page_alloc.h"
#include "mm/tempmap.h"

static struct pgtable kernel_pt;

static uint64_t page_round_up(uint64_t v)
{
	return (v + PAGE_MASK) & ~PAGE_MASK;
}

static void map_or_panic(const char *what, uint64_t va_start, uint64_t va_end, unsigned int prot,
			 bool allow_large)
{
	uint64_t start = va_start & ~PAGE_MASK;
	uint64_t end = page_round_up(va_end);
	enum pgtable_result r = PGTABLE_OK;

	if (end <= start) {
		return;
	}
	r = pgtable_map_range(&kernel_pt, vaddr_init(start),
			      paddr_init(layout_virt_to_gpa(start)), end - start, prot, 0,
			      allow_large);
	if (r != PGTABLE_OK) {
		panic("cannot map %s at 0x%lx: %s", what, start, pgtable_result_name(r));
	}
}

/* CPUID leaf 7, subleaf 0: EBX bit 7 SMEP, bit 20 SMAP, ECX bit 2 UMIP (APM vol 3, CPUID
 * Fn0000_0007). UMIP makes SGDT/SIDT/SLDT/SMSW/STR fault outside CPL0: Bastion runs at CPL0
 * only, so it costs nothing and closes a descriptor-table address leak should any code ever
 * run at CPL3 in Bastion's context. */
static void enable_protection_features(void)
{
	struct cpuid_regs r = cpu_cpuid(7, 0);
	uint64_t cr4 = cpu_read_cr4();

	if ((r.ebx & (1u << 7)) != 0) {
		cr4 |= CR4_SMEP;
	}
	if ((r.ebx & (1u << 20)) != 0) {
		cr4 |= CR4_SMAP;
	}
	if ((r.ecx & (1u << 2)) != 0) {
		cr4 |= CR4_UMIP;
	}
	cpu_write_cr4(cr4);
}

static bool ro_after_init_sealed;

void kernel_map_seal_ro_after_init(void)
{
	for (uint64_t va = layout_ro_after_init_start(); va < layout_ro_after_init_end();
	     va += PAGE_SIZE) {
		enum pgtable_result r = pgtable_protect(&kernel_pt, vaddr_init(va), PAGE_SIZE,
							PGTABLE_READ);

		if (r != PGTABLE_OK) {
			panic("cannot seal .ro_after_init at 0x%lx: %s", va, pgtable_result_name(r));
		}
		cpu_invlpg(va);
	}
	ro_after_init_sealed = true;
	if (kernel_map_verify() != 0) {
		panic("W^X or .ro_after_init violated after sealing: %u pages", kernel_map_verify());
	}
	LOG_INFO("page tables: .ro_after_init sealed (%lu pages read-only)",
		 (unsigned long)((layout_ro_after_init_end() - layout_ro_after_init_start()) /
				 PAGE_SIZE));
}

unsigned int kernel_map_verify(void)
{
	unsigned int bad = 0;

	for (uint64_t va = BASTION_VIRT_BASE; va < BASTION_VIRT_BASE + BASTION_REGION_SIZE;
	     va += PAGE_SIZE) {
		unsigned int prot = 0;
		bool in_text = va >= layout_text_start() && va < layout_text_end();
		bool in_rodata = va >= layout_rodata_start() && va < layout_rodata_end();
		bool in_roai = ro_after_init_sealed && va >= layout_ro_after_init_start() &&
			       va < layout_ro_after_init_end();

		if (!pgtable_lookup(&kernel_pt, vaddr_init(va), NULL, &prot, NULL)) {
			continue;
		}
		if (((prot & PGTABLE_WRITE) && (prot & PGTABLE_EXEC)) ||
		    (in_text && (prot & PGTABLE_WRITE)) ||
		    ((in_rodata || in_roai) && (prot & (PGTABLE_WRITE | PGTABLE_EXEC)))) {
			bad++;
		}
	}
	return bad;
}

void kernel_map_init(uint64_t enc_mask)
{
	struct page_pool *pool = page_alloc_kernel_pool();
	uint64_t free_start = page_round_up(layout_image_end());
	uint64_t region_end = BASTION_VIRT_BASE + BASTION_REGION_SIZE;

	if (pgtable_init(&kernel_pt, pool, enc_mask) != PGTABLE_OK) {
		panic("no memory for the kernel page tables");
	}
	map_or_panic("text", layout_text_start(), layout_text_end(), PGTABLE_READ | PGTABLE_EXEC,
		      false);
	map_or_panic("rodata", layout_rodata_start(), layout_rodata_end(), PGTABLE_READ, false);
	map_or_panic("ro_after_init", layout_ro_after_init_start(), layout_ro_after_init_end(),
		     PGTABLE_READ | PGTABLE_WRITE, false);
	map_or_panic("data", layout_data_start(), layout_image_end(), PGTABLE_READ | PGTABLE_WRITE,
		      false);
	/* The page below the stack stays unmapped: an overflow faults (#PF, then #DF on its
	 * own IST stack) instead of overwriting the boot page tables. */
	map_or_panic("boot stack", layout_boot_stack_bottom(), layout_boot_stack_top(),
		     PGTABLE_READ | PGTABLE_WRITE, false);
	map_or_panic("free memory", free_start, region_end, PGTABLE_READ | PGTABLE_WRITE, true);
	if (tempmap_init(&kernel_pt) != 0) {
		panic("no memory for the temporary mapping window");
	}
	pgtable_activate(&kernel_pt);
	enable_protection_features();
	if (kernel_map_verify() != 0) {
		panic("W^X violated in the live page tables: %u pages", kernel_map_verify());
	}
	LOG_INFO("page tables: W^X (verified), %lu table pages, SMEP %s, SMAP %s, UMIP %s",
		 kernel_pt.table_pages, (cpu_read_cr4() & CR4_SMEP) != 0 ? "on" : "off",
		 (cpu_read_cr4() & CR4_SMAP) != 0 ? "on" : "off",
		 (cpu_read_cr4() & CR4_UMIP) != 0 ? "on" : "off");
}

struct pgtable *kernel_map_pgtable(void)
{
	return &kernel_pt;
}
