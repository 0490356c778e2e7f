/*
 * load_resume.c — see load_resume.h. The inverse of record_to_json for the
 * fields stats/collector_internal.h reads.
 */
#include "load_resume.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cJSON *get(const cJSON *o, const char *key) {
  return o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

static int64_t count_of(const cJSON *o, const char *key) {
  const cJSON *v = get(o, key);
  return cJSON_IsNumber(v) ? (int64_t)llround(v->valuedouble) : -1;
}

/* ms from t0 as written; 0 (did not happen) for null. A time of exactly
 * t0 is kept distinct from "none" by a nanosecond. */
static int64_t rel_ns(const cJSON *t, const char *key) {
  const cJSON *v = get(t, key);
  if (!cJSON_IsNumber(v)) return 0;
  int64_t ns = (int64_t)llround(v->valuedouble * 1e6);
  return ns ? ns : 1;
}

static int status_of(const char *name) {
  int st = benchy_status_from_name(name);
  return st >= 0 ? st : BENCHY_ERR_TRANSPORT; /* a failure of some kind, counted as one */
}

static int count_method_of(const char *name) {
  if (!strcmp(name, "usage")) return BENCHY_COUNT_USAGE;
  if (!strcmp(name, "server_chunks")) return BENCHY_COUNT_SERVER_CHUNKS;
  if (!strcmp(name, "chunks")) return BENCHY_COUNT_CHUNKS;
  return 0;
}

int resumed_level_add(resumed_level *lv, const cJSON *line, int64_t max_json) {
  const cJSON *index = get(line, "index");
  const cJSON *status = get(line, "status");
  if (!cJSON_IsNumber(index) || index->valuedouble < 0 || !cJSON_IsString(status)) return -1;
  resumed_request *room = benchy_grow(lv->reqs, &lv->cap, lv->n + 1, sizeof *room);
  if (!room) return -1;
  lv->reqs = room;
  resumed_request *q = &lv->reqs[lv->n];
  memset(q, 0, sizeof *q);
  q->index = (uint64_t)index->valuedouble;
  q->order = lv->lines++;
  benchy_record *r = &q->rec;
  r->struct_size = sizeof *r;
  r->status = status_of(status->valuestring);
  r->http_status = (int)count_of(line, "http_status");
  const cJSON *t = get(line, "t_ms");
  r->t_scheduled = rel_ns(t, "scheduled");
  r->t_dispatched = rel_ns(t, "dispatched");
  r->t_sent = rel_ns(t, "sent");
  r->t_first_byte = rel_ns(t, "first_byte");
  r->t_first_chunk = rel_ns(t, "first_chunk");
  r->t_first_reasoning = rel_ns(t, "first_reasoning");
  r->t_first_content = rel_ns(t, "first_content");
  r->t_first_tool = rel_ns(t, "first_tool");
  r->t_last_tool = rel_ns(t, "last_tool");
  r->t_first_sentence = rel_ns(t, "first_sentence");
  r->t_first_token = rel_ns(t, "first_token");
  r->t_last_token = rel_ns(t, "last_token");
  r->t_done = rel_ns(t, "done");
  r->usage_prompt_tokens = count_of(line, "prompt_tokens");
  r->usage_completion_tokens = count_of(line, "completion_tokens");
  r->usage_cached_tokens = count_of(line, "cached_tokens");
  r->usage_reasoning_tokens = count_of(line, "reasoning_tokens");
  r->output_tokens = count_of(line, "output_tokens");
  const cJSON *from = get(line, "output_tokens_from");
  r->count_method = cJSON_IsString(from) ? count_method_of(from->valuestring) : 0;
  r->chunks = count_of(line, "chunks");
  r->token_chunks = count_of(line, "token_chunks");
  r->server_chunk_tokens = count_of(line, "server_chunk_tokens");
  r->timings.cache_n = r->timings.prompt_n = r->timings.predicted_n = -1;
  r->timings.draft_n = r->timings.draft_n_accepted = -1;
  const cJSON *tm = get(line, "server_timings");
  if (cJSON_IsObject(tm)) {
    r->timings.present = 1;
    r->timings.cache_n = count_of(tm, "cache_n");
    r->timings.prompt_n = count_of(tm, "prompt_n");
    r->timings.predicted_n = count_of(tm, "predicted_n");
  }
  q->input_expected = count_of(line, "input_tokens_expected");
  const cJSON *rows = get(line, "chunks_raw");
  int n_rows = cJSON_IsArray(rows) ? cJSON_GetArraySize(rows) : 0;
  if (n_rows > 0 && (q->events = calloc((size_t)n_rows, sizeof *q->events)) != NULL) {
    size_t k = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
      const cJSON *c0 = cJSON_GetArrayItem(row, 0), *c1 = cJSON_GetArrayItem(row, 1),
                  *c2 = cJSON_GetArrayItem(row, 2), *c3 = cJSON_GetArrayItem(row, 3);
      if (!cJSON_IsNumber(c0) || !cJSON_IsNumber(c1) || !cJSON_IsNumber(c2)) continue;
      benchy_chunk_event *e = &q->events[k++];
      e->t_ns = (int64_t)llround(c0->valuedouble * 1e6);
      e->tokens = (int32_t)c1->valuedouble;
      e->kinds = (uint32_t)c2->valuedouble;
      e->server_send_ns = cJSON_IsNumber(c3) ? (int64_t)llround(c3->valuedouble * 1e6) : 0;
      e->text_bytes = 1; /* not written; only weighs a spread, never a known count */
    }
    r->n_chunk_events = k;
  }
  if (lv->json_kept < max_json) {
    cJSON *dup = cJSON_Duplicate(line, 1);
    if (dup) {
      cJSON_DeleteItemFromObjectCaseSensitive(dup, "type");
      cJSON_DeleteItemFromObjectCaseSensitive(dup, "chunks_raw");
      q->json = dup;
      lv->json_kept++;
    }
  }
  lv->n++;
  return 0;
}

