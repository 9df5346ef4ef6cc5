#!/usr/bin/env bash
# Flow: the TPM life cycle through power cycles (TPM 2.0 Part 1, "Startup/Shutdown"):
#   Shutdown(STATE), power off, power on, Startup(STATE)  = TPM Resume: PCRs kept,
#                                                         restartCount + 1
#   power off without Shutdown, Startup(CLEAR)            = TPM Reset: PCRs cleared,
#                                                         resetCount + 1
# Power is switched with the platform port's POWER_OFF signal; the next tpm2-tools process
# sends POWER_ON (a real _TPM_Init, since the TPM was off). mssim servers only (not swtpm).
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

e2e_clock_field() { tpm2_readclock 2>/dev/null | awk -v f="$1:" '$1 == f { print $2 }'; }

e2e_shutdown() {
	local d v r0 s0 r1 s1
	d=$(printf 'resume' | e2e_digest sha256)
	e2e_ok "extend PCR 10 before the power cycles" tpm2_pcrextend "10:sha256=$d"
	v=$(e2e_pcr sha256 10)
	r0=$(e2e_clock_field reset_count) s0=$(e2e_clock_field restart_count)

	e2e_ok "shutdown (STATE)" tpm2_shutdown
	e2e_ok "power off (platform signal)" e2e_platform_signal 2
	if e2e_run resume tpm2_startup; then
		r1=$(e2e_clock_field reset_count) s1=$(e2e_clock_field restart_count)
		t_pass "power on + startup (STATE): TPM Resume"
		e2e_eq "resume keeps PCR 10" "$v" "$(e2e_pcr sha256 10)"
		e2e_eq "resume counters (resetCount same, restartCount + 1)" \
			"$r0 $((s0 + 1))" "$r1 $s1"
	else
		t_fail "power on + startup (STATE)" "$(e2e_err "$E2E_TMP/resume.err")"
	fi

	e2e_ok "power off without shutdown" e2e_platform_signal 2
	if e2e_run reset tpm2_startup -c; then
		t_pass "power on + startup (CLEAR): TPM Reset"
		e2e_eq "reset clears PCR 10" "$(e2e_zeros sha256)" "$(e2e_pcr sha256 10)"
		e2e_eq "reset counters (resetCount + 1, restartCount 0)" \
			"$((r0 + 1)) 0" "$(e2e_clock_field reset_count) $(e2e_clock_field restart_count)"
	else
		t_fail "power on + startup (CLEAR)" "$(e2e_err "$E2E_TMP/reset.err")"
	fi
}
e2e_shutdown

[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
