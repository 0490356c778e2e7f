/*
 * sentence.h — where the answer's first sentence ends, found while the
 * content streams, for the record's t_first_sentence (time to first
 * sentence, docs/metrics.md): what a voice assistant waits for before it
 * can start speaking.
 *
 * A sentence ends at a '.', '!' or '?' that is followed by ASCII
 * whitespace or by the end of the stream. The time is that of the chunk
 * that carried the mark, even when the whitespace that confirms it comes
 * in a later chunk. Only content is fed: reasoning text never counts.
 */
#ifndef BENCHY_CORE_SENTENCE_H
#define BENCHY_CORE_SENTENCE_H

#include <stddef.h>
#include <stdint.h>

#include "../util.h"

typedef struct sentence_scan {
  int64_t found_ns;   /* the sentence's end, 0 until known */
  int64_t pending_ns; /* a chunk ended with a mark: confirmed by what follows */
} sentence_scan;

/* One content chunk's text, received at t_ns. Returns found_ns. */
BENCHY_INTERNAL int64_t sentence_feed(sentence_scan *s, const char *text, size_t len, int64_t t_ns);
/* The stream ended: a mark at its very end ends a sentence. */
BENCHY_INTERNAL int64_t sentence_finish(sentence_scan *s);

#endif
