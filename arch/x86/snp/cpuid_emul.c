/*
 * CPUID from the SNP CPUID page with Bastion's dynamic fixups (see cpuid_emul.h for the
 * rules and their sources: SEV-SNP firmware ABI "CPUID page", APM vol 3 "CPUID", SDM vol 1
 * 13.4 "XSAVE area").
 */
#include "arch/x86/snp/cpuid_emul.h"

#include "kernel/string.h"

#define PAGE_HEADER 16u
#define PAGE_ENTRY 48u
#define LEAF_HYP_BASE 0x40000000u
#define LEAF_EXT_BASE 0x80000000u
#define XSAVE_FIRST_EXTENDED 2u /* components 0 (x87) and 1 (SSE) live in the legacy region */
#define XSAVE_COMPONENTS 64u
#define XSAVE_ALIGN 64u
#define XSAVE_ECX_ALIGN64 (1u << 1) /* leaf 0xD/i ECX[1]: 64-byte aligned when compacted */
#define XSAVE_EAX_XSAVEC (1u << 1)  /* leaf 0xD/1 EAX[1] */
#define XSAVE_EAX_XSAVES (1u << 3)  /* leaf 0xD/1 EAX[3] */
#define LEAF1_ECX_OSXSAVE (1u << 27)
#define LEAF7_ECX_OSPKE (1u << 4)

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32);
}

static const struct cpuid_emul_entry *cpuid_find(const struct cpuid_emul_table *t,
						 uint32_t leaf, uint32_t subleaf);

/* EAX of a range's base leaf (its highest leaf) as the table answers it; 0 if absent. */
static uint32_t cpuid_base_max(const struct cpuid_emul_table *t, uint32_t base)
{
	const struct cpuid_emul_entry *e = cpuid_find(t, base, 0);

	return e != NULL ? e->out.eax : 0;
}

int cpuid_emul_init(struct cpuid_emul_table *t, const uint8_t *page, size_t len)
{
	uint32_t count = 0;

	bastion_memset(t, 0, sizeof(*t));
	if (len < PAGE_HEADER) {
		return -1;
	}
	count = rd32(page);
	if (count > SNP_CPUID_MAX_ENTRIES || (size_t)count * PAGE_ENTRY > len - PAGE_HEADER) {
		return -1;
	}
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *e = page + PAGE_HEADER + (size_t)i * PAGE_ENTRY;
		struct cpuid_emul_entry *d = &t->entries[i];

		d->eax_in = rd32(e);
		d->ecx_in = rd32(e + 4);
		d->xcr0_in = rd64(e + 8);
		d->xss_in = rd64(e + 16);
		d->out.eax = rd32(e + 24);
		d->out.ebx = rd32(e + 28);
		d->out.ecx = rd32(e + 32);
		d->out.edx = rd32(e + 36);
	}
	t->count = count;
	t->std_max = cpuid_base_max(t, 0);
	t->hyp_max = cpuid_base_max(t, LEAF_HYP_BASE);
	t->ext_max = cpuid_base_max(t, LEAF_EXT_BASE);
	t->ready = true;
	return 0;
}

bool cpuid_emul_leaf_indexed(uint32_t leaf)
{
	switch (leaf) {
	case 0x4:
	case 0x7:
	case 0xB:
	case 0xD:
	case 0xF:
	case 0x10:
	case 0x12:
	case 0x14:
	case 0x17:
	case 0x18:
	case 0x1D:
	case 0x1E:
	case 0x1F:
	case 0x24:
	case 0x8000001D:
		return true;
	default:
		return false;
	}
}

/* The table entry for leaf/subleaf under the matching rules, or NULL. */
static const struct cpuid_emul_entry *cpuid_find(const struct cpuid_emul_table *t,
						 uint32_t leaf, uint32_t subleaf)
{
	bool indexed = cpuid_emul_leaf_indexed(leaf);

	for (uint32_t i = 0; i < t->count; i++) {
		const struct cpuid_emul_entry *e = &t->entries[i];

		if (e->eax_in != leaf || (indexed && e->ecx_in != subleaf)) {
			continue;
		}
		if (leaf == 0xD && (subleaf == 0 || subleaf == 1) &&
		    ((e->xcr0_in != 1 && e->xcr0_in != 3) || e->xss_in != 0)) {
			continue;
		}
		return e;
	}
	return NULL;
}

