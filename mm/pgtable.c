/*
 * 4-level page tables (APM vol 2, 5.3 and 5.4: PML4 -> PDPT -> PD -> PT; a PD entry with PS set
 * maps 2 MiB).
 */
#include "mm/pgtable.h"

#include "arch/x86/mmu.h"
#include "mm/page_alloc.h"

#define PGTABLE_ENTRIES 512
#define PGTABLE_LEVELS 4
#define PGTABLE_PROT_ALL (PGTABLE_READ | PGTABLE_WRITE | PGTABLE_EXEC)
#define PGTABLE_PA_LIMIT (1ull << 52)
/* Intermediate entries are permissive: the leaf alone decides W and NX. */
#define PGTABLE_TABLE_FLAGS (PTE_PRESENT | PTE_WRITE | PTE_ACCESSED)

/* Level 4 = PML4 ... level 1 = PT; index of va at that level. */
static unsigned int pgtable_index(uint64_t va, unsigned int level)
{
	return (unsigned int)((va >> (PAGE_SHIFT + 9 * (level - 1))) & (PGTABLE_ENTRIES - 1));
}

static bool va_canonical(uint64_t va)
{
	uint64_t top = va >> 47;

	return top == 0 || top == 0x1FFFF;
}

static uint64_t entry_pa(const struct pgtable *pt, uint64_t entry, uint64_t mask)
{
	return entry & mask & ~pt->enc_mask;
}

static uint64_t *table_va(const struct pgtable *pt, uint64_t entry)
{
	return page_pool_pa_to_va(pt->pool, paddr_init(entry_pa(pt, entry, PTE_ADDR_MASK)));
}

static uint64_t *table_alloc(struct pgtable *pt, uint64_t *entry_out)
{
	uint64_t *t = page_alloc(pt->pool, 0, PAGE_ALLOC_ZERO);

	if (t == NULL) {
		return NULL;
	}
	pt->table_pages++;
	*entry_out = paddr_get(page_pool_va_to_pa(pt->pool, t)) | pt->enc_mask | PGTABLE_TABLE_FLAGS |
		     (pt->nested ? PTE_USER : 0);
	return t;
}

static enum pgtable_result check_prot(const struct pgtable *pt, unsigned int prot)
{
	if ((prot & ~PGTABLE_PROT_ALL) != 0 || (prot & PGTABLE_READ) == 0) {
		return PGTABLE_ERR_PROT;
	}
	if (!pt->nested && (prot & PGTABLE_WRITE) != 0 && (prot & PGTABLE_EXEC) != 0) {
		return PGTABLE_ERR_PROT; /* W^X */
	}
	return PGTABLE_OK;
}

static unsigned int leaf_level(uint64_t page_size)
{
	if (page_size == PAGE_SIZE) {
		return 1;
	}
	if (page_size == HUGE_PAGE_SIZE) {
		return 2;
	}
	return 0;
}

/* The one place that builds a leaf: protection bits and the encryption bit. */
static uint64_t pgtable_leaf(const struct pgtable *pt, uint64_t pa, unsigned int level,
			     unsigned int prot, unsigned int flags)
{
	uint64_t e = pa | PTE_PRESENT | PTE_ACCESSED | PTE_DIRTY;

	if ((prot & PGTABLE_WRITE) != 0) {
		e |= PTE_WRITE;
	}
	if ((prot & PGTABLE_EXEC) == 0) {
		e |= PTE_NX;
	}
	if (level == 2) {
		e |= PTE_LARGE;
	}
	if (pt->nested) {
		e |= PTE_USER;
	}
	if ((flags & PGTABLE_SHARED) == 0) {
		e |= pt->enc_mask;
	}
	return e;
}

static unsigned int leaf_prot(uint64_t e)
{
	unsigned int prot = PGTABLE_READ;

	if ((e & PTE_WRITE) != 0) {
		prot |= PGTABLE_WRITE;
	}
	if ((e & PTE_NX) == 0) {
		prot |= PGTABLE_EXEC;
	}
	return prot;
}

/*
 * Finds the entry for va at target level, creating missing tables if create. Returns NULL with
 * *err set: NOMEM, MAPPED (a large leaf is in the way), NOT_MAPPED (missing and !create).
 */
