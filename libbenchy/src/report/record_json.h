/*
 * record_json.h — the per-request record as JSON: the one serialisation
 * used by every writer (JSON results, JSONL append, Python, Lua).
 * Field names are documented in docs/results.md; times are written as ms
 * relative to a run's t0 (monotonic ns are meaningless across runs), plus
 * derived figures (ttft_ms, tpot_ms, e2el_ms, ...). Nothing secret is in a
 * record, so nothing needs redacting here.
 */
#ifndef BENCHY_REPORT_RECORD_JSON_H
#define BENCHY_REPORT_RECORD_JSON_H

#include <cJSON.h>
#include <stdint.h>

#include "benchy/record.h"
#include "../util.h"

/* t0_ns: the run's start; relative times are (t - t0_ns) / 1e6 ms.
 * with_chunks: add "chunks": [[t_ms, tokens, kinds], ...] when the record
 * kept them. Returns NULL when out of memory. */
BENCHY_INTERNAL cJSON *record_to_json(const benchy_record *r, int64_t t0_ns, int with_chunks);

#endif
