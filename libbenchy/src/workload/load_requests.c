/*
 * load_requests.c — what a level of `benchy load` sends: the dataset's
 * items for the level (synthetic texts of exact length from prompt.h, or a
 * file's entries) and each one's request body, all built before the
 * level's clock starts so that nothing slow happens while requests are
 * timed.
 */
#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "load_requests.h"

/* dataset_textgen over prompt.h. */
static int make_text(void *ud, uint64_t context_key, int64_t context_tokens, uint64_t key,
                     int64_t n, dataset_item *item, char *err, size_t errlen) {
  prompt_gen *g = ud;
  prompt_text pt;
  int st = prompt_make_pair(g, context_key, context_tokens, key, n, &pt, err, errlen);
  if (st != BENCHY_OK) return st;
  item->system = pt.system;
  item->prompt = pt.user;
  pt.system = pt.user = NULL;
  item->input_tokens = pt.target;
  item->input_exact = pt.exact;
  prompt_text_free(&pt);
  return BENCHY_OK;
}

/* The request body for one dataset item. */
static char *build_body(const load_plan *p, const dataset_item *it, int synthetic) {
  cJSON *b = cJSON_CreateObject();
  if (!b) return NULL;
  cJSON_AddStringToObject(b, "model", p->model);
  if (p->api == BENCHY_ENDPOINT_CHAT) {
    cJSON *msgs = NULL;
    if (it->messages_json) {
      msgs = cJSON_Parse(it->messages_json);
    } else {
      msgs = cJSON_CreateArray();
      if (msgs && it->system) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", "system");
        cJSON_AddStringToObject(m, "content", it->system);
        cJSON_AddItemToArray(msgs, m);
      }
      if (msgs) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", "user");
        cJSON_AddStringToObject(m, "content", it->prompt ? it->prompt : "");
        cJSON_AddItemToArray(msgs, m);
      }
    }
    if (!msgs) {
      cJSON_Delete(b);
      return NULL;
    }
    cJSON_AddItemToObject(b, "messages", msgs);
  } else {
    cJSON_AddStringToObject(b, "prompt", it->prompt ? it->prompt : "");
  }
  if (it->output_len > 0 && request_body_ignore_eos(p->rbody)) {
    if (request_body_force_length(b, it->output_len) != 0) {
      cJSON_Delete(b);
      return NULL;
    }
  } else if (it->output_len > 0) {
    cJSON_AddNumberToObject(b, "max_tokens", (double)it->output_len);
    /* Synthetic lengths are the point of the test: ask the server to
     * produce them whatever the text (vLLM, SGLang, llama.cpp read this). */
    if (synthetic) cJSON_AddBoolToObject(b, "ignore_eos", 1);
  }
  if (p->no_cache) cJSON_AddBoolToObject(b, "cache_prompt", 0);
  if (request_body_apply(p->rbody, b) != 0) {
    cJSON_Delete(b);
    return NULL;
  }
  char *text = cJSON_PrintUnformatted(b);
  cJSON_Delete(b);
  return text;
}

int load_prepare_requests(load_plan *p, size_t level, size_t n, int warmup, dataset *synth,
                          level_requests *r, char *err, size_t errlen) {
  uint64_t lvl = (uint64_t)level;
  r->items = calloc(n ? n : 1, sizeof *r->items);
  r->bodies = calloc(n ? n : 1, sizeof *r->bodies);
  if (!r->items || !r->bodies) return BENCHY_ERR_NOMEM;
  r->n_bodies = n;
  memset(synth, 0, sizeof *synth);
  if (p->dataset_kind == DATASET_RANDOM || p->dataset_kind == DATASET_PREFIX) {
    r->synthetic = 1;
    /* Every level and its warm-up get texts of their own: a later level
     * must not find an earlier one's prompts in the server's cache. */
    dataset_synth_config sc = {p->dataset_kind, n, p->input_len, p->output_len, p->range_ratio,
                               p->prefix_len, p->num_groups,
                               p->seed ^ (lvl * 0x9E3779B97F4A7C15ull) ^ (warmup ? 0xABCDull : 0),
                               (lvl << 41) | (warmup ? 1ull << 40 : 0)};
    dataset_textgen tg = {p->pgen, make_text};
    int st = dataset_synthesize(synth, &sc, &tg, err, errlen);
    if (st != BENCHY_OK) return st;
    for (size_t i = 0; i < n; i++) r->items[i] = &synth->items[i];
  } else {
    dataset_pick(&p->file_data, p->seed + lvl * 7919 + (warmup ? 104729 : 0), n, r->items);
  }
  for (size_t i = 0; i < n; i++) {
    if (!(r->bodies[i] = build_body(p, r->items[i], r->synthetic))) return BENCHY_ERR_NOMEM;
  }
  return BENCHY_OK;
}

void load_requests_free(level_requests *r) {
  if (r->bodies)
    for (size_t i = 0; i < r->n_bodies; i++) cJSON_free(r->bodies[i]);
  free(r->bodies);
  free(r->items);
}
