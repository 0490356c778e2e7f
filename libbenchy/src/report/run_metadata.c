/* run_metadata.c — see run_metadata.h. */
#include "run_metadata.h"

#include "../meta/meta.h"

#include <stdlib.h>
#include <string.h>

/* --metadata KEY=VALUE pairs (secret-looking values already redacted by
 * the option table), the --tokenizer named on a command line brought from
 * another tool, and which metrics show percentiles (--percentile-metrics). */
static void run_metadata_add(cJSON *md, const benchy_options *opts);

static void add_user(cJSON *md, const benchy_options *opts) {
  size_t n = benchy_options_list_len(opts, "metadata");
  if (!n) return;
  cJSON *user = cJSON_AddObjectToObject(md, "user");
  for (size_t i = 0; user && i < n; i++) {
    const char *kv = benchy_options_list_str(opts, "metadata", i);
    const char *eq = kv ? strchr(kv, '=') : NULL;
    if (!eq) continue;
    char *key = benchy_strndup(kv, (size_t)(eq - kv));
    if (!key) return;
    /* A key given twice keeps its last value, as vLLM's does. */
    cJSON_DeleteItemFromObjectCaseSensitive(user, key);
    cJSON_AddStringToObject(user, key, eq + 1);
    free(key);
  }
}

static void add_percentile_metrics(cJSON *md, const benchy_options *opts) {
  const char *list = benchy_options_str(opts, "percentile-metrics");
  if (!list) return;
  cJSON *arr = cJSON_AddArrayToObject(md, "percentile_metrics");
  for (const char *p = list; arr && *p;) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    char *word = benchy_strndup(p, n);
    if (!word) return;
    cJSON_AddItemToArray(arr, cJSON_CreateString(word));
    free(word);
    p = comma ? comma + 1 : p + n;
  }
}

/* How this copy of benchy was compiled: figures from a sanitizer or an
 * unoptimised build are not comparable with a release build's. */
void result_doc_head(cJSON *doc, const char *kind) {
  cJSON_AddNumberToObject(doc, "result_version", BENCHY_RESULT_VERSION);
  cJSON_AddStringToObject(doc, "kind", kind);
  cJSON_AddNumberToObject(doc, "record_version", BENCHY_RECORD_VERSION);
}

static void add_started_at(cJSON *md, time_t when) {
  struct tm tm;
  char stamp[32];
  if (when != (time_t)-1 && gmtime_r(&when, &tm) && strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm))
    cJSON_AddStringToObject(md, "started_at", stamp);
  else
    cJSON_AddNullToObject(md, "started_at");
}

static void add_str_or_null(cJSON *o, const char *key, const char *v) {
  if (v)
    cJSON_AddStringToObject(o, key, v);
  else
    cJSON_AddNullToObject(o, key);
}

cJSON *run_metadata_new(const run_metadata_common *c) {
  cJSON *md = cJSON_CreateObject();
  if (!md) {
    cJSON_Delete(c->prompt_lengths);
    cJSON_Delete(c->request_body);
    return NULL;
  }
  cJSON_AddStringToObject(md, "benchy_version", benchy_version_string());
  add_started_at(md, c->started_at);
  add_str_or_null(md, "name", benchy_options_str(c->opts, "name"));
  cJSON_AddStringToObject(md, "model", c->model ? c->model : "");
  cJSON_AddStringToObject(md, "served_model_name",
                          c->served_model_name ? c->served_model_name : (c->model ? c->model : ""));
  cJSON_AddStringToObject(md, "base_url", c->shown_url ? c->shown_url : "");
  cJSON_AddStringToObject(md, "api", c->chat ? "chat" : "completions");
  cJSON_AddStringToObject(md, "stddev", c->ddof ? "sample" : "population");
  cJSON *pct = cJSON_AddArrayToObject(md, "percentiles");
  for (size_t i = 0; pct && i < c->n_percentiles; i++)
    cJSON_AddItemToArray(pct, cJSON_CreateNumber(c->percentiles[i]));
  run_metadata_add(md, c->opts);
  if (c->prompt_lengths) cJSON_AddItemToObject(md, "prompt_lengths", c->prompt_lengths);
  if (c->request_body) cJSON_AddItemToObject(md, "request_body", c->request_body);
  if (c->server_reported) cJSON_AddItemToObject(md, "server_reported", cJSON_Duplicate(c->server_reported, 1));
  return md;
}

static void run_metadata_add(cJSON *md, const benchy_options *opts) {
  if (!md || !opts) return;
  add_user(md, opts);
  const char *tokenizer = benchy_options_str(opts, "tokenizer");
  if (tokenizer) {
    cJSON *t = cJSON_AddObjectToObject(md, "tokenizer");
    if (t) {
      cJSON_AddStringToObject(t, "given", tokenizer);
      cJSON_AddStringToObject(t, "used", "server");
      cJSON_AddStringToObject(t, "note", "benchy loads no tokenizer: token counts come from the "
                                         "server (usage, /tokenize)");
    }
  }
  add_percentile_metrics(md, opts);
  /* Host, GPUs, git trees, environment, commands and the command line, for
   * every kind at once (docs/metadata.md). */
  meta_collect(opts, NULL, md);
}
