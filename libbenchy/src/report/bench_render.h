/*
 * bench_render.h — the renderers of a "bench" result document: the
 * llama-bench / llama-benchy markdown table (with notes below it) and CSV.
 * They read only the document (doc["aggregates"], doc["metadata"]), so a
 * result loaded back from JSON renders the same.
 */
#ifndef BENCHY_REPORT_BENCH_RENDER_H
#define BENCHY_REPORT_BENCH_RENDER_H

#include <cJSON.h>
#include <stdio.h>

#include "../util.h"

BENCHY_INTERNAL int bench_render_md(const cJSON *doc, FILE *f);
BENCHY_INTERNAL int bench_render_csv(const cJSON *doc, FILE *f);

#endif
