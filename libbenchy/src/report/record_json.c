/*
 * record_json.c — see record_json.h. The names here are the documented
 * field names of a record in every result file (docs/results.md).
 */
#include "record_json.h"

#include <stdlib.h>

#include "benchy/benchy.h"
#include "json_print.h"

static void add_ms(cJSON *o, const char *name, int64_t t, int64_t t0) {
  if (t)
    cJSON_AddNumberToObject(o, name, (double)(t - t0) / 1e6);
  else
    cJSON_AddNullToObject(o, name);
}

static void add_span_ms(cJSON *o, const char *name, int64_t ns) {
  if (ns >= 0)
    cJSON_AddNumberToObject(o, name, (double)ns / 1e6);
  else
    cJSON_AddNullToObject(o, name);
}

static void add_count(cJSON *o, const char *name, int64_t v) {
  if (v >= 0)
    cJSON_AddNumberToObject(o, name, (double)v);
  else
    cJSON_AddNullToObject(o, name);
}

static const char *count_method_name(int m) {
  switch (m) {
  case BENCHY_COUNT_USAGE:
    return "usage";
  case BENCHY_COUNT_SERVER_CHUNKS:
    return "server_chunks";
  case BENCHY_COUNT_CHUNKS:
    return "chunks";
  default:
    return "none";
  }
}

static int has_first_sentence(const benchy_record *r) {
  return r->struct_size >= offsetof(benchy_record, t_first_sentence) + sizeof r->t_first_sentence;
}

static void add_times(cJSON *o, const benchy_record *r, int64_t t0_ns) {
  cJSON *t = cJSON_AddObjectToObject(o, "t_ms");
  if (!t) return;
  add_ms(t, "scheduled", r->t_scheduled, t0_ns);
  add_ms(t, "dispatched", r->t_dispatched, t0_ns);
  add_ms(t, "sent", r->t_sent, t0_ns);
  add_ms(t, "first_byte", r->t_first_byte, t0_ns);
  add_ms(t, "first_chunk", r->t_first_chunk, t0_ns);
  add_ms(t, "first_reasoning", r->t_first_reasoning, t0_ns);
  add_ms(t, "first_content", r->t_first_content, t0_ns);
  add_ms(t, "first_tool", r->t_first_tool, t0_ns);
  if (r->struct_size >= offsetof(benchy_record, t_last_tool) + sizeof r->t_last_tool)
    add_ms(t, "last_tool", r->t_last_tool, t0_ns);
  if (has_first_sentence(r)) add_ms(t, "first_sentence", r->t_first_sentence, t0_ns);
  add_ms(t, "first_token", r->t_first_token, t0_ns);
  add_ms(t, "last_token", r->t_last_token, t0_ns);
  add_ms(t, "done", r->t_done, t0_ns);
}

static void add_server_timings(cJSON *o, const benchy_server_timings *timings) {
  cJSON *tm = cJSON_AddObjectToObject(o, "server_timings");
  if (!tm) return;
  add_count(tm, "cache_n", timings->cache_n);
  add_count(tm, "prompt_n", timings->prompt_n);
  add_count(tm, "predicted_n", timings->predicted_n);
  add_count(tm, "draft_n", timings->draft_n);
  add_count(tm, "draft_n_accepted", timings->draft_n_accepted);
  cJSON_AddNumberToObject(tm, "prompt_ms", timings->prompt_ms);
  cJSON_AddNumberToObject(tm, "predicted_ms", timings->predicted_ms);
  cJSON_AddNumberToObject(tm, "prompt_per_second", timings->prompt_per_second);
  cJSON_AddNumberToObject(tm, "predicted_per_second", timings->predicted_per_second);
}

static void add_tool_calls(cJSON *o, const benchy_record *r) {
  cJSON *calls = cJSON_AddArrayToObject(o, "tool_calls");
  for (size_t i = 0; calls && i < r->n_tool_calls; i++) {
    cJSON *c = cJSON_CreateObject();
    if (!c) break;
    cJSON_AddNumberToObject(c, "index", r->tool_calls[i].index);
    cJSON_AddStringToObject(c, "id", r->tool_calls[i].id);
    cJSON_AddStringToObject(c, "name", r->tool_calls[i].name);
    cJSON_AddStringToObject(c, "arguments", r->tool_calls[i].arguments);
    cJSON_AddItemToArray(calls, c);
  }
}

