#!/usr/bin/env bash
# Flow: key use through tpm2-tools with OpenSSL as the oracle (vtpm/cmd_crypt.c).
# RSA 2048: openssl pkeyutl encrypts (OAEP SHA-256, with and without a label; PKCS#1 v1.5)
# and tpm2_rsadecrypt recovers the bytes; tpm2_rsaencrypt -> tpm2_rsadecrypt round trips;
# raw RSA (scheme null) is deterministic and equals openssl's rsa_padding_mode:none.
# AES-128/256 in CFB, CBC, CTR, ECB: openssl enc encrypts with a key loaded by
# tpm2_loadexternal and tpm2_encryptdecrypt -d (EncryptDecrypt2) decrypts in 1024-octet
# chunks chained by ivOut; encryption needs the key's sign (= encrypt) attribute.
# HMAC: tpm2_hmac with an imported key equals openssl's HMAC. ECDH: tpm2_ecdhkeygen's Z
# equals tpm2_ecdhzgen of its ephemeral point, and tpm2_ecdhzgen of an OpenSSL key's point
# equals openssl pkeyutl -derive.
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

e2e_cfl() { tpm2_flushcontext -t >/dev/null 2>&1; tpm2_flushcontext -l >/dev/null 2>&1; }
e2e_crun() { e2e_run "$@"; local rc=$?; e2e_cfl; return $rc; }

