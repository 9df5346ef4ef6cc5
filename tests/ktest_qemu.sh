#!/usr/bin/env bash
# Runs the in-kernel tests: boots the test image, which runs every default KTEST and exits
# QEMU with its verdict. Prints the tests' own lines and their "N passed, N failed" summary;
# a verdict that disagrees with the summary, a crash or a hang adds a failure.
# usage: tests/ktest_qemu.sh BUILD_DIR
set -uo pipefail
O=${1:?usage: ktest_qemu.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp "${TMPDIR:-/tmp}/bastion-ktest.XXXXXX")
trap 'rm -f "$out"' EXIT

"$here/../scripts/qemu-run.sh" --tools "$O/tools" --test --timeout 120 \
	"$O/test/bastion-test.igvm" 2>&1 | tr -d '\r' >"$out"
status=${PIPESTATUS[0]}
cat "$out"
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
if [ -z "$summary" ]; then
	echo "ktest_qemu.sh: the test image printed no summary (status $status)"
	echo "0 passed, 1 failed"
	exit 1
fi
passed=${summary%% passed*}
failed=${summary#*, }
failed=${failed%% failed}
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "ktest_qemu.sh: QEMU verdict $status disagrees with the summary"
	failed=1
fi
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
