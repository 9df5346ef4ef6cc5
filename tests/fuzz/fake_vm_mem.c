/*
 * The fake VM's 24 MiB of guest memory (tests/host/fake_core_backend.c), reused across inputs
 * by the targets that build a fresh fake VM per input (fuzz_core_mem, fuzz_protocols).
 * fake_core_new() callocs it and fake_core_free() frees it; a fresh 24 MiB heap block per
 * input would spend nearly all the time in ASan's shadow bookkeeping and page faults. So the
 * link wraps calloc and free (-Wl,--wrap=calloc,--wrap=free, these targets only): that one
 * size comes from a private mapping with a PROT_NONE guard page behind it, and "freeing" it is
 * MADV_DONTNEED, which hands back zero pages on next touch at a cost proportional to what the
 * input touched.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#include "tests/fuzz/fuzz.h"
#include "tests/host/fake_core_backend.h"

#define FZ_GUARD 0x1000u

static uint8_t *fz_vm_mem;
static bool fz_vm_mem_busy;

void *__real_calloc(size_t nmemb, size_t size);
void __real_free(void *p);
void *__wrap_calloc(size_t nmemb, size_t size);
void __wrap_free(void *p);

void *__wrap_calloc(size_t nmemb, size_t size)
{
	if (nmemb != 1 || size != FAKE_MEM_SIZE || fz_vm_mem_busy) {
		return __real_calloc(nmemb, size);
	}
	if (fz_vm_mem == NULL) {
		void *m = mmap(NULL, FAKE_MEM_SIZE + FZ_GUARD, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (m == MAP_FAILED || mprotect((uint8_t *)m + FAKE_MEM_SIZE, FZ_GUARD, PROT_NONE)) {
			return NULL;
		}
		fz_vm_mem = m;
	}
	fz_vm_mem_busy = true;
	return fz_vm_mem;
}

void __wrap_free(void *p)
{
	if (p != NULL && p == fz_vm_mem) {
		if (madvise(fz_vm_mem, FAKE_MEM_SIZE, MADV_DONTNEED) != 0) {
			FUZZ_FAIL("madvise(MADV_DONTNEED) failed");
		}
		fz_vm_mem_busy = false;
		return;
	}
	__real_free(p);
}

