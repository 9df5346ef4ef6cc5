#!/usr/bin/python3
"""Flow: the mssim framing of build/vtpm-server itself, with a raw socket client (stdlib
only): handshake, split and pipelined writes, oversized and garbage frames, bad locality,
platform signals, a stalled half frame on one port while the other is served, a burst of
random-garbage connections; after all of it the server must still answer. Usage:
mssim_proto.py PORT. Prints "PASS name" / "FAIL name: detail"."""
import random
import socket
import struct
import sys
import time

PORT = int(sys.argv[1])
failed = 0
GET_RANDOM_8 = bytes.fromhex("80010000000c0000017b0008")


def report(name, ok, detail=""):
    global failed
    if ok:
        print("PASS " + name, flush=True)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, detail), flush=True)


def conn(port_offset=0):
    s = socket.create_connection(("127.0.0.1", PORT + port_offset), 5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(5)
    return s


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("closed after %d of %d bytes" % (len(b), n))
        b += c
    return b


def u32(s):
    return struct.unpack(">I", recv_exact(s, 4))[0]


def closed_by_server(s):
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, socket.timeout):
        return False


def send_cmd(s, body, locality=0):
    s.sendall(struct.pack(">IBI", 8, locality, len(body)) + body)


def read_rsp(s):
    """One SEND_COMMAND reply: u32 m, m bytes (a TPM response whose header size is m), u32 0."""
    m = u32(s)
    rsp = recv_exact(s, m)
    trailer = u32(s)
    tag, size, rc = struct.unpack(">HII", rsp[:10])
    assert size == m, "response header size %d != framing size %d" % (size, m)
    assert trailer == 0, "trailer %d" % trailer
    return tag, rc, rsp


def check(name, fn):
    try:
        r = fn()
        report(name, r is None or r is True, "" if r in (None, True) else str(r))
    except Exception as exc:  # any protocol surprise is a failed check
        report(name, False, "%s: %s" % (type(exc).__name__, exc))


def t_handshake():
    s = conn()
    s.sendall(struct.pack(">II", 15, 1))
    r = (u32(s), u32(s), u32(s))
    s.sendall(struct.pack(">II", 16, 7))
    alt = u32(s)
    s.close()
    return r == (1, 5, 0) and alt == 0 or "handshake %r, alternative result %r" % (r, alt)


def t_startup_twice():
    # The TPM is started (run.sh did tpm2_startup -c, which hides TPM_RC_INITIALIZE):
    # a second Startup(CLEAR) must answer TPM_RC_INITIALIZE (Linux relies on it).
    s = conn()
    send_cmd(s, bytes.fromhex("80010000000c000001440000"))
    _, rc, _ = read_rsp(s)
    s.close()
    return rc == 0x100 or "rc %#x" % rc


def t_split_writes():
    # tpm2-tss writes the 9-byte header and the body separately; a client may even dribble.
    s = conn()
    frame = struct.pack(">IBI", 8, 0, len(GET_RANDOM_8)) + GET_RANDOM_8
    for b in frame:
        s.send(bytes([b]))
        time.sleep(0.001)
    tag, rc, rsp = read_rsp(s)
    s.close()
    return rc == 0 and len(rsp) == 20 or "rc %#x, %d bytes" % (rc, len(rsp))


def t_pipelined():
    s = conn()
    one = struct.pack(">IBI", 8, 0, len(GET_RANDOM_8)) + GET_RANDOM_8
    s.sendall(one * 5)
    rcs = [read_rsp(s)[1] for _ in range(5)]
    s.close()
    return rcs == [0] * 5 or "rcs %r" % rcs


def t_oversized():
    s = conn()
    send_cmd(s, b"\x80\x01" + struct.pack(">I", 5000) + b"\x00\x00\x01\x7b" + bytes(4990))
    tag, rc, _ = read_rsp(s)
    send_cmd(s, GET_RANDOM_8)  # the framing is still in step
    _, rc2, _ = read_rsp(s)
    s.close()
    return (tag, rc, rc2) == (0x8001, 0x142, 0) or "tag %#x rc %#x, then rc %#x" % (tag, rc, rc2)


def t_huge_length():
    s = conn()
    s.sendall(struct.pack(">IBI", 8, 0, 0x7FFFFFFF))
    return closed_by_server(s) or "not closed"


def t_truncated_tpm_command():
    s = conn()
    send_cmd(s, b"\x80\x01\x00\x00")  # shorter than a TPM header: the engine answers it
    tag, rc, _ = read_rsp(s)
    send_cmd(s, b"")
    tag2, rc2, _ = read_rsp(s)
    s.close()
    return rc != 0 and rc2 != 0 or "rc %#x / %#x" % (rc, rc2)


