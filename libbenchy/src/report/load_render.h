/*
 * load_render.h — the renderers of a "load" result document: a vLLM-style
 * "Serving Benchmark Result" block per level, then (for sweeps) one table
 * with throughput and p50/p99 latencies per level; and CSV, one row per
 * level. They read only the document (doc["aggregates"], doc["metadata"]),
 * so a result loaded back from JSON renders the same.
 */
#ifndef BENCHY_REPORT_LOAD_RENDER_H
#define BENCHY_REPORT_LOAD_RENDER_H

#include <cJSON.h>
#include <stdio.h>

#include "../util.h"

BENCHY_INTERNAL int load_render_md(const cJSON *doc, FILE *f);
BENCHY_INTERNAL int load_render_csv(const cJSON *doc, FILE *f);

#endif
