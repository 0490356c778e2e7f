/*
 * load_resume.h — the records of a `benchy load` --jsonl file read back,
 * so that --resume can continue a level where it stopped and --retry-failed
 * can send a level's failed requests again (docs/load.md, --resume).
 *
 * Each record line becomes a resumed_request: the benchy_record it was
 * written from, rebuilt from its JSON (times in ns from the level's t0 of
 * the run that sent it; per-chunk times only when that run had --raw), so
 * that the level's aggregates can be computed over the requests of both
 * runs with the code that computes them for one (stats/collector_internal.h). A later
 * line for the same index (a retry) supersedes an earlier one.
 */
#ifndef BENCHY_WORKLOAD_LOAD_RESUME_H
#define BENCHY_WORKLOAD_LOAD_RESUME_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "benchy/benchy.h"
#include "../util.h"

typedef struct resumed_request {
  uint64_t index;
  uint64_t order;              /* line order in the file: later supersedes */
  benchy_record rec;           /* times relative to the level's t0 (0: did not happen) */
  benchy_chunk_event *events;  /* with --raw only; times relative too */
  int64_t input_expected;      /* input_tokens_expected, -1 unknown */
  cJSON *json;                 /* the record for the result document; NULL past --max-records */
} resumed_request;

typedef struct resumed_level {
  resumed_request *reqs;
  size_t n, cap;
  uint64_t lines;     /* records seen, for order */
  int64_t json_kept;
  int done;           /* a level_end holds its aggregates */
  cJSON *aggregates;
} resumed_level;

/* Adds one record line; its JSON is held while fewer than max_json are.
 * Returns 0, or -1 when the line is not a record this version wrote (no
 * index) or out of memory. */
BENCHY_INTERNAL int resumed_level_add(resumed_level *lv, const cJSON *line, int64_t max_json);
/* Forgets the records (a level begun again from its start). */
BENCHY_INTERNAL void resumed_level_reset(resumed_level *lv);
/* Sorts by index, keeping the last line of each index. */
BENCHY_INTERNAL void resumed_level_settle(resumed_level *lv);
BENCHY_INTERNAL void resumed_level_free(resumed_level *lv);
/* Requests whose status is a failure (not OK). */
BENCHY_INTERNAL size_t resumed_level_failed(const resumed_level *lv);

/* q's record with every time moved onto this run's clock: relative time x
 * becomes t0_level + x. events must hold q->rec.n_chunk_events. */
BENCHY_INTERNAL void resumed_request_rebase(const resumed_request *q, int64_t t0_level,
                                            benchy_record *out, benchy_chunk_event *events);


/* How a level goes on from what the file holds. */
typedef struct resume_plan {
  int from_complete;   /* the level had ended: only its failed requests go again */
  uint64_t *index_map; /* counted level: the level indices to send, ascending */
  uint64_t n_map;
  uint64_t index_base; /* --duration closed level: new requests are numbered from here */
  int64_t shift_ns;    /* where this run's part starts on the level's timeline */
  size_t restored;     /* requests whose records stand */
  size_t resent;       /* failed requests sent again (--retry-failed) */
  unsigned char *keep; /* per prior->reqs[i]: 1 restored, 0 sent again */
} resume_plan;

/* count: the level's planned requests, or 0 for a closed --duration level
 * (open-ended: it continues with new indices for the time it has left, and
 * its failures are not retried). offsets: an open-loop schedule, or NULL.
 * An interrupted level sends every planned index the file does not hold
 * (and its failed ones with retry_failed); a complete one only its failed
 * ones, and only with retry_failed. Returns 0, -1 out of memory. */
BENCHY_INTERNAL int resume_plan_make(const resumed_level *prior, uint64_t count,
                                     const int64_t *offsets, int retry_failed, resume_plan *out);
BENCHY_INTERNAL void resume_plan_free(resume_plan *rp);

#endif
