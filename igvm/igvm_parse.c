/*
 * Validating IGVM parser. Rules and their order are documented in igvm/README.md; the facts
 * behind them are in the ABI reference, section 5.
 *
 * Robustness rules for this file: every file access goes through a bounds check against
 * file size computed in 64-bit arithmetic (all on-disk sizes are at most 32 bits wide, or are
 * checked against UINT64_MAX before adding), and bookkeeping tables grow on demand so a file
 * full of headers costs memory proportional to its size, never quadratic time.
 */
#include "igvm/igvm_parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/crc32.h"

/* ---- Header type table (ABI 5.3, 5.4). ---- */

struct vht_info {
	uint32_t type;
	const char *name;
	uint32_t length;  /* structure length; 0 for types this parser does not accept */
	bool parameter;   /* uses the PARAMETER structure to fill a parameter area */
	uint32_t min_size; /* bytes the loader writes at byte_offset (parameters only) */
};

static const struct vht_info vht_table[] = {
	{ IGVM_VHT_SUPPORTED_PLATFORM, "SUPPORTED_PLATFORM", IGVM_SUPPORTED_PLATFORM_LEN, false, 0 },
	{ IGVM_VHT_GUEST_POLICY, "GUEST_POLICY", IGVM_GUEST_POLICY_LEN, false, 0 },
	{ IGVM_VHT_RELOCATABLE_REGION, "RELOCATABLE_REGION", 0, false, 0 },
	{ IGVM_VHT_PAGE_TABLE_RELOCATION_REGION, "PAGE_TABLE_RELOCATION_REGION", 0, false, 0 },
	{ IGVM_VHT_CORIM_DOCUMENT, "CORIM_DOCUMENT", 0, false, 0 },
	{ IGVM_VHT_CORIM_SIGNATURE, "CORIM_SIGNATURE", 0, false, 0 },
	{ IGVM_VHT_CCA_POLICY, "CCA_POLICY", 0, false, 0 },
	{ IGVM_VHT_PARAMETER_AREA, "PARAMETER_AREA", IGVM_PARAMETER_AREA_LEN, false, 0 },
	{ IGVM_VHT_PAGE_DATA, "PAGE_DATA", IGVM_PAGE_DATA_LEN, false, 0 },
	{ IGVM_VHT_PARAMETER_INSERT, "PARAMETER_INSERT", IGVM_PARAMETER_INSERT_LEN, false, 0 },
	{ IGVM_VHT_VP_CONTEXT, "VP_CONTEXT", IGVM_VP_CONTEXT_LEN, false, 0 },
	{ IGVM_VHT_REQUIRED_MEMORY, "REQUIRED_MEMORY", IGVM_REQUIRED_MEMORY_LEN, false, 0 },
	{ IGVM_VHT_VP_COUNT_PARAMETER, "VP_COUNT_PARAMETER", IGVM_PARAMETER_LEN, true, 4 },
	{ IGVM_VHT_SRAT, "SRAT", IGVM_PARAMETER_LEN, true, 1 },
	{ IGVM_VHT_MADT, "MADT", IGVM_PARAMETER_LEN, true, 1 },
	{ IGVM_VHT_MMIO_RANGES, "MMIO_RANGES", IGVM_PARAMETER_LEN, true, 1 },
	{ IGVM_VHT_SNP_ID_BLOCK, "SNP_ID_BLOCK", 0, false, 0 },
	{ IGVM_VHT_MEMORY_MAP, "MEMORY_MAP", IGVM_PARAMETER_LEN, true, 1 },
	{ IGVM_VHT_ERROR_RANGE, "ERROR_RANGE", 0, false, 0 },
	{ IGVM_VHT_COMMAND_LINE, "COMMAND_LINE", IGVM_PARAMETER_LEN, true, 1 },
	{ IGVM_VHT_SLIT, "SLIT", IGVM_PARAMETER_LEN, true, 1 },
	{ IGVM_VHT_PPTT, "PPTT", IGVM_PARAMETER_LEN, true, 1 },
	{ IGVM_VHT_VBS_MEASUREMENT, "VBS_MEASUREMENT", 0, false, 0 },
	{ IGVM_VHT_DEVICE_TREE, "DEVICE_TREE", IGVM_PARAMETER_LEN, true, 1 },
	{ IGVM_VHT_ENVIRONMENT_INFO_PARAMETER, "ENVIRONMENT_INFO_PARAMETER", IGVM_PARAMETER_LEN, true, 4 },
};

/* Looks type up in vht_table. Returns the entry or NULL for a type the spec does not define. */
static const struct vht_info *vht_lookup(uint32_t type)
{
	for (size_t i = 0; i < sizeof(vht_table) / sizeof(vht_table[0]); i++) {
		if (vht_table[i].type == type) {
			return &vht_table[i];
		}
	}
	return NULL;
}

/* See igvm_parse.h: name of a header type, "UNKNOWN" if undefined. */
const char *igvm_header_type_name(uint32_t type)
{
	const struct vht_info *info = vht_lookup(type);

	return info != NULL ? info->name : "UNKNOWN";
}

