/*
 * Bastion's conformance test guest: a freestanding firmware image (reset.asm brings it to
 * long mode, entry.asm calls conformance_main) that finds the SVSM the way Linux and OVMF do,
 * calls it the way they do, and checks every answer against the SVSM spec and docs/abi.md.
 * Output: one line per check, "conformance: N passed, M failed", then QEMU's isa-debug-exit.
 */
#include "tests/guest/conformance/check.h"
#include "tests/guest/conformance/checks.h"
#include "tests/guest/conformance/console.h"
#include "tests/guest/conformance/io.h"
#include "tests/guest/conformance/layout.h"
#include "tests/guest/conformance/svsm.h"

void conformance_main(void);

void conformance_main(void)
{
	bool ok = false;

	con_printf("conformance: Bastion SVSM conformance guest starting\n");
	if (!svsm_discover()) {
		con_printf("conformance: no usable SVSM (secrets page says none): stopping\n");
		check_summary();
		guest_exit(EXIT_FAIL);
	}
	checks_core();
	checks_remap();
	checks_pvalidate();
	checks_vcpu();
	checks_memory();
	checks_vtpm();
	checks_attest();
	checks_big();
	checks_flood();
	check_eq(svsm_calls_pending_left, 0,
		 "every one of the %lu calls came back with call_pending cleared", svsm_calls);
	ok = check_summary();
	guest_exit(ok ? EXIT_PASS : EXIT_FAIL);
}
