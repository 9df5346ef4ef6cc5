#!/usr/bin/env bash
# Flow: signing keys through tpm2-tools, every signature checked by OpenSSL with the public
# key tpm2_readpublic exports as PEM: RSA 2048 (RSASSA and RSA-PSS) and ECC P-256 (ECDSA)
# keys created under an owner primary, tpm2_sign over a message (-f plain: DER/raw
# signature), openssl dgst -verify; tpm2_verifysignature accepts the TPM's own signature
# and refuses one over another message; tpm2_quote with a restricted key is checked by
# tpm2_checkquote; a restricted key signs only digests the TPM hashed (hashcheck ticket).
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

# Without a resource manager every tpm2-tools call leaves the objects it loaded (from .ctx
# files) in the TPM's three transient slots (and policy sessions in the session slots):
# flush them after each call.
e2e_fl() { tpm2_flushcontext -t >/dev/null 2>&1; tpm2_flushcontext -l >/dev/null 2>&1; }
e2e_runf() { e2e_run "$@"; local rc=$?; e2e_fl; return $rc; }

e2e_sign_flow() {
	local d g s sigopt
	d=$E2E_TMP/sign
	mkdir -p "$d"
	printf 'message to sign %s\n' "$RANDOM" >"$d/msg"
	printf 'another message\n' >"$d/msg2"
	if ! e2e_runf sign-primary tpm2_createprimary -Q -C o -G ecc256 -c "$d/p.ctx"; then
		t_fail "sign: createprimary" "$(e2e_err "$E2E_TMP/sign-primary.err")"
		return
	fi
	for g in rsa2048:rsassa rsa2048:rsapss ecc256:ecdsa; do
		s=${g#*:}
		g=${g%:*}
		if ! e2e_runf "create-$s" tpm2_create -Q -C "$d/p.ctx" -G "$g" -u "$d/$s.pub" -r "$d/$s.priv" ||
			! e2e_runf "load-$s" tpm2_load -Q -C "$d/p.ctx" -u "$d/$s.pub" -r "$d/$s.priv" -c "$d/$s.ctx" ||
			! e2e_runf "pem-$s" tpm2_readpublic -Q -c "$d/$s.ctx" -f pem -o "$d/$s.pem"; then
			t_fail "$s key" "$(e2e_err "$E2E_TMP/create-$s.err") $(e2e_err "$E2E_TMP/load-$s.err")"
			continue
		fi
		if ! e2e_runf "sign-$s" tpm2_sign -c "$d/$s.ctx" -g sha256 -s "$s" -f plain -o "$d/$s.sig" "$d/msg"; then
			t_fail "tpm2_sign $s" "$(e2e_err "$E2E_TMP/sign-$s.err")"
			continue
		fi
		sigopt=()
		[ "$s" = rsapss ] && sigopt=(-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:auto)
		if openssl dgst -sha256 -verify "$d/$s.pem" "${sigopt[@]}" -signature "$d/$s.sig" \
			"$d/msg" >"$E2E_TMP/ossl-$s.out" 2>&1; then
			t_pass "tpm2_sign $g $s verified by openssl"
		else
			t_fail "tpm2_sign $g $s verified by openssl" "$(head -c 200 "$E2E_TMP/ossl-$s.out")"
		fi
		# tpm2_verifysignature with the TPM's own TPMT_SIGNATURE
		if e2e_runf "tss-$s" tpm2_sign -c "$d/$s.ctx" -g sha256 -s "$s" -o "$d/$s.tss" "$d/msg" &&
			e2e_runf "vs-$s" tpm2_verifysignature -c "$d/$s.ctx" -g sha256 -m "$d/msg" -s "$d/$s.tss" -t "$d/$s.tk"; then
			t_pass "tpm2_verifysignature $s"
		else
			t_fail "tpm2_verifysignature $s" "$(e2e_err "$E2E_TMP/vs-$s.err")"
		fi
		if e2e_runf "vs2-$s" tpm2_verifysignature -c "$d/$s.ctx" -g sha256 -m "$d/msg2" -s "$d/$s.tss"; then
			t_fail "tpm2_verifysignature $s refuses another message" "it succeeded"
		else
			t_pass "tpm2_verifysignature $s refuses another message"
		fi
	done
	# LoadExternal of an OpenSSL key pair (NULL hierarchy) signs; the public part alone
	# (owner hierarchy) verifies.
	for g in rsa ecc; do
		if [ "$g" = rsa ]; then
			openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/ext-$g.pem" 2>/dev/null
			s=rsassa
		else
			openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/ext-$g.pem" 2>/dev/null
			s=ecdsa
		fi
		openssl pkey -in "$d/ext-$g.pem" -pubout -out "$d/ext-$g.pub.pem" 2>/dev/null
		if e2e_runf "lx-$g" tpm2_loadexternal -C n -G "$g" -r "$d/ext-$g.pem" -c "$d/ext-$g.ctx" &&
			e2e_runf "lx-sign-$g" tpm2_sign -c "$d/ext-$g.ctx" -g sha256 -s "$s" -f plain -o "$d/ext-$g.sig" "$d/msg" &&
			openssl dgst -sha256 -verify "$d/ext-$g.pub.pem" -signature "$d/ext-$g.sig" "$d/msg" >/dev/null 2>&1; then
			t_pass "loadexternal $g private key signs (openssl verifies)"
		else
			t_fail "loadexternal $g private key signs (openssl verifies)" "$(e2e_err "$E2E_TMP/lx-$g.err") $(e2e_err "$E2E_TMP/lx-sign-$g.err")"
		fi
		if e2e_runf "lxp-$g" tpm2_loadexternal -C o -G "$g" -u "$d/ext-$g.pub.pem" -c "$d/extp-$g.ctx" &&
			e2e_runf "lxp-tss-$g" tpm2_sign -c "$d/ext-$g.ctx" -g sha256 -s "$s" -o "$d/ext-$g.tss" "$d/msg" &&
			e2e_runf "lxp-vs-$g" tpm2_verifysignature -c "$d/extp-$g.ctx" -g sha256 -m "$d/msg" -s "$d/ext-$g.tss"; then
			t_pass "loadexternal $g public key verifies"
		else
			t_fail "loadexternal $g public key verifies" "$(e2e_err "$E2E_TMP/lxp-$g.err") $(e2e_err "$E2E_TMP/lxp-tss-$g.err") $(e2e_err "$E2E_TMP/lxp-vs-$g.err")"
		fi
	done
	# Quote with a restricted ECDSA key, checked by tpm2_checkquote (signature over the
	# TPMS_ATTEST, nonce, and the PCR digest recomputed from the PCR values). ":null":
	# a signing key's symmetric must be TPM_ALG_NULL (Part 2 TPMS_ECC_PARMS), and
	# tpm2-tools would otherwise put AES-128-CFB into a restricted key's template.
	if e2e_runf ak-create tpm2_create -Q -C "$d/p.ctx" -G ecc256:ecdsa-sha256:null \
		-a "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign" \
		-u "$d/ak.pub" -r "$d/ak.priv" &&
		e2e_runf ak-load tpm2_load -Q -C "$d/p.ctx" -u "$d/ak.pub" -r "$d/ak.priv" -c "$d/ak.ctx" &&
		e2e_runf ak-pem tpm2_readpublic -Q -c "$d/ak.ctx" -f pem -o "$d/ak.pem" &&
		e2e_runf quote tpm2_quote -c "$d/ak.ctx" -l sha256:0,16 -q 0badc0de -m "$d/q.msg" \
			-s "$d/q.sig" -o "$d/q.pcrs" -g sha256 &&
		e2e_runf checkquote tpm2_checkquote -u "$d/ak.pem" -m "$d/q.msg" -s "$d/q.sig" \
			-f "$d/q.pcrs" -g sha256 -q 0badc0de; then
		t_pass "tpm2_quote verified by tpm2_checkquote"
	else
		t_fail "tpm2_quote verified by tpm2_checkquote" "$(e2e_err "$E2E_TMP/ak-create.err") $(e2e_err "$E2E_TMP/quote.err") $(e2e_err "$E2E_TMP/checkquote.err")"
	fi
	# A restricted key refuses to sign an outside digest (TPM_RC_TICKET), signs a
	# TPM-hashed one.
	if e2e_runf sign-restricted tpm2_sign -c "$d/ak.ctx" -g sha256 -o "$d/r.sig" "$d/msg"; then
		t_pass "restricted key signs a message the TPM hashed"
	else
		t_fail "restricted key signs a message the TPM hashed" "$(e2e_err "$E2E_TMP/sign-restricted.err")"
	fi
	sha256sum "$d/msg" | cut -d' ' -f1 | xxd -r -p >"$d/msg.dig"
	if e2e_runf sign-restricted-d tpm2_sign -c "$d/ak.ctx" -g sha256 -d -o "$d/r2.sig" "$d/msg.dig"; then
		t_fail "restricted key refuses an outside digest" "it signed"
	elif grep -qi '0x3a0\|ticket' "$E2E_TMP/sign-restricted-d.err"; then
		t_pass "restricted key refuses an outside digest (TPM_RC_TICKET)"
	else
		t_fail "restricted key refuses an outside digest" "$(e2e_err "$E2E_TMP/sign-restricted-d.err")"
	fi
}
e2e_sign_flow

[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