static bool cpuid_in_range(const struct cpuid_emul_table *t, uint32_t leaf)
{
	if (leaf < LEAF_HYP_BASE) {
		return leaf <= t->std_max;
	}
	if (leaf < LEAF_EXT_BASE) {
		return leaf <= t->hyp_max;
	}
	return leaf <= t->ext_max;
}

/*
 * XSAVE area size for the components in xfeatures (SDM vol 1, 13.4). Returns 0 if an
 * enabled extended component has no 0xD/i entry in the table.
 */
static uint32_t xsave_size(const struct cpuid_emul_table *t, uint64_t xfeatures, bool compacted)
{
	uint64_t size = CPUID_EMUL_XSAVE_BASE;

	for (uint32_t i = XSAVE_FIRST_EXTENDED; i < XSAVE_COMPONENTS; i++) {
		const struct cpuid_emul_entry *e = NULL;

		if ((xfeatures & (1ull << i)) == 0) {
			continue;
		}
		e = cpuid_find(t, 0xD, i);
		if (e == NULL) {
			return 0;
		}
		if (compacted) {
			if ((e->out.ecx & XSAVE_ECX_ALIGN64) != 0) {
				size = (size + XSAVE_ALIGN - 1) & ~(uint64_t)(XSAVE_ALIGN - 1);
			}
			size += e->out.eax;
		} else if ((uint64_t)e->out.ebx + e->out.eax > size) {
			size = (uint64_t)e->out.ebx + e->out.eax;
		}
	}
	return size > 0xFFFFFFFFull ? 0 : (uint32_t)size;
}

static int cpuid_fixup(const struct cpuid_emul_table *t, const struct cpuid_emul_env *env,
		       uint32_t leaf, uint32_t subleaf, struct cpuid_regs *r)
{
	bool osxsave = (env->cr4 & CPUID_EMUL_CR4_OSXSAVE) != 0;
	uint64_t xcr0 = osxsave ? env->xcr0 : 1;
	uint32_t size = 0;

	switch (leaf) {
	case 0x1:
		r->ebx = (r->ebx & 0x00FFFFFFu) | ((env->apic_id & 0xFFu) << 24);
		r->ecx = (r->ecx & ~LEAF1_ECX_OSXSAVE) | (osxsave ? LEAF1_ECX_OSXSAVE : 0);
		break;
	case 0x7:
		if (subleaf == 0) {
			r->ecx = (r->ecx & ~LEAF7_ECX_OSPKE) |
				 ((env->cr4 & CPUID_EMUL_CR4_PKE) != 0 ? LEAF7_ECX_OSPKE : 0);
		}
		break;
	case 0xB:
	case 0x1F:
		r->ecx = (r->ecx & ~0xFFu) | (subleaf & 0xFFu);
		r->edx = env->apic_id;
		break;
	case 0xD:
		if (subleaf == 0) {
			size = xsave_size(t, xcr0, false);
		} else if (subleaf == 1) {
			if ((r->eax & (XSAVE_EAX_XSAVEC | XSAVE_EAX_XSAVES)) == 0) {
				return -1;
			}
			size = xsave_size(t, xcr0 | env->xss, true);
		} else {
			break;
		}
		if (size == 0) {
			return -1;
		}
		r->ebx = size;
		break;
	case 0x8000001E:
		r->eax = env->apic_id;
		break;
	default:
		break;
	}
	return 0;
}

int cpuid_emul(const struct cpuid_emul_table *t, const struct cpuid_emul_env *env,
	       uint32_t leaf, uint32_t subleaf, struct cpuid_regs *out)
{
	const struct cpuid_emul_entry *e = NULL;
	struct cpuid_regs r = { 0 };

	*out = r;
	if (!t->ready) {
		return -1;
	}
	e = cpuid_find(t, leaf, subleaf);
	if (e != NULL) {
		r = e->out;
	} else if (!cpuid_in_range(t, leaf)) {
		return 0; /* out of every announced range: all zero, no fixups */
	}
	if (cpuid_fixup(t, env, leaf, subleaf, &r) != 0) {
		return -1;
	}
	*out = r;
	return 0;
}