static void add_chunks_raw(cJSON *o, const benchy_record *r, int64_t t0_ns) {
  /* Compact rows: [t_ms, tokens, kinds, server_send_ms or null, read_seq]. */
  cJSON *rows = cJSON_AddArrayToObject(o, "chunks_raw");
  for (size_t i = 0; rows && i < r->n_chunk_events; i++) {
    const benchy_chunk_event *e = &r->chunk_events[i];
    cJSON *row = cJSON_CreateArray();
    if (!row) break;
    cJSON_AddItemToArray(row, cJSON_CreateNumber((double)(e->t_ns - t0_ns) / 1e6));
    cJSON_AddItemToArray(row, cJSON_CreateNumber(e->tokens));
    cJSON_AddItemToArray(row, cJSON_CreateNumber(e->kinds));
    cJSON_AddItemToArray(row, e->server_send_ns
                                  ? cJSON_CreateNumber((double)(e->server_send_ns - t0_ns) / 1e6)
                                  : cJSON_CreateNull());
    cJSON_AddItemToArray(row, cJSON_CreateNumber(e->read_seq));
    cJSON_AddItemToArray(rows, row);
  }
}

cJSON *record_to_json(const benchy_record *r, int64_t t0_ns, int with_chunks) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddNumberToObject(o, "id", (double)r->id);
  if (r->tag) cJSON_AddStringToObject(o, "tag", r->tag);
  cJSON_AddStringToObject(o, "status", benchy_status_name(r->status));
  cJSON_AddNumberToObject(o, "http_status", r->http_status);
  if (r->error) cJSON_AddStringToObject(o, "error", r->error);
  cJSON_AddNumberToObject(o, "retries", r->retries);
  add_times(o, r, t0_ns);
  add_span_ms(o, "ttft_ms", benchy_record_ttft_ns(r));
  add_span_ms(o, "ttfr_ms", benchy_record_ttfr_ns(r));
  add_span_ms(o, "tpot_ms", benchy_record_tpot_ns(r));
  add_span_ms(o, "e2el_ms", benchy_record_e2e_ns(r));
  add_span_ms(o, "queue_ms", benchy_record_queue_ns(r));
  if (has_first_sentence(r)) add_span_ms(o, "ttfs_ms", benchy_record_ttfs_ns(r));
  add_count(o, "prompt_tokens", r->usage_prompt_tokens);
  add_count(o, "completion_tokens", r->usage_completion_tokens);
  add_count(o, "cached_tokens", r->usage_cached_tokens);
  add_count(o, "reasoning_tokens", r->usage_reasoning_tokens);
  cJSON_AddNumberToObject(o, "output_tokens", (double)r->output_tokens);
  cJSON_AddStringToObject(o, "output_tokens_from", count_method_name(r->count_method));
  cJSON_AddNumberToObject(o, "chunks", (double)r->chunks);
  cJSON_AddNumberToObject(o, "token_chunks", (double)r->token_chunks);
  add_count(o, "server_chunk_tokens", r->server_chunk_tokens);
  cJSON_AddNumberToObject(o, "socket_reads", (double)r->socket_reads);
  if (r->struct_size >= offsetof(benchy_record, rx_clock) + sizeof r->rx_clock)
    cJSON_AddStringToObject(o, "rx_clock", benchy_rx_clock_name(r->rx_clock));
  cJSON_AddNumberToObject(o, "bytes_received", (double)r->bytes_received);
  cJSON_AddNumberToObject(o, "itl_max_ms", (double)r->itl_max_ns / 1e6);
  if (r->finish_reason)
    cJSON_AddStringToObject(o, "finish_reason", r->finish_reason);
  else
    cJSON_AddNullToObject(o, "finish_reason");
  if (r->timings.present) add_server_timings(o, &r->timings);
  if (r->n_tool_calls) add_tool_calls(o, r);
  if (r->content) cJSON_AddStringToObject(o, "content", r->content);
  if (r->reasoning && r->reasoning[0]) cJSON_AddStringToObject(o, "reasoning", r->reasoning);
  if (with_chunks && r->chunk_events) add_chunks_raw(o, r, t0_ns);
  return o;
}

char *benchy_record_to_json(const benchy_record *r, int64_t t0_ns, int with_chunks, int pretty) {
  if (!r) return NULL;
  cJSON *o = record_to_json(r, t0_ns, with_chunks);
  if (!o) return NULL;
  char *text = json_print_exact(o, pretty);
  cJSON_Delete(o);
  return text;
}
