#!/usr/bin/env bash
# Flow: the Enhanced Authorization commands of vtpm/cmd_policy2.c through tpm2-tools. Each
# policy is computed in a trial session, becomes a sealed object's authPolicy (tpm2_create
# -L), satisfies it in a real policy session (tpm2_unseal -p session:...) and is refused
# when its condition fails:
#   policysecret     (digest checked against the spec formula; the TCG EK PolicyA; a wrong
#                     owner password: 0x98e)
#   policyor         (a branch satisfies; no branch: 0x1c4 TPM_RC_VALUE + P1)
#   policylocality   (locality 0 satisfies "zero"; "three" from locality 0: 0x907)
#   policyauthorize  (tpm2_verifysignature ticket of an OpenSSL RSA key; a ticket for another
#                     policy: 0x4dd TPM_RC_POLICY_FAIL + P4)
#   policysigned     (signature over nonceTPM by the OpenSSL key; a stale one: 0x5db)
#   policynv         (two's complement slt; after the NV data changes: 0x126 TPM_RC_POLICY)
#   policycphash     (approved through policyauthorize; the cpHash of another command:
#                     0x99d TPM_RC_POLICY_FAIL + session 1)
# The deferred checks (locality, cpHash) must survive tpm2-tools' ContextSave/ContextLoad of
# the session between tools.
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

e2e_pfl() { tpm2_flushcontext -t >/dev/null 2>&1; tpm2_flushcontext -l >/dev/null 2>&1; tpm2_flushcontext -s >/dev/null 2>&1; }

# e2e_pol_trial OUT CMD...: runs the policy command CMD in a trial session, policy to OUT.
e2e_pol_trial() {
	local out=$1
	shift
	tpm2_startauthsession -S "$E2E_TMP/pol/t.ctx" >/dev/null 2>&1 || return 1
	"$@" -S "$E2E_TMP/pol/t.ctx" -L "$out" >/dev/null 2>"$E2E_TMP/pol-trial.err"
	local rc=$?
	tpm2_flushcontext "$E2E_TMP/pol/t.ctx" >/dev/null 2>&1
	return $rc
}

# e2e_pol_seal NAME POLICY: seals "$d/secret" under the primary with authPolicy POLICY and
# loads it as $d/NAME.ctx.
e2e_pol_seal() {
	local d=$E2E_TMP/pol
	tpm2_create -Q -C "$d/p.ctx" -L "$2" -i "$d/secret" -u "$d/$1.pub" -r "$d/$1.priv" \
		-a "fixedtpm|fixedparent" 2>"$E2E_TMP/pol-seal.err" || return 1
	e2e_pfl
	tpm2_load -Q -C "$d/p.ctx" -u "$d/$1.pub" -r "$d/$1.priv" -c "$d/$1.ctx" \
		2>>"$E2E_TMP/pol-seal.err" || return 1
	tpm2_flushcontext -t >/dev/null 2>&1
}

# e2e_pol_unseal NAME: unseals $d/NAME.ctx with the policy session $d/ps.ctx (then flushed).
e2e_pol_unseal() {
	local d=$E2E_TMP/pol rc
	tpm2_unseal -c "$d/$1.ctx" -p session:"$d/ps.ctx" -o "$d/out" >/dev/null \
		2>"$E2E_TMP/pol-unseal.err"
	rc=$?
	tpm2_flushcontext "$d/ps.ctx" >/dev/null 2>&1
	e2e_pfl
	[ $rc -eq 0 ] && cmp -s "$d/out" "$d/secret"
}

# e2e_pol_expect_ok NAME OBJ: the unseal succeeded; e2e_pol_expect_refused NAME CODE: the
# unseal (or the policy command, whose error is in $E2E_TMP/pol-step.err) failed with CODE.
e2e_pol_check_ok() {
	if e2e_pol_unseal "$2"; then
		t_pass "$1"
	else
		t_fail "$1" "$(e2e_err "$E2E_TMP/pol-unseal.err") $(e2e_err "$E2E_TMP/pol-step.err")"
	fi
}