def t_locality():
    s = conn()
    send_cmd(s, GET_RANDOM_8, locality=5)
    _, rc, _ = read_rsp(s)
    s.close()
    return rc == 0x907 or "rc %#x" % rc


def t_unknown_code():
    s = conn()
    s.sendall(struct.pack(">I", 0x12345678))
    return closed_by_server(s) or "not closed"


def t_session_end():
    s = conn()
    s.sendall(struct.pack(">I", 20))
    return closed_by_server(s) or "not closed"


def t_platform():
    p = conn(1)
    out = []
    for sig in (1, 11, 3, 4, 9, 10, 13, 14):
        p.sendall(struct.pack(">I", sig))
        out.append(u32(p))
    p.sendall(struct.pack(">I", 25))
    sizes = [u32(p) for _ in range(6)]
    p.sendall(struct.pack(">II", 26, 0x40000110))
    act = (u32(p), u32(p))
    p.sendall(struct.pack(">I", 77))
    unknown = u32(p)
    gone = closed_by_server(p)
    ok = out == [0] * 8 and sizes[0] == 16 and sizes[5] == 0 and act == (0, 0) and \
        unknown == 1 and gone
    return ok or "acks %r sizes %r act %r unknown %r closed %r" % (out, sizes, act, unknown, gone)


def t_stalled_half_frame():
    # Half a frame on the command port must not block the platform port (tpm2-tss opens both).
    s = conn()
    s.sendall(struct.pack(">IB", 8, 0) + b"\x00\x00")
    p = conn(1)
    p.sendall(struct.pack(">I", 1))
    ack = u32(p)
    p.close()
    s.sendall(b"\x00\x0c" + GET_RANDOM_8)  # complete it: it still runs
    _, rc, _ = read_rsp(s)
    s.close()
    return ack == 0 and rc == 0 or "ack %r rc %#x" % (ack, rc)


def t_power_cycle():
    # POWER_OFF: commands get TPM_RC_FAILURE; POWER_ON: a real _TPM_Init, so the next command
    # gets TPM_RC_INITIALIZE until Startup(CLEAR); a second POWER_ON changes nothing.
    p = conn(1)
    s = conn()
    p.sendall(struct.pack(">I", 2))
    off = u32(p)
    send_cmd(s, GET_RANDOM_8)
    rc_off = read_rsp(s)[1]
    p.sendall(struct.pack(">II", 1, 1))
    on = (u32(p), u32(p))
    send_cmd(s, GET_RANDOM_8)
    rc_init = read_rsp(s)[1]
    send_cmd(s, bytes.fromhex("80010000000c000001440000"))
    rc_startup = read_rsp(s)[1]
    p.sendall(struct.pack(">I", 1))
    on2 = u32(p)
    send_cmd(s, GET_RANDOM_8)
    rc_after = read_rsp(s)[1]
    p.close()
    s.close()
    got = (off, rc_off, on, rc_init, rc_startup, on2, rc_after)
    return got == (0, 0x101, (0, 0), 0x100, 0, 0, 0) or "got %r" % (got,)


def t_garbage_burst():
    rnd = random.Random(7)
    for i in range(300):
        try:
            s = conn(i % 2)
            s.sendall(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 64))))
            s.close()
        except OSError:
            pass
    s = conn()  # still alive and in step
    send_cmd(s, GET_RANDOM_8)
    _, rc, _ = read_rsp(s)
    s.close()
    return rc == 0 or "rc %#x" % rc


for name, fn in [("mssim handshake and alternative result", t_handshake),
                 ("second Startup(CLEAR) -> TPM_RC_INITIALIZE", t_startup_twice),
                 ("mssim command written byte by byte", t_split_writes),
                 ("mssim 5 pipelined commands", t_pipelined),
                 ("mssim 5000-byte command -> TPM_RC_COMMAND_SIZE, stays in step", t_oversized),
                 ("mssim 2 GiB length -> connection closed", t_huge_length),
                 ("mssim short TPM commands -> error responses", t_truncated_tpm_command),
                 ("mssim locality 5 -> TPM_RC_LOCALITY", t_locality),
                 ("mssim unknown command-port code -> connection closed", t_unknown_code),
                 ("mssim SESSION_END -> connection closed", t_session_end),
                 ("mssim platform signals, sizes, ACT, unknown -> 1 + close", t_platform),
                 ("mssim stalled half frame does not block the platform port",
                  t_stalled_half_frame),
                 ("mssim POWER_OFF -> TPM_RC_FAILURE, POWER_ON -> Startup needed, "
                  "second POWER_ON idempotent", t_power_cycle),
                 ("mssim 300 garbage connections, then still serving", t_garbage_burst)]:
    check(name, fn)
sys.exit(1 if failed else 0)