e2e_crypt_rsa() {
	local d=$1
	if ! e2e_crun crypt-rsa-create tpm2_create -Q -C "$d/p.ctx" -G rsa2048 -u "$d/r.pub" -r "$d/r.priv" ||
		! e2e_crun crypt-rsa-load tpm2_load -Q -C "$d/p.ctx" -u "$d/r.pub" -r "$d/r.priv" -c "$d/r.ctx" ||
		! e2e_crun crypt-rsa-pem tpm2_readpublic -Q -c "$d/r.ctx" -f pem -o "$d/r.pem"; then
		t_fail "crypt: rsa key" "$(e2e_err "$E2E_TMP/crypt-rsa-create.err") $(e2e_err "$E2E_TMP/crypt-rsa-load.err")"
		return
	fi
	printf 'secret message %s\n' "$RANDOM" >"$d/msg"
	openssl pkeyutl -encrypt -pubin -inkey "$d/r.pem" -pkeyopt rsa_padding_mode:oaep \
		-pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 -in "$d/msg" -out "$d/oaep.ct" 2>/dev/null
	if e2e_crun crypt-rsadec-oaep tpm2_rsadecrypt -c "$d/r.ctx" -s oaep -o "$d/oaep.pt" "$d/oaep.ct" &&
		cmp -s "$d/oaep.pt" "$d/msg"; then
		t_pass "tpm2_rsadecrypt oaep of openssl pkeyutl's ciphertext"
	else
		t_fail "tpm2_rsadecrypt oaep of openssl pkeyutl's ciphertext" "$(e2e_err "$E2E_TMP/crypt-rsadec-oaep.err")"
	fi
	# tpm2-tools sends the label with its terminating zero; openssl gets the same octets.
	openssl pkeyutl -encrypt -pubin -inkey "$d/r.pem" -pkeyopt rsa_padding_mode:oaep \
		-pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 \
		-pkeyopt rsa_oaep_label:"$(printf 'mylabel' | od -An -tx1 | tr -d ' \n')00" \
		-in "$d/msg" -out "$d/oaepl.ct" 2>/dev/null
	if e2e_crun crypt-rsadec-label tpm2_rsadecrypt -c "$d/r.ctx" -s oaep -l mylabel -o "$d/oaepl.pt" "$d/oaepl.ct" &&
		cmp -s "$d/oaepl.pt" "$d/msg"; then
		t_pass "tpm2_rsadecrypt oaep with a label (openssl ciphertext)"
	else
		t_fail "tpm2_rsadecrypt oaep with a label (openssl ciphertext)" "$(e2e_err "$E2E_TMP/crypt-rsadec-label.err")"
	fi
	if e2e_crun crypt-rsadec-wrong tpm2_rsadecrypt -c "$d/r.ctx" -s oaep -l other -o "$d/x" "$d/oaepl.ct"; then
		t_fail "tpm2_rsadecrypt refuses the wrong label" "it succeeded"
	else
		t_pass "tpm2_rsadecrypt refuses the wrong label"
	fi
	openssl pkeyutl -encrypt -pubin -inkey "$d/r.pem" -pkeyopt rsa_padding_mode:pkcs1 \
		-in "$d/msg" -out "$d/pkcs1.ct" 2>/dev/null
	if e2e_crun crypt-rsadec-rsaes tpm2_rsadecrypt -c "$d/r.ctx" -s rsaes -o "$d/pkcs1.pt" "$d/pkcs1.ct" &&
		cmp -s "$d/pkcs1.pt" "$d/msg"; then
		t_pass "tpm2_rsadecrypt rsaes of openssl pkeyutl's ciphertext"
	else
		t_fail "tpm2_rsadecrypt rsaes of openssl pkeyutl's ciphertext" "$(e2e_err "$E2E_TMP/crypt-rsadec-rsaes.err")"
	fi
	if e2e_crun crypt-rsaenc tpm2_rsaencrypt -c "$d/r.ctx" -s oaep -l lbl -o "$d/t.ct" "$d/msg" &&
		e2e_crun crypt-rsadec tpm2_rsadecrypt -c "$d/r.ctx" -s oaep -l lbl -o "$d/t.pt" "$d/t.ct" &&
		cmp -s "$d/t.pt" "$d/msg"; then
		t_pass "tpm2_rsaencrypt -> tpm2_rsadecrypt (oaep, label)"
	else
		t_fail "tpm2_rsaencrypt -> tpm2_rsadecrypt (oaep, label)" "$(e2e_err "$E2E_TMP/crypt-rsaenc.err") $(e2e_err "$E2E_TMP/crypt-rsadec.err")"
	fi
	# Raw RSA is deterministic: the TPM's ciphertext equals openssl's.
	{ printf '\001'; head -c 255 /dev/urandom; } >"$d/raw"
	openssl pkeyutl -encrypt -pubin -inkey "$d/r.pem" -pkeyopt rsa_padding_mode:none \
		-in "$d/raw" -out "$d/raw.ossl" 2>/dev/null
	if e2e_crun crypt-rsaenc-null tpm2_rsaencrypt -c "$d/r.ctx" -s null -o "$d/raw.tpm" "$d/raw" &&
		cmp -s "$d/raw.tpm" "$d/raw.ossl"; then
		t_pass "tpm2_rsaencrypt -s null equals openssl rsa_padding_mode:none"
	else
		t_fail "tpm2_rsaencrypt -s null equals openssl rsa_padding_mode:none" "$(e2e_err "$E2E_TMP/crypt-rsaenc-null.err")"
	fi
}

