/*
 * Results of a workload run: configuration, every per-request record and
 * the aggregates, held as one JSON document (its fields are documented in
 * docs/results.md and versioned by "result_version"), with renderers for
 * the formats people read (markdown table, CSV).
 */
#ifndef BENCHY_RESULT_H
#define BENCHY_RESULT_H

#include "benchy/export.h"

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The result document's shape (docs/results.md, "Version rules"). 2: one
 * metadata block and flat percentile keys for every kind; version 1 files
 * still load (benchy_result_load upgrades them in memory). */
#define BENCHY_RESULT_VERSION 2

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
/* format: "md", "json", "jsonl" (one aggregate row or load level per line), "csv" or "vllm" (load results only: the shape of
 * `vllm bench serve --save-result`, docs/results.md). BENCHY_ERR_UNSUPPORTED
 * for a format the result cannot take; benchy_result_format_error says why. */
BENCHY_API int benchy_result_write(const benchy_result *r, const char *format, FILE *f);
/* NULL when r can be written in format; otherwise a sentence saying why not
 * (static storage, for people). Lets a caller refuse before writing. */
BENCHY_API const char *benchy_result_format_error(const benchy_result *r, const char *format);
/* What benchy_result_write would write, as a malloc'd NUL-terminated
 * string the caller free()s; NULL when the format is unsupported for r or
 * memory ran out. Built with open_memstream, so byte for byte the FILE*
 * output. Reentrant: results may be rendered from several threads. */
BENCHY_API char *benchy_result_render(const benchy_result *r, const char *format);

/* Reads a result saved as JSON (--save-result x.json, --format json) back:
 * kind and status from the document, and the md/csv/vllm renderers of its
 * kind, so it renders as the run's own result did. On success *out is the
 * caller's (benchy_result_free). Errors, each naming the file: unreadable
 * (BENCHY_ERR_NOT_FOUND / BENCHY_ERR_IO), not JSON (BENCHY_ERR_MALFORMED,
 * with line and column), JSON that is not a benchy result, or a --jsonl
 * journal (BENCHY_ERR_INVALID), a result_version or record_version newer than this
 * library's or an unknown kind (BENCHY_ERR_UNSUPPORTED). */
BENCHY_API int benchy_result_load(benchy_result **out, const char *path, char *err, size_t errlen);
/* The same from JSON text (NUL-terminated). */
BENCHY_API int benchy_result_parse(benchy_result **out, const char *json, char *err, size_t errlen);

/* A pointer of the caller's, kept with the result and never used by the
 * library (bindings hang their wrapper object here). NULL until set. */
BENCHY_API void benchy_result_set_userdata(benchy_result *r, void *userdata);
BENCHY_API void *benchy_result_get_userdata(const benchy_result *r);
/* Format from the extension (.md, .json, .jsonl, .csv; anything else: json). */
BENCHY_API int benchy_result_save(const benchy_result *r, const char *path, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
