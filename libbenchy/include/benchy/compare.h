/*
 * compare.h — two saved results side by side (benchy compare), and one
 * table across many (benchy table). docs/compare.md gives the methods.
 *
 * A comparison takes the BENCHY_CMD_COMPARE options of the table
 * (--fail-if-slower, --fail-if-latency-grows, --fail-if-memory-grows,
 * --ignore-config, --alpha, --bootstrap-iterations, --bootstrap-seed). For
 * every row (bench: each table row; load: each level, matched by label,
 * concurrency and rate) and metric it holds both values, the difference in
 * percent, its confidence interval, a p-value and a verdict that knows
 * which direction is better. It is held as one JSON document, rendered as
 * markdown or written as JSON.
 */
#ifndef BENCHY_COMPARE_H
#define BENCHY_COMPARE_H

#include "benchy/export.h"
#include "benchy/options.h"
#include "benchy/result.h"

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct benchy_comparison benchy_comparison;

/* Compares fresh against base. opts: BENCHY_CMD_COMPARE options, NULL for
 * the defaults. BENCHY_ERR_INVALID, with err naming the problem, when the
 * two cannot be compared: different kinds, identifying configuration keys
 * that differ (named; --ignore-config lists keys to let through), a base
 * whose metadata marks it invalid, or a threshold that does not parse. On
 * success *out is the caller's (benchy_comparison_free). */
BENCHY_API int benchy_compare(benchy_comparison **out, const benchy_result *base,
                              const benchy_result *fresh, const benchy_options *opts, char *err,
                              size_t errlen);
BENCHY_API void benchy_comparison_free(benchy_comparison *c);
/* How many rows are regressions: significantly worse AND past a --fail-if
 * threshold. The CLI exits 1 when this is not 0. */
BENCHY_API size_t benchy_comparison_regression_count(const benchy_comparison *c);
/* The i-th regression as a sentence ("tg32 t/s total: -9.8% ..."), owned
 * by c; NULL past the end. */
BENCHY_API const char *benchy_comparison_regression(const benchy_comparison *c, size_t i);
/* format "md" (the table people read) or "json" (the document);
 * BENCHY_ERR_UNSUPPORTED for another. */
BENCHY_API int benchy_comparison_write(const benchy_comparison *c, const char *format, FILE *f);
/* The comparison as JSON text; malloc'd, the caller free()s it. */
BENCHY_API char *benchy_comparison_to_json(const benchy_comparison *c, int pretty);

/* One table across results, as users keep it by hand: a row per result
 * (labels[i], or its metadata name, or "result i+1"), columns for each bench
 * test (t/s total) or load level (TTFT p50 / p99), and its validity (the
 * run's status; "INVALID" when its metadata says so). labels may be NULL.
 * format "md" or "json". */
BENCHY_API int benchy_results_table_write(const benchy_result *const *results,
                                          const char *const *labels, size_t n,
                                          const char *format, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
