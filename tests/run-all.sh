#!/usr/bin/env bash
# `make test`: every test tier in order, then one overall "N passed, N failed" line (last).
# usage: tests/run-all.sh BUILD_DIR
set -uo pipefail
O=${1:?usage: run-all.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
total_passed=0
total_failed=0
tiers_failed=()

# run_tier NAME COMMAND...: runs a tier, shows its output, adds its closing counts.
run_tier() {
	local name=$1
	shift
	local out status summary p f
	out=$(mktemp "${TMPDIR:-/tmp}/bastion-tier.XXXXXX")
	echo "==== $name"
	"$@" 2>&1 | tee "$out"
	status=${PIPESTATUS[0]}
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	rm -f "$out"
	if [ -z "$summary" ]; then
		p=0
		f=1
		echo "run-all.sh: $name printed no summary line (status $status)"
	else
		p=${summary%% passed*}
		f=${summary#*, }
		f=${f%% failed*}
		if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1
			echo "run-all.sh: $name exited $status with no failure counted"
		fi
	fi
	total_passed=$((total_passed + p))
	total_failed=$((total_failed + f))
	[ "$f" -eq 0 ] || tiers_failed+=("$name")
}

export BASTION_ELF="$O/bastion.elf"
export BASTION_IGVM="$O/bastion.igvm"
run_tier "host unit tests (ASan/UBSan)" "$O/host/host_tests"
run_tier "crypto: vectors and OpenSSL differential (ASan/UBSan)" "$O/host/crypto_tests"
run_tier "crypto: constant-time check (valgrind)" \
	valgrind -q --error-exitcode=1 --track-origins=yes "$O/host/crypto_ct"
run_tier "vTPM engine (ASan/UBSan)" "$O/host/vtpm_tests"
run_tier "vTPM end to end: tpm2-tools, tpm2-pytss, swtpm differential" "$here/e2e/run.sh" "$O"
run_tier "fuzz smoke: libFuzzer targets from their seeds, past findings (clang, ASan/UBSan)" \
	"$here/../scripts/fuzz.sh" --smoke "$O"
run_tier "igvmdump command line" "$here/igvm_cli_test.sh" "$O/bastion.igvm" "$O/hosttest/tools"
run_tier "igvmmeasure: SNP launch digest vs an independent implementation, QEMU/KVM rules" \
	python3 "$here/igvmmeasure_test.py" "$O/tools" "$O/bastion.igvm"
run_tier "in-kernel tests (QEMU, TCG)" "$here/ktest_qemu.sh" "$O"
run_tier "boot and fault reports (QEMU, TCG)" "$here/boot_test.sh" "$O"
run_tier "SVSM conformance guest, release Bastion (QEMU, TCG)" "$here/conformance_test.sh" "$O"
run_tier "SVSM conformance guest, debug Bastion: ledger checked after every call (QEMU, TCG)" \
	"$here/conformance_test.sh" "$O" "$O/debug-kernel/bastion.elf"
run_tier "vTPM inside Bastion: tpm2-tools through the relay guest and SVSM_VTPM_CMD (QEMU, TCG)" \
	"$here/relay_test.sh" "$O"

echo "===="
[ ${#tiers_failed[@]} -eq 0 ] || echo "failed tiers: ${tiers_failed[*]}"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
