#!/usr/bin/env bash
# Flow: TPM2_ReadClock (tpm2_readclock) and TPM2_SelfTest (tpm2_selftest): the clock fields
# are present and the clock advances; a full self test succeeds.
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

e2e_clock() {
	local c1 c2
	if e2e_run readclock1 tpm2_readclock && grep -qE '^ +safe: (yes|no)$' "$E2E_TMP/readclock1.out"; then
		t_pass "readclock fields"
	else
		t_fail "readclock fields" "$(e2e_err "$E2E_TMP/readclock1.err") $(tr '\n' ' ' <"$E2E_TMP/readclock1.out")"
	fi
	sleep 0.05
	e2e_run readclock2 tpm2_readclock
	c1=$(awk '$1 == "clock:" { print $2 }' "$E2E_TMP/readclock1.out")
	c2=$(awk '$1 == "clock:" { print $2 }' "$E2E_TMP/readclock2.out")
	if [ -n "$c1" ] && [ -n "$c2" ] && [ "$c2" -gt "$c1" ]; then
		t_pass "readclock advances ($c1 -> $c2 ms)"
	else
		t_fail "readclock advances" "clock '$c1' then '$c2'"
	fi
	e2e_ok "selftest (fullTest=NO)" tpm2_selftest
	e2e_ok "selftest --fulltest" tpm2_selftest --fulltest
}
e2e_clock

[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
