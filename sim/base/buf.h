/* buf: the one way `sim/` grows memory. A byte buffer is three fields a struct already
 * has (pointer, length, capacity), so the helpers take their addresses instead of
 * imposing a type; an array of elements grows the same way. Capacities double, so
 * appending is amortised O(1). Every helper returns 0, or -1 when out of memory, and then
 * leaves the buffer as it was. */
#ifndef SIM_BUF_H
#define SIM_BUF_H

#include <stddef.h>
#include <stdint.h>

/* Makes room for at least `need` elements of `elem` bytes in *v (capacity *cap). */
int vec_reserve(void **v, size_t *cap, size_t need, size_t elem);
/* The same, starting at `first` elements rather than 16 (many small arrays). */
int vec_reserve_from(void **v, size_t *cap, size_t need, size_t elem, size_t first);
/* Appends n bytes at *len, growing *p. */
int buf_append(uint8_t **p, size_t *len, size_t *cap, const void *src, size_t n);
/* Drops the first n bytes of the *len at p. */
void buf_consume(uint8_t *p, size_t *len, size_t n);

/* vec_reserve for a typed array: VEC_RESERVE(t->ev, t->cap, t->n + 1). */
#define VEC_RESERVE(v, cap, need) vec_reserve((void **)&(v), &(cap), (need), sizeof *(v))

#endif
