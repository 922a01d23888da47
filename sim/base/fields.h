/* fields: an ordered tree of decoded (name, value) pairs, flattened with a depth.
 * Decoders fill one; the trace keeps one per event; views (TUI detail pane, JSON,
 * verbose transcript) walk it. Names are stable snake_case keys; values are text. */
#ifndef SIM_FIELDS_H
#define SIM_FIELDS_H

#include <stddef.h>
#include <stdint.h>

struct fields_text; /* fields.c */

struct field {
	int depth;   /* 0 = top level; a field at depth d+1 belongs to the nearest preceding field at depth d */
	int has_range; /* 1 when off/len say which bytes the value shows */
	char *name;  /* snake_case key, e.g. "cipher_suites" */
	char *value; /* display text; "" for a group heading */
	/* Both owned by the list (its text blocks); they stay where they are until fields_free. */
	size_t off, len; /* those bytes, in the event's own bytes: its wire bytes, or for an
			  * event without any (an SMTP line inside TLS), its plaintext (trace.h) */
	uint64_t key; /* the name's first 8 bytes, zero-padded: fields_get compares this first */
};

struct fields {
	struct field *v;
	size_t n, cap;
	/* Owned: the names and values, packed in blocks that never move, so the strings of
	 * one event sit together (one allocation for most events, few cache lines to read). */
	struct fields_text *text;
	/* 1: v and every string are held by other storage (fields_pack: a trace keeps its
	 * events' fields with their bytes). Such a list is read-only: fields_add and
	 * fields_move refuse it, fields_free only forgets it. */
	int packed;
};

void fields_init(struct fields *f);
void fields_free(struct fields *f);
/* Empties f but keeps its memory for the next fields added (a decoder's list reused
 * event after event); fields_free still frees it in the end. A packed list is only
 * forgotten. */
void fields_clear(struct fields *f);
/* Appends a field; value is printf-formatted. Returns 0, or -1 when out of memory. */
int fields_add(struct fields *f, int depth, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Sets the byte range of the last field added (nothing when there is none). */
void fields_last_range(struct fields *f, size_t off, size_t len);
/* Forgets every field's byte range (the bytes decoded are not the event's own). */
void fields_drop_ranges(struct fields *f);
/* Value of the first field with this name at any depth, or NULL. */
const char *fields_get(const struct fields *f, const char *name);
/* Bytes fields_pack needs for f. */
size_t fields_packed_size(const struct fields *f);
/* Copies f into mem (fields_packed_size(f) bytes, aligned for pointers) as a packed,
 * read-only list in *out, which holds no allocation of its own. f is not changed. */
void fields_pack(const struct fields *f, void *mem, struct fields *out);
/* Moves all of src's fields to the end of dst, adding depth_offset; src is left empty.
 * Byte ranges move with them unchanged (decode src from the same bytes as dst). */
int fields_move(struct fields *dst, struct fields *src, int depth_offset);

#endif