static uint64_t *walk(struct pgtable *pt, uint64_t va, unsigned int target, bool create,
		      enum pgtable_result *err)
{
	uint64_t *table = pt->root;

	for (unsigned int level = PGTABLE_LEVELS; level > target; level--) {
		uint64_t *e = &table[pgtable_index(va, level)];

		if ((*e & PTE_PRESENT) == 0) {
			uint64_t new_entry = 0;

			if (!create) {
				*err = PGTABLE_ERR_NOT_MAPPED;
				return NULL;
			}
			table = table_alloc(pt, &new_entry);
			if (table == NULL) {
				*err = PGTABLE_ERR_NOMEM;
				return NULL;
			}
			*e = new_entry;
			continue;
		}
		if (level == 2 && (*e & PTE_LARGE) != 0) {
			*err = create ? PGTABLE_ERR_MAPPED : PGTABLE_ERR_SIZE;
			return NULL;
		}
		table = table_va(pt, *e);
	}
	return &table[pgtable_index(va, target)];
}

enum pgtable_result pgtable_init(struct pgtable *pt, struct page_pool *pool, uint64_t enc_mask)
{
	uint64_t unused = 0;

	pt->nested = false;
	pt->pool = pool;
	pt->enc_mask = enc_mask;
	pt->table_pages = 0;
	pt->root = table_alloc(pt, &unused);
	return pt->root == NULL ? PGTABLE_ERR_NOMEM : PGTABLE_OK;
}

static void free_level(struct pgtable *pt, uint64_t *table, unsigned int level)
{
	if (level > 1) {
		for (unsigned int i = 0; i < PGTABLE_ENTRIES; i++) {
			uint64_t e = table[i];

			if ((e & PTE_PRESENT) != 0 && !(level == 2 && (e & PTE_LARGE) != 0)) {
				free_level(pt, table_va(pt, e), level - 1);
			}
		}
	}
	page_free(pt->pool, table, 0);
	pt->table_pages--;
}

void pgtable_destroy(struct pgtable *pt)
{
	if (pt->root != NULL) {
		free_level(pt, pt->root, PGTABLE_LEVELS);
		pt->root = NULL;
	}
}

static enum pgtable_result check_map_args(const struct pgtable *pt, uint64_t va, uint64_t pa,
					  uint64_t page_size, unsigned int prot)
{
	enum pgtable_result r = check_prot(pt, prot);

	if (r != PGTABLE_OK) {
		return r;
	}
	if (leaf_level(page_size) == 0) {
		return PGTABLE_ERR_SIZE;
	}
	if (!va_canonical(va)) {
		return PGTABLE_ERR_NONCANONICAL;
	}
	if (!addr_is_aligned(va, page_size) || !addr_is_aligned(pa, page_size)) {
		return PGTABLE_ERR_ALIGN;
	}
	if (pa >= PGTABLE_PA_LIMIT || page_size > PGTABLE_PA_LIMIT - pa || (pa & pt->enc_mask) != 0) {
		return PGTABLE_ERR_BAD_PA;
	}
	return PGTABLE_OK;
}

enum pgtable_result pgtable_map(struct pgtable *pt, vaddr_t va, paddr_t pa, uint64_t page_size,
				unsigned int prot, unsigned int flags)
{
	enum pgtable_result r = check_map_args(pt, vaddr_get(va), paddr_get(pa), page_size, prot);
	unsigned int level = leaf_level(page_size);
	uint64_t *e = NULL;

	if (r != PGTABLE_OK) {
		return r;
	}
	e = walk(pt, vaddr_get(va), level, true, &r);
	if (e == NULL) {
		/* Tables created on the way stay (empty); they are reused by later mappings. */
		return r;
	}
	/* Also refuses a 2 MiB leaf over a page table (even an empty one) left by 4 KiB pages. */
	if ((*e & PTE_PRESENT) != 0) {
		return PGTABLE_ERR_MAPPED;
	}
	*e = pgtable_leaf(pt, paddr_get(pa), level, prot, flags);
	return PGTABLE_OK;
}

