/*
 * run_render.h — `benchy run` results (kind "run") for people: one
 * markdown row per scenario (requests, failures, TTFT/TPOT/ITL/E2EL,
 * tok/s, checks), then the failed checks, script metrics and thresholds;
 * and the same rows as CSV.
 */
#ifndef BENCHY_REPORT_RUN_RENDER_H
#define BENCHY_REPORT_RUN_RENDER_H

#include <cJSON.h>
#include <stdio.h>

#include "../util.h"

BENCHY_INTERNAL int run_render_md(const cJSON *doc, FILE *f);
BENCHY_INTERNAL int run_render_csv(const cJSON *doc, FILE *f);

#endif
