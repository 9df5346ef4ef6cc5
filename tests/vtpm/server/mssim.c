/*
 * The mssim protocol state machine (contract in mssim.h): frames in, replies out, no sockets.
 */
#include "tests/vtpm/server/mssim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* TPM 2.0 Part 2: TPM_ST_NO_SESSIONS and the response codes the framing layer itself gives. */
#define TPM_ST_NO_SESSIONS 0x8001u
#define TPM_RC_FAILURE 0x101u
#define TPM_RC_COMMAND_SIZE 0x142u
#define TPM_RC_LOCALITY 0x907u
#define TPM_HEADER_SIZE 10u
#define MAX_LOCALITY 4u

void mssim_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vtpm-server: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void mssim_info(const struct mssim_tpm *tpm, const char *fmt, ...)
{
	va_list ap;

	if (tpm->quiet)
		return;
	va_start(ap, fmt);
	fputs("vtpm-server: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void mssim_conn_init(struct mssim_conn *c, enum mssim_port port, int id)
{
	c->port = port;
	c->id = id;
	c->in_len = 0;
	c->discard = 0;
	c->out_off = 0;
	c->out_len = 0;
}

/* Drops the first n received bytes (one consumed frame); keeps what the client pipelined. */
static void consume(struct mssim_conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
}

/* Queues a reply of up to three u32 words. */
static void reply_words(struct mssim_conn *c, size_t count, uint32_t w0, uint32_t w1, uint32_t w2)
{
	const uint32_t w[3] = { w0, w1, w2 };

	for (size_t i = 0; i < count; i++)
		put_be32(c->out + 4 * i, w[i]);
	c->out_off = 0;
	c->out_len = 4 * count;
}

/* Queues `u32 10, a bare TPM error response, u32 0` for errors the framing layer answers. */
static void reply_tpm_error(struct mssim_conn *c, uint32_t rc)
{
	uint8_t *r = c->out + 4;

	put_be32(c->out, TPM_HEADER_SIZE);
	r[0] = (uint8_t)(TPM_ST_NO_SESSIONS >> 8);
	r[1] = (uint8_t)TPM_ST_NO_SESSIONS;
	put_be32(r + 2, TPM_HEADER_SIZE);
	put_be32(r + 6, rc);
	put_be32(c->out + 4 + TPM_HEADER_SIZE, 0);
	c->out_off = 0;
	c->out_len = 4 + TPM_HEADER_SIZE + 4;
}

void mssim_drop(struct mssim_conn *c, size_t n)
{
	c->discard -= (uint32_t)(n < c->discard ? n : c->discard);
	if (c->discard == 0)
		reply_tpm_error(c, TPM_RC_COMMAND_SIZE);
}

/* ---- command port ---------------------------------------------------------------------- */

/* Runs one TPM command straight into the reply buffer: u32 m | response | u32 0. */
static void run_command(struct mssim_tpm *tpm, struct mssim_conn *c, uint8_t locality,
			const uint8_t *cmd, uint32_t n)
{
	size_t rsp_len = 0;

	if (locality > MAX_LOCALITY) {
		mssim_info(tpm, "conn %d: locality %u is outside 0..4: TPM_RC_LOCALITY", c->id,
			   locality);
		reply_tpm_error(c, TPM_RC_LOCALITY);
		return;
	}
	if (!tpm->powered) {
		mssim_log("conn %d: TPM command while powered off (send POWER_ON on the platform "
			  "port first): TPM_RC_FAILURE",
			  c->id);
		reply_tpm_error(c, TPM_RC_FAILURE);
		return;
	}
	if (n > tpm->largest_cmd_size) {
		tpm->largest_cmd_size = n;
		tpm->largest_cmd_code = n >= TPM_HEADER_SIZE ? get_be32(cmd + 6) : 0;
	}
	vtpm_execute(tpm->vtpm, locality, cmd, n, c->out + 4, VTPM_MAX_RESPONSE_SIZE, &rsp_len);
	tpm->commands++;
	/* -state: the NV image reaches the file before the response reaches the client, so an
	 * acknowledged change is never lost; if it cannot, the server stops unanswered. */
	if (mssim_state_sync(tpm) != 0)
		exit(1);
	if (rsp_len < TPM_HEADER_SIZE || rsp_len > VTPM_MAX_RESPONSE_SIZE) {
		/* The engine promises a response header; never send garbage if it breaks that. */
		mssim_log("conn %d: engine returned a %zu-byte response: TPM_RC_FAILURE", c->id,
			  rsp_len);
		reply_tpm_error(c, TPM_RC_FAILURE);
		return;
	}
	if (rsp_len > tpm->largest_rsp_size) {
		tpm->largest_rsp_size = (uint32_t)rsp_len;
		tpm->largest_rsp_code = get_be32(c->out + 4 + 6);
	}
	put_be32(c->out, (uint32_t)rsp_len);
	put_be32(c->out + 4 + rsp_len, 0);
	c->out_off = 0;
	c->out_len = 4 + rsp_len + 4;
}

static enum mssim_result cmd_send_command(struct mssim_tpm *tpm, struct mssim_conn *c)
{
	uint32_t n;

	if (c->in_len < 9)
		return MSSIM_NEED_MORE;
	n = get_be32(c->in + 5);
	if (n > VTPM_MAX_COMMAND_SIZE) {
		if (n > MSSIM_DISCARD_MAX) {
			mssim_log("conn %d: SEND_COMMAND announces %u bytes (> %u): closing", c->id,
				  n, MSSIM_DISCARD_MAX);
			return MSSIM_CLOSE;
		}
		/* Too big for the engine but plausible: drop the body, then answer
		 * TPM_RC_COMMAND_SIZE (Part 1, command size checks) in step with the client. */
		mssim_info(tpm, "conn %d: %u-byte command (> %u): dropping it, TPM_RC_COMMAND_SIZE",
			   c->id, n, VTPM_MAX_COMMAND_SIZE);
		consume(c, 9);
		c->discard = n;
		return MSSIM_PROGRESS;
	}
	if (c->in_len < 9 + (size_t)n)
		return MSSIM_NEED_MORE;
	run_command(tpm, c, c->in[4], c->in + 9, n);
	consume(c, 9 + (size_t)n);
	return MSSIM_PROGRESS;
}

static enum mssim_result cmd_handshake(struct mssim_tpm *tpm, struct mssim_conn *c)
{
	if (c->in_len < 8)
		return MSSIM_NEED_MORE;
	if (get_be32(c->in + 4) == 0) {
		mssim_log("conn %d: REMOTE_HANDSHAKE with client version 0: closing", c->id);
		return MSSIM_CLOSE;
	}
	consume(c, 8);
	mssim_info(tpm, "conn %d: handshake", c->id);
	reply_words(c, 3, MSSIM_SERVER_VERSION, MSSIM_HANDSHAKE_FLAGS, 0);
	return MSSIM_PROGRESS;
}

static enum mssim_result cmd_alternative_result(struct mssim_tpm *tpm, struct mssim_conn *c)
{
	(void)tpm;
	if (c->in_len < 8)
		return MSSIM_NEED_MORE;
	consume(c, 8); /* no alternative results in this server, like the simulator */
	reply_words(c, 1, 0, 0, 0);
	return MSSIM_PROGRESS;
}

static enum mssim_result any_session_end(struct mssim_tpm *tpm, struct mssim_conn *c)
{
	mssim_info(tpm, "conn %d: SESSION_END", c->id);
	return MSSIM_CLOSE;
}

static enum mssim_result any_stop(struct mssim_tpm *tpm, struct mssim_conn *c)
{
	mssim_log("conn %d: STOP: exiting", c->id);
	(void)tpm;
	return MSSIM_EXIT;
}

/* ---- platform port --------------------------------------------------------------------- */

static enum mssim_result plat_power_on(struct mssim_tpm *tpm, struct mssim_conn *c)
{
	/* Idempotent: tpm2-tss sends POWER_ON at every TCTI init; only a TPM that was off gets
	 * _TPM_Init (otherwise every tpm2-tools process would reset the TPM). */
	if (!tpm->powered) {
		vtpm_power_on(tpm->vtpm);
		tpm->powered = true;
		mssim_info(tpm, "conn %d: POWER_ON: _TPM_Init", c->id);
	}
	reply_words(c, 1, 0, 0, 0);
	return MSSIM_PROGRESS;
}

static enum mssim_result plat_power_off(struct mssim_tpm *tpm, struct mssim_conn *c)
{
	if (tpm->powered)
		mssim_info(tpm, "conn %d: POWER_OFF", c->id);
	tpm->powered = false;
	reply_words(c, 1, 0, 0, 0);
	return MSSIM_PROGRESS;
}

/* RESET and RESTART: _TPM_Init without a power loss (the simulator's forced power-on). */
static enum mssim_result plat_reset(struct mssim_tpm *tpm, struct mssim_conn *c)
{
	vtpm_power_on(tpm->vtpm);
	tpm->powered = true;
	mssim_info(tpm, "conn %d: RESET: _TPM_Init", c->id);
	reply_words(c, 1, 0, 0, 0);
	return MSSIM_PROGRESS;
}

static enum mssim_result plat_flag(struct mssim_tpm *tpm, struct mssim_conn *c, bool *flag,
				   bool value)
{
	(void)tpm;
	*flag = value;
	reply_words(c, 1, 0, 0, 0);
	return MSSIM_PROGRESS;
}

static enum mssim_result plat_nv_on(struct mssim_tpm *t, struct mssim_conn *c)
{
	return plat_flag(t, c, &t->nv_on, true);
}

static enum mssim_result plat_nv_off(struct mssim_tpm *t, struct mssim_conn *c)
{
	return plat_flag(t, c, &t->nv_on, false);
}

static enum mssim_result plat_pp_on(struct mssim_tpm *t, struct mssim_conn *c)
{
	return plat_flag(t, c, &t->phys_pres, true);
}

static enum mssim_result plat_pp_off(struct mssim_tpm *t, struct mssim_conn *c)
{
	return plat_flag(t, c, &t->phys_pres, false);
}

static enum mssim_result plat_cancel_on(struct mssim_tpm *t, struct mssim_conn *c)
{
	return plat_flag(t, c, &t->cancel, true);
}

static enum mssim_result plat_cancel_off(struct mssim_tpm *t, struct mssim_conn *c)
{
	return plat_flag(t, c, &t->cancel, false);
}

/* KEY_CACHE_ON/OFF: the simulator's RSA key cache; nothing to switch here. */
static enum mssim_result plat_ack(struct mssim_tpm *tpm, struct mssim_conn *c)
{
	(void)tpm;
	reply_words(c, 1, 0, 0, 0);
	return MSSIM_PROGRESS;
}

static enum mssim_result plat_sizes(struct mssim_tpm *tpm, struct mssim_conn *c)
{
	put_be32(c->out, 16);
	put_be32(c->out + 4, tpm->largest_cmd_size);
	put_be32(c->out + 8, tpm->largest_cmd_code);
	put_be32(c->out + 12, tpm->largest_rsp_size);
	put_be32(c->out + 16, tpm->largest_rsp_code);
	put_be32(c->out + 20, 0);
	c->out_off = 0;
	c->out_len = 24;
	tpm->largest_cmd_size = tpm->largest_cmd_code = 0;
	tpm->largest_rsp_size = tpm->largest_rsp_code = 0;
	return MSSIM_PROGRESS;
}

static enum mssim_result plat_act_signaled(struct mssim_tpm *tpm, struct mssim_conn *c)
{
	(void)tpm;
	if (c->in_len < 8)
		return MSSIM_NEED_MORE;
	consume(c, 8); /* code and handle: the engine has no authenticated countdown timers */
	reply_words(c, 2, 0, 0, 0);
	return MSSIM_PROGRESS;
}

static enum mssim_result plat_failure_mode(struct mssim_tpm *tpm, struct mssim_conn *c)
{
	mssim_info(tpm, "conn %d: TEST_FAILURE_MODE not supported (no engine entry point): 1",
		   c->id);
	reply_words(c, 1, 1, 0, 0);
	return MSSIM_PROGRESS;
}

/* ---- dispatch -------------------------------------------------------------------------- */

struct mssim_op {
	enum mssim_port port;
	uint32_t code;
	const char *name;
	/* Handles the frame whose u32 code is at c->in[0..4). Ops with consumes_code set are
	 * the bare code (consumed before the call); the others carry arguments and consume
	 * their whole frame themselves once it is complete (MSSIM_NEED_MORE until then). */
	bool consumes_code;
	enum mssim_result (*fn)(struct mssim_tpm *tpm, struct mssim_conn *c);
};

static const struct mssim_op mssim_ops[] = {
	{ MSSIM_PORT_COMMAND, MSSIM_SEND_COMMAND, "SEND_COMMAND", false, cmd_send_command },
	{ MSSIM_PORT_COMMAND, MSSIM_REMOTE_HANDSHAKE, "REMOTE_HANDSHAKE", false, cmd_handshake },
	{ MSSIM_PORT_COMMAND, MSSIM_SET_ALTERNATIVE_RESULT, "SET_ALTERNATIVE_RESULT", false,
	  cmd_alternative_result },
	{ MSSIM_PORT_COMMAND, MSSIM_SESSION_END, "SESSION_END", true, any_session_end },
	{ MSSIM_PORT_COMMAND, MSSIM_STOP, "STOP", true, any_stop },
	{ MSSIM_PORT_PLATFORM, MSSIM_SIGNAL_POWER_ON, "POWER_ON", true, plat_power_on },
	{ MSSIM_PORT_PLATFORM, MSSIM_SIGNAL_POWER_OFF, "POWER_OFF", true, plat_power_off },
	{ MSSIM_PORT_PLATFORM, MSSIM_SIGNAL_PHYS_PRES_ON, "PHYS_PRES_ON", true, plat_pp_on },
	{ MSSIM_PORT_PLATFORM, MSSIM_SIGNAL_PHYS_PRES_OFF, "PHYS_PRES_OFF", true, plat_pp_off },
	{ MSSIM_PORT_PLATFORM, MSSIM_SIGNAL_CANCEL_ON, "CANCEL_ON", true, plat_cancel_on },
	{ MSSIM_PORT_PLATFORM, MSSIM_SIGNAL_CANCEL_OFF, "CANCEL_OFF", true, plat_cancel_off },
	{ MSSIM_PORT_PLATFORM, MSSIM_SIGNAL_NV_ON, "NV_ON", true, plat_nv_on },
	{ MSSIM_PORT_PLATFORM, MSSIM_SIGNAL_NV_OFF, "NV_OFF", true, plat_nv_off },
	{ MSSIM_PORT_PLATFORM, MSSIM_SIGNAL_KEY_CACHE_ON, "KEY_CACHE_ON", true, plat_ack },
	{ MSSIM_PORT_PLATFORM, MSSIM_SIGNAL_KEY_CACHE_OFF, "KEY_CACHE_OFF", true, plat_ack },
	{ MSSIM_PORT_PLATFORM, MSSIM_SIGNAL_RESET, "RESET", true, plat_reset },
	{ MSSIM_PORT_PLATFORM, MSSIM_SIGNAL_RESTART, "RESTART", true, plat_reset },
	{ MSSIM_PORT_PLATFORM, MSSIM_SESSION_END, "SESSION_END", true, any_session_end },
	{ MSSIM_PORT_PLATFORM, MSSIM_STOP, "STOP", true, any_stop },
	{ MSSIM_PORT_PLATFORM, MSSIM_GET_COMMAND_RESPONSE_SIZES, "GET_COMMAND_RESPONSE_SIZES", true,
	  plat_sizes },
	{ MSSIM_PORT_PLATFORM, MSSIM_ACT_GET_SIGNALED, "ACT_GET_SIGNALED", false,
	  plat_act_signaled },
	{ MSSIM_PORT_PLATFORM, MSSIM_TEST_FAILURE_MODE, "TEST_FAILURE_MODE", true,
	  plat_failure_mode },
};

static const struct mssim_op *find_op(enum mssim_port port, uint32_t code)
{
	for (size_t i = 0; i < sizeof(mssim_ops) / sizeof(mssim_ops[0]); i++)
		if (mssim_ops[i].port == port && mssim_ops[i].code == code)
			return &mssim_ops[i];
	return NULL;
}

enum mssim_result mssim_step(struct mssim_tpm *tpm, struct mssim_conn *c)
{
	const struct mssim_op *op;
	uint32_t code;

	if (c->discard) {
		size_t take = c->in_len < c->discard ? c->in_len : c->discard;

		if (take == 0)
			return MSSIM_NEED_MORE;
		consume(c, take);
		mssim_drop(c, take);
		return MSSIM_PROGRESS;
	}
	if (c->in_len < 4)
		return MSSIM_NEED_MORE;
	code = get_be32(c->in);
	op = find_op(c->port, code);
	if (!op) {
		mssim_log("conn %d: unknown %s-port code %u (0x%08x): closing", c->id,
			  c->port == MSSIM_PORT_COMMAND ? "command" : "platform", code, code);
		if (c->port == MSSIM_PORT_PLATFORM) {
			/* The simulator answers 1 to an unknown signal before it hangs up. */
			consume(c, 4);
			reply_words(c, 1, 1, 0, 0);
		}
		return MSSIM_CLOSE;
	}
	if (op->consumes_code)
		consume(c, 4);
	return op->fn(tpm, c);
}