e2e_pol_check_refused() {
	local name=$1 obj=$2 code=$3 step_failed=$4
	if [ "$step_failed" = 1 ]; then
		tpm2_flushcontext "$E2E_TMP/pol/ps.ctx" >/dev/null 2>&1
		e2e_pfl
		if grep -qi "($code)" "$E2E_TMP/pol-step.err"; then
			t_pass "$name ($code)"
		else
			t_fail "$name" "expected $code: $(e2e_err "$E2E_TMP/pol-step.err")"
		fi
		return
	fi
	if e2e_pol_unseal "$obj"; then
		t_fail "$name" "the unseal succeeded"
	elif grep -qi "($code)" "$E2E_TMP/pol-unseal.err"; then
		t_pass "$name ($code)"
	else
		t_fail "$name" "expected $code: $(e2e_err "$E2E_TMP/pol-unseal.err")"
	fi
}

# e2e_pol_session CMD...: a fresh policy session $d/ps.ctx, then each policy step (one
# command line per argument, word-split); 0 if every step succeeded.
e2e_pol_session() {
	local d=$E2E_TMP/pol step
	tpm2_startauthsession --policy-session -S "$d/ps.ctx" >/dev/null 2>&1 || return 1
	: >"$E2E_TMP/pol-step.err"
	for step in "$@"; do
		# shellcheck disable=SC2086
		eval "$step" -S "$d/ps.ctx" >/dev/null 2>>"$E2E_TMP/pol-step.err" || return 1
	done
	return 0
}

