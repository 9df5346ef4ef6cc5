#!/usr/bin/env bash
# Flow: TPM2_GetRandom through tpm2_getrandom (one process, so one TCTI init, per call).
# Every size 1..64 returns exactly that many bytes (sizes above TPM_PT_MAX_DIGEST with
# -f: the TPM may cap one response, tpm2_getrandom asks again); two calls differ.
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

e2e_getrandom() {
	local n bad=() a b
	for n in $(seq 1 64); do
		if ! tpm2_getrandom -f -o "$E2E_TMP/rand.bin" "$n" 2>"$E2E_TMP/rand.err" ||
			[ "$(stat -c %s "$E2E_TMP/rand.bin")" -ne "$n" ]; then
			bad+=("$n")
		fi
	done
	if [ ${#bad[@]} -eq 0 ]; then
		t_pass "getrandom sizes 1..64"
	else
		t_fail "getrandom sizes 1..64" "wrong or failed for sizes ${bad[*]}: $(e2e_err "$E2E_TMP/rand.err")"
	fi
	a=$(tpm2_getrandom --hex 32 2>/dev/null)
	b=$(tpm2_getrandom --hex 32 2>/dev/null)
	if [ ${#a} -eq 64 ] && [ "$a" != "$b" ]; then
		t_pass "getrandom two calls differ"
	else
		t_fail "getrandom two calls differ" "'$a' vs '$b'"
	fi
}
e2e_getrandom

[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
