#!/usr/bin/env bash
# Flow: hierarchy authorization and dictionary-attack protection with tpm2-tools (TPM 2.0
# Part 3 §24, §25; vtpm/hierarchy.h, vtpm/da.h): tpm2_changeauth of owner, endorsement,
# lockout and platform and then using the new auth, tpm2_getcap properties-variable
# (TPMA_PERMANENT, TPMA_STARTUP_CLEAR, DA values), tpm2_dictionarylockout -s/-c with a
# DA-protected NV index counting failures, tpm2_hierarchycontrol, tpm2_clearcontrol and
# tpm2_clear (auths reset, owner NV indices removed, platform ones kept). Leaves the TPM with
# empty auths, every hierarchy enabled and the factory DA parameters.
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

e2e_prop() { tpm2_getcap properties-variable 2>/dev/null | awk -v k="$1" '$1 == k || $1 == k":" { print $2 }'; }

e2e_hierarchy() {
	local o=0x1500100 p=0x1400100
	e2e_ok "changeauth owner" tpm2_changeauth -c o ownerpw
	e2e_ok "changeauth endorsement" tpm2_changeauth -c e endorsepw
	e2e_ok "changeauth lockout" tpm2_changeauth -c l lockpw
	e2e_ok "changeauth platform" tpm2_changeauth -c p platpw
	e2e_eq "ownerAuthSet endorsementAuthSet lockoutAuthSet" "1 1 1" \
		"$(e2e_prop ownerAuthSet) $(e2e_prop endorsementAuthSet) $(e2e_prop lockoutAuthSet)"
	if e2e_run own_old tpm2_nvdefine $o -C o -s 8 -a "ownerread|ownerwrite"; then
		t_fail "the old (empty) owner auth is refused"
	else
		t_pass "the old (empty) owner auth is refused"
	fi
	e2e_ok "nvdefine with the new owner auth" tpm2_nvdefine $o -C o -P ownerpw -s 8 \
		-a "ownerread|ownerwrite|authread|authwrite" -p idx
	e2e_ok "nvdefine platform index with the new platform auth" tpm2_nvdefine $p -C p -P platpw \
		-s 8 -a "ppread|ppwrite|platformcreate"
	e2e_ok "changeauth owner again (old auth given)" tpm2_changeauth -c o -p ownerpw ownerpw2
	e2e_ok "changeauth endorsement again" tpm2_changeauth -c e -p endorsepw endorsepw2

	e2e_ok "dictionarylockout -s (maxTries 5, recovery 600 s, lockout recovery 900 s)" \
		tpm2_dictionarylockout -s -n 5 -t 600 -l 900 -p lockpw
	e2e_eq "MAX_AUTH_FAIL LOCKOUT_INTERVAL LOCKOUT_RECOVERY" "0x5 0x258 0x384" \
		"$(e2e_prop TPM2_PT_MAX_AUTH_FAIL) $(e2e_prop TPM2_PT_LOCKOUT_INTERVAL) $(e2e_prop TPM2_PT_LOCKOUT_RECOVERY)"
	# Earlier flows may have counted failures of their own: start from zero.
	e2e_ok "dictionarylockout -c (start from zero)" tpm2_dictionarylockout -c -p lockpw
	for n in 1 2; do
		e2e_run bad$n tpm2_nvread $o -C $o -P wrong -s 1
	done
	e2e_eq "two wrong index passwords counted" "0x2" "$(e2e_prop TPM2_PT_LOCKOUT_COUNTER)"
	e2e_ok "dictionarylockout -c" tpm2_dictionarylockout -c -p lockpw
	e2e_eq "LOCKOUT_COUNTER reset" "0x0" "$(e2e_prop TPM2_PT_LOCKOUT_COUNTER)"
	for n in 1 2 3 4 5; do
		e2e_run lock$n tpm2_nvread $o -C $o -P wrong -s 1
	done
	e2e_eq "inLockout after maxTries failures" "1" "$(e2e_prop inLockout)"
	if e2e_run locked tpm2_nvread $o -C $o -P idx -s 1; then
		t_fail "the right index password is refused in lockout"
	elif grep -q '0x921' "$E2E_TMP/locked.err"; then
		t_pass "the right index password is refused in lockout: TPM_RC_LOCKOUT"
	else
		t_fail "TPM_RC_LOCKOUT in lockout" "$(e2e_err "$E2E_TMP/locked.err")"
	fi
	e2e_ok "dictionarylockout -c ends the lockout" tpm2_dictionarylockout -c -p lockpw
	e2e_eq "inLockout cleared" "0" "$(e2e_prop inLockout)"

	e2e_ok "hierarchycontrol: platform disables the endorsement hierarchy" \
		tpm2_hierarchycontrol -C p -P platpw ehEnable clear
	e2e_eq "ehEnable clear" "0" "$(e2e_prop ehEnable)"
	e2e_ok "hierarchycontrol: platform enables it again" \
		tpm2_hierarchycontrol -C p -P platpw ehEnable set
	e2e_eq "ehEnable set" "1" "$(e2e_prop ehEnable)"

	e2e_ok "clearcontrol -C l s (disableClear)" tpm2_clearcontrol -C l -P lockpw s
	e2e_eq "disableClear set" "1" "$(e2e_prop disableClear)"
	if e2e_run clear_dis tpm2_clear lockpw; then
		t_fail "clear refused while disableClear is set"
	elif grep -q '0x120' "$E2E_TMP/clear_dis.err"; then
		t_pass "clear refused while disableClear is set: TPM_RC_DISABLED"
	else
		t_fail "clear: TPM_RC_DISABLED" "$(e2e_err "$E2E_TMP/clear_dis.err")"
	fi
	e2e_ok "clearcontrol -C p c" tpm2_clearcontrol -C p -P platpw c
	e2e_ok "clear (lockout auth)" tpm2_clear lockpw
	e2e_eq "auths reset by clear" "0 0 0" \
		"$(e2e_prop ownerAuthSet) $(e2e_prop endorsementAuthSet) $(e2e_prop lockoutAuthSet)"
	e2e_run hnv tpm2_getcap handles-nv-index
	e2e_eq "clear removed the owner index, kept the platform one" "$p" \
		"$(tr -d ' -' <"$E2E_TMP/hnv.out" | tr 'A-F\n' 'a-f ' | xargs)"
	e2e_ok "owner auth is empty after clear" tpm2_changeauth -c o ownerpw3
	e2e_ok "owner auth back to empty" tpm2_changeauth -c o -p ownerpw3
	e2e_ok "nvundefine platform index" tpm2_nvundefine $p -C p -P platpw
	e2e_ok "platform auth back to empty" tpm2_changeauth -c p -p platpw
	e2e_ok "DA parameters back to the factory values" \
		tpm2_dictionarylockout -s -n 32 -t 7200 -l 86400
}
e2e_hierarchy

[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