static void request_free(resumed_request *q) {
  free(q->events);
  cJSON_Delete(q->json);
  q->events = NULL;
  q->json = NULL;
}

void resumed_level_reset(resumed_level *lv) {
  for (size_t i = 0; i < lv->n; i++) request_free(&lv->reqs[i]);
  lv->n = 0;
  lv->json_kept = 0;
}

static int by_index_then_order(const void *a, const void *b) {
  const resumed_request *x = a, *y = b;
  if (x->index != y->index) return x->index < y->index ? -1 : 1;
  return (x->order > y->order) - (x->order < y->order);
}

void resumed_level_settle(resumed_level *lv) {
  if (!lv->n) return;
  qsort(lv->reqs, lv->n, sizeof *lv->reqs, by_index_then_order);
  size_t out = 0;
  for (size_t i = 0; i < lv->n; i++) {
    if (i + 1 < lv->n && lv->reqs[i + 1].index == lv->reqs[i].index) {
      request_free(&lv->reqs[i]); /* superseded by a later try */
      continue;
    }
    lv->reqs[out++] = lv->reqs[i];
  }
  lv->n = out;
}

void resumed_level_free(resumed_level *lv) {
  resumed_level_reset(lv);
  free(lv->reqs);
  cJSON_Delete(lv->aggregates);
  memset(lv, 0, sizeof *lv);
}

size_t resumed_level_failed(const resumed_level *lv) {
  size_t n = 0;
  for (size_t i = 0; i < lv->n; i++) n += lv->reqs[i].rec.status != BENCHY_OK;
  return n;
}

static int64_t moved(int64_t t, int64_t t0) { return t ? t0 + t : 0; }

void resumed_request_rebase(const resumed_request *q, int64_t t0, benchy_record *out,
                            benchy_chunk_event *events) {
  *out = q->rec;
  out->t_scheduled = moved(q->rec.t_scheduled, t0);
  out->t_dispatched = moved(q->rec.t_dispatched, t0);
  out->t_sent = moved(q->rec.t_sent, t0);
  out->t_first_byte = moved(q->rec.t_first_byte, t0);
  out->t_first_chunk = moved(q->rec.t_first_chunk, t0);
  out->t_first_reasoning = moved(q->rec.t_first_reasoning, t0);
  out->t_first_content = moved(q->rec.t_first_content, t0);
  out->t_first_tool = moved(q->rec.t_first_tool, t0);
  out->t_last_tool = moved(q->rec.t_last_tool, t0);
  out->t_first_sentence = moved(q->rec.t_first_sentence, t0);
  out->t_first_token = moved(q->rec.t_first_token, t0);
  out->t_last_token = moved(q->rec.t_last_token, t0);
  out->t_done = moved(q->rec.t_done, t0);
  for (size_t i = 0; i < q->rec.n_chunk_events; i++) {
    events[i] = q->events[i];
    events[i].t_ns = t0 + q->events[i].t_ns;
    if (q->events[i].server_send_ns) events[i].server_send_ns = t0 + q->events[i].server_send_ns;
  }
  out->chunk_events = q->rec.n_chunk_events ? events : NULL;
}

int resume_plan_make(const resumed_level *prior, uint64_t count, const int64_t *offsets,
                     int retry_failed, resume_plan *out) {
  memset(out, 0, sizeof *out);
  out->from_complete = prior->done;
  out->keep = calloc(prior->n ? prior->n : 1, 1);
  if (!out->keep) return -1;
  int64_t last_done = 0;
  uint64_t max_index = 0;
  for (size_t i = 0; i < prior->n; i++) {
    const resumed_request *q = &prior->reqs[i];
    int again = count && retry_failed && q->rec.status != BENCHY_OK && q->index < count;
    out->keep[i] = !again;
    if (again) {
      out->resent++;
      continue;
    }
    out->restored++;
    if (q->rec.t_done > last_done) last_done = q->rec.t_done;
    if (q->index + 1 > max_index) max_index = q->index + 1;
  }
  if (!count) {
    out->index_base = max_index;
    out->shift_ns = last_done;
    return 0;
  }
  /* prior->reqs is sorted by index: walk it beside 0..count-1. */
  uint64_t n = out->from_complete ? (uint64_t)out->resent : count - (uint64_t)out->restored;
  out->index_map = malloc((size_t)(n ? n : 1) * sizeof *out->index_map);
  if (!out->index_map) return -1;
  size_t k = 0;
  if (out->from_complete) {
    for (size_t i = 0; i < prior->n; i++)
      if (!out->keep[i]) out->index_map[k++] = prior->reqs[i].index;
  } else {
    size_t i = 0;
    for (uint64_t idx = 0; idx < count; idx++) {
      while (i < prior->n && prior->reqs[i].index < idx) i++;
      if (i < prior->n && prior->reqs[i].index == idx && out->keep[i]) continue;
      if (k < n) out->index_map[k++] = idx;
    }
  }
  out->n_map = k;
  /* An open-loop level goes on with the rest of its schedule, from the first
   * arrival it still owes; anything else starts where the file's part ended. */
  out->shift_ns = offsets && k ? offsets[out->index_map[0]] : last_done;
  return 0;
}

void resume_plan_free(resume_plan *rp) {
  free(rp->index_map);
  free(rp->keep);
  memset(rp, 0, sizeof *rp);
}
