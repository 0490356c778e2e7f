/*
 * jsonl.h — an append-only JSON Lines log of a run: a header line with the
 * configuration, then one line per completed request, flushed as it is
 * written, so an interrupted run loses nothing and --resume can continue it.
 * Thread-safe: workers on several threads append through one writer.
 */
#ifndef BENCHY_REPORT_JSONL_H
#define BENCHY_REPORT_JSONL_H

#include <cJSON.h>
#include <stdio.h>

#include "../util.h"

typedef struct jsonl_writer jsonl_writer;

/*
 * A journal belongs to one command, its "kind" ("bench", "load", "run"). It
 * is ours, and may be continued or repaired, only when its first line is a
 * whole JSON object with that "kind", a numeric "result_version" and a
 * string "type" (bench writes "header", load "config"). Nothing that is not
 * ours is ever written to, and no file is ever truncated: a user who forgets
 * --resume must not lose the records of the run before.
 */

/* Whether path may be a journal of kind, reading it only, so a run can
 * refuse before it sends anything. Without resume the file must be missing
 * or empty; with resume it may also be a journal of kind. BENCHY_OK, else
 * BENCHY_ERR_INVALID (refused: err names the file and what to do instead)
 * or BENCHY_ERR_IO. *holds_journal (may be NULL): the file is a journal
 * that resume will continue. */
BENCHY_INTERNAL int jsonl_check(const char *path, const char *kind, int resume,
                                int *holds_journal, char *err, size_t errlen);
/* Checks path as jsonl_check does (head's "kind" names the kind), then opens
 * it for appending: a journal being resumed loses only a torn last line;
 * a missing or empty file gets head as its first line. *continued (may be
 * NULL) says which happened. head stays the caller's. */
BENCHY_INTERNAL int jsonl_open(jsonl_writer **out, const char *path, int resume, const cJSON *head,
                               int *continued, char *err, size_t errlen);
/* Writes one object as one line and flushes it; takes ownership of obj. */
BENCHY_INTERNAL int jsonl_append(jsonl_writer *w, cJSON *obj);
/* The same, leaving obj to the caller. */
BENCHY_INTERNAL int jsonl_write(jsonl_writer *w, const cJSON *obj);
BENCHY_INTERNAL void jsonl_close(jsonl_writer *w);

/* Reads every complete line of path (a torn last line is ignored) and calls
 * fn for each parsed object; returns lines read, or -1 when the file cannot
 * be opened (err says why). A missing file is 0 lines. */
BENCHY_INTERNAL long jsonl_read(const char *path, void (*fn)(void *ud, const cJSON *obj), void *ud,
                                char *err, size_t errlen);

#endif
