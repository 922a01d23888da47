/* pipe: a bounded in-memory byte pipe, one per direction of a link. A ring buffer
 * with an explicit capacity: a writer that finds it full must wait (back-pressure),
 * exactly like a TCP send buffer, so the scheduler never grows memory without bound. */
#ifndef SIM_PIPE_H
#define SIM_PIPE_H

#include <stddef.h>
#include <stdint.h>

struct sim_pipe {
	uint8_t *buf;
	size_t cap;
	size_t head;   /* index of the first unread byte */
	size_t len;    /* unread bytes */
	int closed;    /* the writer closed: no more bytes will come after len */
	uint64_t total; /* bytes ever written */
	/* A copy of every byte written also goes here (a passive tap), when set. */
	void (*tap)(void *ctx, const uint8_t *p, size_t n);
	void *tap_ctx;
	/* The reader, when it registered to take bytes at once: what is written to an empty
	 * pipe is offered to it first, and it takes what it would have read first at its
	 * next turn (a TLS engine waiting for records). One copy, from the writer's buffer
	 * to the reader's, instead of two through the ring. Returns how many it took. */
	size_t (*direct)(void *ctx, const uint8_t *p, size_t n);
	void *direct_ctx;
};

/* Returns 0, or -1 when out of memory or cap is 0. */
int pipe_init(struct sim_pipe *p, size_t cap);
void pipe_free(struct sim_pipe *p);
/* Writes up to n bytes; returns how many fit (0 when full or closed): what the direct
 * reader took, then what the ring holds. */
size_t pipe_write(struct sim_pipe *p, const uint8_t *data, size_t n);
/* Reads up to n bytes; returns how many were read. */
size_t pipe_read(struct sim_pipe *p, uint8_t *out, size_t n);
/* Copies up to n unread bytes without consuming them. */
size_t pipe_peek(const struct sim_pipe *p, uint8_t *out, size_t n);
/* Drops up to n unread bytes; returns how many. */
size_t pipe_skip(struct sim_pipe *p, size_t n);
size_t pipe_len(const struct sim_pipe *p);
size_t pipe_space(const struct sim_pipe *p);
void pipe_close(struct sim_pipe *p);
/* 1 when closed and drained: the reader has seen end of stream. */
int pipe_eof(const struct sim_pipe *p);

#endif
