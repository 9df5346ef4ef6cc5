/*
 * Kernel symbol table, for naming addresses in backtraces and fault reports.
 *
 * The table is generated at build time: syms sorted by addr ascending, each name_offset
 * indexing a NUL-terminated string inside names. Lookups never trust it blindly; a damaged
 * table yields "no symbol", never an out-of-bounds read, because a fault reporter must not
 * fault itself.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct ksym {
	uint64_t addr;
	uint32_t name_offset; /* into ksym_table.names */
	uint32_t reserved;
};

struct ksym_table {
	const struct ksym *syms; /* sorted by addr ascending */
	size_t count;
	const char *names; /* NUL-separated strings */
	size_t names_size; /* bytes in names */
	uint64_t text_start; /* addresses outside [text_start, text_end) have no symbol */
	uint64_t text_end;
};

/* The running kernel's table, emitted by the build's symbol script. */
extern const struct ksym_table ksyms_kernel;

/*
 * Finds the symbol containing addr: the last entry with sym.addr <= addr (the first of
 * several entries sharing that address). Returns its name and sets *offset to addr - sym.addr.
 * Returns NULL with *offset = 0 if t is NULL or empty, addr is outside
 * [text_start, text_end), addr is below the first symbol, or the entry's name does not lie,
 * NUL-terminated, within names. offset may be NULL when only the name is wanted.
 */
const char *ksyms_lookup(const struct ksym_table *t, uint64_t addr, uint64_t *offset);
