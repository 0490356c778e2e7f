/*
 * Results of a workload run: configuration, every per-request record and
 * the aggregates, held as one JSON document (its fields are documented in
 * docs/results.md and versioned by "result_version"), with renderers for
 * the formats people read (markdown table, CSV).
 */
#ifndef BENCHY_RESULT_H
#define BENCHY_RESULT_H

#include "benchy/export.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif


#define BENCHY_RESULT_VERSION 1

typedef struct benchy_result benchy_result;

BENCHY_API void benchy_result_free(benchy_result *r);
/* "bench" or "load". */
BENCHY_API const char *benchy_result_kind(const benchy_result *r);
/* BENCHY_OK for a complete run; BENCHY_ERR_CANCELLED when interrupted (the
 * result then holds everything that completed); BENCHY_ERR_FAILURE_RATE
 * when it completed but more requests failed than --max-failure-rate
 * allows (the document's "failure_rule" says where); another error when
 * one stopped the run after it started. */
BENCHY_API int benchy_result_status(const benchy_result *r);
/* The whole document as JSON text; malloc'd, the caller free()s it. */
BENCHY_API char *benchy_result_to_json(const benchy_result *r, int pretty);
/* format: "md", "json", "jsonl" (one aggregate row or load level per line) or "csv". */
BENCHY_API int benchy_result_write(const benchy_result *r, const char *format, FILE *f);
/* Format from the extension (.md, .json, .jsonl, .csv; anything else: json). */
BENCHY_API int benchy_result_save(const benchy_result *r, const char *path, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
