#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets that have hand-made seeds (tests/fuzz/README.md).

usage: tests/fuzz/gen_seeds.py [CORPUS_DIR]     (default: tests/fuzz/corpus)

vtpm_execute: real TPM 2.0 commands (Part 3 wire format), one scenario per file, several
commands back to back; core_mem, protocols and page_alloc: operation streams in the
harnesses' formats. Also writes tests/fuzz/vtpm_execute.dict (libFuzzer dictionary).
The IGVM seeds come from the harness itself (FUZZ_IGVM_WRITE_SEEDS, see fuzz_igvm_parse.c).
Deterministic: rerunning rewrites the same files.
"""
import os
import struct
import sys

ST_NO_SESSIONS = 0x8001
ST_SESSIONS = 0x8002
RS_PW = 0x40000009
RH_OWNER = 0x40000001
RH_NULL = 0x40000007
RH_ENDORSEMENT = 0x4000000B
RH_PLATFORM = 0x4000000C
SHA1, SHA256, SHA384, SHA512 = 0x0004, 0x000B, 0x000C, 0x000D
ALG_NULL, ALG_RSA, ALG_ECC, ALG_AES, ALG_CFB, ALG_KEYEDHASH = 0x10, 0x01, 0x23, 0x06, 0x43, 0x08


def u8(v):
    return struct.pack(">B", v)


def u16(v):
    return struct.pack(">H", v)


def u32(v):
    return struct.pack(">I", v)


def b2(data):
    return u16(len(data)) + data


def pw_auth(*passwords):
    """An authorization area with one password session per password (Part 1, password
    authorizations); none given: one session with an empty password."""
    area = b"".join(u32(RS_PW) + b2(b"") + u8(0x01) + b2(p) for p in (passwords or (b"",)))
    return u32(len(area)) + area


def cmd(cc, body=b"", handles=b"", auth=None):
    tag = ST_SESSIONS if auth is not None else ST_NO_SESSIONS
    rest = handles + (auth if auth is not None else b"") + body
    return u16(tag) + u32(10 + len(rest)) + u32(cc) + rest


def pcr_sel(alg, pcrs):
    bits = bytearray(3)
    for p in pcrs:
        bits[p // 8] |= 1 << (p % 8)
    return u16(alg) + u8(3) + bytes(bits)


def startup(su=0):
    return cmd(0x144, u16(su))


def get_cap(cap, prop, count):
    return cmd(0x17A, u32(cap) + u32(prop) + u32(count))


def pcr_extend(pcr, digests):
    body = u32(len(digests)) + b"".join(u16(a) + d for a, d in digests)
    return cmd(0x182, body, handles=u32(pcr), auth=pw_auth())


def pcr_read(sels):
    return cmd(0x17E, u32(len(sels)) + b"".join(sels))


def start_auth_session(se, hash_alg, sym=u16(ALG_NULL), nonce=b"\x11" * 16, bind=RH_NULL):
    body = b2(nonce) + b2(b"") + u8(se) + sym + u16(hash_alg)
    return cmd(0x176, body, handles=u32(RH_NULL) + u32(bind))


def ecc_p256_template(restricted_decrypt=True):
    attrs = 0x00030072 if restricted_decrypt else 0x00040072
    sym = u16(ALG_AES) + u16(128) + u16(ALG_CFB) if restricted_decrypt else u16(ALG_NULL)
    params = sym + u16(ALG_NULL) + u16(0x0003) + u16(ALG_NULL)  # scheme, curve, kdf
    return u16(ALG_ECC) + u16(SHA256) + u32(attrs) + b2(b"") + params + b2(b"") + b2(b"")


def keyedhash_template():
    attrs = 0x00000012  # fixedTPM | fixedParent, userWithAuth: a sealed data object
    return u16(ALG_KEYEDHASH) + u16(SHA256) + u32(attrs | 0x40) + b2(b"") + u16(ALG_NULL) + b2(b"")


def sensitive_create(auth=b"", data=b""):
    inner = b2(auth) + b2(data)
    return b2(inner)


def vtpm_seeds():
    d = {}
    d["startup_clear"] = startup(0)
    d["startup_state_after_shutdown"] = cmd(0x145, u16(1)) + startup(1)
    d["harness_power_cycle_startup"] = u16(0xB0FF) + u32(10) + u32(0) + startup(1) + startup(0)
    d["get_capability_all"] = b"".join(
        get_cap(c, p, n) for c, p, n in [
            (0, 0, 64), (1, 0x80000000, 16), (1, 0x03000000, 16), (2, 0x11F, 128),
            (5, 0, 1), (6, 0x100, 64), (6, 0x200, 64), (7, 0, 32), (8, 0, 8), (1, 0x81000000, 8),
            (1, 0x01000000, 8)])
    d["pcr_extend_read"] = pcr_extend(16, [(SHA256, b"\xAB" * 32), (SHA1, b"\xCD" * 20)]) + \
        pcr_read([pcr_sel(SHA256, [16, 17]), pcr_sel(SHA1, range(24))])
    d["pcr_event_reset"] = cmd(0x13C, b2(b"event data"), handles=u32(16), auth=pw_auth()) + \
        cmd(0x13D, b"", handles=u32(16), auth=pw_auth())
    d["get_random_stir"] = cmd(0x17B, u16(32)) + cmd(0x146, b2(b"\x42" * 32)) + cmd(0x17B, u16(64))
    d["hash_all_banks"] = b"".join(
        cmd(0x17D, b2(b"abc" * 10) + u16(a) + u32(RH_OWNER)) for a in (SHA1, SHA256, SHA384, SHA512))
    d["hash_sequence"] = cmd(0x186, b2(b"") + u16(SHA256)) + \
        cmd(0x15C, b2(b"hello "), handles=u32(0x80000000), auth=pw_auth()) + \
        cmd(0x13E, b2(b"world") + u32(RH_OWNER), handles=u32(0x80000000), auth=pw_auth())
    d["event_sequence"] = cmd(0x186, b2(b"pw") + u16(ALG_NULL)) + \
        cmd(0x185, b2(b"ev"), handles=u32(10) + u32(0x80000000), auth=pw_auth(b"", b"pw"))
    d["start_hmac_session_flush"] = start_auth_session(0, SHA256) + cmd(0x165, u32(0x02000000))
    d["start_policy_session_pcr"] = start_auth_session(1, SHA256) + \
        cmd(0x17F, b2(b"") + u32(1) + pcr_sel(SHA256, [0, 1]), handles=u32(0x03000000)) + \
        cmd(0x16C, u32(0x182), handles=u32(0x03000000)) + \
        cmd(0x16B, b"", handles=u32(0x03000000)) + cmd(0x18C, b"", handles=u32(0x03000000)) + \
        cmd(0x189, b"", handles=u32(0x03000000)) + cmd(0x180, b"", handles=u32(0x03000000))
    d["start_session_aes_cfb"] = start_auth_session(0, SHA384, u16(ALG_AES) + u16(128) + u16(ALG_CFB))
    d["trial_session"] = start_auth_session(3, SHA1, nonce=b"\x01" * 20) + \
        cmd(0x189, b"", handles=u32(0x03000000))
    d["self_test_clock"] = cmd(0x143, u8(1)) + cmd(0x142, u32(2) + u16(SHA256) + u16(ALG_AES)) + \
        cmd(0x17C) + cmd(0x181)
    d["test_parms"] = cmd(0x18A, u16(ALG_ECC) + u16(ALG_NULL) + u16(ALG_NULL) + u16(3) + u16(ALG_NULL)) + \
        cmd(0x18A, u16(ALG_RSA) + u16(ALG_NULL) + u16(ALG_NULL) + u16(2048) + u32(0))
    d["context_save_load"] = start_auth_session(0, SHA256) + cmd(0x162, b"", handles=u32(0x02000000))
    d["create_primary_ecc"] = cmd(
        0x131, sensitive_create() + b2(ecc_p256_template()) + b2(b"") + u32(0),
        handles=u32(RH_OWNER), auth=pw_auth()) + cmd(0x173, b"", handles=u32(0x80000000))
    d["create_primary_sealed_create_load"] = cmd(
        0x131, sensitive_create() + b2(ecc_p256_template()) + b2(b"") + u32(0),
        handles=u32(RH_OWNER), auth=pw_auth()) + cmd(
        0x153, sensitive_create(b"auth", b"secret") + b2(keyedhash_template()) + b2(b"") + u32(0),
        handles=u32(0x80000000), auth=pw_auth())
    nv_public = u32(0x01000010) + u16(SHA256) + u32(0x00060006) + b2(b"") + u16(32)
    d["nv_define_write_read"] = cmd(0x12A, b2(b"") + b2(nv_public), handles=u32(RH_OWNER), auth=pw_auth()) + \
        cmd(0x137, b2(b"\x5A" * 16) + u16(0), handles=u32(0x01000010) + u32(0x01000010), auth=pw_auth()) + \
        cmd(0x14E, u16(16) + u16(0), handles=u32(0x01000010) + u32(0x01000010), auth=pw_auth()) + \
        cmd(0x169, b"", handles=u32(0x01000010)) + \
        cmd(0x122, b"", handles=u32(RH_OWNER) + u32(0x01000010), auth=pw_auth())
    d["hierarchy_change_auth_clear"] = cmd(0x129, b2(b"newpw"), handles=u32(RH_OWNER), auth=pw_auth()) + \
        cmd(0x126, b"", handles=u32(0x4000000A), auth=pw_auth()) + \
        cmd(0x127, u8(0), handles=u32(RH_PLATFORM), auth=pw_auth())
    d["dictionary_attack"] = cmd(0x13A, u32(3) + u32(100) + u32(200), handles=u32(0x4000000A), auth=pw_auth()) + \
        cmd(0x139, b"", handles=u32(0x4000000A), auth=pw_auth())
    # Malformed framing: short, oversized size field, bad tag, unknown command.
    d["malformed_short"] = b"\x80\x01\x00\x00"
    d["malformed_size_mismatch"] = u16(ST_NO_SESSIONS) + u32(4000) + u32(0x17B) + u16(8)
    d["malformed_bad_tag_unknown_cc"] = u16(0x00C1) + u32(12) + u32(0x144) + u16(0) + \
        cmd(0x1FF) + cmd(0x20000001)
    return d


def core_seeds():
    """Operation streams for fuzz_core_mem.c (see its header comment for the format)."""
    d = {}
    # op 7: list + PVALIDATE call; list = ga gb mode count entries(3 bytes each)
    def entry(a, b, fl):
        return bytes([a, b, fl])
    validate_4k = bytes([7, 0x00, 0x03, 0, 2]) + entry(0x04, 0x00, 4) + entry(0x04, 0x01, 4)
    d["pvalidate_4k"] = validate_4k
    d["pvalidate_2m_then_rescind"] = bytes([7, 0x00, 0x03, 0, 1]) + entry(0x82, 0x02, 5) + \
        bytes([7, 0x00, 0x03, 0, 1]) + entry(0x82, 0x02, 1)
    d["deposit_withdraw"] = bytes([0x87, 0x00, 0x03, 16, 2]) + entry(0x01, 0x50, 0) + entry(0x01, 0x51, 0) + \
        bytes([4, 3, 0x40, 0x00, 0x04])
    d["budget_incomplete"] = bytes([5, 2, 3, 0]) + bytes([7, 0x00, 0x03, 0, 8]) + \
        b"".join(entry(0x0A, i, 4) for i in range(8)) + bytes([2, 0, 0])
    d["fail_injection"] = bytes([5, 0, 2, 0x11]) + validate_4k + bytes([5, 1, 1, 0]) + validate_4k
    d["raw_list_in_caa"] = bytes([0, 0xF0, 0x00, 0x08, 2]) + (struct.pack("<Q", 0x800004) * 2) + bytes([2, 0, 0])
    d["other_calls"] = bytes([2, 0x34, 0x80, 0x00, 0x05, 0]) + bytes([2, 0x14, 0x00, 0xF0, 0x01, 0]) + \
        bytes([2, 0x1c, 0x00, 0x00, 0x06, 0]) + bytes([6, 0x00, 0x06, 0x80]) + \
        bytes([2, 0x14, 0x40, 0x00, 0x06, 0x00, 0x06, 0])
    d["racing_guest"] = bytes([5, 5, 1, 2]) + struct.pack(">Q", 0xFFFF) + validate_4k
    return d


def protocols_seeds():
    """Operation streams for fuzz_protocols.c (see its header comment for the format)."""
    d = {}
    # attest: op, mode, op address (2), report, nonce, manifest, certs (2 each), sizes
    addrs = bytes([0x00, 0x03, 0x00, 0x10, 0x00, 0x12, 0x00, 0x11, 0x00, 0x13])
    services = bytes([0, 0x00]) + addrs + bytes([32])
    single = bytes([1, 0x01]) + addrs + bytes([32])
    startup = bytes([0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0])
    vtpm = bytes([2, 0x00, 0x00, 0x20, len(startup)]) + startup
    d["attest_services"] = services
    d["attest_single_service"] = single
    d["attest_busy_then_ok"] = bytes([4, 0, 1]) + services + bytes([4, 0, 0]) + single
    d["attest_bad_sizes"] = bytes([0, 0x0A]) + addrs + bytes([0x00, 0x10, 32, 0x00, 0x20])
    d["vtpm_cmd"] = vtpm
    d["vtpm_query_and_bad_platform_cmd"] = bytes([5, 2, 0, 0, 0, 0]) + \
        bytes([3, 0x02, 0x00, 0x20, 12, 1]) + startup
    d["vtpm_engine_bad_length"] = bytes([4, 2, 1, 0x20, 0x00]) + vtpm + bytes([4, 2, 0]) + vtpm
    d["write_failure"] = bytes([4, 3, 0]) + vtpm + bytes([4, 3, 1]) + services
    return d


def page_alloc_seeds():
    """Operation streams for fuzz_page_alloc.c: 4 set-up bytes, then 3-byte operations."""
    d = {}
    d["small_alloc_free"] = bytes([0x10, 0, 0, 0]) + bytes([0, 0, 0, 0, 1, 0, 4, 0, 0, 5, 0, 0])
    d["large_order10"] = bytes([0x84, 0x40, 0, 0]) + bytes([0, 10, 0, 1, 3, 1, 4, 0, 0, 9, 0x20, 0])
    d["carved_misaligned_runs"] = bytes([0x83, 0x00, 7, 1]) + bytes([3, 13, 0, 3, 1, 0x20, 3, 0, 0x40, 4, 1, 0, 9, 0x20, 0])
    d["tags_and_injection"] = bytes([0x20, 0, 3, 0]) + bytes([0, 2, 0, 7, 0, 1, 8, 2, 0, 0, 1, 0, 0, 1, 0, 7, 0, 1])
    d["misuse_double_free"] = bytes([0x08, 0, 0, 0]) + bytes([0, 1, 0, 9, 3, 0])
    return d


def vtpm_dict(repo):
    """libFuzzer dictionary for vtpm_execute: every TPM_CC_, TPM_ALG_ and TPM_RH_/TPM_RS_ value
    vtpm/tpm2.h defines (big-endian, as on the wire), the session and transient handle bases,
    and the two command tags."""
    import re
    entries = []
    with open(os.path.join(repo, "vtpm", "tpm2.h")) as f:
        for line in f:
            m = re.match(r"#define (TPM_(CC|ALG|RH|RS|SE|SU|CAP|PT|ECC)_[A-Z0-9_]+) (0x[0-9A-Fa-f]+)u?", line)
            if not m:
                continue
            name, kind, value = m.group(1), m.group(2), int(m.group(3), 16)
            width = 4 if kind in ("CC", "RH", "RS", "CAP", "PT") else (1 if kind == "SE" else 2)
            data = value.to_bytes(width, "big")
            entries.append((name, data))
    for name, value in (("TRANSIENT_0", 0x80000000), ("TRANSIENT_1", 0x80000001),
                        ("HMAC_SESSION_0", 0x02000000), ("POLICY_SESSION_0", 0x03000000),
                        ("NV_INDEX", 0x01000010), ("PERSISTENT", 0x81000001),
                        ("PCR_16", 0x00000010)):
        entries.append((name, value.to_bytes(4, "big")))
    entries.append(("TAG_NO_SESSIONS", b"\x80\x01"))
    entries.append(("TAG_SESSIONS", b"\x80\x02"))
    entries.append(("HARNESS_POWER_CYCLE", b"\xb0\xff\x00\x00\x00\x0a\x00\x00\x00\x00"))
    lines = ["# libFuzzer dictionary for fuzz_vtpm_execute, written by tests/fuzz/gen_seeds.py"]
    seen = set()
    for name, data in entries:
        if data in seen:
            continue
        seen.add(data)
        lines.append('%s="%s"' % (name, "".join("\\x%02x" % b for b in data)))
    return "\n".join(lines) + "\n"


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "vtpm_execute.dict"), "w") as f:
        f.write(vtpm_dict(repo))
    for target, seeds in (("vtpm_execute", vtpm_seeds()), ("core_mem", core_seeds()),
                          ("protocols", protocols_seeds()), ("page_alloc", page_alloc_seeds())):
        out = os.path.join(root, target)
        os.makedirs(out, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(out, name), "wb") as f:
                f.write(data)
        print(f"{out}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
