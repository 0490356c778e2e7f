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

/* Opens path for appending. When resume is 0 the file is truncated first. */
BENCHY_INTERNAL int jsonl_open(jsonl_writer **out, const char *path, int resume, char *err,
                               size_t errlen);
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
