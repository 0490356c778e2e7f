/*
 * util.h — small internal helpers shared by every module: string copies and
 * a growable byte buffer that keeps its capacity across reuse (so the hot
 * path allocates nothing once warm).
 */
#ifndef BENCHY_UTIL_H
#define BENCHY_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define BENCHY_INTERNAL __attribute__((visibility("hidden")))

BENCHY_INTERNAL char *benchy_strdup(const char *s);
/* The status benchy_status_name() names; -1 for a name it never gives. */
BENCHY_INTERNAL int benchy_status_from_name(const char *name);
BENCHY_INTERNAL char *benchy_strndup(const char *s, size_t n);
/* Formats a message for the caller's error buffer; no-op without one. */
BENCHY_INTERNAL void benchy_set_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An array with room for at least need elements of elem bytes: items itself
 * when *cap already suffices, else items grown (capacity doubled from 256)
 * with *cap updated. NULL when out of memory, items then left as it was. */
BENCHY_INTERNAL void *benchy_grow(void *items, size_t *cap, size_t need, size_t elem);

typedef struct benchy_buf {
  char *data;
  size_t len;
  size_t cap;
} benchy_buf;

/* All return 0, or -1 when out of memory (the buffer is then unchanged). */
BENCHY_INTERNAL int benchy_buf_reserve(benchy_buf *b, size_t extra);
BENCHY_INTERNAL int benchy_buf_append(benchy_buf *b, const void *data, size_t n);
BENCHY_INTERNAL int benchy_buf_append_str(benchy_buf *b, const char *s);
BENCHY_INTERNAL int benchy_buf_printf(benchy_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Keeps a NUL after data[len] without counting it. */
BENCHY_INTERNAL int benchy_buf_terminate(benchy_buf *b);
static inline void benchy_buf_clear(benchy_buf *b) { b->len = 0; }
BENCHY_INTERNAL void benchy_buf_free(benchy_buf *b);

/* splitmix64's finaliser: a well-mixed 64-bit hash of x. */
static inline uint64_t benchy_mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
/* splitmix64: seeded, fast, good enough for jitter and arrivals. */
/* FNV-1a, 64 bits: a stable name for a text (seeds, fingerprints), not a
 * cryptographic hash. */
static inline uint64_t benchy_fnv1a(const char *s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
  return h;
}

static inline uint64_t benchy_rand_next(uint64_t *state) {
  return benchy_mix64(*state += 0x9E3779B97F4A7C15ull);
}
/* Uniform in [0, 1). */
static inline double benchy_rand_unit(uint64_t *state) {
  return (double)(benchy_rand_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