/* See igvm_parse.h: name of a platform type, "UNKNOWN" if undefined. */
const char *igvm_platform_type_name(uint8_t platform_type)
{
	switch (platform_type) {
	case IGVM_PLATFORM_NATIVE:
		return "NATIVE";
	case IGVM_PLATFORM_VSM_ISOLATION:
		return "VSM_ISOLATION";
	case IGVM_PLATFORM_SEV_SNP:
		return "SEV_SNP";
	case IGVM_PLATFORM_TDX:
		return "TDX";
	default:
		return "UNKNOWN";
	}
}

/* See igvm_parse.h: name of a PAGE_DATA data type, "UNKNOWN" if undefined. */
const char *igvm_page_data_type_name(uint16_t data_type)
{
	switch (data_type) {
	case IGVM_PAGE_DATA_TYPE_NORMAL:
		return "NORMAL";
	case IGVM_PAGE_DATA_TYPE_SECRETS:
		return "SECRETS";
	case IGVM_PAGE_DATA_TYPE_CPUID_DATA:
		return "CPUID_DATA";
	case IGVM_PAGE_DATA_TYPE_CPUID_XF:
		return "CPUID_XF";
	default:
		return "UNKNOWN";
	}
}

/* Header class: 0 platform, 1 initialization, 2 directive, -1 none (ABI 5.2). */
static int vht_class(uint32_t type)
{
	if (type >= IGVM_VHT_RANGE_PLATFORM_START && type <= IGVM_VHT_RANGE_PLATFORM_END) {
		return 0;
	}
	if (type >= IGVM_VHT_RANGE_INIT_START && type <= IGVM_VHT_RANGE_INIT_END) {
		return 1;
	}
	if (type >= IGVM_VHT_RANGE_DIRECTIVE_START && type <= IGVM_VHT_RANGE_DIRECTIVE_END) {
		return 2;
	}
	return -1;
}

static const char *const vht_class_names[] = { "platform", "initialization", "directive" };

/* ---- A small open-addressing hash map from u64 keys to bookkeeping values. ---- */

struct pmap_slot {
	uint64_t key;
	uint64_t value;   /* area size / cumulative platform mask */
	uint32_t index;   /* header index that created the entry */
	uint32_t aux;     /* area: header index of the insert + 1, or 0 while not inserted */
	bool used;
};

struct pmap {
	struct pmap_slot *slots;
	size_t cap; /* power of two, or 0 */
	size_t count;
};

/* Mixes a key into a slot number (splitmix64 finalizer: keys are often page aligned). */
static size_t pmap_hash(uint64_t key, size_t cap)
{
	key ^= key >> 30;
	key *= 0xBF58476D1CE4E5B9ull;
	key ^= key >> 27;
	key *= 0x94D049BB133111EBull;
	key ^= key >> 31;
	return (size_t)key & (cap - 1);
}

/* Returns the slot holding key, or NULL if absent. */
static struct pmap_slot *pmap_find(struct pmap *m, uint64_t key)
{
	if (m->cap == 0) {
		return NULL;
	}
	for (size_t i = pmap_hash(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (!m->slots[i].used) {
			return NULL;
		}
		if (m->slots[i].key == key) {
			return &m->slots[i];
		}
	}
}

/* Doubles the table (or creates it). Returns 0, or -1 when out of memory. */
static int pmap_grow(struct pmap *m)
{
	size_t new_cap = m->cap == 0 ? 64 : m->cap * 2;
	struct pmap_slot *slots = calloc(new_cap, sizeof(*slots));

	if (slots == NULL) {
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (m->slots[i].used) {
			size_t j = pmap_hash(m->slots[i].key, new_cap);

			while (slots[j].used) {
				j = (j + 1) & (new_cap - 1);
			}
			slots[j] = m->slots[i];
		}
	}
	free(m->slots);
	m->slots = slots;
	m->cap = new_cap;
	return 0;
}

/* Adds key (which must be absent) with a zeroed value. Returns the slot, or NULL if OOM. */
static struct pmap_slot *pmap_add(struct pmap *m, uint64_t key)
{
	size_t i;

