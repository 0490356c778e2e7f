/*
 * stats.c — the simulator's statistics: faults and writes counted on the
 * loop thread (writes in batches), and GET /sim/stats, the whole of them
 * with the configuration as JSON. benchy_sim_get_stats (sim.c) reads the
 * same fields from any thread.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/sim_internal.h"

void sim_count_fault(sim_t *s, int kind) {
  pthread_mutex_lock(&s->mu);
  s->faults++;
  s->fault_by[kind]++;
  pthread_mutex_unlock(&s->mu);
}

/* Writes are counted locally and folded into the shared statistics under
 * one lock per batch: a lock per chunk would be a measurable share of the
 * loop's time at hundreds of thousands of chunks a second. */
void sim_record_write(sim_t *s, int64_t sched_ns, int64_t send_ns, int events) {
  s->pending_chunks += (uint64_t)events;
  if (sched_ns >= 0) s->pending_late[s->n_pending_late++] = send_ns - sched_ns;
  if (s->n_pending_late == SIM_PENDING_LATE) sim_stats_flush(s);
}

void sim_stats_flush(sim_t *s) {
  if (!s->pending_chunks && !s->n_pending_late) return;
  pthread_mutex_lock(&s->mu);
  s->chunks += s->pending_chunks;
  for (size_t i = 0; i < s->n_pending_late; i++) benchy_hist_add(s->lateness, s->pending_late[i]);
  pthread_mutex_unlock(&s->mu);
  s->pending_chunks = 0;
  s->n_pending_late = 0;
}

int sim_write_stats_json(sim_t *s, benchy_buf *b) {
  const sim_config *c = &s->cfg;
  pthread_mutex_lock(&s->mu);
  int rc = benchy_buf_printf(
      b,
      "{\"pid\":%ld,\"requests\":%llu,\"streams\":%llu,\"chunks\":%llu,\"faults\":%llu,\"faults_by_kind\":{",
      (long)getpid(), (unsigned long long)s->requests, (unsigned long long)s->streams, (unsigned long long)s->chunks,
      (unsigned long long)s->faults);
  for (int k = 0; k < SIM_F_COUNT; k++)
    rc |= benchy_buf_printf(b, "%s\"%s\":%llu", k ? "," : "", sim_fault_names[k],
                            (unsigned long long)s->fault_by[k]);
  rc |= benchy_buf_printf(
      b,
      "},\"lateness_ns\":{\"count\":%llu,\"p50\":%lld,\"p90\":%lld,\"p99\":%lld,\"p999\":%lld,\"max\":%lld,"
      "\"mean\":%.1f},\"active_streams\":%llu,\"prompt_tokens\":%llu,\"cached_tokens\":%llu,"
      "\"completion_tokens\":%llu,\"accept_errors\":%llu,",
      (unsigned long long)benchy_hist_count(s->lateness), (long long)benchy_hist_percentile(s->lateness, 50),
      (long long)benchy_hist_percentile(s->lateness, 90), (long long)benchy_hist_percentile(s->lateness, 99),
      (long long)benchy_hist_percentile(s->lateness, 99.9), (long long)benchy_hist_max(s->lateness),
      benchy_hist_count(s->lateness) ? benchy_hist_mean(s->lateness) : 0.0,
      (unsigned long long)s->active_streams, (unsigned long long)s->prompt_tokens,
      (unsigned long long)s->cached_tokens, (unsigned long long)s->completion_tokens,
      (unsigned long long)s->accept_errors);
  pthread_mutex_unlock(&s->mu);
  /* The rest is the loop thread's own state: this runs on it. */
  rc |= benchy_buf_printf(b,
                          "\"queued\":%zu,\"decoding\":%lld,\"free_slots\":%lld,\"connections\":%zu,"
                          "\"cache_blocks\":%zu,\"uptime_s\":%.3f,\"config\":{\"model\":\"",
                          s->q_len, (long long)s->n_decoding, (long long)s->free_slots, s->n_conns,
                          s->cache.count, (double)(benchy_now_ns() - s->started_ns) / 1e9);
  rc |= sim_buf_escaped(b, c->model, strlen(c->model));
  rc |= benchy_buf_append_str(b, "\",\"host\":\"");
  rc |= sim_buf_escaped(b, c->host, strlen(c->host));
  rc |= benchy_buf_printf(
      b,
      "\",\"port\":%d,\"seed\":%llu,\"prefill_tps\":%.9g,\"decode_tps\":%.9g,\"overhead_ms\":%.9g,"
      "\"slots\":%lld,\"batch_slowdown\":%.9g,\"jitter\":%.9g,\"tokens_per_chunk\":\"%s\","
      "\"reasoning_tokens\":%lld,\"flavour\":\"%s\",\"ctx_size\":%lld,\"max_tokens\":%lld,"
      "\"prefix_cache\":%s,\"stamp\":%s,\"fault_429\":%.9g,\"fault_500\":%.9g,\"fault_disconnect\":%.9g,"
      "\"fault_malformed\":%.9g,\"fault_error_chunk\":%.9g,\"fault_stall\":%.9g,\"stall_ms\":%.9g,"
      "\"fault_slow_headers\":%.9g,\"slow_headers_ms\":%.9g,\"fault_bad_tool_args\":%.9g,"
      "\"close_after_stream\":\"%s\"}}",
      s->port, (unsigned long long)c->seed, c->prefill_tps, c->decode_tps, c->overhead_ms,
      (long long)c->slots, c->batch_slowdown, c->jitter, c->tpc_text, (long long)c->reasoning_tokens,
      sim_flavour_names[c->flavour], (long long)c->ctx_size, (long long)c->max_tokens,
      c->prefix_cache ? "true" : "false", c->stamp ? "true" : "false", c->fault_p[SIM_F_429],
      c->fault_p[SIM_F_500], c->fault_p[SIM_F_DISCONNECT], c->fault_p[SIM_F_MALFORMED],
      c->fault_p[SIM_F_ERROR_CHUNK], c->fault_p[SIM_F_STALL], c->stall_ms, c->fault_p[SIM_F_SLOW_HEADERS],
      c->slow_headers_ms, c->fault_p[SIM_F_BAD_TOOL_ARGS], c->close_text);
  return rc ? -1 : 0;
}
