#!/usr/bin/env bash
# Flow: sealing (TPM2_Create of a KEYEDHASH data object, TPM2_Load, TPM2_Unseal) through
# tpm2-tools: with a password (right and wrong, and changed by tpm2_changeauth), in HMAC sessions (unsalted, salted with an
# ECC and with an RSA primary, response encryption), and with a PolicyPCR policy
# (tpm2_createpolicy --policy-pcr) that unseals until the PCR is extended and then refuses
# (TPM_RC_POLICY_FAIL). Uses the resettable PCR 16.
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

# Without a resource manager every tpm2-tools call leaves the objects it loaded (from .ctx
# files) in the TPM's three transient slots (and policy sessions in the session slots): flush them after each call.
e2e_fl() { tpm2_flushcontext -t >/dev/null 2>&1; tpm2_flushcontext -l >/dev/null 2>&1; }
e2e_runf() { e2e_run "$@"; local rc=$?; e2e_fl; return $rc; }
e2e_okf() { e2e_ok "$@"; e2e_fl; }

e2e_seal_flow() {
	local d got
	d=$E2E_TMP/seal
	mkdir -p "$d"
	printf 'bastion secret %s' "$RANDOM" >"$d/secret"
	if ! e2e_runf seal-primary tpm2_createprimary -Q -C o -G ecc256 -c "$d/p.ctx"; then
		t_fail "seal: createprimary" "$(e2e_err "$E2E_TMP/seal-primary.err")"
		return
	fi
	# Password.
	e2e_okf "seal with password" tpm2_create -Q -C "$d/p.ctx" -i "$d/secret" -p pass123 \
		-u "$d/s.pub" -r "$d/s.priv"
	e2e_okf "load sealed object" tpm2_load -Q -C "$d/p.ctx" -u "$d/s.pub" -r "$d/s.priv" -c "$d/s.ctx"
	if e2e_runf unseal-pw tpm2_unseal -c "$d/s.ctx" -p pass123 -o "$d/out" &&
		cmp -s "$d/out" "$d/secret"; then
		t_pass "unseal with the password"
	else
		t_fail "unseal with the password" "$(e2e_err "$E2E_TMP/unseal-pw.err")"
	fi
	if e2e_runf unseal-bad tpm2_unseal -c "$d/s.ctx" -p wrong -o "$d/out2"; then
		t_fail "unseal with a wrong password refused" "it succeeded"
	elif grep -qi '0x98e' "$E2E_TMP/unseal-bad.err"; then
		t_pass "unseal with a wrong password refused (TPM_RC_AUTH_FAIL)"
	else
		t_fail "unseal with a wrong password refused" "$(e2e_err "$E2E_TMP/unseal-bad.err")"
	fi
	# ObjectChangeAuth: a new private area with the new password; the old one still opens
	# with the old password.
	if e2e_runf changeauth tpm2_changeauth -c "$d/s.ctx" -C "$d/p.ctx" -p pass123 -r "$d/s2.priv" newpass &&
		e2e_runf load-s2 tpm2_load -Q -C "$d/p.ctx" -u "$d/s.pub" -r "$d/s2.priv" -c "$d/s2.ctx" &&
		e2e_runf unseal-s2 tpm2_unseal -c "$d/s2.ctx" -p newpass -o "$d/out9" &&
		cmp -s "$d/out9" "$d/secret"; then
		t_pass "changeauth: unseal with the new password"
	else
		t_fail "changeauth: unseal with the new password" "$(e2e_err "$E2E_TMP/changeauth.err") $(e2e_err "$E2E_TMP/unseal-s2.err")"
	fi
	# HMAC session.
	if e2e_runf hs tpm2_startauthsession -S "$d/hs.ctx" --hmac-session &&
		e2e_runf unseal-hmac tpm2_unseal -c "$d/s.ctx" -p session:"$d/hs.ctx"+pass123 -o "$d/out3" &&
		cmp -s "$d/out3" "$d/secret"; then
		t_pass "unseal in an HMAC session"
	else
		t_fail "unseal in an HMAC session" "$(e2e_err "$E2E_TMP/unseal-hmac.err")"
	fi
	tpm2_flushcontext "$d/hs.ctx" >/dev/null 2>&1
	# Salted HMAC sessions: the salt is sent to the ECC primary (ECDH + KDFe "SECRET"),
	# then to an RSA primary (RSA-OAEP "SECRET"), and parameter encryption on top.
	if e2e_runf salt-ecc tpm2_startauthsession -S "$d/se.ctx" --hmac-session -c "$d/p.ctx" &&
		e2e_runf unseal-se tpm2_unseal -c "$d/s.ctx" -p session:"$d/se.ctx"+pass123 -o "$d/out6" &&
		cmp -s "$d/out6" "$d/secret"; then
		t_pass "unseal in an ECC-salted HMAC session"
	else
		t_fail "unseal in an ECC-salted HMAC session" "$(e2e_err "$E2E_TMP/salt-ecc.err") $(e2e_err "$E2E_TMP/unseal-se.err")"
	fi
	tpm2_flushcontext "$d/se.ctx" >/dev/null 2>&1
	if e2e_runf rsa-primary tpm2_createprimary -Q -C o -G rsa2048 -c "$d/rp.ctx" &&
		e2e_runf salt-rsa tpm2_startauthsession -S "$d/sr.ctx" --hmac-session -c "$d/rp.ctx" &&
		e2e_runf sr-attrs tpm2_sessionconfig "$d/sr.ctx" --enable-encrypt --enable-decrypt &&
		e2e_runf unseal-sr tpm2_unseal -c "$d/s.ctx" -p session:"$d/sr.ctx"+pass123 -o "$d/out7" &&
		cmp -s "$d/out7" "$d/secret"; then
		t_pass "unseal in an RSA-salted HMAC session with response encryption"
	else
		t_fail "unseal in an RSA-salted HMAC session with response encryption" "$(e2e_err "$E2E_TMP/salt-rsa.err") $(e2e_err "$E2E_TMP/unseal-sr.err")"
	fi
	tpm2_flushcontext "$d/sr.ctx" >/dev/null 2>&1
	# PolicyPCR on PCR 16.
	tpm2_pcrreset 16 >/dev/null 2>&1
	tpm2_pcrread -Q sha256:16 -o "$d/pcr.bin" >/dev/null 2>&1
	if ! e2e_runf createpolicy tpm2_createpolicy -Q --policy-pcr -l sha256:16 -f "$d/pcr.bin" -L "$d/pcr.policy"; then
		t_fail "createpolicy --policy-pcr" "$(e2e_err "$E2E_TMP/createpolicy.err")"
		return
	fi
	e2e_okf "seal with a PCR policy" tpm2_create -Q -C "$d/p.ctx" -i "$d/secret" -L "$d/pcr.policy" \
		-a "fixedtpm|fixedparent|noda" -u "$d/q.pub" -r "$d/q.priv"
	e2e_okf "load the PCR-sealed object" tpm2_load -Q -C "$d/p.ctx" -u "$d/q.pub" -r "$d/q.priv" -c "$d/q.ctx"
	if e2e_runf unseal-pcr tpm2_unseal -c "$d/q.ctx" -p pcr:sha256:16 -o "$d/out4" &&
		cmp -s "$d/out4" "$d/secret"; then
		t_pass "unseal with PolicyPCR"
	else
		t_fail "unseal with PolicyPCR" "$(e2e_err "$E2E_TMP/unseal-pcr.err")"
	fi
	# userWithAuth is clear: a password cannot stand in for the policy.
	if e2e_runf unseal-nopol tpm2_unseal -c "$d/q.ctx" -o "$d/out8"; then
		t_fail "PCR-sealed object refuses a password (TPM_RC_AUTH_UNAVAILABLE)" "it unsealed"
	elif grep -qi '0x12f' "$E2E_TMP/unseal-nopol.err"; then
		t_pass "PCR-sealed object refuses a password (TPM_RC_AUTH_UNAVAILABLE)"
	else
		t_fail "PCR-sealed object refuses a password (TPM_RC_AUTH_UNAVAILABLE)" "$(e2e_err "$E2E_TMP/unseal-nopol.err")"
	fi
	tpm2_pcrextend 16:sha256=0000000000000000000000000000000000000000000000000000000000000001 >/dev/null 2>&1
	if e2e_runf unseal-pcr2 tpm2_unseal -c "$d/q.ctx" -p pcr:sha256:16 -o "$d/out5"; then
		t_fail "unseal refused after pcrextend" "it succeeded"
	elif grep -qi '0x99d\|policy' "$E2E_TMP/unseal-pcr2.err"; then
		t_pass "unseal refused after pcrextend (policy)"
	else
		t_fail "unseal refused after pcrextend" "$(e2e_err "$E2E_TMP/unseal-pcr2.err")"
	fi
	tpm2_pcrreset 16 >/dev/null 2>&1
	tpm2_flushcontext -t >/dev/null 2>&1
	tpm2_flushcontext -s >/dev/null 2>&1
}
e2e_seal_flow

[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
