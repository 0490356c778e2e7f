/*
 * report.h — saved results as one static HTML page (benchy report): the
 * plots people look at for each result (load: latency CDFs, the latency
 * against throughput curve of a sweep, a per-second timeline, failures by
 * kind; bench: pp/tg bars with their spread; Lua runs: per-scenario
 * latency and validity), overlays of several results, the base/new
 * comparison table, metadata and GPU samples. docs/report.md describes the
 * page.
 *
 * The page opens offline: the data is embedded as JSON (downsampled where a
 * series is long), drawn by Chart.js, which is embedded too with its
 * licence. Every text taken from a result is escaped for its place in the
 * page. The results are already scrubbed of secrets; the page adds none.
 */
#ifndef BENCHY_REPORT_H
#define BENCHY_REPORT_H

#include "benchy/export.h"
#include "benchy/options.h"
#include "benchy/result.h"

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Writes the page for results[0..n) to f. labels[i] names results[i] on
 * the page (a file name, say); labels or an entry NULL: the result's
 * metadata name, else "result i+1". opts: BENCHY_CMD_REPORT options (NULL:
 * the defaults): --title, --max-points, and --compare (exactly two
 * results, base then new: the comparison table, with --alpha,
 * --bootstrap-iterations, --bootstrap-seed and --ignore-config as
 * benchy_compare takes them). BENCHY_ERR_INVALID with err naming the
 * problem (no results, --compare without two, two results that cannot be
 * compared); BENCHY_ERR_IO when f fails; BENCHY_ERR_NOMEM. */
BENCHY_API int benchy_report_write(const benchy_result *const *results, const char *const *labels,
                                   size_t n, const benchy_options *opts, FILE *f, char *err,
                                   size_t errlen);

/* The same into the file path. An existing file is refused
 * (BENCHY_ERR_INVALID, err naming it and --overwrite) unless opts has
 * --overwrite; the page is written beside it first and renamed over it, so
 * a failure never leaves half a page. Errors name the file. */
BENCHY_API int benchy_report_save(const benchy_result *const *results, const char *const *labels,
                                  size_t n, const benchy_options *opts, const char *path,
                                  char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
