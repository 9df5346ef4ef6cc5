/*
 * build/vtpm-server: Bastion's TPM 2.0 engine (vtpm/) behind the Microsoft simulator TCP
 * protocol (mssim.h), so tpm2-tools, tpm2-pytss and IBM TSS can drive the very code the
 * firmware links.
 *
 *   vtpm-server [-port N] [-bind ADDR] [-state FILE] [-quiet] [-rm]
 *
 * Command port N (default 2321), platform port N+1, on 127.0.0.1 unless -bind says otherwise.
 * One poll() loop serves both listening sockets and at most one open connection per port:
 * tpm2-tss opens both sockets in every process, so the two must be served together. All
 * sockets are non-blocking and every connection has its own receive buffer, so a client that
 * sends half a frame and stalls never blocks the other port; a client that sends garbage is
 * disconnected, and so is one that stops for 10 s in the middle of a frame (an idle client
 * between frames stays); the server exits only on STOP or a signal.
 *
 * Latency (tpm2-clients.md §0 item 5): TCP_NODELAY on every accepted socket, TCP_QUICKACK
 * re-armed before every read (Linux clears it after it fires; tpm2-tss sends the 9-byte header
 * and the body in two writes without TCP_NODELAY, so the body waits for our ACK otherwise),
 * and each reply leaves in one send.
 *
 * Host platform hooks for the engine: entropy from getrandom(2), clock = CLOCK_MONOTONIC
 * milliseconds since the server started.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/vtpm/server/mssim.h"

struct server {
	struct mssim_tpm tpm;
	int listen_fd[2];          /* indexed by enum mssim_port */
	int conn_fd[2];            /* -1 when no client on that port */
	struct mssim_conn *conn[2];
	uint64_t last_event_ms[2]; /* last poll event on that connection */
	int next_id;
	uint16_t port;
	struct in_addr bind_addr;
	struct timespec start;
};

/* ---- engine platform hooks ------------------------------------------------------------- */