enum pgtable_result pgtable_map_range(struct pgtable *pt, vaddr_t va, paddr_t pa, uint64_t len,
				      unsigned int prot, unsigned int flags, bool allow_large)
{
	uint64_t done = 0;
	uint64_t end = 0;
	enum pgtable_result r = PGTABLE_OK;

	if (!addr_is_aligned(len, PAGE_SIZE) || !addr_range_end(vaddr_get(va), len, &end) ||
	    !addr_range_end(paddr_get(pa), len, &end)) {
		return PGTABLE_ERR_ALIGN;
	}
	while (done < len) {
		uint64_t v = vaddr_get(va) + done;
		uint64_t p = paddr_get(pa) + done;
		uint64_t size = PAGE_SIZE;

		if (allow_large && addr_is_aligned(v, HUGE_PAGE_SIZE) &&
		    addr_is_aligned(p, HUGE_PAGE_SIZE) && len - done >= HUGE_PAGE_SIZE) {
			size = HUGE_PAGE_SIZE;
		}
		r = pgtable_map(pt, vaddr_init(v), paddr_init(p), size, prot, flags);
		if (r != PGTABLE_OK) {
			break;
		}
		done += size;
	}
	if (r == PGTABLE_OK) {
		return PGTABLE_OK;
	}
	/* Roll back exactly what this call mapped. */
	for (uint64_t off = 0; off < done;) {
		uint64_t size = 0;

		if (!pgtable_lookup(pt, vaddr_add(va, off), NULL, NULL, &size)) {
			break;
		}
		(void)pgtable_unmap(pt, vaddr_add(va, off), size);
		off += size;
	}
	return r;
}

enum pgtable_result pgtable_unmap(struct pgtable *pt, vaddr_t va, uint64_t page_size)
{
	enum pgtable_result r = PGTABLE_OK;
	unsigned int level = leaf_level(page_size);
	uint64_t *e = NULL;

	if (level == 0) {
		return PGTABLE_ERR_SIZE;
	}
	if (!va_canonical(vaddr_get(va))) {
		return PGTABLE_ERR_NONCANONICAL;
	}
	if (!addr_is_aligned(vaddr_get(va), page_size)) {
		return PGTABLE_ERR_ALIGN;
	}
	e = walk(pt, vaddr_get(va), level, false, &r);
	if (e == NULL) {
		return r;
	}
	if ((*e & PTE_PRESENT) == 0) {
		return PGTABLE_ERR_NOT_MAPPED;
	}
	if (level == 2 && (*e & PTE_LARGE) == 0) {
		return PGTABLE_ERR_SIZE; /* 4 KiB pages live below: unmap those instead */
	}
	*e = 0;
	arch_tlb_flush_page(vaddr_get(va));
	return PGTABLE_OK;
}

enum pgtable_result pgtable_split_large(struct pgtable *pt, vaddr_t va)
{
	enum pgtable_result r = PGTABLE_OK;
	uint64_t *pd_entry = NULL;
	uint64_t *pt_page = NULL;
	uint64_t table_entry = 0;
	uint64_t large = 0;
	uint64_t base = 0;

	if (!va_canonical(vaddr_get(va)) || !addr_is_aligned(vaddr_get(va), HUGE_PAGE_SIZE)) {
		return PGTABLE_ERR_ALIGN;
	}
	/* Walk to the PD entry without treating the large leaf as an obstacle. */
	pd_entry = walk(pt, vaddr_get(va), 3, false, &r);
	if (pd_entry == NULL) {
		return r;
	}
	if ((*pd_entry & PTE_PRESENT) == 0) {
		return PGTABLE_ERR_NOT_MAPPED;
	}
	pd_entry = &table_va(pt, *pd_entry)[pgtable_index(vaddr_get(va), 2)];
	large = *pd_entry;
	if ((large & PTE_PRESENT) == 0) {
		return PGTABLE_ERR_NOT_MAPPED;
	}
	if ((large & PTE_LARGE) == 0) {
		return PGTABLE_ERR_SIZE;
	}
	pt_page = table_alloc(pt, &table_entry);
	if (pt_page == NULL) {
		return PGTABLE_ERR_NOMEM;
	}
	base = large & PTE_LARGE_ADDR_MASK; /* keeps the encryption bit when it lies in 51:21 */
	for (unsigned int i = 0; i < PGTABLE_ENTRIES; i++) {
		pt_page[i] = (large & ~(PTE_LARGE | PTE_LARGE_ADDR_MASK)) | (base + i * PAGE_SIZE);
	}
	*pd_entry = table_entry;
	arch_tlb_flush_all();
	return PGTABLE_OK;
}

