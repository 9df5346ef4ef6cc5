#!/usr/bin/env bash
# Flow: TPM2_GetCapability through tpm2_getcap. The command list has exactly
# TPM_PT_TOTAL_COMMANDS entries (Linux disables a TPM whose two answers disagree), the
# manufacturer is Bastion's, and the algorithm and PCR-bank lists carry what the engine has.
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

# What the engine reports as TPM_PT_MANUFACTURER (tpm2_getcap prints the 4 bytes as a string).
E2E_MANUFACTURER=${E2E_MANUFACTURER:-BSTN}

# e2e_yaml_value FILE KEY FIELD: the FIELD line under the top-level KEY of tpm2_getcap's YAML.
e2e_yaml_value() {
	awk -v key="$2:" -v field="$3" '
		$0 == key { inkey = 1; next }
		/^[^ ]/ { inkey = 0 }
		inkey && $1 == field ":" { sub(/^ *[^ ]+: */, ""); print; exit }' "$1"
}

e2e_getcap() {
	local total count man algs bank missing
	if e2e_run getcap-fixed tpm2_getcap properties-fixed; then
		t_pass "getcap properties-fixed"
	else
		t_fail "getcap properties-fixed" "$(e2e_err "$E2E_TMP/getcap-fixed.err")"
	fi
	total=$(e2e_yaml_value "$E2E_TMP/getcap-fixed.out" TPM2_PT_TOTAL_COMMANDS raw)
	if e2e_run getcap-commands tpm2_getcap commands; then
		count=$(grep -cE '^[^ ].*:$' "$E2E_TMP/getcap-commands.out")
		if [ -n "$total" ] && [ "$((total))" -eq "$count" ] && [ "$count" -gt 0 ]; then
			t_pass "getcap commands: $count == TPM_PT_TOTAL_COMMANDS"
		else
			t_fail "getcap commands == TPM_PT_TOTAL_COMMANDS" "$count listed, TOTAL_COMMANDS '$total'"
		fi
	else
		t_fail "getcap commands" "$(e2e_err "$E2E_TMP/getcap-commands.err")"
	fi
	man=$(e2e_yaml_value "$E2E_TMP/getcap-fixed.out" TPM2_PT_MANUFACTURER value | tr -d '"')
	e2e_eq "getcap manufacturer is Bastion's ($E2E_MANUFACTURER)" "$E2E_MANUFACTURER" "$man"
	if e2e_run getcap-algs tpm2_getcap algorithms; then
		algs=$(grep -E '^[^ ].*:$' "$E2E_TMP/getcap-algs.out" | tr -d ':' | tr '\n' ' ')
		missing=
		for a in sha1 sha256 sha384; do
			grep -qx "$a:" "$E2E_TMP/getcap-algs.out" || missing="$missing $a"
		done
		if [ -z "$missing" ]; then
			t_pass "getcap algorithms ($algs)"
		else
			t_fail "getcap algorithms" "missing$missing in: $algs"
		fi
	else
		t_fail "getcap algorithms" "$(e2e_err "$E2E_TMP/getcap-algs.err")"
	fi
	if e2e_run getcap-pcrs tpm2_getcap pcrs; then
		missing=
		for bank in sha1 sha256 sha384; do
			grep -qE "^ *- $bank: \[ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23 \]" \
				"$E2E_TMP/getcap-pcrs.out" || missing="$missing $bank"
		done
		if [ -z "$missing" ]; then
			t_pass "getcap pcrs: sha1, sha256, sha384 banks with PCR 0..23"
		else
			t_fail "getcap pcrs" "no full bank for$missing: $(tr '\n' ' ' <"$E2E_TMP/getcap-pcrs.out")"
		fi
	else
		t_fail "getcap pcrs" "$(e2e_err "$E2E_TMP/getcap-pcrs.err")"
	fi
}
e2e_getcap

[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
