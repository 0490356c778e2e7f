/*
 * html_report.h — the pieces of benchy report (report.h), one job each:
 * html_cdf.c turns a stored collector into CDF points, html_data.c picks
 * and downsamples what the page plots from each result, html_page.c
 * assembles the page around it, report.c is the public API.
 */
#ifndef BENCHY_REPORT_HTML_REPORT_H
#define BENCHY_REPORT_HTML_REPORT_H

#include <cJSON.h>
#include <stdio.h>

#include "benchy/benchy.h"
#include "../util.h"

/* {"ttft": [[ms, percent], ...], "tpot": ..., "itl": ..., "e2el": ...} from
 * a level's stored "collector" (percentiles from its histograms, within
 * BENCHY_COLLECTOR_RELATIVE_ERROR); metrics without samples are left out.
 * NULL when collector is not one (the page then has no CDF for it). */
BENCHY_INTERNAL cJSON *html_cdf_from_collector(const cJSON *collector);

/* What the page draws for one result: {"label", "kind", "status",
 * "invalid", "metadata", and "load" | "bench" | "run", "sampling"}, series
 * longer than max_points downsampled. NULL out of memory. */
BENCHY_INTERNAL cJSON *html_data_for_result(const benchy_result *r, const char *label,
                                            int max_points);

/* A per-second timeline ([{t_s, started, completed, failed, output_tokens}])
 * as rows [t_s, started, completed, failed, output_tokens], summed into
 * buckets of whole seconds so that at most max_points rows remain;
 * *bucket_s says how wide. */
BENCHY_INTERNAL cJSON *html_timeline_rows(const cJSON *timeline, int max_points, int *bucket_s);

/* The page: data (the object the script reads) embedded as JSON that no
 * text inside it can close, Chart.js and its licence, our script and style. */
BENCHY_INTERNAL int html_page_write(const cJSON *data, FILE *f);

#endif
