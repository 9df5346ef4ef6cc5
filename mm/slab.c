/*
 * Slab heap (see slab.h for the contract).
 *
 * A slab page is an order-0 block of the pool tagged with its struct slab_class. Its
 * bookkeeping is the block's struct page_owner:
 *   link   entry in the class's partial list (pages with free and used objects)
 *   count  objects in use
 *   index  first object of the page's free list, SLAB_LINK_END if none
 *   bits   allocation bitmap, one bit per object (256 objects at most: 4096 / 16)
 * A free object holds the index of the next free object in its first two bytes. The bitmap,
 * not the list, is the authority: a free checks its bit (double free), and an allocation checks
 * that the object the list yields is in range and really free, so a list corrupted by a write
 * after free panics instead of handing out a live object.
 *
 * A page-backed allocation is a page_alloc_pages() run tagged with the allocator itself; its
 * page count is in the owner's count.
 */
#include "mm/slab.h"

#include "kernel/check.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "mm/fault_inject.h"

#define SLAB_LINK_END 0xffffu
#define SLAB_LINK_BYTES sizeof(uint16_t)
#define SLAB_MAX_OBJECTS (PAGE_SIZE / SLAB_MIN_SIZE)

_Static_assert(SLAB_MAX_OBJECTS <= 8 * sizeof(((struct page_owner *)0)->bits),
	       "the allocation bitmap must cover the smallest class");
_Static_assert(SLAB_MAX_OBJECTS < SLAB_LINK_END, "object indices must fit the 16-bit links");
_Static_assert(SLAB_MIN_SIZE << (SLAB_CLASS_COUNT - 1) == SLAB_MAX_SIZE, "classes are 16 .. 2048");

/* A caller passed something that is not a live allocation of this heap. */
__attribute__((noreturn)) static void slab_misuse(const void *p, const char *what)
{
	panic("slab: %p: %s", p, what);
}

#define SLAB_REQUIRE(cond, p, what)                                                              \
	do {                                                                                     \
		if (__builtin_expect(!(cond), 0)) {                                              \
			slab_misuse((p), (what));                                                \
		}                                                                                \
	} while (0)

/* ---- small helpers --------------------------------------------------------------------------- */

static struct page_owner *slab_owner_of_link(struct page_list *link)
{
	return (struct page_owner *)((char *)link - offsetof(struct page_owner, link));
}

static uint16_t slab_link_get(const uint8_t *obj)
{
	uint16_t v = 0;

	__builtin_memcpy(&v, obj, sizeof(v));
	return v;
}

static void slab_link_set(uint8_t *obj, uint16_t v)
{
	__builtin_memcpy(obj, &v, sizeof(v));
}

static bool slab_bit_get(const struct page_owner *o, unsigned int i)
{
	return ((o->bits[i / 64] >> (i % 64)) & 1u) != 0;
}

static void slab_bit_flip(struct page_owner *o, unsigned int i)
{
	o->bits[i / 64] ^= 1ull << (i % 64);
}

/* Class index for 1 <= size <= SLAB_MAX_SIZE: the smallest power of two >= size, from 16. */
static unsigned int slab_class_index(size_t size)
{
	if (size <= SLAB_MIN_SIZE) {
		return 0;
	}
	/* 64 - clz(size - 1) is log2 of the next power of two; 16 = 2^4 is class 0. */
	return (unsigned int)(64 - __builtin_clzll((unsigned long long)size - 1)) - 4;
}

/* The class a slab page's tag names, or NULL if the tag is not one of this allocator's. */
static struct slab_class *slab_class_of_tag(struct slab_allocator *slab, uintptr_t tag)
{
	uintptr_t first = (uintptr_t)&slab->classes[0];
	uintptr_t off = tag - first;

	if (tag < first || off >= sizeof(slab->classes) || off % sizeof(slab->classes[0]) != 0) {
		return NULL;
	}
	return &slab->classes[off / sizeof(slab->classes[0])];
}

static uintptr_t slab_large_tag(const struct slab_allocator *slab)
{
	return (uintptr_t)slab;
}