static int host_entropy(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	while (len) {
		ssize_t n = getrandom(out, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		out += n;
		len -= (size_t)n;
	}
	return 0;
}

static uint64_t host_clock_ms(void *ctx)
{
	const struct server *s = ctx;
	struct timespec now;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)(now.tv_sec - s->start.tv_sec) * 1000 +
	     (now.tv_nsec - s->start.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (uint64_t)ms;
}

/* ---- sockets --------------------------------------------------------------------------- */

static int listen_on(const struct server *s, uint16_t port)
{
	struct sockaddr_in a;
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		mssim_log("socket: %s", strerror(errno));
		return -1;
	}
	/* A restarted server must be able to take its port back while old connections sit in
	 * TIME_WAIT (the reference simulator's "Bind error 0x62"). */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		mssim_log("SO_REUSEADDR: %s", strerror(errno));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr = s->bind_addr;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 8) < 0) {
		mssim_log("bind/listen %s:%u: %s", inet_ntoa(s->bind_addr), port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static const char *port_name(enum mssim_port p)
{
	return p == MSSIM_PORT_COMMAND ? "command" : "platform";
}

static void accept_conn(struct server *s, enum mssim_port p)
{
	struct sockaddr_in peer;
	socklen_t peer_len = sizeof(peer);
	int one = 1;
	int fd = accept4(s->listen_fd[p], (struct sockaddr *)&peer, &peer_len,
			 SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			mssim_log("accept (%s port): %s", port_name(p), strerror(errno));
		return;
	}
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		mssim_log("TCP_NODELAY: %s", strerror(errno));
	s->conn_fd[p] = fd;
	mssim_conn_init(s->conn[p], p, ++s->next_id);
	mssim_info(&s->tpm, "conn %d: %s port, from %s:%u", s->next_id, port_name(p),
		   inet_ntoa(peer.sin_addr), ntohs(peer.sin_port));
}

static void close_conn(struct server *s, enum mssim_port p, const char *why)
{
	mssim_info(&s->tpm, "conn %d: closed (%s)", s->conn[p]->id, why);
	close(s->conn_fd[p]);
	s->conn_fd[p] = -1;
}

/* Sends what is pending in c->out. 1: all sent, 0: the socket is full (wait for POLLOUT),
 * -1: the connection is broken. One send per reply: the whole reply is one buffer. */
static int flush_out(int fd, struct mssim_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	return 1;
}

/* Runs complete frames from the receive buffer until one needs more bytes or a reply cannot
 * leave yet. Returns false when the connection is gone (closed here). */
static bool pump(struct server *s, enum mssim_port p)
{
	struct mssim_conn *c = s->conn[p];
	int fd = s->conn_fd[p];

	for (;;) {
		enum mssim_result r;
		int f = flush_out(fd, c);

		if (f < 0) {
			close_conn(s, p, "send failed");
			return false;
		}
		if (f == 0)
			return true; /* wait for POLLOUT before taking the next frame */
		r = mssim_step(&s->tpm, c);
		if (r == MSSIM_NEED_MORE)
			return true;
		if (r == MSSIM_CLOSE || r == MSSIM_EXIT) {
			flush_out(fd, c); /* best effort: an unknown signal's u32 1 */
			if (r == MSSIM_EXIT) {
				mssim_info(&s->tpm, "%llu TPM commands served",
					   (unsigned long long)s->tpm.commands);
				exit(0);
			}
			close_conn(s, p, "by the server");
			return false;
		}
	}
}

/* Reads what the client sent. Returns false when the connection is gone. */
static bool read_conn(struct server *s, enum mssim_port p)
{
	struct mssim_conn *c = s->conn[p];
	int fd = s->conn_fd[p];
	int one = 1;
	uint8_t sink[4096];
	uint8_t *dst;
	size_t room;
	ssize_t n;

	/* Linux clears TCP_QUICKACK once it has acted on it: re-arm before every read so the
	 * client's second write (the command body) is never held back by our delayed ACK. */
	setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
	if (c->discard && c->in_len == 0) {
		dst = sink; /* an oversized command's body: read and drop */
		room = c->discard < sizeof(sink) ? c->discard : sizeof(sink);
	} else {
		dst = c->in + c->in_len;
		room = sizeof(c->in) - c->in_len;
	}
	if (room == 0)
		return pump(s, p); /* buffer full of pipelined frames: drain first */
	n = recv(fd, dst, room, 0);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return true;
		close_conn(s, p, strerror(errno));
		return false;
	}
	if (n == 0) {
		/* EOF is the session end: tpm2-tss 3.2.1 never sends SESSION_END. */
		close_conn(s, p, c->in_len || c->discard ? "EOF inside a frame" : "EOF");
		return false;
	}
	if (dst == sink)
		mssim_drop(c, (size_t)n); /* queues TPM_RC_COMMAND_SIZE after the last byte */
	else
		c->in_len += (size_t)n;
	return pump(s, p);
}

/* A client that stops in the middle of a frame (or stops reading its reply) for this long is
 * dropped, so it cannot hold a port (one client per port) forever. An idle client between
 * frames (a persistent ESAPI connection) is never dropped. */
#define STALL_MS 10000u

/* True when c holds half a frame or an unsent reply. */
static bool mid_frame(const struct mssim_conn *c)
{
	return c->in_len || c->discard || c->out_off < c->out_len;
}

/* Closes connections stalled mid-frame; returns the poll timeout (ms, -1 = none). */
static int reap_stalled(struct server *s)
{
	uint64_t now = host_clock_ms(s);
	int timeout = -1;

	for (int p = 0; p < 2; p++) {
		if (s->conn_fd[p] < 0 || !mid_frame(s->conn[p]))
			continue;
		if (now - s->last_event_ms[p] >= STALL_MS) {
			mssim_log("conn %d: stalled mid-frame for %u s: closing", s->conn[p]->id,
				  STALL_MS / 1000);
			close_conn(s, (enum mssim_port)p, "stalled");
			continue;
		}
		timeout = 1000;
	}
	return timeout;
}

static void serve(struct server *s)
{
	for (;;) {
		struct pollfd pfd[4];
		int kind[4], which[4], n = 0;
		int timeout = reap_stalled(s);

		for (int p = 0; p < 2; p++) {
			if (s->conn_fd[p] < 0) {
				/* One client at a time per port, like the simulator: the next one
				 * waits in the backlog until this one hangs up. */
				pfd[n] = (struct pollfd){ .fd = s->listen_fd[p], .events = POLLIN };
				kind[n] = 0;
			} else {
				const struct mssim_conn *c = s->conn[p];

				pfd[n] = (struct pollfd){
					.fd = s->conn_fd[p],
					.events = c->out_off < c->out_len ? POLLOUT : POLLIN,
				};
				kind[n] = 1;
			}
			which[n++] = p;
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			mssim_log("poll: %s", strerror(errno));
			sleep(1);
			continue;
		}
		for (int i = 0; i < n; i++) {
			enum mssim_port p = (enum mssim_port)which[i];

			if (!pfd[i].revents)
				continue;
			s->last_event_ms[p] = host_clock_ms(s);
			if (kind[i] == 0)
				accept_conn(s, p);
			else if (pfd[i].events & POLLOUT)
				pump(s, p);
			else
				read_conn(s, p);
		}
	}
}

/* ---- main ------------------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr,
		"usage: vtpm-server [-port N] [-bind ADDR] [-state FILE] [-quiet] [-rm]\n"
		"  Bastion's vTPM engine over the Microsoft TPM simulator protocol.\n"
		"  -port N      command port N (default 2321), platform port N+1\n"
		"  -bind ADDR   IPv4 address to listen on (default 127.0.0.1)\n"
		"  -state FILE  keep the TPM's NV image in FILE (loaded at start, created if\n"
		"               missing, rewritten atomically after every change); without\n"
		"               -state the state lives in memory\n"
		"  -quiet       log errors only\n"
		"  -rm          remove the -state FILE first (a new TPM), as tpm_server does\n"
		"  Stops on the STOP code (21) on either port, or on a signal.\n");
}

int main(int argc, char **argv)
{
	static struct server s;
	struct vtpm_platform plat;
	const char *state = NULL;
	bool remove_state = false;
	long port = 2321;
	size_t size;

	s.bind_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] == '-' && a[1] == '-')
			a++; /* accept --port as well as -port */
		if (!strcmp(a, "-port") && i + 1 < argc) {
			char *end;

			port = strtol(argv[++i], &end, 10);
			if (*end || end == argv[i] || port < 1 || port > 65534) {
				mssim_log("-port: want 1..65534 (the platform port is N+1), got '%s'",
					  argv[i]);
				return 2;
			}
		} else if (!strcmp(a, "-bind") && i + 1 < argc) {
			if (inet_pton(AF_INET, argv[++i], &s.bind_addr) != 1) {
				mssim_log("-bind: not an IPv4 address: '%s'", argv[i]);
				return 2;
			}
		} else if (!strcmp(a, "-state") && i + 1 < argc) {
			state = argv[++i];
		} else if (!strcmp(a, "-rm")) {
			/* The reference tpm_server's "delete the NV file first", which test harnesses
			 * pass: with -state the file is removed before it is opened; without it
			 * every start is already fresh. */
			remove_state = true;
		} else if (!strcmp(a, "-quiet")) {
			s.tpm.quiet = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "-help")) {
			usage();
			return 0;
		} else {
			usage();
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	clock_gettime(CLOCK_MONOTONIC, &s.start);
	s.port = (uint16_t)port;
	s.conn_fd[0] = s.conn_fd[1] = -1;
	s.conn[0] = calloc(1, sizeof(struct mssim_conn));
	s.conn[1] = calloc(1, sizeof(struct mssim_conn));
	size = (vtpm_size() + 15) & ~(size_t)15;
	s.tpm.vtpm = aligned_alloc(16, size);
	if (!s.conn[0] || !s.conn[1] || !s.tpm.vtpm) {
		mssim_log("out of memory");
		return 1;
	}
	memset(s.tpm.vtpm, 0, size);
	plat = (struct vtpm_platform){ .entropy = host_entropy, .clock_ms = host_clock_ms,
				       .ctx = &s };
	if (vtpm_init(s.tpm.vtpm, &plat) != 0 || vtpm_manufacture(s.tpm.vtpm) != 0) {
		mssim_log("engine init/manufacture failed");
		return 1;
	}
	if (state && remove_state && unlink(state) != 0 && errno != ENOENT) {
		mssim_log("-rm: cannot remove %s: %s", state, strerror(errno));
		return 1;
	}
	if (state && mssim_state_open(&s.tpm, state) != 0)
		return 1;
	s.listen_fd[MSSIM_PORT_COMMAND] = listen_on(&s, s.port);
	if (s.listen_fd[MSSIM_PORT_COMMAND] < 0)
		return 1;
	s.listen_fd[MSSIM_PORT_PLATFORM] = listen_on(&s, (uint16_t)(s.port + 1));
	if (s.listen_fd[MSSIM_PORT_PLATFORM] < 0)
		return 1;
	mssim_info(&s.tpm,
		   "listening on %s: command port %u, platform port %u (powered off until "
		   "POWER_ON; state %s%s)",
		   inet_ntoa(s.bind_addr), s.port, s.port + 1, state ? "in " : "in memory",
		   state ? state : "");
	serve(&s);
	return 0;
}
