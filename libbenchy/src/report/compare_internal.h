/*
 * compare_internal.h — what compare.c shares with its renderer and with
 * results_table.c: the comparison document, and how rows are named.
 */
#ifndef BENCHY_REPORT_COMPARE_INTERNAL_H
#define BENCHY_REPORT_COMPARE_INTERNAL_H

#include <cJSON.h>
#include <stddef.h>

#include "../util.h"

struct benchy_comparison {
  cJSON *doc; /* {"kind", "base", "new", "alpha", "thresholds", "rows", "notes", "regressions", ...} */
};

/* "1GB", "512 MiB", "2g" into bytes (decimal units are powers of 1000,
 * the *iB ones of 1024). -1 when it does not parse. */
BENCHY_INTERNAL int compare_parse_size(const char *text, double *bytes);
/* 1 when a result document's metadata marks it invalid ("invalid": true or
 * a non-empty reason, "valid": false, "validity": "invalid"). */
BENCHY_INTERNAL int compare_marked_invalid(const cJSON *doc);
/* A bench aggregate row's name as the bench table shows it ("tg128",
 * "pp2048 @ d4096 (c4)"). */
BENCHY_INTERNAL void compare_bench_row_label(const cJSON *agg, char *out, size_t cap);
/* A load level's name: its label, else its rate and concurrency. */
BENCHY_INTERNAL void compare_load_level_label(const cJSON *level, char *out, size_t cap);

/* compare_memory.c: a row's peak GPU memory in bytes (the largest
 * gpu[].mem_used_bytes.peak), NAN when it has none. */
BENCHY_INTERNAL double compare_peak_memory(const cJSON *row);
/* Rows "peak GPU memory GiB" for the rows both results have figures for,
 * regressions past threshold_bytes (< 0: no gate), and doc's "memory"
 * summary (null without a gate). */
BENCHY_INTERNAL void compare_memory_rows(const cJSON *base_doc, const cJSON *new_doc, int bench,
                                         double threshold_bytes, cJSON *doc, cJSON *rows,
                                         cJSON *regressions);

#endif