	if ((m->count + 1) * 2 > m->cap && pmap_grow(m) != 0) {
		return NULL;
	}
	i = pmap_hash(key, m->cap);
	while (m->slots[i].used) {
		i = (i + 1) & (m->cap - 1);
	}
	memset(&m->slots[i], 0, sizeof(m->slots[i]));
	m->slots[i].key = key;
	m->slots[i].used = true;
	m->count++;
	return &m->slots[i];
}

/* Frees the table of m and leaves it empty. No errors. */
static void pmap_free(struct pmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = 0;
	m->count = 0;
}

/* ---- Parser state and error reporting. ---- */

struct parse_ctx {
	const uint8_t *data;
	size_t size;
	struct igvm_file *file;
	struct igvm_error *err;
	uint64_t data_region;   /* first byte after the variable headers */
	uint32_t policy_mask;   /* platforms that already have a GUEST_POLICY */
	struct pmap areas;      /* parameter area index -> size, insert state */
	struct pmap pages;      /* PAGE_DATA gpa -> cumulative mask */
	struct pmap vps;        /* VP index -> cumulative mask */
};

/* The header being checked: where it is and what it is called, for messages. */
struct parse_hdr {
	uint32_t index;
	uint64_t offset; /* TLV offset */
	const char *name;
	const uint8_t *body;
};

/* Records the error at offset with a printf-style reason. Always returns -1. */
static int __attribute__((format(printf, 3, 4))) parse_fail(struct parse_ctx *c, uint64_t offset,
							     const char *fmt, ...)
{
	va_list ap;

	c->err->offset = offset;
	va_start(ap, fmt);
	vsnprintf(c->err->reason, sizeof(c->err->reason), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Records an error in header h; field is the byte offset of the offending field inside the
 * structure (after the TLV prefix). The reason is prefixed with "header N (NAME): ".
 */
static int __attribute__((format(printf, 4, 5))) hdr_fail(struct parse_ctx *c, const struct parse_hdr *h,
							   uint32_t field, const char *fmt, ...)
{
	va_list ap;
	int n;

	c->err->offset = h->offset + IGVM_VH_TLV_SIZE + field;
	n = snprintf(c->err->reason, sizeof(c->err->reason), "header %u (%s): ", h->index, h->name);
	if (n < 0 || (size_t)n >= sizeof(c->err->reason)) {
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(c->err->reason + n, sizeof(c->err->reason) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Number of set bits in a 32-bit mask. */
static unsigned int popcount32(uint32_t v)
{
	unsigned int n = 0;

	while (v != 0) {
		v &= v - 1;
		n++;
	}
	return n;
}

/* A compatibility mask must be non-zero and name only declared platforms (ABI 5.4). */
static int check_mask(struct parse_ctx *c, const struct parse_hdr *h, uint32_t field, uint32_t mask)
{
	uint32_t unknown = mask & ~c->file->platform_mask;

	if (mask == 0) {
		return hdr_fail(c, h, field, "compatibility mask is zero");
	}
	if (unknown != 0) {
		return hdr_fail(c, h, field,
				"compatibility mask 0x%x names platform bits 0x%x that no SUPPORTED_PLATFORM declares",
				mask, unknown);
	}
	return 0;
}

/* file_offset data [off, off + len) must lie in the data region after the variable headers. */
static bool in_data_region(const struct parse_ctx *c, uint32_t off, uint64_t len)
{
	return off >= c->data_region && len <= c->size && (uint64_t)off <= c->size - len;
}

/* Bitmask of all platform types present in mask (bit t for platform type t). */
static uint32_t mask_platform_types(const struct parse_ctx *c, uint32_t mask)
{
	uint32_t types = 0;

	for (uint32_t i = 0; i < c->file->platform_count; i++) {
		if ((c->file->platforms[i].mask & mask) != 0 && c->file->platforms[i].platform_type < 32) {
			types |= 1u << c->file->platforms[i].platform_type;
		}
	}
	return types;
}

/* ---- Per-type checks. Each returns 0 or -1 (error recorded). ---- */

static int check_supported_platform(struct parse_ctx *c, const struct parse_hdr *h)
{
	struct igvm_supported_platform s;
	struct igvm_file *f = c->file;
	struct igvm_platform *p;

	igvm_decode_supported_platform(h->body, &s);
	if (popcount32(s.compatibility_mask) != 1) {
		return hdr_fail(c, h, 0x0, "compatibility mask 0x%x must have exactly one bit set",
				s.compatibility_mask);
	}
	for (uint32_t i = 0; i < f->platform_count; i++) {
		if (f->platforms[i].mask == s.compatibility_mask) {
			return hdr_fail(c, h, 0x0, "compatibility mask 0x%x is already used by header %u",
					s.compatibility_mask, f->platforms[i].header_index);
		}
	}
	if (s.platform_type > IGVM_PLATFORM_TDX) {
		return hdr_fail(c, h, 0x5, "unknown platform type %u", s.platform_type);
	}
	for (uint32_t i = 0; i < f->platform_count; i++) {
		if (f->platforms[i].platform_type == s.platform_type) {
			return hdr_fail(c, h, 0x5, "platform type %s is already declared by header %u",
					igvm_platform_type_name(s.platform_type), f->platforms[i].header_index);
		}
	}
	if (s.platform_version != IGVM_PLATFORM_VERSION_1) {
		return hdr_fail(c, h, 0x6, "unsupported platform version %u for %s (expected 1)",
				s.platform_version, igvm_platform_type_name(s.platform_type));
	}
	if (s.highest_vtl != 0 && s.highest_vtl != 2) {
		return hdr_fail(c, h, 0x4, "highest_vtl %u is not 0 or 2", s.highest_vtl);
	}
	if (s.platform_type == IGVM_PLATFORM_NATIVE && s.shared_gpa_boundary != 0) {
		return hdr_fail(c, h, 0x8, "NATIVE platform must have shared_gpa_boundary 0, found 0x%llx",
				(unsigned long long)s.shared_gpa_boundary);
	}
	/* Unique single bits make overflow of the 32-entry table impossible; keep the guard. */
	if (f->platform_count >= IGVM_MAX_PLATFORMS) {
		return hdr_fail(c, h, 0x0, "too many platforms");
	}
	p = &f->platforms[f->platform_count++];
	p->mask = s.compatibility_mask;
	p->platform_type = s.platform_type;
	p->highest_vtl = s.highest_vtl;
	p->platform_version = s.platform_version;
	p->shared_gpa_boundary = s.shared_gpa_boundary;
	p->header_index = h->index;
	p->header_offset = (uint32_t)h->offset;
	f->platform_mask |= s.compatibility_mask;
	return 0;
}

/* GUEST_POLICY rules (ABI 5.4). Inputs: c, h. Returns 0, or -1 with the error recorded. */
static int check_guest_policy(struct parse_ctx *c, const struct parse_hdr *h)
{
	struct igvm_guest_policy s;
	uint32_t snp_mask = 0;

	igvm_decode_guest_policy(h->body, &s);
	if (check_mask(c, h, 0x8, s.compatibility_mask) != 0) {
		return -1;
	}
	for (uint32_t i = 0; i < c->file->platform_count; i++) {
		if (c->file->platforms[i].platform_type == IGVM_PLATFORM_SEV_SNP) {
			snp_mask |= c->file->platforms[i].mask;
		}
	}
	if ((s.compatibility_mask & ~snp_mask) != 0) {
		return hdr_fail(c, h, 0x8, "GUEST_POLICY applies only to SEV_SNP platforms; mask 0x%x includes non-SNP bits 0x%x",
				s.compatibility_mask, s.compatibility_mask & ~snp_mask);
	}
	if ((s.policy & IGVM_SNP_POLICY_RESERVED_MBO) == 0) {
		return hdr_fail(c, h, 0x0, "SNP policy 0x%llx lacks bit 17, which is reserved and must be 1",
				(unsigned long long)s.policy);
	}
	if (s.reserved != 0) {
		return hdr_fail(c, h, 0xC, "reserved field is 0x%x, must be 0", s.reserved);
	}
	if ((c->policy_mask & s.compatibility_mask) != 0) {
		return hdr_fail(c, h, 0x8, "a GUEST_POLICY for platform mask 0x%x was already given",
				c->policy_mask & s.compatibility_mask);
	}
	c->policy_mask |= s.compatibility_mask;
	return 0;
}

/* PARAMETER_AREA rules; records the area. Inputs: c, h. Returns 0, or -1 (error recorded). */
static int check_parameter_area(struct parse_ctx *c, const struct parse_hdr *h)
{
	struct igvm_parameter_area s;
	struct pmap_slot *slot;

	igvm_decode_parameter_area(h->body, &s);
	if (s.number_of_bytes == 0 || s.number_of_bytes % IGVM_PAGE_SIZE != 0) {
		return hdr_fail(c, h, 0x0, "size 0x%llx is not a non-zero multiple of 4 KiB",
				(unsigned long long)s.number_of_bytes);
	}
	slot = pmap_find(&c->areas, s.parameter_area_index);
	if (slot != NULL) {
		return hdr_fail(c, h, 0x8, "parameter area index %u is already declared by header %u",
				s.parameter_area_index, slot->index);
	}
	if (s.file_offset != 0 && !in_data_region(c, s.file_offset, s.number_of_bytes)) {
		return hdr_fail(c, h, 0xC,
				"initial data at file offset 0x%x+0x%llx is not inside the file data region 0x%llx..0x%zx",
				s.file_offset, (unsigned long long)s.number_of_bytes,
				(unsigned long long)c->data_region, c->size);
	}
	slot = pmap_add(&c->areas, s.parameter_area_index);
	if (slot == NULL) {
		return hdr_fail(c, h, 0x0, "out of memory");
	}
	slot->value = s.number_of_bytes;
	slot->index = h->index;
	return 0;
}

/*
 * Looks up a parameter area that a parameter or insert names: it must be declared and not yet
 * inserted. field is the offset of the index field for the error report.
 */
static int find_open_area(struct parse_ctx *c, const struct parse_hdr *h, uint32_t field, uint32_t area_index,
			  struct pmap_slot **out)
{
	struct pmap_slot *slot = pmap_find(&c->areas, area_index);

	if (slot == NULL) {
		return hdr_fail(c, h, field, "parameter area %u is not declared by an earlier PARAMETER_AREA",
				area_index);
	}
	if (slot->aux != 0) {
		return hdr_fail(c, h, field, "parameter area %u was already inserted by header %u and can no longer be used",
				area_index, slot->aux - 1);
	}
	*out = slot;
	return 0;
}

/* PARAMETER-user rules (area open, byte_offset inside). Returns 0, or -1 (error recorded). */
static int check_parameter(struct parse_ctx *c, const struct parse_hdr *h, const struct vht_info *info)
{
	struct igvm_parameter s;
	struct pmap_slot *slot;

	igvm_decode_parameter(h->body, &s);
	if (find_open_area(c, h, 0x0, s.parameter_area_index, &slot) != 0) {
		return -1;
	}
	if ((uint64_t)s.byte_offset + info->min_size > slot->value) {
		return hdr_fail(c, h, 0x4, "byte_offset 0x%x (+%u bytes) is outside parameter area %u (0x%llx bytes)",
				s.byte_offset, info->min_size, s.parameter_area_index,
				(unsigned long long)slot->value);
	}
	return 0;
}

/* PARAMETER_INSERT rules; consumes the area. Returns 0, or -1 (error recorded). */
static int check_parameter_insert(struct parse_ctx *c, const struct parse_hdr *h)
{
	struct igvm_parameter_insert s;
	struct pmap_slot *slot;

	igvm_decode_parameter_insert(h->body, &s);
	if (check_mask(c, h, 0x8, s.compatibility_mask) != 0) {
		return -1;
	}
	if (s.gpa % IGVM_PAGE_SIZE != 0) {
		return hdr_fail(c, h, 0x0, "gpa 0x%llx is not 4 KiB aligned", (unsigned long long)s.gpa);
	}
	if (find_open_area(c, h, 0xC, s.parameter_area_index, &slot) != 0) {
		return -1;
	}
	if (s.gpa > UINT64_MAX - (slot->value - 1)) {
		return hdr_fail(c, h, 0x0, "gpa 0x%llx + area size 0x%llx overflows", (unsigned long long)s.gpa,
				(unsigned long long)slot->value);
	}
	slot->aux = h->index + 1;
	return 0;
}

/* PAGE_DATA rules incl. duplicate GPAs per platform. Returns 0, or -1 (error recorded). */
static int check_page_data(struct parse_ctx *c, const struct parse_hdr *h)
{
	struct igvm_page_data s;
	struct pmap_slot *slot;

	igvm_decode_page_data(h->body, &s);
	if (check_mask(c, h, 0x8, s.compatibility_mask) != 0) {
		return -1;
	}
	if (s.gpa % IGVM_PAGE_SIZE != 0) {
		return hdr_fail(c, h, 0x0, "gpa 0x%llx is not 4 KiB aligned", (unsigned long long)s.gpa);
	}
	if ((s.flags & IGVM_PAGE_FLAG_IS_2MB) != 0) {
		return hdr_fail(c, h, 0x10, "flags 0x%x: 2 MiB pages (bit 0) are not supported", s.flags);
	}
	if ((s.flags & ~IGVM_PAGE_FLAGS_SUPPORTED) != 0) {
		return hdr_fail(c, h, 0x10, "flags 0x%x has undefined bits 0x%x", s.flags,
				s.flags & ~IGVM_PAGE_FLAGS_SUPPORTED);
	}
	if (s.data_type > IGVM_PAGE_DATA_TYPE_MAX) {
		return hdr_fail(c, h, 0x14, "unknown data type %u", s.data_type);
	}
	if (s.reserved != 0) {
		return hdr_fail(c, h, 0x16, "reserved field is 0x%x, must be 0", s.reserved);
	}
	if (s.file_offset != 0 && !in_data_region(c, s.file_offset, IGVM_PAGE_SIZE)) {
		return hdr_fail(c, h, 0xC, "page data at file offset 0x%x+0x1000 is not inside the file data region 0x%llx..0x%zx",
				s.file_offset, (unsigned long long)c->data_region, c->size);
	}
	slot = pmap_find(&c->pages, s.gpa);
	if (slot != NULL && (slot->value & s.compatibility_mask) != 0) {
		return hdr_fail(c, h, 0x0, "GPA 0x%llx is already loaded by header %u for platform mask 0x%x",
				(unsigned long long)s.gpa, slot->index,
				(uint32_t)slot->value & s.compatibility_mask);
	}
	if (slot == NULL) {
		slot = pmap_add(&c->pages, s.gpa);
		if (slot == NULL) {
			return hdr_fail(c, h, 0x0, "out of memory");
		}
		slot->index = h->index;
	}
	slot->value |= s.compatibility_mask;
	return 0;
}

/* VP_CONTEXT rules (data, GPA per platform type, one per VP). Returns 0, or -1 (error recorded). */
static int check_vp_context(struct parse_ctx *c, const struct parse_hdr *h)
{
	struct igvm_vp_context s;
	struct pmap_slot *slot;
	uint32_t types;

	igvm_decode_vp_context(h->body, &s);
	if (check_mask(c, h, 0x8, s.compatibility_mask) != 0) {
		return -1;
	}
	if (s.reserved != 0) {
		return hdr_fail(c, h, 0x12, "reserved field is 0x%x, must be 0", s.reserved);
	}
	if (!in_data_region(c, s.file_offset, IGVM_PAGE_SIZE)) {
		return hdr_fail(c, h, 0xC, "context data at file offset 0x%x+0x1000 is not inside the file data region 0x%llx..0x%zx",
				s.file_offset, (unsigned long long)c->data_region, c->size);
	}
	types = mask_platform_types(c, s.compatibility_mask);
	if (popcount32(types) != 1) {
		return hdr_fail(c, h, 0x8, "compatibility mask 0x%x covers platforms of different types; a VP context has one format",
				s.compatibility_mask);
	}
	if (types == 1u << IGVM_PLATFORM_SEV_SNP && s.gpa != IGVM_SNP_VMSA_GPA) {
		return hdr_fail(c, h, 0x0, "SEV_SNP VP context (VMSA) must be at GPA 0xfffffffff000, which KVM hard-codes; found 0x%llx",
				(unsigned long long)s.gpa);
	}
	if (types == 1u << IGVM_PLATFORM_TDX) {
		return hdr_fail(c, h, 0x8, "TDX has an architectural reset state; VP contexts are invalid for it");
	}
	if (types == 1u << IGVM_PLATFORM_NATIVE) {
		const uint8_t *ctx = c->data + s.file_offset;

		if (s.gpa != 0) {
			return hdr_fail(c, h, 0x0, "NATIVE VP context must have gpa 0, found 0x%llx",
					(unsigned long long)s.gpa);
		}
		for (uint32_t i = IGVM_NATIVE_VP_CONTEXT_LEN; i < IGVM_PAGE_SIZE; i++) {
			if (ctx[i] != 0) {
				return parse_fail(c, (uint64_t)s.file_offset + i,
						  "header %u (VP_CONTEXT): native context data byte 0x%x is 0x%02x; everything past 0x%x must be zero",
						  h->index, i, ctx[i], IGVM_NATIVE_VP_CONTEXT_LEN);
			}
		}
	}
	slot = pmap_find(&c->vps, s.vp_index);
	if (slot != NULL && (slot->value & s.compatibility_mask) != 0) {
		return hdr_fail(c, h, 0x10, "VP %u already has a context for platform mask 0x%x (header %u)",
				s.vp_index, (uint32_t)slot->value & s.compatibility_mask, slot->index);
	}
	if (slot == NULL) {
		slot = pmap_add(&c->vps, s.vp_index);
		if (slot == NULL) {
			return hdr_fail(c, h, 0x0, "out of memory");
		}
		slot->index = h->index;
	}
	slot->value |= s.compatibility_mask;
	return 0;
}

/* REQUIRED_MEMORY rules. Inputs: c, h. Returns 0, or -1 with the error recorded. */
static int check_required_memory(struct parse_ctx *c, const struct parse_hdr *h)
{
	struct igvm_required_memory s;

	igvm_decode_required_memory(h->body, &s);
	if (check_mask(c, h, 0x8, s.compatibility_mask) != 0) {
		return -1;
	}
	if (s.gpa % IGVM_PAGE_SIZE != 0) {
		return hdr_fail(c, h, 0x0, "gpa 0x%llx is not 4 KiB aligned", (unsigned long long)s.gpa);
	}
	if (s.number_of_bytes == 0 || s.number_of_bytes % IGVM_PAGE_SIZE != 0) {
		return hdr_fail(c, h, 0xC, "size 0x%x is not a non-zero multiple of 4 KiB", s.number_of_bytes);
	}
	if (s.gpa > UINT64_MAX - (s.number_of_bytes - 1)) {
		return hdr_fail(c, h, 0x0, "gpa 0x%llx + size 0x%x overflows", (unsigned long long)s.gpa,
				s.number_of_bytes);
	}
	if ((s.flags & ~IGVM_REQUIRED_MEMORY_FLAG_VTL2_PROTECTABLE) != 0) {
		return hdr_fail(c, h, 0x10, "flags 0x%x has undefined bits", s.flags);
	}
	if (s.reserved != 0) {
		return hdr_fail(c, h, 0x14, "reserved field is 0x%x, must be 0", s.reserved);
	}
	return 0;
}

/* Dispatches the semantic checks for one header whose TLV is structurally sound. */
static int check_header(struct parse_ctx *c, const struct parse_hdr *h, const struct vht_info *info)
{
	if (info->parameter) {
		return check_parameter(c, h, info);
	}
	switch (info->type) {
	case IGVM_VHT_SUPPORTED_PLATFORM:
		return check_supported_platform(c, h);
	case IGVM_VHT_GUEST_POLICY:
		return check_guest_policy(c, h);
	case IGVM_VHT_PARAMETER_AREA:
		return check_parameter_area(c, h);
	case IGVM_VHT_PARAMETER_INSERT:
		return check_parameter_insert(c, h);
	case IGVM_VHT_PAGE_DATA:
		return check_page_data(c, h);
	case IGVM_VHT_VP_CONTEXT:
		return check_vp_context(c, h);
	case IGVM_VHT_REQUIRED_MEMORY:
		return check_required_memory(c, h);
	default:
		return hdr_fail(c, h, 0, "internal error: no checker");
	}
}

/* ---- Fixed header, TLV walk, checksum. ---- */

static int parse_fixed_header(struct parse_ctx *c)
{
	struct igvm_fixed_header *fh = &c->file->fixed;
	uint64_t vh_end;

	if (c->size < IGVM_FIXED_HEADER_SIZE) {
		return parse_fail(c, 0, "file too small: %zu bytes, the IGVM fixed header needs 0x%x",
				  c->size, IGVM_FIXED_HEADER_SIZE);
	}
	igvm_decode_fixed_header(c->data, fh);
	if (fh->magic != IGVM_MAGIC) {
		return parse_fail(c, 0x0, "bad magic 0x%08x, expected 0x%08x (\"IGVM\")", fh->magic, IGVM_MAGIC);
	}
	if (fh->format_version != IGVM_FORMAT_VERSION_1) {
		return parse_fail(c, 0x4, "unsupported format version %u", fh->format_version);
	}
	if (fh->variable_header_offset < IGVM_FIXED_HEADER_SIZE ||
	    fh->variable_header_offset % IGVM_TLV_ALIGN != 0) {
		return parse_fail(c, 0x8, "variable_header_offset 0x%x must be at least 0x%x and 8-byte aligned",
				  fh->variable_header_offset, IGVM_FIXED_HEADER_SIZE);
	}
	vh_end = (uint64_t)fh->variable_header_offset + fh->variable_header_size;
	if (vh_end > fh->total_file_size) {
		return parse_fail(c, 0xC, "variable header region 0x%x+0x%x ends past total_file_size 0x%x",
				  fh->variable_header_offset, fh->variable_header_size, fh->total_file_size);
	}
	if (c->size < fh->total_file_size) {
		return parse_fail(c, 0x10, "file truncated: header says %u bytes, file has %zu",
				  fh->total_file_size, c->size);
	}
	if (c->size > fh->total_file_size) {
		return parse_fail(c, 0x10, "file size mismatch: header says %u bytes, file has %zu",
				  fh->total_file_size, c->size);
	}
	c->data_region = vh_end;
	c->file->data_region_offset = (uint32_t)vh_end;
	return 0;
}

/* Walks the TLVs: fit, type, length, padding, class order, then per-type semantics. */
static int parse_variable_headers(struct parse_ctx *c)
{
	const struct igvm_fixed_header *fh = &c->file->fixed;
	uint64_t pos = fh->variable_header_offset;
	uint64_t end = c->data_region;
	uint32_t index = 0;
	int cls = 0;

	while (pos < end) {
		uint64_t remaining = end - pos;
		uint32_t type, length;
		uint64_t padded;
		const struct vht_info *info;
		struct parse_hdr h;
		int this_cls;

		if (remaining < IGVM_VH_TLV_SIZE) {
			return parse_fail(c, pos, "header %u: only %llu bytes left in the variable header region, a header needs 8",
					  index, (unsigned long long)remaining);
		}
		type = igvm_get_le32(c->data + pos);
		length = igvm_get_le32(c->data + pos + 4);
		if (length > remaining - IGVM_VH_TLV_SIZE) {
			return parse_fail(c, pos + 4, "header %u: length 0x%x runs past the variable header region (0x%llx bytes left)",
					  index, length, (unsigned long long)(remaining - IGVM_VH_TLV_SIZE));
		}
		info = vht_lookup(type);
		if (info == NULL) {
			return parse_fail(c, pos, "header %u: unknown header type 0x%x", index, type);
		}
		if (info->length == 0) {
			return parse_fail(c, pos, "header %u: unsupported header type 0x%x (%s)", index, type, info->name);
		}
		if (length != info->length) {
			return parse_fail(c, pos + 4, "header %u (%s): length %u, expected %u", index, info->name,
					  length, info->length);
		}
		padded = ((uint64_t)length + IGVM_TLV_ALIGN - 1) & ~(uint64_t)(IGVM_TLV_ALIGN - 1);
		if (padded > remaining - IGVM_VH_TLV_SIZE) {
			return parse_fail(c, pos + IGVM_VH_TLV_SIZE + length,
					  "header %u (%s): padding to 8 bytes runs past the variable header region",
					  index, info->name);
		}
		for (uint64_t i = length; i < padded; i++) {
			uint8_t b = c->data[pos + IGVM_VH_TLV_SIZE + i];

			if (b != 0) {
				return parse_fail(c, pos + IGVM_VH_TLV_SIZE + i,
						  "header %u (%s): padding byte is 0x%02x, must be 0", index,
						  info->name, b);
			}
		}
		this_cls = vht_class(type);
		if (this_cls < cls) {
			return parse_fail(c, pos, "header %u (%s): %s header after a %s header; IGVM requires platform, then initialization, then directive headers",
					  index, info->name, vht_class_names[this_cls], vht_class_names[cls]);
		}
		cls = this_cls;
		h.index = index;
		h.offset = pos;
		h.name = info->name;
		h.body = c->data + pos + IGVM_VH_TLV_SIZE;
		if (check_header(c, &h, info) != 0) {
			return -1;
		}
		pos += IGVM_VH_TLV_SIZE + padded;
		index++;
	}
	c->file->header_count = index;
	if (c->file->platform_count == 0) {
		return parse_fail(c, fh->variable_header_offset, "no SUPPORTED_PLATFORM header");
	}
	return 0;
}

/* See igvm_parse.h: IGVM checksum of a file image; 0, or -1 if the regions do not fit. */
int igvm_compute_checksum(const uint8_t *data, size_t size, uint32_t *checksum)
{
	uint8_t fixed[IGVM_FIXED_HEADER_SIZE];
	uint32_t off, len, state;

	if (size < IGVM_FIXED_HEADER_SIZE) {
		return -1;
	}
	off = igvm_get_le32(data + 0x08);
	len = igvm_get_le32(data + 0x0C);
	if ((uint64_t)off + len > size) {
		return -1;
	}
	memcpy(fixed, data, sizeof(fixed));
	igvm_put_le32(fixed + IGVM_FIXED_HEADER_CHECKSUM_OFFSET, 0);
	state = crc32_update(CRC32_INIT, fixed, sizeof(fixed));
	state = crc32_update(state, data + off, len);
	*checksum = crc32_final(state);
	return 0;
}

/* See igvm_parse.h: store the computed checksum; 0, or -1 if the regions do not fit. */
int igvm_update_checksum(uint8_t *data, size_t size)
{
	uint32_t sum;

	if (igvm_compute_checksum(data, size, &sum) != 0) {
		return -1;
	}
	igvm_put_le32(data + IGVM_FIXED_HEADER_CHECKSUM_OFFSET, sum);
	return 0;
}

/* See igvm_parse.h: full validation; 0, or -1 with the first error in *err. */
int igvm_parse(const uint8_t *data, size_t size, struct igvm_file *file, struct igvm_error *err)
{
	struct parse_ctx c;
	uint32_t sum = 0;
	int rc;

	memset(file, 0, sizeof(*file));
	memset(err, 0, sizeof(*err));
	memset(&c, 0, sizeof(c));
	c.data = data;
	c.size = data != NULL ? size : 0;
	c.file = file;
	c.err = err;
	file->data = data;
	file->size = c.size;

	rc = parse_fixed_header(&c);
	if (rc == 0) {
		rc = parse_variable_headers(&c);
	}
	if (rc == 0) {
		/* Last, so that corruption is reported by the structural check that names it. */
		(void)igvm_compute_checksum(data, size, &sum);
		if (sum != file->fixed.checksum) {
			rc = parse_fail(&c, IGVM_FIXED_HEADER_CHECKSUM_OFFSET,
					"checksum mismatch: stored 0x%08x, computed 0x%08x", file->fixed.checksum,
					sum);
		}
	}
	pmap_free(&c.areas);
	pmap_free(&c.pages);
	pmap_free(&c.vps);
	if (rc != 0 && err->reason[0] == '\0') {
		snprintf(err->reason, sizeof(err->reason), "invalid IGVM file");
	}
	return rc;
}

/* ---- Iteration over a validated file. ---- */

/* See igvm_parse.h: start iterating the headers of a validated file. No errors. */
void igvm_iter_init(struct igvm_iter *it, const struct igvm_file *file)
{
	it->file = file;
	it->pos = file->fixed.variable_header_offset;
	it->index = 0;
}

/* See igvm_parse.h: next header of a validated file; false at the end. */
bool igvm_iter_next(struct igvm_iter *it, struct igvm_header *hdr)
{
	const struct igvm_file *f = it->file;
	uint64_t end = (uint64_t)f->fixed.variable_header_offset + f->fixed.variable_header_size;
	const struct vht_info *info;
	uint64_t padded;

	if (end > f->size || it->pos >= end || end - it->pos < IGVM_VH_TLV_SIZE) {
		return false;
	}
	memset(hdr, 0, sizeof(*hdr));
	hdr->index = it->index;
	hdr->offset = (uint32_t)it->pos;
	hdr->type = igvm_get_le32(f->data + it->pos);
	hdr->length = igvm_get_le32(f->data + it->pos + 4);
	hdr->body = f->data + it->pos + IGVM_VH_TLV_SIZE;
	padded = ((uint64_t)hdr->length + IGVM_TLV_ALIGN - 1) & ~(uint64_t)(IGVM_TLV_ALIGN - 1);
	if (padded > end - it->pos - IGVM_VH_TLV_SIZE) {
		return false;
	}
	info = vht_lookup(hdr->type);
	if (info != NULL && info->length != 0 && hdr->length == info->length) {
		if (info->parameter) {
			igvm_decode_parameter(hdr->body, &hdr->u.parameter);
		} else {
			switch (hdr->type) {
			case IGVM_VHT_SUPPORTED_PLATFORM:
				igvm_decode_supported_platform(hdr->body, &hdr->u.platform);
				break;
			case IGVM_VHT_GUEST_POLICY:
				igvm_decode_guest_policy(hdr->body, &hdr->u.policy);
				break;
			case IGVM_VHT_PARAMETER_AREA:
				igvm_decode_parameter_area(hdr->body, &hdr->u.parameter_area);
				break;
			case IGVM_VHT_PAGE_DATA:
				igvm_decode_page_data(hdr->body, &hdr->u.page_data);
				break;
			case IGVM_VHT_PARAMETER_INSERT:
				igvm_decode_parameter_insert(hdr->body, &hdr->u.parameter_insert);
				break;
			case IGVM_VHT_VP_CONTEXT:
				igvm_decode_vp_context(hdr->body, &hdr->u.vp_context);
				break;
			case IGVM_VHT_REQUIRED_MEMORY:
				igvm_decode_required_memory(hdr->body, &hdr->u.required_memory);
				break;
			default:
				break;
			}
		}
	}
	it->pos += IGVM_VH_TLV_SIZE + padded;
	it->index++;
	return true;
}

/* See igvm_parse.h: bounds-checked pointer to file data, NULL if out of range or offset 0. */
const uint8_t *igvm_file_bytes(const struct igvm_file *file, uint32_t file_offset, size_t len)
{
	if (file_offset == 0 || len > file->size || file_offset > file->size - len) {
		return NULL;
	}
	return file->data + file_offset;
}

/* See igvm_parse.h: platform entry of a type, NULL if absent. */
const struct igvm_platform *igvm_find_platform(const struct igvm_file *file, uint8_t platform_type)
{
	for (uint32_t i = 0; i < file->platform_count; i++) {
		if (file->platforms[i].platform_type == platform_type) {
			return &file->platforms[i];
		}
	}
	return NULL;
}

/* ---- File reading helper for the CLI tools. ---- */

int igvm_read_file(const char *path, size_t max_size, uint8_t **data, size_t *size, char *err,
		   size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0;
	size_t cap = 0;

	*data = NULL;
	*size = 0;
	if (fp == NULL) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			size_t new_cap = cap == 0 ? 65536 : cap * 2;
			uint8_t *nb;

			if (cap > max_size) {
				snprintf(err, errlen, "file is larger than the limit of %zu bytes", max_size);
				goto fail;
			}
			nb = realloc(buf, new_cap);
			if (nb == NULL) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			buf = nb;
			cap = new_cap;
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (n == 0) {
			break;
		}
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "read error: %s", strerror(errno));
		goto fail;
	}
	if (len > max_size) {
		snprintf(err, errlen, "file is larger than the limit of %zu bytes", max_size);
		goto fail;
	}
	fclose(fp);
	*data = buf;
	*size = len;
	return 0;
fail:
	free(buf);
	fclose(fp);
	return -1;
}
