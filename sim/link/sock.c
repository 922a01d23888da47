/* sock: see sock.h. */
#include "sim/link/sock.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void sock_end_init(struct sock_end *e, int fd, struct link *l, int side, const uint64_t *now)
{
	memset(e, 0, sizeof *e);
	e->fd = fd;
	e->link = l;
	e->side = side;
	e->now = now;
	e->last_io_us = *now;
}

/* The peer is gone for sending: no more bytes on its pipe. The conn that reads them
 * traces its FIN once it has read the last of them. */
static void peer_fin(struct sock_end *e)
{
	e->in_eof = 1;
	e->link->reset[e->side] = e->error != 0;
	pipe_close(&e->link->pipe[e->side]);
}

/* Whether the peer's bytes are read now: while its pipe has room and while it takes
 * ours. A peer that does not read what we send is not read either (its own TCP window
 * fills), so a deaf peer costs at most the two pipes. A closed pipe that has drained
 * holds nothing back: after our FIN the peer's last bytes and its FIN are still read. */
static int reads_peer(const struct sock_end *e)
{
	const struct sim_pipe *in = &e->link->pipe[e->side], *out = &e->link->pipe[1 - e->side];
	return !e->in_eof && pipe_space(in) && pipe_len(out) < out->cap;
}

int sock_end_pump(struct sock_end *e)
{
	int progress = 0;
	struct sim_pipe *in = &e->link->pipe[e->side], *out = &e->link->pipe[1 - e->side];
	uint8_t buf[16384];
	/* Out: what the other side wrote, as far as the socket takes it. */
	while (!e->out_shut && pipe_len(out)) {
		size_t k = pipe_peek(out, buf, sizeof buf);
		ssize_t w = send(e->fd, buf, k, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			/* The peer is gone: what it did not take is dropped. */
			e->error = errno;
			pipe_skip(out, pipe_len(out));
			e->out_shut = 1;
			progress = 1;
			if (!e->in_eof)
				peer_fin(e);
			break;
		}
		pipe_skip(out, (size_t)w);
		e->bytes_out += (uint64_t)w;
		e->last_io_us = *e->now;
		progress = 1;
	}
	if (!e->out_shut && pipe_eof(out)) {
		shutdown(e->fd, SHUT_WR);
		e->out_shut = 1;
		e->shut_us = *e->now;
		progress = 1;
	}
	/* In: only as much as the pipe has room for. */
	while (reads_peer(e)) {
		size_t room = pipe_space(in);
		ssize_t r = recv(e->fd, buf, room < sizeof buf ? room : sizeof buf, 0);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			break;
		progress = 1;
		if (r <= 0) {
			if (r < 0)
				e->error = errno;
			peer_fin(e);
			break;
		}
		pipe_write(in, buf, (size_t)r);
		e->bytes_in += (uint64_t)r;
		e->last_io_us = *e->now;
	}
	return progress;
}

short sock_end_events(const struct sock_end *e)
{
	short ev = 0;
	/* The same test as the pump's: a readable socket that would not be read must not
	 * wake the caller (it would spin until the linger ends). */
	if (reads_peer(e))
		ev |= POLLIN;
	if (!e->out_shut && pipe_len(&e->link->pipe[1 - e->side]))
		ev |= POLLOUT;
	return ev;
}

int sock_end_done(const struct sock_end *e)
{
	return e->in_eof && e->out_shut;
}

void sock_end_abort(struct sock_end *e)
{
	if (!e->out_shut) {
		shutdown(e->fd, SHUT_RDWR);
		e->out_shut = 1;
	}
	if (!e->in_eof) {
		e->in_eof = 1;
		pipe_close(&e->link->pipe[e->side]);
	}
}

void sock_end_linger(struct sock_end *e, uint64_t linger_us)
{
	if (!e->out_shut || e->in_eof || *e->now - e->shut_us < linger_us)
		return;
	e->link->reset[e->side] = 2; /* closed by us: the peer's FIN never came */
	sock_end_abort(e);
}
