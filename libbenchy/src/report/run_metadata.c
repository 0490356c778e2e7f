/* run_metadata.c — see run_metadata.h. */
#include "run_metadata.h"

#include "../meta/meta.h"

#include <stdlib.h>
#include <string.h>

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

void run_metadata_add(cJSON *md, const benchy_options *opts) {
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
  meta_collect(opts, NULL, md); /* issue 13: host, GPUs, git, env, commands, build, argv */
}