/* ---- debug poisoning ------------------------------------------------------------------------- */

#ifdef CONFIG_DEBUG
/* Fills a free object, whose first bytes then receive the free-list link. */
static void slab_poison(uint8_t *obj, uint32_t size)
{
	bastion_memset(obj, SLAB_POISON, size);
}

/* Panics if the free object at obj was written after it was freed (the link excepted). */
static void slab_poison_verify(const uint8_t *obj, uint32_t size)
{
	for (uint32_t i = SLAB_LINK_BYTES; i < size; i++) {
		if (__builtin_expect(obj[i] != SLAB_POISON, 0)) {
			panic("kmalloc: use after free: byte %u of free %u-byte object %p "
			      "is 0x%02x, not the poison 0x%02x",
			      i, size, (const void *)obj, obj[i], SLAB_POISON);
		}
	}
}
#else
static void slab_poison(uint8_t *obj, uint32_t size)
{
	(void)obj;
	(void)size;
}

static void slab_poison_verify(const uint8_t *obj, uint32_t size)
{
	(void)obj;
	(void)size;
}
#endif

/* ---- setup ----------------------------------------------------------------------------------- */

void slab_init(struct slab_allocator *slab, struct page_pool *pool)
{
	CHECK(!slab->ready);
	bastion_memset(slab, 0, sizeof(*slab));
	slab->pool = pool;
	for (unsigned int i = 0; i < SLAB_CLASS_COUNT; i++) {
		struct slab_class *c = &slab->classes[i];

		c->object_size = SLAB_MIN_SIZE << i;
		c->objects_per_page = (uint32_t)(PAGE_SIZE / c->object_size);
		page_list_init(&c->partial);
		c->empty = NULL;
		c->stats.object_size = c->object_size;
		c->stats.objects_per_page = c->objects_per_page;
	}
	slab->ready = true;
}

/* Gives an empty slab page back to the pool. */
static void slab_page_release(struct slab_allocator *slab, struct slab_class *c,
			      struct page_owner *o)
{
	void *page = page_pool_owner_va(slab->pool, o);

	page_pool_set_tag(slab->pool, page, 0);
	page_free(slab->pool, page, 0);
	c->stats.pages--;
}

void slab_destroy(struct slab_allocator *slab)
{
	CHECK(slab->ready);
	for (unsigned int i = 0; i < SLAB_CLASS_COUNT; i++) {
		struct slab_class *c = &slab->classes[i];

		CHECK(c->stats.objects_in_use == 0 && page_list_empty(&c->partial));
		if (c->empty != NULL) {
			slab_page_release(slab, c, c->empty);
			c->empty = NULL;
		}
		CHECK(c->stats.pages == 0);
	}
	CHECK(slab->large_in_use == 0);
	slab->ready = false;
}

/* ---- allocation ------------------------------------------------------------------------------ */

/* Turns a fresh order-0 block into an empty slab page of class c (every object free). */
static struct page_owner *slab_page_setup(struct slab_allocator *slab, struct slab_class *c,
					  uint8_t *page)
{
	struct page_owner *o = NULL;

	page_pool_set_tag(slab->pool, page, (uintptr_t)c);
	o = page_pool_owner(slab->pool, page);
	/* page_alloc zeroed the owner area: no object in use, bitmap clear, list head 0. */
	o->index = 0;
	for (uint32_t i = 0; i < c->objects_per_page; i++) {
		uint8_t *obj = page + (size_t)i * c->object_size;

		slab_poison(obj, c->object_size);
		slab_link_set(obj, i + 1 < c->objects_per_page ? (uint16_t)(i + 1) : SLAB_LINK_END);
	}
	c->stats.pages++;
	return o;
}