e2e_crypt_aes() {
	local d=$1 bits mode key iv ivopt len
	for bits in 128 256; do
		head -c $((bits / 8)) /dev/urandom >"$d/aes$bits.key"
		if ! e2e_crun "crypt-lx-aes$bits" tpm2_loadexternal -C n -G aes$bits -r "$d/aes$bits.key" \
			-a "userwithauth|decrypt" -c "$d/aes$bits.ctx"; then
			t_fail "crypt: loadexternal aes$bits" "$(e2e_err "$E2E_TMP/crypt-lx-aes$bits.err")"
			continue
		fi
		key=$(e2e_hex "$d/aes$bits.key")
		head -c 16 /dev/urandom >"$d/iv"
		iv=$(e2e_hex "$d/iv")
		for mode in cfb cbc ctr ecb; do
			# Longer than one TPM2B_MAX_BUFFER: tpm2-tools sends 1024-octet chunks and
			# passes each ivOut on as the next ivIn.
			len=2500
			case $mode in cbc | ecb) len=3072 ;; esac
			head -c $len /dev/urandom >"$d/pt"
			ivopt=(-t "$d/iv")
			if [ $mode = ecb ]; then
				openssl enc -aes-$bits-ecb -nopad -K "$key" -in "$d/pt" -out "$d/ct" 2>/dev/null
				ivopt=()
			else
				openssl enc -aes-$bits-$mode -nopad -K "$key" -iv "$iv" -in "$d/pt" -out "$d/ct" 2>/dev/null
			fi
			if e2e_crun "crypt-dec-$bits-$mode" tpm2_encryptdecrypt -c "$d/aes$bits.ctx" -d -G $mode \
				"${ivopt[@]}" -o "$d/out" "$d/ct" && cmp -s "$d/out" "$d/pt"; then
				t_pass "tpm2_encryptdecrypt -d aes$bits-$mode of openssl enc's ciphertext"
			else
				t_fail "tpm2_encryptdecrypt -d aes$bits-$mode of openssl enc's ciphertext" \
					"$(e2e_err "$E2E_TMP/crypt-dec-$bits-$mode.err")"
			fi
		done
		# A decrypt-only key does not encrypt (TPM_RC_ATTRIBUTES + handle 1).
		if e2e_crun "crypt-enc-$bits" tpm2_encryptdecrypt -c "$d/aes$bits.ctx" -G cfb -t "$d/iv" -o "$d/out" "$d/pt"; then
			t_fail "decrypt-only aes$bits key refuses to encrypt" "it succeeded"
		elif grep -q '0x182' "$E2E_TMP/crypt-enc-$bits.err"; then
			t_pass "decrypt-only aes$bits key refuses to encrypt (0x182)"
		else
			t_fail "decrypt-only aes$bits key refuses to encrypt (0x182)" "$(e2e_err "$E2E_TMP/crypt-enc-$bits.err")"
		fi
	done
	# Encryption with a sign|decrypt key: tpm2_create's default AES attributes. Only once
	# public.c accepts sign (= encrypt, Part 2 §8.3.3.1) on a SYMCIPHER key.
	head -c 16 /dev/urandom >"$d/aes.key"
	if e2e_crun crypt-lx-aesenc tpm2_loadexternal -C n -G aes128 -r "$d/aes.key" \
		-a "userwithauth|decrypt|sign" -c "$d/aesenc.ctx"; then
		head -c 777 /dev/urandom >"$d/pt"
		openssl enc -aes-128-cfb -K "$(e2e_hex "$d/aes.key")" -iv "$iv" -in "$d/pt" -out "$d/ct" 2>/dev/null
		if e2e_crun crypt-enc tpm2_encryptdecrypt -c "$d/aesenc.ctx" -G cfb -t "$d/iv" -o "$d/out" "$d/pt" &&
			cmp -s "$d/out" "$d/ct"; then
			t_pass "tpm2_encryptdecrypt aes128-cfb encryption equals openssl enc"
		else
			t_fail "tpm2_encryptdecrypt aes128-cfb encryption equals openssl enc" "$(e2e_err "$E2E_TMP/crypt-enc.err")"
		fi
	else
		echo "NOTE crypt: SYMCIPHER keys with sign (encrypt) are refused at creation (public.c); encryption not tested"
	fi
}