e2e_policy_flow() {
	local d=$E2E_TMP/pol got want z
	mkdir -p "$d"
	printf 'policy secret %s' "$RANDOM" >"$d/secret"
	e2e_pfl
	if ! tpm2_createprimary -Q -C o -G ecc256 -c "$d/p.ctx" 2>"$E2E_TMP/pol-prim.err"; then
		t_fail "policy: createprimary" "$(e2e_err "$E2E_TMP/pol-prim.err")"
		return
	fi
	tpm2_flushcontext -t >/dev/null 2>&1
	z=$(printf '%064d' 0)

	# --- PolicySecret ------------------------------------------------------------------
	# H(H(0^32 || TPM_CC_PolicySecret || Name(TPM_RH_OWNER)) || policyRef(empty)).
	want=$({ e2e_unhex "$z"; e2e_unhex 0000015140000001; } | e2e_digest sha256)
	want=$(e2e_unhex "$want" | e2e_digest sha256)
	e2e_pol_trial "$d/secret.pol" tpm2_policysecret -c o
	e2e_eq "policysecret(owner) digest = H(H(0 || CC || Name) || ref)" "$want" "$(e2e_hex "$d/secret.pol")"
	e2e_pol_trial "$d/ek.pol" tpm2_policysecret -c e
	e2e_eq "policysecret(endorsement) = TCG EK PolicyA" \
		837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa "$(e2e_hex "$d/ek.pol")"
	e2e_pol_seal sec "$d/secret.pol" || t_fail "policy: seal (policysecret)" "$(e2e_err "$E2E_TMP/pol-seal.err")"
	e2e_pol_session "tpm2_policysecret -c o"
	e2e_pol_check_ok "policysecret satisfies the authPolicy (unseal)" sec
	tpm2_changeauth -c o ownerpw >/dev/null 2>&1
	if e2e_pol_session "tpm2_policysecret -c o wrongpw"; then
		e2e_pol_check_refused "policysecret with a wrong owner password refused" sec 0x98E 0
	else
		e2e_pol_check_refused "policysecret with a wrong owner password refused" sec 0x98E 1
	fi
	e2e_pol_session "tpm2_policysecret -c o ownerpw"
	e2e_pol_check_ok "policysecret with the owner password (unseal)" sec
	tpm2_changeauth -c o -p ownerpw >/dev/null 2>&1

	# --- PolicyLocality ----------------------------------------------------------------
	e2e_pol_trial "$d/loc0.pol" tpm2_policylocality zero
	e2e_pol_trial "$d/loc3.pol" tpm2_policylocality three
	e2e_eq "policylocality(three) digest" \
		"$({ e2e_unhex "$z"; e2e_unhex 0000016f08; } | e2e_digest sha256)" "$(e2e_hex "$d/loc3.pol")"
	e2e_pol_seal loc0 "$d/loc0.pol"
	e2e_pol_seal loc3 "$d/loc3.pol"
	e2e_pol_session "tpm2_policylocality zero"
	e2e_pol_check_ok "policylocality(zero) from locality 0 (unseal)" loc0
	e2e_pol_session "tpm2_policylocality three"
	e2e_pol_check_refused "policylocality(three) from locality 0 refused" loc3 0x907 0

	# --- PolicyOR ------------------------------------------------------------------------
	e2e_pol_trial "$d/or.pol" tpm2_policyor -l "sha256:$d/secret.pol,$d/loc3.pol"
	e2e_pol_seal or "$d/or.pol"
	e2e_pol_session "tpm2_policysecret -c o" "tpm2_policyor -l sha256:$d/secret.pol,$d/loc3.pol"
	e2e_pol_check_ok "policyor: the policysecret branch (unseal)" or
	if e2e_pol_session "tpm2_policylocality zero" "tpm2_policyor -l sha256:$d/secret.pol,$d/loc3.pol"; then
		e2e_pol_check_refused "policyor with no matching branch refused" or 0x1C4 0
	else
		e2e_pol_check_refused "policyor with no matching branch refused" or 0x1C4 1
	fi

	# --- PolicyAuthorize (OpenSSL RSA key, tpm2_verifysignature ticket) -------------------
	openssl genrsa -out "$d/sk.pem" 2048 >/dev/null 2>&1
	openssl rsa -in "$d/sk.pem" -pubout -out "$d/sk.pub.pem" >/dev/null 2>&1
	tpm2_loadexternal -Q -C o -G rsa -u "$d/sk.pub.pem" -c "$d/sk.ctx" -n "$d/sk.name" >/dev/null 2>&1
	e2e_pfl
	e2e_pol_trial "$d/auth.pol" tpm2_policyauthorize -n "$d/sk.name"
	e2e_pol_seal auth "$d/auth.pol"
	# e2e_pol_approve POLICY: signs POLICY with the key and makes POLICY.tkt.
	e2e_pol_approve() {
		openssl dgst -sha256 -sign "$d/sk.pem" -out "$1.sig" "$1" &&
			tpm2_loadexternal -Q -C o -G rsa -u "$d/sk.pub.pem" -c "$d/sk.ctx" >/dev/null 2>&1 &&
			tpm2_verifysignature -c "$d/sk.ctx" -g sha256 -m "$1" -s "$1.sig" -t "$1.tkt" -f rsassa \
				>/dev/null 2>"$E2E_TMP/pol-verify.err"
		local rc=$?
		tpm2_flushcontext -t >/dev/null 2>&1
		return $rc
	}
	if e2e_pol_approve "$d/secret.pol"; then
		t_pass "tpm2_verifysignature ticket for the approved policy"
	else
		t_fail "tpm2_verifysignature ticket for the approved policy" "$(e2e_err "$E2E_TMP/pol-verify.err")"
	fi
	e2e_pol_session "tpm2_policysecret -c o" \
		"tpm2_policyauthorize -i $d/secret.pol -n $d/sk.name -t $d/secret.pol.tkt"
	e2e_pol_check_ok "policyauthorize of an approved policysecret (unseal)" auth
	if e2e_pol_session "tpm2_policylocality zero" \
		"tpm2_policyauthorize -i $d/loc0.pol -n $d/sk.name -t $d/secret.pol.tkt"; then
		e2e_pol_check_refused "policyauthorize with a ticket for another policy refused" auth 0x4DD 0
	else
		e2e_pol_check_refused "policyauthorize with a ticket for another policy refused" auth 0x4DD 1
	fi

	# --- PolicySigned ----------------------------------------------------------------------
	tpm2_loadexternal -Q -C o -G rsa -u "$d/sk.pub.pem" -c "$d/sk.ctx" >/dev/null 2>&1
	e2e_pol_trial "$d/signed.pol" tpm2_policysigned -g sha256 -s "$d/secret.pol.sig" -f rsassa -c "$d/sk.ctx"
	e2e_pfl
	e2e_eq "policysigned digest = H(H(0 || CC || Name(key)) || ref)" \
		"$({ e2e_unhex "$({ e2e_unhex "$z"; e2e_unhex 00000160; cat "$d/sk.name"; } | e2e_digest sha256)"; } | e2e_digest sha256)" \
		"$(e2e_hex "$d/signed.pol")"
	e2e_pol_seal signed "$d/signed.pol"
	tpm2_loadexternal -Q -C o -G rsa -u "$d/sk.pub.pem" -c "$d/sk.ctx" >/dev/null 2>&1
	tpm2_startauthsession --policy-session -S "$d/ps.ctx" >/dev/null 2>&1
	tpm2_policysigned -S "$d/ps.ctx" -c "$d/sk.ctx" -x --raw-data "$d/tosign" >/dev/null 2>&1
	openssl dgst -sha256 -sign "$d/sk.pem" -out "$d/tosign.sig" "$d/tosign"
	: >"$E2E_TMP/pol-step.err"
	tpm2_policysigned -S "$d/ps.ctx" -g sha256 -s "$d/tosign.sig" -f rsassa -c "$d/sk.ctx" -x \
		>/dev/null 2>"$E2E_TMP/pol-step.err"
	tpm2_flushcontext -t >/dev/null 2>&1
	e2e_pol_check_ok "policysigned over nonceTPM (unseal)" signed
	tpm2_loadexternal -Q -C o -G rsa -u "$d/sk.pub.pem" -c "$d/sk.ctx" >/dev/null 2>&1
	if e2e_pol_session "tpm2_policysigned -g sha256 -s $d/tosign.sig -f rsassa -c $d/sk.ctx -x"; then
		e2e_pol_check_refused "policysigned with a signature over a stale nonce refused" signed 0x5DB 0
	else
		e2e_pol_check_refused "policysigned with a signature over a stale nonce refused" signed 0x5DB 1
	fi

	# --- PolicyNV --------------------------------------------------------------------------
	tpm2_nvundefine 0x1500026 -C o >/dev/null 2>&1
	tpm2_nvdefine 0x1500026 -C o -s 1 -a "ownerread|ownerwrite|authread|authwrite" >/dev/null 2>&1
	printf '\x81' | tpm2_nvwrite 0x1500026 -C o -i- >/dev/null 2>&1
	e2e_pol_trial "$d/nv.pol" sh -c "printf '\\202' | tpm2_policynv -C o -i- 0x1500026 slt \"\$@\"" sh
	e2e_pol_seal nv "$d/nv.pol"
	e2e_pol_session "printf '\\202' | tpm2_policynv -C o -i- 0x1500026 slt"
	e2e_pol_check_ok "policynv 0x81 slt 0x82 (two's complement) (unseal)" nv
	printf '\x83' | tpm2_nvwrite 0x1500026 -C o -i- >/dev/null 2>&1
	if e2e_pol_session "printf '\\202' | tpm2_policynv -C o -i- 0x1500026 slt"; then
		e2e_pol_check_refused "policynv after the NV data changed refused" nv 0x126 0
	else
		e2e_pol_check_refused "policynv after the NV data changed refused" nv 0x126 1
	fi
	tpm2_nvundefine 0x1500026 -C o >/dev/null 2>&1

	# --- PolicyCpHash (approved through PolicyAuthorize: the object's Name is known only
	# after it exists) -------------------------------------------------------------------
	tpm2_unseal -c "$d/auth.ctx" --cphash "$d/cp.bin" >/dev/null 2>&1
	tpm2_unseal -c "$d/sec.ctx" --cphash "$d/cp2.bin" >/dev/null 2>&1
	e2e_pfl
	e2e_pol_trial "$d/cp.pol" tpm2_policycphash --cphash "$d/cp.bin"
	e2e_pol_trial "$d/cp2.pol" tpm2_policycphash --cphash "$d/cp2.bin"
	e2e_pol_approve "$d/cp.pol"
	e2e_pol_approve "$d/cp2.pol"
	e2e_pol_session "tpm2_policycphash --cphash $d/cp.bin" \
		"tpm2_policyauthorize -i $d/cp.pol -n $d/sk.name -t $d/cp.pol.tkt"
	e2e_pol_check_ok "policycphash of this unseal (unseal)" auth
	e2e_pol_session "tpm2_policycphash --cphash $d/cp2.bin" \
		"tpm2_policyauthorize -i $d/cp2.pol -n $d/sk.name -t $d/cp2.pol.tkt"
	e2e_pol_check_refused "policycphash of another command refused" auth 0x99D 0
	e2e_pfl
}
e2e_policy_flow

[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