static void *slab_alloc_small(struct slab_allocator *slab, struct slab_class *c, bool zero)
{
	struct page_owner *o = NULL;
	uint8_t *page = NULL;
	uint8_t *obj = NULL;
	uint32_t idx = 0;

	if (!page_list_empty(&c->partial)) {
		o = slab_owner_of_link(c->partial.next);
	} else if (c->empty != NULL) {
		o = c->empty;
		c->empty = NULL;
		page_list_push(&c->partial, &o->link);
	} else {
		/* This request was already counted by the fault-injection hook in slab_alloc(). */
		page = page_alloc(slab->pool, 0, PAGE_ALLOC_NO_FAULT_INJECT);
		if (page == NULL) {
			c->stats.fail_count++;
			return NULL;
		}
		o = slab_page_setup(slab, c, page);
		page_list_push(&c->partial, &o->link);
	}
	if (page == NULL) {
		page = page_pool_owner_va(slab->pool, o);
	}

	idx = o->index;
	CHECK(idx < c->objects_per_page && !slab_bit_get(o, idx));
	obj = page + (size_t)idx * c->object_size;
	slab_poison_verify(obj, c->object_size);
	o->index = slab_link_get(obj);
	slab_bit_flip(o, idx);
	o->count++;
	if (o->count == c->objects_per_page) {
		/* Full pages are on no list: a free finds its page through the pool. */
		CHECK(o->index == SLAB_LINK_END);
		page_list_remove(&o->link);
	}
	if (zero) {
		bastion_memset(obj, 0, c->object_size);
	}
	c->stats.objects_in_use++;
	c->stats.alloc_count++;
	return obj;
}

static void *slab_alloc_large(struct slab_allocator *slab, size_t size, bool zero)
{
	size_t pages = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	unsigned int flags = PAGE_ALLOC_NO_FAULT_INJECT | (zero ? PAGE_ALLOC_ZERO : 0u);
	void *p = page_alloc_pages(slab->pool, pages, flags);

	if (p == NULL) {
		slab->large_fail_count++;
		return NULL;
	}
	page_pool_set_tag(slab->pool, p, slab_large_tag(slab));
	page_pool_owner(slab->pool, p)->count = (uint32_t)pages;
	slab->large_in_use++;
	slab->large_pages += pages;
	slab->large_alloc_count++;
	return p;
}

static void *slab_alloc_common(struct slab_allocator *slab, size_t size, bool zero)
{
	bool large = size > SLAB_MAX_SIZE;

	CHECK(slab->ready);
	/* LOCK: take the heap lock here once other CPUs run Bastion code. */
	if (size == 0) {
		return NULL;
	}
	if (size > SLAB_LARGE_MAX_SIZE) {
		slab->large_fail_count++;
		return NULL;
	}
	/* One request, one injection point, whether or not it needs a new page. */
	if (fault_inject_should_fail()) {
		if (large) {
			slab->large_fail_count++;
		} else {
			slab->classes[slab_class_index(size)].stats.fail_count++;
		}
		return NULL;
	}
	if (large) {
		return slab_alloc_large(slab, size, zero);
	}
	return slab_alloc_small(slab, &slab->classes[slab_class_index(size)], zero);
}

void *slab_alloc(struct slab_allocator *slab, size_t size)
{
	return slab_alloc_common(slab, size, false);
}

void *slab_zalloc(struct slab_allocator *slab, size_t size)
{
	return slab_alloc_common(slab, size, true);
}

/* ---- free ------------------------------------------------------------------------------------ */

static void slab_free_small(struct slab_allocator *slab, struct slab_class *c, uint8_t *page,
			    uint8_t *obj)
{
	struct page_owner *o = page_pool_owner(slab->pool, page);
	size_t off = (size_t)(obj - page);
	uint32_t idx = 0;
	bool was_full = false;

	SLAB_REQUIRE(off % c->object_size == 0, obj, "pointer into the middle of an object");
	idx = (uint32_t)(off / c->object_size);
	SLAB_REQUIRE(slab_bit_get(o, idx), obj, "object is not allocated (double free?)");
	slab_bit_flip(o, idx);
	slab_poison(obj, c->object_size);
	slab_link_set(obj, (uint16_t)o->index);
	o->index = idx;
	was_full = o->count == c->objects_per_page;
	o->count--;
	c->stats.objects_in_use--;
	c->stats.free_count++;

	if (o->count == 0) {
		if (!was_full) {
			page_list_remove(&o->link);
		}
		if (c->empty == NULL) {
			c->empty = o;
		} else {
			slab_page_release(slab, c, o);
		}
	} else if (was_full) {
		page_list_push(&c->partial, &o->link);
	}
}