e2e_crypt_hmac() {
	local d=$1 want got
	head -c 32 /dev/urandom >"$d/hk"
	head -c 1000 /dev/urandom >"$d/hm"
	if ! e2e_crun crypt-lx-hmac tpm2_loadexternal -C n -G hmac -r "$d/hk" -a "userwithauth|sign" -c "$d/hk.ctx"; then
		t_fail "crypt: loadexternal hmac key" "$(e2e_err "$E2E_TMP/crypt-lx-hmac.err")"
		return
	fi
	want=$(openssl dgst -sha256 -mac HMAC -macopt hexkey:"$(e2e_hex "$d/hk")" "$d/hm" | sed 's/.*= //')
	if e2e_crun crypt-hmac tpm2_hmac -c "$d/hk.ctx" -g sha256 -o "$d/mac" "$d/hm"; then
		got=$(e2e_hex "$d/mac")
		e2e_eq "tpm2_hmac sha256 equals openssl HMAC" "$want" "$got"
	else
		t_fail "tpm2_hmac sha256 equals openssl HMAC" "$(e2e_err "$E2E_TMP/crypt-hmac.err")"
	fi
}

e2e_crypt_ecdh() {
	local d=$1 x y
	if ! e2e_crun crypt-ecc-create tpm2_create -Q -C "$d/p.ctx" -G ecc256:ecdh -u "$d/e.pub" -r "$d/e.priv" ||
		! e2e_crun crypt-ecc-load tpm2_load -Q -C "$d/p.ctx" -u "$d/e.pub" -r "$d/e.priv" -c "$d/e.ctx" ||
		! e2e_crun crypt-ecc-pem tpm2_readpublic -Q -c "$d/e.ctx" -f pem -o "$d/e.pem"; then
		t_fail "crypt: ecdh key" "$(e2e_err "$E2E_TMP/crypt-ecc-create.err") $(e2e_err "$E2E_TMP/crypt-ecc-load.err")"
		return
	fi
	if e2e_crun crypt-ecdhkg tpm2_ecdhkeygen -c "$d/e.ctx" -u "$d/ep" -o "$d/z1" &&
		e2e_crun crypt-ecdhzg tpm2_ecdhzgen -c "$d/e.ctx" -u "$d/ep" -o "$d/z2" &&
		cmp -s "$d/z1" "$d/z2"; then
		t_pass "tpm2_ecdhkeygen's Z equals tpm2_ecdhzgen of its ephemeral point"
	else
		t_fail "tpm2_ecdhkeygen's Z equals tpm2_ecdhzgen of its ephemeral point" \
			"$(e2e_err "$E2E_TMP/crypt-ecdhkg.err") $(e2e_err "$E2E_TMP/crypt-ecdhzg.err")"
	fi
	# An OpenSSL key pair: its public point as a TPM2B_ECC_POINT file.
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/o.pem" 2>/dev/null
	x=$(openssl pkey -in "$d/o.pem" -pubout -outform DER 2>/dev/null | tail -c 64 | od -An -v -tx1 | tr -d ' \n')
	y=${x:64:64}
	x=${x:0:64}
	e2e_unhex "00440020${x}0020${y}" >"$d/op"
	openssl pkeyutl -derive -inkey "$d/o.pem" -peerkey "$d/e.pem" -out "$d/zo" 2>/dev/null
	if e2e_crun crypt-ecdhzg2 tpm2_ecdhzgen -c "$d/e.ctx" -u "$d/op" -o "$d/z3" &&
		[ "$(e2e_hex "$d/z3" | cut -c9-72)" = "$(e2e_hex "$d/zo")" ]; then
		t_pass "tpm2_ecdhzgen equals openssl pkeyutl -derive"
	else
		t_fail "tpm2_ecdhzgen equals openssl pkeyutl -derive" "$(e2e_err "$E2E_TMP/crypt-ecdhzg2.err")"
	fi
}

e2e_crypt_flow() {
	local d=$E2E_TMP/crypt
	mkdir -p "$d"
	if ! e2e_crun crypt-primary tpm2_createprimary -Q -C o -G ecc256 -c "$d/p.ctx"; then
		t_fail "crypt: createprimary" "$(e2e_err "$E2E_TMP/crypt-primary.err")"
		return
	fi
	e2e_crypt_rsa "$d"
	e2e_crypt_aes "$d"
	e2e_crypt_hmac "$d"
	e2e_crypt_ecdh "$d"
}

e2e_crypt_flow
[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
