#!/usr/bin/env python3
"""mssim_relay.py: makes the vTPM inside Bastion look like a Microsoft-simulator TPM.

QEMU connects the relay guest's COM2 to a TCP socket (scripts/qemu-run.sh --serial2); this
adapter connects to that socket and listens on 127.0.0.1 PORT (command) and PORT+1
(platform), so unmodified tpm2-tools, tpm2-pytss or any mssim client reach the TPM that runs
inside Bastion:

    tpm2_getrandom -T mssim:host=127.0.0.1,port=PORT 8

Command port frames go to the guest unchanged (SEND_COMMAND, HANDSHAKE, SESSION_END, STOP);
the guest passes each TPM command through SVSM_VTPM_CMD (tests/guest/conformance/relay.c) and
sends the response back. Platform port signals are answered here: the TPM inside Bastion is
powered on and NV-on by Bastion itself (the SVSM protocol has no power signals), so
POWER_ON/NV_ON/... are acknowledged without effect; STOP on either port stops the guest and
this adapter.

usage: mssim_relay.py --serial HOST:PORT --port N [--log FILE]
"""
import argparse
import socket
import struct
import sys
import threading
import time

SEND_COMMAND, HANDSHAKE, SESSION_END, STOP = 8, 15, 20, 21
PLATFORM_ACKED = {1, 2, 3, 4, 9, 10, 11, 12, 13, 14, 17, 18, 26, 30}
MAX_FRAME = 4096 + 16

serial_lock = threading.Lock()
stopping = threading.Event()
log_file = sys.stderr


def log(msg):
    print("mssim_relay: " + msg, file=log_file, flush=True)


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        # tpm2-tss writes the 9-byte header and the body separately without TCP_NODELAY:
        # ACK at once (Linux clears QUICKACK after it fires) or the body waits ~40 ms.
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = s.recv(n - len(b))
        if not chunk:
            raise EOFError("peer closed")
        b += chunk
    return b


def u32(b):
    return struct.unpack(">I", b)[0]


def serve_command(conn, serial):
    while True:
        code = u32(recv_exact(conn, 4))
        if code == SEND_COMMAND:
            head = recv_exact(conn, 5)
            size = u32(head[1:])
            if size > MAX_FRAME:
                log("command of %d bytes: closing the client" % size)
                return
            body = recv_exact(conn, size)
            with serial_lock:
                serial.sendall(struct.pack(">I", code) + head + body)
                n = u32(recv_exact(serial, 4))
                rsp = recv_exact(serial, n + 4)
            conn.sendall(struct.pack(">I", n) + rsp)
        elif code == HANDSHAKE:
            version = recv_exact(conn, 4)
            with serial_lock:
                serial.sendall(struct.pack(">I", code) + version)
                rsp = recv_exact(serial, 12)
            conn.sendall(rsp)
        elif code == SESSION_END:
            return
        elif code == STOP:
            with serial_lock:
                serial.sendall(struct.pack(">I", STOP))
            stopping.set()
            return
        else:
            log("unknown command-port code %d: closing the client" % code)
            return


def serve_platform(conn, serial):
    while True:
        code = u32(recv_exact(conn, 4))
        if code in PLATFORM_ACKED:
            conn.sendall(struct.pack(">I", 0))
        elif code == SESSION_END:
            return
        elif code == STOP:
            with serial_lock:
                serial.sendall(struct.pack(">I", STOP))
            stopping.set()
            return
        else:
            log("unsupported platform code %d: closing the client" % code)
            return


def listener(port, handler, serial):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(4)
    ls.settimeout(0.2)
    while not stopping.is_set():
        try:
            conn, _ = ls.accept()
        except socket.timeout:
            continue
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            handler(conn, serial)
        except (EOFError, ConnectionError):
            pass
        finally:
            conn.close()
    ls.close()


def main():
    global log_file
    ap = argparse.ArgumentParser()
    ap.add_argument("--serial", required=True, help="HOST:PORT of QEMU's COM2 socket")
    ap.add_argument("--port", type=int, required=True, help="mssim command port (platform +1)")
    ap.add_argument("--log")
    a = ap.parse_args()
    if a.log:
        log_file = open(a.log, "a")
    host, port = a.serial.rsplit(":", 1)
    serial = None
    for _ in range(200):
        try:
            serial = socket.create_connection((host, int(port)), 1)
            break
        except OSError:
            time.sleep(0.05)
    if serial is None:
        log("cannot connect to the guest's serial socket %s" % a.serial)
        return 1
    serial.settimeout(None)
    serial.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    log("connected to %s; mssim on 127.0.0.1:%d/%d" % (a.serial, a.port, a.port + 1))
    threads = [threading.Thread(target=listener, args=(a.port, serve_command, serial), daemon=True),
               threading.Thread(target=listener, args=(a.port + 1, serve_platform, serial), daemon=True)]
    for t in threads:
        t.start()
    while not stopping.is_set():
        time.sleep(0.1)
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