static void slab_free_large(struct slab_allocator *slab, uint8_t *page, uint8_t *p)
{
	uint32_t pages = 0;

	SLAB_REQUIRE(p == page, p, "pointer into the middle of a page-backed allocation");
	pages = page_pool_owner(slab->pool, page)->count;
	page_pool_set_tag(slab->pool, page, 0);
	page_free_pages(slab->pool, page, pages);
	slab->large_in_use--;
	slab->large_pages -= pages;
	slab->large_free_count++;
}

void slab_free(struct slab_allocator *slab, void *p)
{
	uint8_t *obj = p;
	uint8_t *page = NULL;
	uintptr_t tag = 0;
	struct slab_class *c = NULL;

	if (p == NULL) {
		return;
	}
	CHECK(slab->ready);
	/* LOCK: take the heap lock here once other CPUs run Bastion code. */
	SLAB_REQUIRE(page_pool_contains(slab->pool, p), p, "pointer outside the heap's pool");
	page = vaddr_ptr(vaddr_align_down(vaddr_from_ptr(p), PAGE_SIZE));
	/* page_pool_tag() panics if page is free or inside a larger block. */
	tag = page_pool_tag(slab->pool, page);
	if (tag == slab_large_tag(slab)) {
		slab_free_large(slab, page, obj);
		return;
	}
	c = slab_class_of_tag(slab, tag);
	SLAB_REQUIRE(c != NULL, p, "page does not belong to this heap");
	slab_free_small(slab, c, page, obj);
}

size_t slab_usable_size(struct slab_allocator *slab, const void *p)
{
	const uint8_t *page = NULL;
	uintptr_t tag = 0;
	struct slab_class *c = NULL;

	CHECK(slab->ready);
	SLAB_REQUIRE(page_pool_contains(slab->pool, p), p, "pointer outside the heap's pool");
	page = vaddr_ptr(vaddr_align_down(vaddr_from_ptr(p), PAGE_SIZE));
	tag = page_pool_tag(slab->pool, page);
	if (tag == slab_large_tag(slab)) {
		SLAB_REQUIRE(p == page, p, "pointer into the middle of a page-backed allocation");
		return (size_t)page_pool_owner(slab->pool, page)->count << PAGE_SHIFT;
	}
	c = slab_class_of_tag(slab, tag);
	SLAB_REQUIRE(c != NULL, p, "page does not belong to this heap");
	SLAB_REQUIRE((size_t)((const uint8_t *)p - page) % c->object_size == 0, p,
		     "pointer into the middle of an object");
	SLAB_REQUIRE(slab_bit_get(page_pool_owner(slab->pool, page),
				  (uint32_t)((size_t)((const uint8_t *)p - page) / c->object_size)),
		     p, "object is not allocated");
	return c->object_size;
}

void slab_get_stats(const struct slab_allocator *slab, struct slab_stats *out)
{
	bastion_memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < SLAB_CLASS_COUNT; i++) {
		out->classes[i] = slab->classes[i].stats;
	}
	out->large_in_use = slab->large_in_use;
	out->large_pages = slab->large_pages;
	out->large_alloc_count = slab->large_alloc_count;
	out->large_free_count = slab->large_free_count;
	out->large_fail_count = slab->large_fail_count;
}

/* ---- the kernel heap ------------------------------------------------------------------------- */

static struct slab_allocator slab_kernel_heap;

void slab_kernel_init(struct page_pool *pool)
{
	slab_init(&slab_kernel_heap, pool);
}

struct slab_allocator *slab_kernel(void)
{
	return &slab_kernel_heap;
}

void *kmalloc(size_t size)
{
	return slab_alloc(&slab_kernel_heap, size);
}

void *kzalloc(size_t size)
{
	return slab_zalloc(&slab_kernel_heap, size);
}

void kfree(void *p)
{
	slab_free(&slab_kernel_heap, p);
}
