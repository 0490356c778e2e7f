/*
 * scrub.h — removes known secret values (API keys, header values) from text
 * before it is stored or printed.
 *
 * A server may echo the request, Authorization header included, in an error
 * message; benchy then holds the secret in text it would write to stderr,
 * JSON, JSONL, markdown or CSV. Whoever knows the secrets (the session:
 * its API key and header values) scrubs text at the point it enters benchy's
 * own strings, so no writer needs to know about secrets.
 *
 * Every byte covered by an occurrence of any secret is replaced; a run of
 * covered bytes (overlapping or adjacent secrets, a secret inside another)
 * becomes one SCRUB_MARKER, so no tail of a secret survives next to it.
 *
 * Values shorter than SCRUB_MIN_LEN are not scrubbed: a one-to-three byte
 * header value ("1", "yes", "gzip" is four) would match ordinary words and
 * digits all over the text and wreck it, and a secret that short protects
 * nothing (it is guessed in a few thousand tries).
 */
#ifndef BENCHY_SCRUB_H
#define BENCHY_SCRUB_H

#include <stddef.h>

#include "util.h"

#define SCRUB_MARKER "[redacted]"
#define SCRUB_MIN_LEN 4

typedef struct scrubber {
  char **secrets;
  size_t *lens;
  size_t n, cap;
} scrubber;

/* Remembers value (len bytes); empty, short and duplicate values are
 * ignored. 0, or -1 when out of memory. */
BENCHY_INTERNAL int scrubber_add(scrubber *s, const char *value, size_t len);
/* Adds a header line's value ("Name: value"); for Authorization and
 * Proxy-Authorization also the credentials after the scheme ("Bearer "),
 * which a server may echo on their own. */
BENCHY_INTERNAL int scrubber_add_header(scrubber *s, const char *line);
/* Wipes and frees the remembered values. */
BENCHY_INTERNAL void scrubber_free(scrubber *s);
/* Rewrites b with secrets replaced; returns how many runs were replaced, or
 * -1 when out of memory (b is then cleared: better nothing than a secret).
 * b stays NUL-terminated when it was. */
BENCHY_INTERNAL int scrub_buf(const scrubber *s, benchy_buf *b);
/* The same on a NUL-terminated string in a buffer of cap bytes; a result
 * that no longer fits is cut (never mid-marker leaving secret bytes). */
BENCHY_INTERNAL int scrub_str(const scrubber *s, char *text, size_t cap);

/* 1 when a name (an environment variable, a --metadata key, a JSON key, a
 * server flag) contains KEY, TOKEN, SECRET, PASSWORD, AUTH or CREDENTIAL in
 * any case, but for TOKENS after a counting word (max_tokens, prompt_tokens):
 * the one rule for whose value is never written (secret_name.c). */
BENCHY_INTERNAL int scrub_secret_name(const char *name, size_t len);

#endif
