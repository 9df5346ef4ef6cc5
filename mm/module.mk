# mm/: memory management. Variables only; the top-level Makefile owns the rules.
#
# page_alloc (buddy allocator), slab (kmalloc) and fault_inject (the allocation-failure test
# hook) are portable: the same sources build into the kernel and into the host unit tests.
# Configuration they read:
#   CONFIG_DEBUG         poison freed pages and objects, verify on allocation (debug builds;
#                        host tests build with it so the poison tests run)
#   CONFIG_FAULT_INJECT  compile the fault_inject_* hook in (host tests, the test image, debug
#                        builds); without it fault_inject.c is empty and the hook is inline false
KERNEL_C_SRCS += mm/page_alloc.c mm/slab.c mm/fault_inject.c mm/pgtable.c mm/tempmap.c \
	mm/kernel_map.c mm/guest_mem.c mm/mm.c mm/stack.c
HOST_PORTABLE_SRCS += mm/page_alloc.c mm/slab.c mm/fault_inject.c mm/pgtable.c

# Host benchmark (`make bench`): build BENCH_SRCS + BENCH_PORTABLE_SRCS with
# -std=gnu11 -O2 $(WARN) -I. -DBASTION_HOST, without sanitizers, CONFIG_DEBUG or
# CONFIG_FAULT_INJECT (poisoning would dominate the numbers), and run the binary.
# host_panic.c supplies panic() for the allocators' CHECKs.
BENCH_SRCS += tests/bench/mm_bench.c
BENCH_PORTABLE_SRCS += mm/page_alloc.c mm/slab.c mm/fault_inject.c kernel/string.c \
	tests/host/host_panic.c

# ---- mm/page_state (its owner appends its lines below) ----------------------------------------
KERNEL_C_SRCS += mm/page_state.c mm/deposit_pool.c
HOST_PORTABLE_SRCS += mm/page_state.c mm/deposit_pool.c
