#!/usr/bin/env bash
# Flow: PCR_Read, PCR_Extend and PCR_Reset through tpm2_pcrread, tpm2_pcrextend and
# tpm2_pcrreset, every expected value recomputed on the host with coreutils (extend:
# new = H(old || digest), TPM 2.0 Part 1 "PCR extend"). PCR_Event: pcrevent.sh.
# Uses the resettable PCR 16 (and PCR 23 for a multi-bank extend); values are read before
# each step, so the flow does not depend on what ran before it.
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

e2e_pcr_flow() {
	local alg old new exp d1 d2 bad banks="sha1 sha256 sha384"

	if e2e_run pcrreset16 tpm2_pcrreset 16; then
		bad=
		for alg in $banks; do
			[ "$(e2e_pcr "$alg" 16)" = "$(e2e_zeros "$alg")" ] || bad="$bad $alg"
		done
		if [ -z "$bad" ]; then t_pass "pcrreset 16: zero in sha1/sha256/sha384"; else t_fail "pcrreset 16" "not zero in$bad"; fi
	else
		t_fail "pcrreset 16" "$(e2e_err "$E2E_TMP/pcrreset16.err")"
	fi
	# PCR 0 is not resettable from locality 0: TPM_RC_LOCALITY (a warning code, 0x907).
	if e2e_run pcrreset0 tpm2_pcrreset 0; then
		t_fail "pcrreset 0 -> TPM_RC_LOCALITY" "the reset of PCR 0 succeeded"
	elif grep -q '(0x907)' "$E2E_TMP/pcrreset0.err"; then
		t_pass "pcrreset 0 -> TPM_RC_LOCALITY"
	else
		t_fail "pcrreset 0 -> TPM_RC_LOCALITY" "$(grep -m1 '^ERROR: Esys' "$E2E_TMP/pcrreset0.err")"
	fi

	for alg in $banks; do
		if ! e2e_run "pcrread-$alg" tpm2_pcrread "$alg:0,16,23"; then
			t_fail "pcrread $alg" "$(e2e_err "$E2E_TMP/pcrread-$alg.err")"
			continue
		fi
		if [ "$(grep -cE '^ +(0|16|23) *: 0x[0-9A-Fa-f]+$' "$E2E_TMP/pcrread-$alg.out")" -eq 3 ] &&
			[ "$(e2e_pcr "$alg" 0)" = "$(e2e_zeros "$alg")" ]; then
			t_pass "pcrread $alg:0,16,23"
		else
			t_fail "pcrread $alg" "$(tr '\n' ' ' <"$E2E_TMP/pcrread-$alg.out")"
		fi
	done

	# Extend chain, one bank per command: two extends, each checked.
	for alg in $banks; do
		old=$(e2e_pcr "$alg" 16)
		d1=$(printf 'bastion e2e 1 %s' "$alg" | e2e_digest "$alg")
		d2=$(printf 'bastion e2e 2 %s' "$alg" | e2e_digest "$alg")
		exp=$(e2e_extend "$alg" "$(e2e_extend "$alg" "$old" "$d1")" "$d2")
		if e2e_run "pcrextend-$alg" tpm2_pcrextend "16:$alg=$d1" &&
			e2e_run "pcrextend-$alg" tpm2_pcrextend "16:$alg=$d2"; then
			new=$(e2e_pcr "$alg" 16)
			e2e_eq "pcrextend chain $alg: H(H(old||d1)||d2)" "$exp" "$new"
		else
			t_fail "pcrextend chain $alg" "$(e2e_err "$E2E_TMP/pcrextend-$alg.err")"
		fi
	done

	# One command extending three banks at once (TPML_DIGEST_VALUES with 3 entries).
	local s1 s256 s384 o1 o256 o384
	o1=$(e2e_pcr sha1 23) o256=$(e2e_pcr sha256 23) o384=$(e2e_pcr sha384 23)
	s1=$(printf 'multi' | e2e_digest sha1)
	s256=$(printf 'multi' | e2e_digest sha256)
	s384=$(printf 'multi' | e2e_digest sha384)
	if e2e_run pcrextend-multi tpm2_pcrextend "23:sha1=$s1,sha256=$s256,sha384=$s384"; then
		exp="$(e2e_extend sha1 "$o1" "$s1") $(e2e_extend sha256 "$o256" "$s256") $(e2e_extend sha384 "$o384" "$s384")"
		e2e_eq "pcrextend 23 three banks in one command" "$exp" \
			"$(e2e_pcr sha1 23) $(e2e_pcr sha256 23) $(e2e_pcr sha384 23)"
	else
		t_fail "pcrextend 23 three banks" "$(e2e_err "$E2E_TMP/pcrextend-multi.err")"
	fi

	if e2e_run pcrreset16b tpm2_pcrreset 16 && [ "$(e2e_pcr sha256 16)" = "$(e2e_zeros sha256)" ]; then
		t_pass "pcrreset 16 after extends"
	else
		t_fail "pcrreset 16 after extends" "$(e2e_err "$E2E_TMP/pcrreset16b.err") value $(e2e_pcr sha256 16)"
	fi
}
e2e_pcr_flow

[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
