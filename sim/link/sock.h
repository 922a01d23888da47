/* sock: one end of a link played by a real TCP peer (live mode). The peer's bytes go into
 * the link's pipe for its side, as a simulated actor's conn would put them, and what the
 * other side writes goes out on the socket. Nothing here traces: the conn that reads the
 * peer's bytes does (conn.peer_live), its FIN included.
 * The socket is non-blocking; memory stays within the pipes' capacity, because nothing is
 * read from the socket while the pipe has no room (the peer's own TCP window fills). */
#ifndef SIM_SOCK_H
#define SIM_SOCK_H

#include <stddef.h>
#include <stdint.h>

#include "sim/link/conn.h"

struct sock_end {
	int fd;
	struct link *link;
	int side;             /* the side the peer plays: it writes pipe[side] */
	const uint64_t *now;
	int in_eof;           /* the peer's FIN (or an error) arrived: its pipe is closed */
	int out_shut;         /* our FIN is out (shutdown for writing) */
	int error;            /* errno of a failed read or write, 0 when none */
	uint64_t bytes_in, bytes_out;
	uint64_t last_io_us;  /* when a byte last moved, for the idle limit */
	uint64_t shut_us;     /* when our FIN went out */
};

void sock_end_init(struct sock_end *e, int fd, struct link *l, int side, const uint64_t *now);
/* Moves what can move now, both ways: the peer's bytes only while the pipe toward it
 * is not full (it reads ours). Returns 1 when anything moved. */
int sock_end_pump(struct sock_end *e);
/* The poll events the socket waits for: POLLIN while the peer's bytes would be read
 * (its pipe has room and the pipe toward it is not full), POLLOUT while bytes wait for
 * the socket. */
short sock_end_events(const struct sock_end *e);
/* Both directions are over. */
int sock_end_done(const struct sock_end *e);
/* Ends the connection at once (a limit was reached): both directions closed. */
void sock_end_abort(struct sock_end *e);
/* Our FIN went out at least linger_us ago and the peer has not closed: the socket is
 * closed without waiting longer, and no FIN of the peer's is traced. */
void sock_end_linger(struct sock_end *e, uint64_t linger_us);

#endif
