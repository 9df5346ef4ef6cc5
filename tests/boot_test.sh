#!/usr/bin/env bash
# Boot tests: the production image comes up the way `make run` shows it, the test image's
# deliberate faults are reported with registers and a symbolized backtrace and end the VM
# with a failure status, and a VM too small for Bastion's region is refused.
# usage: tests/boot_test.sh BUILD_DIR
set -uo pipefail
O=${1:?usage: boot_test.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
run="$here/../scripts/qemu-run.sh --tools $O/tools --test"
log=$(mktemp -d "${TMPDIR:-/tmp}/bastion-boot.XXXXXX")
trap 'rm -rf "$log"' EXIT

# 1. The production image boots to "ready", then idles: stop it after a short timeout.
$run --timeout 20 "$O/bastion.igvm" >"$log/boot.txt" 2>&1
t_status "boot: production image idles after init (timeout)" 3 $?
t_grep "boot: banner with version" '^bastion: Bastion SVSM [0-9]+\.[0-9]+\.[0-9]+' "$log/boot.txt"
t_grep "boot: platform line" '^bastion: platform: native' "$log/boot.txt"
t_grep "boot: memory map from the IGVM parameter" '^bastion: memory map: 1 entries' "$log/boot.txt"
t_grep "boot: RAM entry for 512 MiB" '\[0x000000000000-0x00001fffffff\] ram +512 MiB' "$log/boot.txt"
t_grep "boot: region line" '^bastion: region: 0x10000000-0x10ffffff \(16 MiB\)' "$log/boot.txt"
t_grep "boot: ready" '^bastion: ready' "$log/boot.txt"
if grep -q 'PANIC\|EXCEPTION' "$log/boot.txt"; then
	t_fail "boot: no panic or exception" "$(grep -m1 'PANIC\|EXCEPTION' "$log/boot.txt")"
else
	t_pass "boot: no panic or exception"
fi

# 2. 4 GiB: the q35 hole splits RAM in two entries (below 2 GiB and above 4 GiB).
$run --timeout 20 --mem 4096 "$O/bastion.igvm" >"$log/boot4g.txt" 2>&1
t_grep "boot: 4 GiB memory map has two RAM entries" '^bastion: memory map: 2 entries' "$log/boot4g.txt"
t_grep "boot: RAM above 4 GiB" '\[0x000100000000-0x00017fffffff\] ram +2048 MiB' "$log/boot4g.txt"

# 3. Too little RAM for Bastion's region: the loader refuses before QEMU starts.
$run --timeout 20 --mem 16 "$O/bastion.igvm" >"$log/small.txt" 2>&1
t_status "boot: 16 MiB VM refused" 2 $?
t_grep "boot: refusal names the region" 'not backed by RAM' "$log/small.txt"

# 3b. Debian's OVMF as the guest on the native platform reaches its UEFI shell under Bastion
#     (nested paging, virtual fw_cfg memory map, passed-through devices and interrupts).
if [ -f "$O/bastion-guest.igvm" ]; then
	$run --timeout 45 "$O/bastion-guest.igvm" >"$log/ovmf.txt" 2>&1
	t_status "ovmf: Bastion and the guest still run at the timeout" 3 $?
	t_grep "ovmf: Bastion entered the guest firmware" '^bastion: entering the guest firmware at its reset vector 0xfffffff0' "$log/ovmf.txt"
	t_grep "ovmf: guest memory map hides Bastion" '^bastion: fw_cfg: guest memory map has [0-9]+ entries \(RAM below 4 GiB ends at 0x10000000\)' "$log/ovmf.txt"
	t_grep "ovmf: OVMF reached the UEFI shell" 'UEFI Interactive Shell' "$log/ovmf.txt"
	if grep -aq 'guest stopped\|PANIC\|EXCEPTION' "$log/ovmf.txt"; then
		t_fail "ovmf: no guest stop, panic or exception" "$(grep -a -m1 'guest stopped\|PANIC\|EXCEPTION' "$log/ovmf.txt")"
	else
		t_pass "ovmf: no guest stop, panic or exception"
	fi
else
	t_fail "ovmf: $O/bastion-guest.igvm was not built"
fi

# 4. A deliberate page fault inside a test: exception name, registers, symbolized backtrace,
#    failure status.
$run --timeout 30 --fw-cfg opt/bastion/ktest=fault.null_dereference "$O/test/bastion-test.igvm" \
	>"$log/fault.txt" 2>&1
t_status "fault: VM reports failure" 1 $?
t_grep "fault: exception name" 'FATAL EXCEPTION #PF \(page fault\), vector 14' "$log/fault.txt"
t_grep "fault: faulting RIP symbolized" 'at RIP 0x[0-9a-f]+ <ktest_fn_fault_null_dereference\+0x' "$log/fault.txt"
t_grep "fault: registers" 'RAX +0x[0-9a-f]{16} +RBX +0x[0-9a-f]{16}' "$log/fault.txt"
t_grep "fault: CR2 holds the bad address" 'CR2 +0x0000000000000010' "$log/fault.txt"
t_grep "fault: backtrace reaches the runner" '#[0-9]+ 0x[0-9a-f]+ ktest_run_all\+0x' "$log/fault.txt"
t_grep "fault: backtrace reaches kmain" '#[0-9]+ 0x[0-9a-f]+ kmain\+0x' "$log/fault.txt"

# 5. panic() from a test: reason, backtrace, failure status.
$run --timeout 30 --fw-cfg opt/bastion/ktest=fault.panic "$O/test/bastion-test.igvm" \
	>"$log/panic.txt" 2>&1
t_status "panic: VM reports failure" 1 $?
t_grep "panic: reason printed" '^bastion: PANIC: deliberate panic from a test' "$log/panic.txt"
t_grep "panic: backtrace names the test" '#0 0x[0-9a-f]+ ktest_fn_fault_panic\+0x' "$log/panic.txt"

# 6. A failing CHECK() reports the condition and location.
$run --timeout 30 --fw-cfg opt/bastion/ktest=fault.check "$O/test/bastion-test.igvm" \
	>"$log/check.txt" 2>&1
t_status "check: VM reports failure" 1 $?
t_grep "check: condition and location" 'PANIC: CHECK failed: .* \(tests/kernel/fault_test.c:[0-9]+\)' "$log/check.txt"

# 7. Stack overflow: the boot stack's guard page turns it into #DF, reported from the #DF IST
#    stack (itself guarded) with the faulting RSP just below the stack.
$run --timeout 30 --fw-cfg opt/bastion/ktest=fault.stack_overflow "$O/test/bastion-test.igvm" \
	>"$log/overflow.txt" 2>&1
t_status "overflow: VM reports failure" 1 $?
t_grep "overflow: reported as a double fault" 'FATAL EXCEPTION #DF \(double fault\), vector 8' "$log/overflow.txt"
t_grep "overflow: CR2 is in the guard page" 'CR2 +0xffffffff8000f[0-9a-f]{3}' "$log/overflow.txt"
t_grep "overflow: backtrace shows the recursion" '#[0-9]+ 0x[0-9a-f]+ fault_recurse\+0x' "$log/overflow.txt"

# 8. A test that fails an EXPECT makes the run fail (the runner's verdict reaches QEMU).
$run --timeout 30 --fw-cfg opt/bastion/ktest=fault.expect_fails "$O/test/bastion-test.igvm" \
	>"$log/expect.txt" 2>&1
t_status "ktest: a failing EXPECT fails the VM" 1 $?
t_grep "ktest: failure located" 'FAIL tests/kernel/fault_test.c:[0-9]+' "$log/expect.txt"

# 9. Hardening: a smashed stack is caught by the per-boot guard; a panic wipes every
#    registered secret (the vTPM state, keys, a test marker) before the VM ends.
$run --timeout 30 --fw-cfg opt/bastion/ktest=hardening.stack_smash "$O/test/bastion-test.igvm" \
	>"$log/smash.txt" 2>&1
t_status "hardening: a smashed stack fails the VM" 1 $?
t_grep "hardening: the stack guard caught it" 'PANIC: stack smashing detected' "$log/smash.txt"
$run --timeout 30 --fw-cfg opt/bastion/ktest=hardening.panic_wipes_secrets \
	"$O/test/bastion-test.igvm" >"$log/wipe.txt" 2>&1
t_status "hardening: panic ends the VM" 1 $?
t_grep "hardening: secrets wiped on panic" 'hardening: [0-9]+ secret regions, all zero after the panic wipe: yes' \
	"$log/wipe.txt"

$run --timeout 30 --fw-cfg opt/bastion/ktest=hardening.ro_after_init_write \
	"$O/test/bastion-test.igvm" >"$log/roai.txt" 2>&1
t_status "hardening: a write to .ro_after_init fails the VM" 1 $?
t_grep "hardening: ... as a write #PF on a present page" \
	'FATAL EXCEPTION #PF \(page fault\), vector 14, error code 0x3' "$log/roai.txt"

# 10. A filter that selects nothing is a failure, not a silent pass.
$run --timeout 30 --fw-cfg opt/bastion/ktest=no_such_suite "$O/test/bastion-test.igvm" \
	>"$log/none.txt" 2>&1
t_status "ktest: empty selection fails" 1 $?

failed_logs=$(grep -l . "$log"/*.txt 2>/dev/null || true)
if [ "$t_failed" -ne 0 ]; then
	for f in $failed_logs; do echo "---- $f"; tail -n 40 "$f"; done
fi
t_summary
