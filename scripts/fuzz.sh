#!/usr/bin/env bash
# Runs the libFuzzer targets built by `make fuzz-build` (tests/fuzz/README.md).
#
#   scripts/fuzz.sh [--seconds N] BUILD_DIR [TARGET...]   `make fuzz`: each target N seconds (default
#       60), one after the other, in libFuzzer's fork mode so that a crash is recorded and the run
#       goes on; the corpus grows in BUILD_DIR/fuzz/corpus/TARGET (seeded from
#       tests/fuzz/corpus/TARGET), findings land in BUILD_DIR/fuzz/artifacts/TARGET/. Prints per
#       target: executions, executions per second, coverage, corpus size, findings.
#   scripts/fuzz.sh --smoke [--seconds N] BUILD_DIR [TARGET...]   `make test`: each target N seconds
#       (default 12) from its committed seeds in a scratch corpus, stopping at the first crash,
#       then every reproducer under tests/fuzz/regress/TARGET/ must run clean. Last line
#       "N passed, N failed" (one per target run, one per reproducer).
#
# No TARGET: every binary built in BUILD_DIR/fuzz/.
# Exit status: 0 if no target found anything (and, with --smoke, every reproducer passed).
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
smoke=0
seconds=""
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) smoke=1; shift ;;
	--seconds) seconds=$2; shift 2 ;;
	*) break ;;
	esac
done
O=${1:?usage: fuzz.sh [--smoke] [--seconds N] BUILD_DIR [TARGET...]}
shift
if [ $# -eq 0 ]; then
	# No targets named: every built one (BUILD_DIR/fuzz/fuzz_*).
	for b in "$O"/fuzz/fuzz_*; do
		[ -x "$b" ] && set -- "$@" "${b##*/fuzz_}"
	done
	[ $# -gt 0 ] || { echo "fuzz.sh: no targets built in $O/fuzz (make fuzz-build)" >&2; exit 2; }
fi
[ -n "$seconds" ] || { [ $smoke -eq 1 ] && seconds=12 || seconds=60; }
O=$(cd "$O" && pwd)

# Longest input per target: a few TPM commands; a small IGVM image; operation streams.
max_len() {
	case $1 in
	vtpm_execute) echo 8192 ;;
	igvm_parse) echo 131072 ;;
	*) echo 4096 ;;
	esac
}


passed=0
failed=0
status=0
summary=()

for t in "$@"; do
	bin="$O/fuzz/fuzz_$t"
	seeds="$here/tests/fuzz/corpus/$t"
	art="$O/fuzz/artifacts/$t"
	log="$O/fuzz/$t.log"
	if [ ! -x "$bin" ]; then
		echo "fuzz.sh: $bin missing (make fuzz-build)" >&2
		failed=$((failed + 1))
		status=1
		continue
	fi
	mkdir -p "$art" "$seeds"
	common=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$t")"
		-print_final_stats=1 -artifact_prefix="$art/")
	[ -f "$here/tests/fuzz/$t.dict" ] && common+=(-dict="$here/tests/fuzz/$t.dict")
	before=$(find "$art" -maxdepth 1 -type f | wc -l)
	if [ $smoke -eq 1 ]; then
		corpus=$(mktemp -d "${TMPDIR:-/tmp}/bastion-fuzz-$t.XXXXXX")
		echo "---- $t: ${seconds}s from $(find "$seeds" -type f | wc -l) seeds"
		(cd "$art" && "$bin" "${common[@]}" "$corpus" "$seeds") >"$log" 2>&1
		rc=$?
	else
		corpus="$O/fuzz/corpus/$t"
		mkdir -p "$corpus"
		echo "---- $t: ${seconds}s, corpus $corpus ($(find "$corpus" -type f | wc -l) inputs)"
		(cd "$art" && "$bin" "${common[@]}" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 \
			-ignore_ooms=1 "$corpus" "$seeds") >"$log" 2>&1
		rc=$?
	fi
	findings=$(($(find "$art" -maxdepth 1 -type f | wc -l) - before))
	# Plain mode ends with stat:: lines; fork mode with "#N: cov: ... exec/s R ... time: Ts".
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	if [ -z "$execs" ]; then
		execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
		secs=$(sed -n 's/.* time: \([0-9]*\)s.*/\1/p' <<<"$last")
		[ -n "$secs" ] && [ "$secs" -gt 0 ] && rate=$((execs / secs))
	fi
	size=$(find "$corpus" -type f | wc -l)
	line=$(printf '%-14s %10s execs %7s exec/s  cov %-5s corpus %-5s findings %s' "$t" \
		"${execs:-?}" "${rate:-?}" "${cov:-?}" "$size" "$findings")
	summary+=("$line")
	if [ "$findings" -gt 0 ] || { [ $smoke -eq 1 ] && [ $rc -ne 0 ]; }; then
		echo "FAIL $line"
		grep -E 'ERROR|runtime error|fuzz finding|SUMMARY|Test unit written|vtpm-history' "$log" | head -n 20
		failed=$((failed + 1))
		status=1
	else
		echo "ok   $line"
		passed=$((passed + 1))
	fi
	[ $smoke -eq 1 ] && rm -rf "$corpus"

	# Reproducers of past findings: each must now run clean.
	if [ $smoke -eq 1 ] && [ -d "$here/tests/fuzz/regress/$t" ]; then
		for r in "$here/tests/fuzz/regress/$t"/*; do
			[ -f "$r" ] || continue
			if (cd "$art" && "$bin" -runs=1 "$r") >"$log.regress" 2>&1; then
				echo "ok   $t regress $(basename "$r")"
				passed=$((passed + 1))
			else
				echo "FAIL $t regress $(basename "$r")"
				grep -E 'ERROR|runtime error|fuzz finding|SUMMARY' "$log.regress" | head -n 5
				failed=$((failed + 1))
				status=1
			fi
		done
	fi
done

echo "==== fuzz summary (logs in $O/fuzz/TARGET.log, findings in $O/fuzz/artifacts/TARGET/)"
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
exit $status
