/*
 * Exception table: faults at known instructions become error returns (arch/x86/extable.inc).
 */
#pragma once

#include <stdbool.h>

#include "arch/x86/trap_frame.h"

/*
 * If frame's fault is covered by an exception-table entry, rewrites the frame to resume at the
 * fixup with RAX = vector + 1 and returns true; otherwise returns false and changes nothing.
 * Only #PF, #GP, #SS, #AC and #VC are recoverable this way.
 */
bool extable_fixup(struct trap_frame *frame);
