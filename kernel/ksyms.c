/*
 * Kernel symbol lookup (see ksyms.h).
 */
#include "kernel/ksyms.h"
#include "kernel/string.h"

/* Returns the index of the first entry with sym.addr > addr (count if none). */
static size_t ksyms_upper_bound(const struct ksym_table *t, uint64_t addr)
{
	size_t lo = 0;
	size_t hi = t->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->syms[mid].addr <= addr) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/* Returns the index of the first entry with sym.addr >= addr (count if none). */
static size_t ksyms_lower_bound(const struct ksym_table *t, uint64_t addr)
{
	size_t lo = 0;
	size_t hi = t->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->syms[mid].addr < addr) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

const char *ksyms_lookup(const struct ksym_table *t, uint64_t addr, uint64_t *offset)
{
	const struct ksym *sym;
	size_t idx;
	size_t name_off;

	if (offset != NULL) {
		*offset = 0;
	}
	if (t == NULL || t->syms == NULL || t->count == 0 || t->names == NULL) {
		return NULL;
	}
	if (addr < t->text_start || addr >= t->text_end) {
		return NULL;
	}
	idx = ksyms_upper_bound(t, addr);
	if (idx == 0) {
		return NULL;
	}
	/* Aliases share an address: report the first, whichever one the bisection hit. */
	idx = ksyms_lower_bound(t, t->syms[idx - 1].addr);
	sym = &t->syms[idx];

	name_off = sym->name_offset;
	if (name_off >= t->names_size ||
	    bastion_strnlen(t->names + name_off, t->names_size - name_off) ==
		    t->names_size - name_off) {
		return NULL;
	}
	if (offset != NULL) {
		*offset = addr - sym->addr;
	}
	return t->names + name_off;
}
