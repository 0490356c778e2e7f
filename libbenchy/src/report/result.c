/*
 * result.c — benchy_result: one JSON document and the renderers of its
 * kind. Writers for json are shared; md and csv belong to each workload
 * (bench_render.c, load_render.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json_print.h"
#include "result_internal.h"
#include "result_kinds.h"

benchy_result *result_new(const char *kind, cJSON *doc, result_render_fn md, result_render_fn csv) {
  benchy_result *r = calloc(1, sizeof *r);
  if (!r) {
    cJSON_Delete(doc);
    return NULL;
  }
  snprintf(r->kind, sizeof r->kind, "%s", kind);
  r->doc = doc;
  r->render_md = md;
  r->render_csv = csv;
  return r;
}

void benchy_result_free(benchy_result *r) {
  if (!r) return;
  cJSON_Delete(r->doc);
  free(r);
}

const char *benchy_result_kind(const benchy_result *r) { return r ? r->kind : NULL; }
int benchy_result_status(const benchy_result *r) { return r ? r->status : BENCHY_ERR_INVALID; }

char *benchy_result_to_json(const benchy_result *r, int pretty) {
  if (!r || !r->doc) return NULL;
  char *text = json_print_exact(r->doc, pretty);
  if (!text) return NULL;
  /* cJSON allocates with malloc unless hooks are set (they are not), so the
   * caller's free() matches. */
  return text;
}

/* llama-bench's -o jsonl: one compact object per table row (bench) or per
 * level (load), so a script reads a line at a time and each line stands
 * alone. Records stay in the json format (and in --jsonl). */
static int write_jsonl(const benchy_result *r, FILE *f) {
  const cJSON *row;
  cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(r->doc, "aggregates")) {
    char *line = json_print_exact(row, 0);
    if (!line) return BENCHY_ERR_NOMEM;
    int ok = fputs(line, f) >= 0 && fputc('\n', f) != EOF;
    free(line);
    if (!ok) return BENCHY_ERR_IO;
  }
  return ferror(f) ? BENCHY_ERR_IO : BENCHY_OK;
}

int benchy_result_write(const benchy_result *r, const char *format, FILE *f) {
  if (!r || !format || !f) return BENCHY_ERR_INVALID;
  if (!strcmp(format, "json")) {
    char *text = benchy_result_to_json(r, 1);
    if (!text) return BENCHY_ERR_NOMEM;
    int ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    free(text);
    return ok ? BENCHY_OK : BENCHY_ERR_IO;
  }
  if (!strcmp(format, "jsonl")) return write_jsonl(r, f);
  if (!strcmp(format, "md") && r->render_md) return r->render_md(r->doc, f);
  if (!strcmp(format, "csv") && r->render_csv) return r->render_csv(r->doc, f);
  const result_kind_info *info = result_kind_lookup(r->kind);
  if (!strcmp(format, "vllm") && info && info->render_vllm) return info->render_vllm(r->doc, f);
  return BENCHY_ERR_UNSUPPORTED;
}

const char *benchy_result_format_error(const benchy_result *r, const char *format) {
  if (!r || !format) return "no result or no format given";
  if (!strcmp(format, "json") || !strcmp(format, "jsonl")) return NULL;
  if (!strcmp(format, "md")) return r->render_md ? NULL : "this result has no markdown renderer";
  if (!strcmp(format, "csv")) return r->render_csv ? NULL : "this result has no CSV renderer";
  if (!strcmp(format, "vllm")) {
    const result_kind_info *info = result_kind_lookup(r->kind);
    return info && info->render_vllm
               ? NULL
               : "the vllm format exists only for load results (vLLM's --save-result shape); "
                 "use json, md or csv for this one";
  }
  return "unknown format: use md, json, jsonl, csv or vllm";
}

/* open_memstream (POSIX 2008, in glibc and musl) so that every format has
 * one writer, the FILE* one, and the string is its bytes exactly. */
char *benchy_result_render(const benchy_result *r, const char *format) {
  if (!r || !format) return NULL;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return NULL;
  int st = benchy_result_write(r, format, f);
  if (fclose(f) != 0 && st == BENCHY_OK) st = BENCHY_ERR_IO;
  if (st != BENCHY_OK) {
    free(buf);
    return NULL;
  }
  return buf;
}

void benchy_result_set_userdata(benchy_result *r, void *userdata) {
  if (r) r->userdata = userdata;
}

void *benchy_result_get_userdata(const benchy_result *r) { return r ? r->userdata : NULL; }

int benchy_result_save(const benchy_result *r, const char *path, char *err, size_t errlen) {
  if (!r || !path) return BENCHY_ERR_INVALID;
  const char *dot = strrchr(path, '.');
  const char *format = "json";
  if (dot && !strcmp(dot, ".md")) format = "md";
  if (dot && !strcmp(dot, ".csv")) format = "csv";
  if (dot && !strcmp(dot, ".jsonl")) format = "jsonl";
  FILE *f = fopen(path, "w");
  if (!f) {
    if (err) snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    return BENCHY_ERR_IO;
  }
  int st = benchy_result_write(r, format, f);
  if (fclose(f) != 0 && st == BENCHY_OK) st = BENCHY_ERR_IO;
  if (st != BENCHY_OK && err) snprintf(err, errlen, "writing %s failed: %s", path, benchy_status_message(st));
  return st;
}
