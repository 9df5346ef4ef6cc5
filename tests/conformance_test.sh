#!/usr/bin/env bash
# The SVSM conformance guest (tests/guest/conformance/) under Bastion on the native platform:
# packages BUILD_DIR/bastion.elf with BUILD_DIR/guest/conformance.fd, boots it with 1024 MiB
# (the guest's 256 MiB PVALIDATE range and flood range need it) and 2 vCPUs (CREATE_VCPU needs
# a second APIC ID), shows the guest's lines and closes with the guest's own counts.
# Builds nothing: `make` (or `make BUILD_DIR/guest/conformance.fd`) first. BASTION_ELF, if given,
# replaces BUILD_DIR/bastion.elf (e.g. a DEBUG=1 build of Bastion).
# CONFORMANCE_TIMEOUT overrides the QEMU time limit (seconds, default 600).
# usage: tests/conformance_test.sh BUILD_DIR [BASTION_ELF]
set -uo pipefail
O=${1:?usage: conformance_test.sh BUILD_DIR [BASTION_ELF]}
elf=${2:-$O/bastion.elf}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
log=$(mktemp -d "${TMPDIR:-/tmp}/bastion-conformance.XXXXXX")
trap 'rm -rf "$log"' EXIT
timeout_s=${CONFORMANCE_TIMEOUT:-600}

for f in "$elf" "$O/guest/conformance.fd" "$O/tools/igvmbuild"; do
	if [ ! -f "$f" ]; then
		t_fail "conformance: $f is missing (build it first)"
		t_summary
		exit 1
	fi
done
if ! "$O/tools/igvmbuild" --elf "$elf" --firmware "$O/guest/conformance.fd" \
	-o "$log/conformance.igvm" >"$log/igvmbuild.txt" 2>&1; then
	t_fail "conformance: igvmbuild refused the guest image" "$(tail -n 1 "$log/igvmbuild.txt")"
	t_summary
	exit 1
fi

start=$(date +%s)
"$here/../scripts/qemu-run.sh" --tools "$O/tools" --test --mem 1024 --smp 2 \
	--timeout "$timeout_s" "$log/conformance.igvm" >"$log/raw.txt" 2>&1 &
qemu_pid=$!
# When the guest is stopped (a fault, a page it lost), Bastion stays up and QEMU would run
# until the timeout: a few seconds after Bastion says so, stop qemu-run.sh's child (the
# `timeout` wrapping QEMU, which passes the signal on), as if the time limit had been reached.
while kill -0 "$qemu_pid" 2>/dev/null; do
	if grep -aq 'Bastion stays up' "$log/raw.txt"; then
		sleep 3
		pkill -TERM -P "$qemu_pid" 2>/dev/null
		echo "conformance: the guest was stopped; QEMU ended by the test"
		break
	fi
	sleep 1
done
wait "$qemu_pid"
status=$?
elapsed=$(($(date +%s) - start))
tr -d '\r' <"$log/raw.txt" >"$log/out.txt"

# The guest's lines (checks, notes, summary) and anything alarming from Bastion or QEMU.
grep -a -E '^(ok |FAIL |# |conformance: )|PANIC|EXCEPTION|guest (stopped|shut down|touched|accessed)|qemu-run.sh:' \
	"$log/out.txt"
echo "conformance: $elf: QEMU exit status $status after ${elapsed}s (limit ${timeout_s}s)"

summary=$(grep -a -E '^conformance: [0-9]+ passed, [0-9]+ failed$' "$log/out.txt" | tail -n 1)
if [ -z "$summary" ]; then
	# The guest (or Bastion) died mid-run: count the check lines it did print, plus one.
	echo "---- last lines of the run"
	tail -n 40 "$log/out.txt"
	t_passed=$(grep -a -c '^ok ' "$log/out.txt")
	t_failed=$(grep -a -c '^FAIL ' "$log/out.txt")
	t_fail "conformance: the guest printed no summary line" "QEMU exit status $status"
	t_summary
	exit 1
fi
t_passed=${summary#conformance: }
t_passed=${t_passed%% passed*}
t_failed=${summary#*, }
t_failed=${t_failed%% failed*}
# The guest exits with 0x10 (qemu-run.sh status 0) when all passed and 0x11 (status 1) when not;
# any other combination (timeout, crash after the summary, wrong exit value) is one more failure.
if [ "$t_failed" -eq 0 ] && [ "$status" -ne 0 ]; then
	t_fail "conformance: QEMU exit status $status although the guest reported no failure"
elif [ "$t_failed" -ne 0 ] && [ "$status" -ne 1 ]; then
	t_fail "conformance: QEMU exit status $status, expected 1 after guest failures"
fi
# The attestation reports the guest printed: REPORT_DATA and the native report's signature,
# checked on the host with OpenSSL against the key Bastion logged (tests/attest_verify.py).
python3 "$here/attest_verify.py" "$log/out.txt" >"$log/attest.txt" 2>&1
cat "$log/attest.txt" | grep -E '^(PASS|FAIL) '
t_passed=$((t_passed + $(grep -c '^PASS ' "$log/attest.txt")))
t_failed=$((t_failed + $(grep -c '^FAIL ' "$log/attest.txt")))
grep -q '^attest_verify: ' "$log/attest.txt" || t_fail "attest_verify.py ran" "$(tail -3 "$log/attest.txt")"
t_summary
