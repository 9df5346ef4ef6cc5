#!/usr/bin/python3
"""Flow: Linux's TPM bus protection (tpm2-sessions, CONFIG_TCG_TPM2_HMAC, Linux 6.10+) with
tpm2-pytss as the client, over the TCTI in $TPM2TOOLS_TCTI or argv[1]:
  1. a primary ECC P-256 key in the NULL hierarchy (Linux's "null key"),
  2. ContextSave of it and ContextLoad back (Linux keeps the null key as a context),
  3. a salted HMAC session: StartAuthSession(tpmKey = null key, bind = NULL, HMAC,
     AES-128-CFB, SHA-256); the salt is ECDH + KDFe "SECRET" to the null key,
  4. PCR_Extend authorized through that session (command and response HMACs checked by
     ESAPI),
  5. GetRandom with response parameter encryption (ESAPI decrypts),
  6. the same session reused (continueSession) and flushed.
ESAPI verifies every response HMAC itself and raises if one is wrong, so success means the
session key, salt and parameter encryption all agree with the TPM. Prints PASS/FAIL lines."""
import hashlib
import os
import sys

from tpm2_pytss import (ESAPI, ESYS_TR, TPM2_ALG, TPM2_ECC, TPM2_SE, TPM2B_PUBLIC,
                        TPM2B_SENSITIVE_CREATE, TPMA_SESSION, TPML_DIGEST_VALUES,
                        TPML_PCR_SELECTION, TPMT_HA, TPMT_SYM_DEF)

failed = 0


def report(name, ok, detail=""):
    global failed
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + str(detail)), flush=True)
    failed += 0 if ok else 1


def main():
    tcti = sys.argv[1] if len(sys.argv) > 1 else os.environ["TPM2TOOLS_TCTI"]
    with ESAPI(tcti) as e:
        tmpl = TPM2B_PUBLIC.parse("ecc256:aes128cfb", objectAttributes=(
            "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|decrypt|noda"))
        try:
            null_key, pub, _, _, _ = e.create_primary(TPM2B_SENSITIVE_CREATE(), tmpl,
                                                      primary_handle=ESYS_TR.RH_NULL)
        except Exception as x:  # noqa: BLE001 - report any TSS error as the failure
            report("bus: NULL-hierarchy ECC P-256 primary", False, x)
            return 1
        report("bus: NULL-hierarchy ECC P-256 primary",
               pub.publicArea.parameters.eccDetail.curveID == TPM2_ECC.NIST_P256)
        ctx = e.context_save(null_key)
        e.flush_context(null_key)
        null_key = e.context_load(ctx)
        report("bus: ContextSave + FlushContext + ContextLoad of the null key", True)

        sym = TPMT_SYM_DEF(algorithm=TPM2_ALG.AES)
        sym.keyBits.aes = 128
        sym.mode.aes = TPM2_ALG.CFB
        try:
            s = e.start_auth_session(null_key, ESYS_TR.NONE, TPM2_SE.HMAC, sym, TPM2_ALG.SHA256)
        except Exception as x:  # noqa: BLE001
            report("bus: salted HMAC session (tpmKey = null key, AES-128-CFB)", False, x)
            return 1
        report("bus: salted HMAC session (tpmKey = null key, AES-128-CFB)", True)
        e.trsess_set_attributes(s, TPMA_SESSION.CONTINUESESSION | TPMA_SESSION.DECRYPT |
                                TPMA_SESSION.ENCRYPT)

        d = hashlib.sha256(b"bastion bus").digest()
        _, _, before = e.pcr_read(TPML_PCR_SELECTION.parse("sha256:16"))
        h = TPMT_HA(hashAlg=TPM2_ALG.SHA256)
        h.digest.sha256 = d
        try:
            e.pcr_extend(ESYS_TR.PCR16, TPML_DIGEST_VALUES([h]), session1=s)
            ok = True
        except Exception as x:  # noqa: BLE001
            ok, before = False, x
        report("bus: PCR_Extend authorized by the salted session (HMACs verified by ESAPI)", ok,
               before)
        if ok:
            _, _, after = e.pcr_read(TPML_PCR_SELECTION.parse("sha256:16"))
            want = hashlib.sha256(bytes(before[0]) + d).digest()
            report("bus: PCR 16 = H(old || d)", bytes(after[0]) == want,
                   bytes(after[0]).hex())
        e.trsess_set_attributes(s, TPMA_SESSION.CONTINUESESSION | TPMA_SESSION.ENCRYPT)
        try:
            r1 = bytes(e.get_random(32, session1=s))
            r2 = bytes(e.get_random(32, session1=s))
            report("bus: GetRandom(32) with response encryption, twice on the same session",
                   len(r1) == 32 and len(r2) == 32 and r1 != r2)
        except Exception as x:  # noqa: BLE001
            report("bus: GetRandom(32) with response encryption", False, x)
        e.flush_context(s)
        e.flush_context(null_key)
        report("bus: session and null key flushed", True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
