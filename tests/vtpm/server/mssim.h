/*
 * The Microsoft/TCG TPM simulator ("mssim") TCP protocol around Bastion's engine (vtpm/vtpm.h):
 * the framing tpm2-tss's `mssim:` TCTI, tpm2-pytss, IBM TSS (TPM_SERVER_TYPE=mssim) and the
 * tpm2-tools test harnesses speak. Host only (tests/vtpm/server/, never in the firmware).
 *
 * Two TCP ports, every integer big-endian:
 *   command port N     u32 code, then per code:
 *                        8  TPM_SEND_COMMAND   u8 locality, u32 n, n bytes -> u32 m, m bytes, u32 0
 *                        15 REMOTE_HANDSHAKE   u32 clientVersion (!= 0)  -> u32 1, u32 flags, u32 0
 *                        16 SET_ALT_RESULT     u32 (ignored)             -> u32 0
 *                        20 SESSION_END        the server closes the connection
 *                        21 STOP               the server exits with status 0
 *                      anything else closes the connection (HASH_START/DATA/END, 5/6/7, too:
 *                      the engine API has no _TPM_Hash_* entry points).
 *   platform port N+1  bare u32 signal -> u32 0 (u32 1, then close, for an unknown signal):
 *                        1 POWER_ON (only a real power cycle when the TPM was off: tpm2-tss
 *                          sends POWER_ON + NV_ON on every TCTI init), 2 POWER_OFF,
 *                        3/4 PHYS_PRES_ON/OFF, 9/10 CANCEL_ON/OFF, 11/12 NV_ON/OFF,
 *                        13/14 KEY_CACHE_ON/OFF (recorded only), 17 RESET and 18 RESTART
 *                        (_TPM_Init without a power loss), 20 SESSION_END (close), 21 STOP,
 *                        25 GET_COMMAND_RESPONSE_SIZES (-> u32 16, u32 largest command size,
 *                        u32 its code, u32 largest response size, u32 its code, u32 0; reset),
 *                        26 ACT_GET_SIGNALED (u32 handle -> u32 0 "not signaled", u32 0),
 *                        30 TEST_FAILURE_MODE (-> u32 1: the engine API cannot force it).
 *
 * Behaviour that is ours rather than the simulator's (all for hostile or careless clients):
 *   - a command longer than VTPM_MAX_COMMAND_SIZE (and at most MSSIM_DISCARD_MAX) is read
 *     and dropped, and answered with a TPM response carrying TPM_RC_COMMAND_SIZE, so the
 *     framing stays in step; a longer length field is garbage and closes the connection;
 *   - locality > 4 (the engine's range) is answered with TPM_RC_LOCALITY without running it;
 *   - a command while the TPM is powered off is answered with TPM_RC_FAILURE (send POWER_ON);
 *   - a connection stalled mid-frame for 10 s is closed (main.c), so a half-sent command
 *     cannot hold a port that serves one client at a time;
 *   - every reply is built in one buffer and handed to the kernel in one send, so Nagle and
 *     delayed ACK never split a response (docs: tpm2-clients.md §0 item 5).
 *
 * mssim_step() is pure protocol: bytes in c->in, reply bytes out in c->out; the socket loop
 * (main.c) owns reading, writing and the connection life cycle.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vtpm/vtpm.h"

enum {
	MSSIM_SIGNAL_POWER_ON = 1,
	MSSIM_SIGNAL_POWER_OFF = 2,
	MSSIM_SIGNAL_PHYS_PRES_ON = 3,
	MSSIM_SIGNAL_PHYS_PRES_OFF = 4,
	MSSIM_SIGNAL_HASH_START = 5,
	MSSIM_SIGNAL_HASH_DATA = 6,
	MSSIM_SIGNAL_HASH_END = 7,
	MSSIM_SEND_COMMAND = 8,
	MSSIM_SIGNAL_CANCEL_ON = 9,
	MSSIM_SIGNAL_CANCEL_OFF = 10,
	MSSIM_SIGNAL_NV_ON = 11,
	MSSIM_SIGNAL_NV_OFF = 12,
	MSSIM_SIGNAL_KEY_CACHE_ON = 13,
	MSSIM_SIGNAL_KEY_CACHE_OFF = 14,
	MSSIM_REMOTE_HANDSHAKE = 15,
	MSSIM_SET_ALTERNATIVE_RESULT = 16,
	MSSIM_SIGNAL_RESET = 17,
	MSSIM_SIGNAL_RESTART = 18,
	MSSIM_SESSION_END = 20,
	MSSIM_STOP = 21,
	MSSIM_GET_COMMAND_RESPONSE_SIZES = 25,
	MSSIM_ACT_GET_SIGNALED = 26,
	MSSIM_TEST_FAILURE_MODE = 30,
};

/* Handshake answer: server version 1; flags "platform available" (1) | "raw mode" (4). No
 * "supports physical presence" (2): the engine has no physical-presence input. */
