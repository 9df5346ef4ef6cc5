/*
 * The stack protector's guard (kernel/stack_protector.c): a build-time constant until
 * stack_protector_init() draws the per-boot value from RDSEED/RDRAND (panics without entropy).
 * Call it exactly once, from kmain (a frame that never returns), after the CPU's random
 * instructions are usable.
 */
#pragma once

#include <stdbool.h>

void stack_protector_init(void);
/* True once the guard is a per-boot random value (tests). */
bool stack_protector_is_per_boot(void);
