#!/usr/bin/env bash
# Flow: per-process latency of tpm2_getrandom (one TCTI init, i.e. two TCP connections,
# POWER_ON + NV_ON, the command and two closes, per call). With the Nagle/delayed-ACK trap
# (tpm2-clients.md §0 item 5) this is ~100 ms; a server that gets it right is at process
# start-up cost (~10 ms). The bound is loose (40 ms) so a loaded CI machine does not flake.
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

e2e_latency() {
	local n=20 i t0 t1 ms
	t0=$(date +%s%N)
	for i in $(seq $n); do
		tpm2_getrandom 32 >/dev/null 2>&1 || { t_fail "getrandom latency" "call $i failed"; return; }
	done
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / n / 1000))
	echo "INFO tpm2_getrandom: $((ms / 1000)).$(printf '%03d' $((ms % 1000))) ms per process over $n calls"
	if [ "$ms" -lt 40000 ]; then
		t_pass "tpm2_getrandom per process < 40 ms"
	else
		t_fail "tpm2_getrandom per process < 40 ms" "$((ms / 1000)) ms"
	fi
}
e2e_latency

[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
