/*
 * vllm_export.c — see vllm_export.h. Aggregates are copied from the level
 * object unchanged (our key names and units for them are vLLM's already:
 * ms for latencies, seconds for duration); the per-request lists are
 * rebuilt from the records and, as vLLM writes them, in SECONDS.
 */
#include "vllm_export.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "benchy/benchy.h"
#include "json_print.h"

static const char *const metrics[] = {"ttft", "tpot", "itl", "e2el"};

static const cJSON *get(const cJSON *o, const char *key) {
  return cJSON_GetObjectItemCaseSensitive(o, key);
}

static void copy_or_null(cJSON *dst, const char *key, const cJSON *src, const char *src_key) {
  const cJSON *v = get(src, src_key ? src_key : key);
  cJSON_AddItemToObject(dst, key, v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
}

static void percentile_key(char *buf, size_t len, double p, const char *name) {
  /* vLLM: p_word = str(int(p)) if int(p) == p else str(p); the same rule
   * load_metrics uses for our own keys. */
  if (p == floor(p))
    snprintf(buf, len, "p%lld_%s_ms", (long long)p, name);
  else
    snprintf(buf, len, "p%g_%s_ms", p, name);
}

static double num_or(const cJSON *v, double fallback) {
  return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

/* Intervals between token-carrying chunks, the ITL samples load_metrics
 * aggregates, from --raw's chunks_raw rows [t_ms, tokens, kinds, ...]. */
static cJSON *itl_list_s(const cJSON *rec) {
  cJSON *list = cJSON_CreateArray();
  const cJSON *rows = get(rec, "chunks_raw"), *row;
  double prev_ms = NAN;
  cJSON_ArrayForEach(row, rows) {
    const cJSON *t = cJSON_GetArrayItem(row, 0), *kinds = cJSON_GetArrayItem(row, 2);
    if (!cJSON_IsNumber(t) || !cJSON_IsNumber(kinds)) continue;
    if (!((unsigned)kinds->valuedouble & BENCHY_CHUNK_TOKENS)) continue;
    if (!isnan(prev_ms)) cJSON_AddItemToArray(list, cJSON_CreateNumber((t->valuedouble - prev_ms) / 1e3));
    prev_ms = t->valuedouble;
  }
  return list;
}

static void add_request_lists(cJSON *o, const cJSON *doc, double level) {
  cJSON *input_lens = cJSON_AddArrayToObject(o, "input_lens");
  cJSON *output_lens = cJSON_AddArrayToObject(o, "output_lens");
  cJSON *ttfts = cJSON_AddArrayToObject(o, "ttfts");
  cJSON *itls = cJSON_AddArrayToObject(o, "itls");
  cJSON *texts = cJSON_AddArrayToObject(o, "generated_texts");
  cJSON *errors = cJSON_AddArrayToObject(o, "errors");
  if (!input_lens || !output_lens || !ttfts || !itls || !texts || !errors) return;
  const cJSON *rec;
  cJSON_ArrayForEach(rec, get(doc, "records")) {
    if (num_or(get(rec, "level"), 0) != level) continue;
    const cJSON *st = get(rec, "status");
    int ok = cJSON_IsString(st) && !strcmp(st->valuestring, "OK");
    const cJSON *prompt = get(rec, "prompt_tokens");
    double in = cJSON_IsNumber(prompt) ? prompt->valuedouble : num_or(get(rec, "input_tokens_expected"), 0);
    cJSON_AddItemToArray(input_lens, cJSON_CreateNumber(in));
    /* vLLM's failed requests: output_len 0, ttft 0.0, no ITLs, an error. */
    cJSON_AddItemToArray(output_lens, cJSON_CreateNumber(ok ? num_or(get(rec, "output_tokens"), 0) : 0));
    cJSON_AddItemToArray(ttfts, cJSON_CreateNumber(ok ? num_or(get(rec, "ttft_ms"), 0) / 1e3 : 0));
    cJSON_AddItemToArray(itls, ok ? itl_list_s(rec) : cJSON_CreateArray());
    const cJSON *content = get(rec, "content"), *error = get(rec, "error");
    cJSON_AddItemToArray(texts, cJSON_CreateString(cJSON_IsString(content) ? content->valuestring : ""));
    cJSON_AddItemToArray(errors, cJSON_CreateString(cJSON_IsString(error) ? error->valuestring
                                                    : ok                 ? ""
                                                                         : st->valuestring));
  }
}

static cJSON *export_level(const cJSON *doc, const cJSON *lv) {
  const cJSON *md = get(doc, "metadata");
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  copy_or_null(o, "date", md, "started_at");
  const cJSON *api = get(md, "api");
  cJSON_AddStringToObject(o, "backend",
                          cJSON_IsString(api) && !strcmp(api->valuestring, "completions") ? "openai"
                                                                                           : "openai-chat");
  copy_or_null(o, "model_id", md, "model");
  cJSON_AddNullToObject(o, "tokenizer_id");
  copy_or_null(o, "num_prompts", lv, "num_requests");
  copy_or_null(o, "request_rate", lv, NULL);
  /* vLLM's burstiness is the gamma shape; Poisson arrivals are shape 1. */
  cJSON_AddNumberToObject(o, "burstiness", num_or(get(md, "burstiness"), 1.0));
  copy_or_null(o, "max_concurrency", lv, NULL);
  static const char *const totals[] = {"duration", "completed", "failed", "total_input_tokens",
                                       "total_output_tokens", "request_throughput", "request_goodput",
                                       "output_throughput", "total_token_throughput",
                                       "max_output_tokens_per_s", "max_concurrent_requests"};
  for (size_t i = 0; i < sizeof totals / sizeof *totals; i++) copy_or_null(o, totals[i], lv, NULL);
  add_request_lists(o, doc, num_or(get(lv, "level"), 0));
  for (size_t m = 0; m < sizeof metrics / sizeof *metrics; m++) {
    char key[64];
    static const char *const stats[] = {"mean", "median", "std"};
    for (size_t s = 0; s < 3; s++) {
      snprintf(key, sizeof key, "%s_%s_ms", stats[s], metrics[m]);
      copy_or_null(o, key, lv, NULL);
    }
    const cJSON *p;
    cJSON_ArrayForEach(p, get(lv, "percentiles")) {
      if (!cJSON_IsNumber(p)) continue;
      percentile_key(key, sizeof key, p->valuedouble, metrics[m]);
      copy_or_null(o, key, lv, NULL);
    }
  }
  return o;
}

cJSON *vllm_export(const cJSON *doc) {
  const cJSON *kind = get(doc, "kind"), *levels = get(doc, "aggregates");
  if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "load") || !cJSON_IsArray(levels)) return NULL;
  if (cJSON_GetArraySize(levels) == 1) return export_level(doc, cJSON_GetArrayItem(levels, 0));
  cJSON *all = cJSON_CreateArray();
  const cJSON *lv;
  cJSON_ArrayForEach(lv, levels) {
    cJSON *one = all ? export_level(doc, lv) : NULL;
    if (!one) {
      cJSON_Delete(all);
      return NULL;
    }
    cJSON_AddItemToArray(all, one);
  }
  return all;
}

int vllm_export_write(const cJSON *doc, FILE *f) {
  cJSON *out = vllm_export(doc);
  if (!out) return BENCHY_ERR_NOMEM;
  char *text = json_print_exact(out, 1);
  cJSON_Delete(out);
  if (!text) return BENCHY_ERR_NOMEM;
  int ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
  free(text);
  return ok ? BENCHY_OK : BENCHY_ERR_IO;
}
