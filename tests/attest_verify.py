#!/usr/bin/env python3
"""attest_verify.py LOG: checks the attestation reports the conformance guest printed.

LOG is the raw QEMU output of a conformance run: Bastion's boot line
  attest: native report key P-384 x=<hex> y=<hex> (not hardware-rooted)
and the guest's lines
  attest-dump: <name>.nonce=<hex> / .manifest=<hex> / .report=<hex>
For each report: REPORT_DATA (0x50..0x8F) must be SHA-512(nonce || manifest), and the
ECDSA P-384 signature (R, S little endian at 0x2A0 and 0x2E8, 72-byte fields) over bytes
0x000-0x29F must verify with OpenSSL (`openssl dgst -sha384 -verify`) against the logged key.
A flipped bit in the signed area must then fail verification (the check can fail).
Prints PASS/FAIL lines; exit status 1 on any failure.
"""
import hashlib
import os
import re
import subprocess
import sys
import tempfile

P384_SPKI_PREFIX = bytes.fromhex("3076301006072a8648ce3d020106052b81040022036200")


def der_int(b):
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80:
        b = b"\0" + b
    return b"\x02" + bytes([len(b)]) + b


def der_sig(r, s):
    body = der_int(r) + der_int(s)
    return b"\x30" + bytes([len(body)]) + body


def openssl_verify(pem, data, sig):
    with tempfile.TemporaryDirectory() as d:
        paths = {n: os.path.join(d, n) for n in ("key.pem", "data", "sig")}
        open(paths["key.pem"], "w").write(pem)
        open(paths["data"], "wb").write(data)
        open(paths["sig"], "wb").write(sig)
        r = subprocess.run(["openssl", "dgst", "-sha384", "-verify", paths["key.pem"],
                            "-signature", paths["sig"], paths["data"]],
                           capture_output=True, text=True)
        return r.returncode == 0


def main():
    text = open(sys.argv[1], "rb").read().decode("ascii", "replace").replace("\r", "")
    failed = 0

    def result(ok, what, detail=""):
        nonlocal failed
        print(("PASS " if ok else "FAIL ") + what + ("" if ok or not detail else ": " + detail))
        failed += 0 if ok else 1

    m = re.search(r"attest: native report key P-384 x=([0-9a-f]{96}) y=([0-9a-f]{96})", text)
    result(m is not None, "attest: Bastion logged its native report key")
    if m is None:
        return 1
    spki = P384_SPKI_PREFIX + b"\x04" + bytes.fromhex(m.group(1)) + bytes.fromhex(m.group(2))
    pem = "-----BEGIN PUBLIC KEY-----\n"
    import base64
    b64 = base64.b64encode(spki).decode()
    pem += "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64)) + "\n-----END PUBLIC KEY-----\n"

    dumps = dict(re.findall(r"attest-dump: ([a-z.]+)=([0-9a-f]*)", text))
    names = sorted({k.split(".")[0] for k in dumps})
    result(len(names) >= 2, "attest: the guest printed its reports (%s)" % ", ".join(names))
    for n in names:
        try:
            nonce = bytes.fromhex(dumps[n + ".nonce"])
            manifest = bytes.fromhex(dumps[n + ".manifest"])
            report = bytes.fromhex(dumps[n + ".report"])
        except KeyError as e:
            result(False, "attest %s: complete dump" % n, "missing %s" % e)
            continue
        result(len(report) == 1184, "attest %s: report is 1184 bytes" % n)
        want = hashlib.sha512(nonce + manifest).digest()
        result(report[0x50:0x90] == want, "attest %s: REPORT_DATA = SHA-512(nonce || manifest)" % n)
        r = report[0x2A0:0x2A0 + 48][::-1]
        s = report[0x2E8:0x2E8 + 48][::-1]
        sig = der_sig(r, s)
        result(openssl_verify(pem, report[:0x2A0], sig),
               "attest %s: ECDSA P-384 signature verifies with openssl against the logged key" % n)
        bad = bytearray(report[:0x2A0])
        bad[0x50] ^= 1
        result(not openssl_verify(pem, bytes(bad), sig),
               "attest %s: ... and fails for a report with one REPORT_DATA bit flipped" % n)
        result(b"BASTION-NATIVE-NOT-HARDWARE-ROOTED" in report[0x1A0:0x1E0],
               "attest %s: CHIP_ID marks the report as not hardware-rooted" % n)
    print("attest_verify: %d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