enum pgtable_result pgtable_protect(struct pgtable *pt, vaddr_t va, uint64_t page_size,
				    unsigned int prot)
{
	enum pgtable_result r = check_prot(pt, prot);
	unsigned int level = leaf_level(page_size);
	uint64_t *e = NULL;
	uint64_t pa = 0;
	unsigned int flags = 0;

	if (r != PGTABLE_OK) {
		return r;
	}
	if (level == 0) {
		return PGTABLE_ERR_SIZE;
	}
	if (!va_canonical(vaddr_get(va)) || !addr_is_aligned(vaddr_get(va), page_size)) {
		return PGTABLE_ERR_ALIGN;
	}
	e = walk(pt, vaddr_get(va), level, false, &r);
	if (e == NULL) {
		return r;
	}
	if ((*e & PTE_PRESENT) == 0) {
		return PGTABLE_ERR_NOT_MAPPED;
	}
	if ((level == 2) != ((*e & PTE_LARGE) != 0)) {
		return PGTABLE_ERR_SIZE;
	}
	pa = entry_pa(pt, *e, level == 2 ? PTE_LARGE_ADDR_MASK : PTE_ADDR_MASK);
	flags = (*e & pt->enc_mask) == 0 && pt->enc_mask != 0 ? PGTABLE_SHARED : 0;
	*e = pgtable_leaf(pt, pa, level, prot, flags);
	arch_tlb_flush_page(vaddr_get(va));
	return PGTABLE_OK;
}

bool pgtable_lookup(const struct pgtable *pt, vaddr_t va, paddr_t *pa, unsigned int *prot,
		    uint64_t *page_size)
{
	const uint64_t *table = pt->root;
	uint64_t v = vaddr_get(va);

	if (!va_canonical(v)) {
		return false;
	}
	for (unsigned int level = PGTABLE_LEVELS; level >= 1; level--) {
		uint64_t e = table[pgtable_index(v, level)];

		if ((e & PTE_PRESENT) == 0) {
			return false;
		}
		if (level == 1 || (level == 2 && (e & PTE_LARGE) != 0)) {
			uint64_t size = level == 1 ? PAGE_SIZE : HUGE_PAGE_SIZE;
			uint64_t mask = level == 1 ? PTE_ADDR_MASK : PTE_LARGE_ADDR_MASK;

			if (pa != NULL) {
				*pa = paddr_init(entry_pa(pt, e, mask) | (v & (size - 1)));
			}
			if (prot != NULL) {
				*prot = leaf_prot(e);
			}
			if (page_size != NULL) {
				*page_size = size;
			}
			return true;
		}
		table = table_va(pt, e);
	}
	return false;
}

enum pgtable_result pgtable_init_nested(struct pgtable *pt, struct page_pool *pool,
					uint64_t enc_mask)
{
	enum pgtable_result r = pgtable_init(pt, pool, enc_mask);

	pt->nested = true;
	return r;
}

uint64_t pgtable_root_cr3(const struct pgtable *pt)
{
	return paddr_get(page_pool_va_to_pa(pt->pool, pt->root)) | pt->enc_mask;
}

void pgtable_activate(const struct pgtable *pt)
{
	arch_write_cr3(pgtable_root_cr3(pt));
}

const char *pgtable_result_name(enum pgtable_result r)
{
	static const char *const names[] = {
		[PGTABLE_OK] = "ok",
		[PGTABLE_ERR_NOMEM] = "out of memory for page tables",
		[PGTABLE_ERR_ALIGN] = "misaligned address",
		[PGTABLE_ERR_SIZE] = "page size mismatch",
		[PGTABLE_ERR_PROT] = "invalid protection (W^X)",
		[PGTABLE_ERR_NONCANONICAL] = "non-canonical address",
		[PGTABLE_ERR_BAD_PA] = "physical address out of range",
		[PGTABLE_ERR_MAPPED] = "already mapped",
		[PGTABLE_ERR_NOT_MAPPED] = "not mapped",
	};

	if ((size_t)r >= sizeof(names) / sizeof(names[0])) {
		return "unknown";
	}
	return names[r];
}