#define MSSIM_SERVER_VERSION 1u
#define MSSIM_HANDSHAKE_FLAGS 5u

/* Longest announced command the server reads and drops (answering TPM_RC_COMMAND_SIZE);
 * anything longer closes the connection. The reference simulator's own buffer is 1 MiB. */
#define MSSIM_DISCARD_MAX (1u << 20)

/* Receive buffer: the 9-byte SEND_COMMAND header plus the largest command. */
#define MSSIM_IN_CAP (9u + VTPM_MAX_COMMAND_SIZE)
/* Reply buffer: u32 size, the largest response, u32 0 trailer. */
#define MSSIM_OUT_CAP (4u + VTPM_MAX_RESPONSE_SIZE + 4u)

enum mssim_port { MSSIM_PORT_COMMAND, MSSIM_PORT_PLATFORM };

/* The one TPM both ports drive, plus the simulator-level signal state. */
struct mssim_tpm {
	struct vtpm *vtpm;
	bool powered;   /* POWER_ON seen and no POWER_OFF since */
	bool nv_on;     /* NV_ON/NV_OFF: recorded (the engine API has no NV-availability input) */
	bool phys_pres; /* PHYS_PRES_ON/OFF: recorded only */
	bool cancel;    /* CANCEL_ON/OFF: recorded only (commands run to completion) */
	bool quiet;     /* -quiet: log errors only */
	/* GET_COMMAND_RESPONSE_SIZES statistics since the last query. */
	uint32_t largest_cmd_size, largest_cmd_code, largest_rsp_size, largest_rsp_code;
	uint64_t commands; /* TPM commands executed (for the exit log line) */
	/* -state FILE (state.c): the file, its image size and the last image written. */
	const char *state_path;
	size_t state_size;
	uint8_t *state_last;
};

/* -state FILE (state.c). open: loads FILE into the (initialised) engine, or writes the
 * manufactured TPM to a new FILE; -1 with a message if FILE is unusable. sync: writes the NV
 * image if it changed since the last write (atomically: FILE.tmp, fsync, rename); -1 with a
 * message if that failed (the caller stops: the file would fall behind). Both are no-ops
 * without -state. */
int mssim_state_open(struct mssim_tpm *tpm, const char *path);
int mssim_state_sync(struct mssim_tpm *tpm);

struct mssim_conn {
	enum mssim_port port;
	int id;          /* connection number, for log lines */
	size_t in_len;   /* received, not yet consumed bytes in in[] */
	uint32_t discard; /* bytes of an oversized command still to drop */
	size_t out_off, out_len; /* pending reply: out[out_off..out_len) not yet sent */
	uint8_t in[MSSIM_IN_CAP];
	uint8_t out[MSSIM_OUT_CAP];
};

enum mssim_result {
	MSSIM_NEED_MORE, /* no complete frame in c->in: read more */
	MSSIM_PROGRESS,  /* one frame (or discarded bytes) consumed; c->out may hold a reply */
	MSSIM_CLOSE,     /* close this connection (session end, EOF-less garbage, error) */
	MSSIM_EXIT,      /* STOP: the server exits with status 0 */
};

/* Resets c for a freshly accepted connection on the given port. */
void mssim_conn_init(struct mssim_conn *c, enum mssim_port port, int id);

/*
 * Consumes at most one frame from c->in (or drops pending oversized-command bytes) and, when
 * the frame has a reply, writes it to c->out (out_off = 0, out_len = its length). Call only
 * when c->out is empty (out_off == out_len); the caller sends the reply before the next call.
 */
enum mssim_result mssim_step(struct mssim_tpm *tpm, struct mssim_conn *c);

/* Accounts for n bytes of an oversized command's body that the caller read and dropped
 * without putting them in c->in (n <= c->discard); after the last one it queues the
 * TPM_RC_COMMAND_SIZE reply in c->out. */
void mssim_drop(struct mssim_conn *c, size_t n);

/* Log helpers shared by the server's files: "vtpm-server: ..." on stderr. mssim_info is
 * silent under -quiet. */
void mssim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mssim_info(const struct mssim_tpm *tpm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
