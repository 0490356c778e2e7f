/*
 * model.c — the timing model and the scheduler that plays it out.
 *
 * Every stream has at most one pending event (joining the queue after a
 * slow-headers hold, its slot start, or its next token), kept in one binary
 * min-heap ordered by (time, sequence); a single libevent timer is armed for
 * the earliest. Times are the model's times, computed from each other and
 * never from when the loop got round to an event, so a late loop shows up
 * as lateness (send time - scheduled time) and never as a slower model:
 *
 *   ts      = max(t_admit, time the slot was freed)           FIFO slots
 *   t_first = ts + overhead + uncached_prompt / prefill_tps
 *   t_{i+1} = t_i + (1/decode_tps) * (1 + batch_slowdown * (decoding - 1))
 *                                  * (1 + jitter * U(-1, 1))   [+ stall]
 *
 * "decoding" is the number of sequences between their first and last token
 * when the interval starts, which events processed in time order see right.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "sim/sim_internal.h"

/* Due events closer than this are waited for by spinning: cheaper and far
 * more punctual than another trip through epoll and a timerfd. */
#define SPIN_NS 5000
/* Longest stretch spent on timers before the loop looks at sockets again. */
#define TIMER_SLICE_NS 2000000

/* ---- the heap ---- */

static inline int before(const sim_stream *a, const sim_stream *b) {
  return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

static void heap_set(sim_t *s, size_t i, sim_stream *st) {
  s->heap[i] = st;
  st->heap_idx = (long)i;
}

static void heap_up(sim_t *s, size_t i) {
  sim_stream *st = s->heap[i];
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!before(st, s->heap[p])) break;
    heap_set(s, i, s->heap[p]);
    i = p;
  }
  heap_set(s, i, st);
}

static void heap_down(sim_t *s, size_t i) {
  sim_stream *st = s->heap[i];
  size_t n = s->heap_len;
  for (;;) {
    size_t l = 2 * i + 1;
    if (l >= n) break;
    size_t c = (l + 1 < n && before(s->heap[l + 1], s->heap[l])) ? l + 1 : l;
    if (!before(s->heap[c], st)) break;
    heap_set(s, i, s->heap[c]);
    i = c;
  }
  heap_set(s, i, st);
}

/* Capacity is reserved when a stream is submitted, so pushes cannot fail. */
static void heap_push(sim_t *s, sim_stream *st) {
  st->seq = s->seq++;
  s->heap[s->heap_len] = st;
  st->heap_idx = (long)s->heap_len++;
  heap_up(s, s->heap_len - 1);
}

static sim_stream *heap_pop(sim_t *s) {
  sim_stream *top = s->heap[0];
  top->heap_idx = -1;
  if (--s->heap_len > 0) {
    heap_set(s, 0, s->heap[s->heap_len]);
    heap_down(s, 0);
  }
  return top;
}

static void heap_remove(sim_t *s, sim_stream *st) {
  size_t i = (size_t)st->heap_idx;
  st->heap_idx = -1;
  if (i == --s->heap_len) return;
  heap_set(s, i, s->heap[s->heap_len]);
  if (i > 0 && before(s->heap[i], s->heap[(i - 1) / 2])) heap_up(s, i);
  else heap_down(s, i);
}

static void sched_arm(sim_t *s) {
  if (!s->heap_len) {
    if (s->timer_armed) event_del(s->ev_timer);
    s->timer_armed = 0;
    return;
  }
  int64_t at = s->heap[0]->key;
  if (s->timer_armed && s->timer_at == at) return;
  int64_t d = at - benchy_now_ns();
  if (d < 0) d = 0;
  int64_t us = (d + 999) / 1000; /* never early: rounding up */
  struct timeval tv = {(time_t)(us / 1000000), (suseconds_t)(us % 1000000)};
  event_add(s->ev_timer, &tv);
  s->timer_armed = 1;
  s->timer_at = at;
}

/* ---- the FIFO of requests waiting for a slot ---- */

static void enqueue(sim_t *s, sim_stream *st) {
  st->state = SIM_ST_QUEUED;
  st->in_queue = 1;
  st->qnext = NULL;
  st->qprev = s->q_tail;
  if (s->q_tail) s->q_tail->qnext = st;
  else s->q_head = st;
  s->q_tail = st;
  s->q_len++;
}

static void dequeue(sim_t *s, sim_stream *st) {
  if (st->qprev) st->qprev->qnext = st->qnext;
  else s->q_head = st->qnext;
  if (st->qnext) st->qnext->qprev = st->qprev;
  else s->q_tail = st->qprev;
  st->qprev = st->qnext = NULL;
  st->in_queue = 0;
  s->q_len--;
}

static void give_slot(sim_t *s, sim_stream *st, int64_t ts) {
  st->slot_held = 1;
  st->state = SIM_ST_START;
  st->key = ts;
  heap_push(s, st);
}

static void admit(sim_t *s, sim_stream *st) {
  if (s->free_slots > 0 && !s->q_head) {
    s->free_slots--;
    give_slot(s, st, st->t_admit);
  } else {
    enqueue(s, st);
  }
}

/* A slot frees at model time t: the head of the queue starts then (or when
 * it was admitted, if later); nothing is written here, so no callback
 * re-enters. */
static void release_slot(sim_t *s, int64_t t) {
  sim_stream *next = s->q_head;
  if (!next) {
    s->free_slots++;
    return;
  }
  dequeue(s, next);
  give_slot(s, next, next->t_admit > t ? next->t_admit : t);
}

/* ---- streams ---- */

int sim_phase_of(const sim_stream *st, int64_t tok) {
  if (st->api == SIM_API_COMPLETIONS) return SIM_PH_CONTENT;
  if (tok < st->n_reason) return SIM_PH_REASON;
  if (!st->tool) return SIM_PH_CONTENT;
  return tok == st->n_reason ? SIM_PH_TOOL_HEAD : SIM_PH_TOOL_ARGS;
}

int64_t sim_phase_end(const sim_stream *st, int64_t tok) {
  switch (sim_phase_of(st, tok)) {
  case SIM_PH_REASON: return st->n_reason;
  case SIM_PH_TOOL_HEAD: return st->n_reason + 1;
  default: return st->n;
  }
}

/* Chunks hold k tokens (fixed or drawn from the stream's generator) and
 * never straddle a phase, so every delta has one kind of content. */
static int64_t next_chunk_end(sim_stream *st, int64_t start) {
  const sim_config *cfg = &st->sim->cfg;
  int64_t k = cfg->tpc_min;
  if (cfg->tpc_max > cfg->tpc_min)
    k += (int64_t)(benchy_rand_next(&st->rng) % (uint64_t)(cfg->tpc_max - cfg->tpc_min + 1));
  int64_t end = start + k, limit = sim_phase_end(st, start);
  return end < limit ? end : limit;
}

void sim_stream_free(sim_stream *st) {
  if (!st) return;
  free(st->blocks);
  free(st->tool_name);
  free(st->args_open);
  benchy_buf_free(&st->head);
  benchy_buf_free(&st->tail);
  benchy_buf_free(&st->meta);
  free(st);
}

static void stream_done(sim_t *s) {
  pthread_mutex_lock(&s->mu);
  s->active_streams--;
  pthread_mutex_unlock(&s->mu);
}

void sim_count_fault(sim_t *s, int kind) {
  pthread_mutex_lock(&s->mu);
  s->faults++;
  s->fault_by[kind]++;
  pthread_mutex_unlock(&s->mu);
}

void sim_record_write(sim_t *s, int64_t sched_ns, int64_t send_ns, int events) {
  pthread_mutex_lock(&s->mu);
  s->chunks += (uint64_t)events;
  if (sched_ns >= 0) benchy_hist_add(s->lateness, send_ns - sched_ns);
  pthread_mutex_unlock(&s->mu);
}

/* The response is complete at model time t (or cut short there). */
static void finish_stream(sim_stream *st, int64_t t) {
  sim_t *s = st->sim;
  sim_conn *c = st->conn;
  if (st->decoding) s->n_decoding--;
  if (st->slot_held) release_slot(s, t);
  int close = st->streaming && s->cfg.close_after_stream;
  c->stream = NULL;
  sim_stream_free(st);
  stream_done(s);
  sim_conn_response_done(c, close);
}

void sim_stream_cancel(sim_stream *st) {
  sim_t *s = st->sim;
  if (st->heap_idx >= 0) heap_remove(s, st);
  if (st->in_queue) dequeue(s, st);
  if (st->decoding) s->n_decoding--;
  if (st->slot_held) release_slot(s, benchy_now_ns());
  sim_stream_free(st);
  stream_done(s);
  sched_arm(s);
}

int sim_stream_submit(sim_stream *st) {
  sim_t *s = st->sim;
  /* Every live stream is in the heap or the queue, never both: room for
   * all of them now means no push can fail later. */
  if ((size_t)s->active_streams + 1 > s->heap_cap) {
    size_t cap = s->heap_cap ? s->heap_cap * 2 : 256;
    sim_stream **heap = realloc(s->heap, cap * sizeof *heap);
    if (!heap) return -1;
    s->heap = heap;
    s->heap_cap = cap;
  }
  st->heap_idx = -1;
  pthread_mutex_lock(&s->mu);
  s->active_streams++;
  if (st->streaming) s->streams++;
  s->prompt_tokens += (uint64_t)st->prompt_tokens;
  s->completion_tokens += (uint64_t)st->n;
  pthread_mutex_unlock(&s->mu);
  if (st->faults & (1u << SIM_F_SLOW_HEADERS)) {
    sim_count_fault(s, SIM_F_SLOW_HEADERS);
    st->state = SIM_ST_HOLD;
    st->key = st->t0 + llround(s->cfg.slow_headers_ms * 1e6);
    heap_push(s, st);
  } else {
    st->t_admit = st->t0;
    admit(s, st);
  }
  sched_arm(s);
  return 0;
}

static void start_slot(sim_t *s, sim_stream *st) {
  st->ts = st->key;
  if (st->use_cache && st->n_blocks) {
    int64_t hit = (int64_t)sim_cache_lookup(&s->cache, st->blocks, st->n_blocks) * SIM_CACHE_BLOCK;
    /* As llama.cpp and vLLM do, the last prompt token is always computed:
     * its logits give the first output token. */
    st->cached = hit < st->prompt_tokens ? hit : st->prompt_tokens - 1;
    if (st->cached < 0) st->cached = 0;
    pthread_mutex_lock(&s->mu);
    s->cached_tokens += (uint64_t)st->cached;
    pthread_mutex_unlock(&s->mu);
  }
  double prefill_ns = (double)(st->prompt_tokens - st->cached) * 1e9 / s->cfg.prefill_tps;
  st->t_first = st->ts + llround(s->cfg.overhead_ms * 1e6) + llround(ceil(prefill_ns));
  st->state = SIM_ST_TOKEN;
  st->next_tok = 0;
  st->chunk_start = 0;
  st->chunk_end = 1; /* prefill yields exactly the first token */
  st->key = st->t_first;
  if (st->streaming && s->cfg.flavour == SIM_FLAVOUR_VLLM && st->api == SIM_API_CHAT) {
    /* vLLM sends headers and a role-only chunk as soon as the request is
     * scheduled, long before the first token; a client that takes TTFT
     * here measures nothing but queueing. */
    sim_out *o = &s->out;
    sim_out_begin(o);
    if (sim_render_role(st, o, st->ts) == 0) {
      st->headers_sent = 1;
      heap_push(s, st); /* before sending: a failed send frees st */
      sim_conn_send_out(st->conn, o, sim_stream_headers(st->conn), 1, 0, st->ts);
      return;
    }
  }
  heap_push(s, st);
}

/* Writes the chunk that ends with token i. Returns 1 when the stream is over
 * (freed, or its connection closed), 0 to go on. */
static int emit_chunk(sim_t *s, sim_stream *st, int64_t i, int last, int64_t t) {
  sim_conn *c = st->conn;
  int hit = st->faults && st->chunk_start <= st->fault_tok && st->fault_tok <= i;
  int disconnect = hit && (st->faults & (1u << SIM_F_DISCONNECT));
  int malformed = hit && (st->faults & (1u << SIM_F_MALFORMED));
  int error = hit && !disconnect && (st->faults & (1u << SIM_F_ERROR_CHUNK));
  if (!st->streaming) {
    if (disconnect) {
      sim_count_fault(s, SIM_F_DISCONNECT);
      sim_conn_close(c);
      return 1;
    }
    if (error) {
      sim_count_fault(s, SIM_F_ERROR_CHUNK);
      if (sim_conn_error(c, 500, "server_error", "simulated error mid-generation (--fault-error-chunk)"))
        return 1;
      finish_stream(st, t);
      return 1;
    }
    return 0;
  }
  sim_out *o = &s->out;
  sim_out_begin(o);
  const char *headers = NULL;
  if (!st->headers_sent) {
    headers = sim_stream_headers(c);
    st->headers_sent = 1;
  }
  int rc = 0;
  if (st->chunk_start == 0 && st->api == SIM_API_CHAT && s->cfg.flavour == SIM_FLAVOUR_LLAMA)
    rc |= sim_render_role(st, o, t);
  rc |= sim_render_tokens(st, o, st->chunk_start, i + 1, t, malformed);
  if (malformed) sim_count_fault(s, SIM_F_MALFORMED);
  int end = 0;
  if (error) {
    rc |= sim_render_error_event(st, o);
    end = 1;
  } else if (last && !disconnect) {
    rc |= sim_render_finish(st, o, t);
    end = 1;
  }
  if (rc) { /* out of memory: the stream cannot go on honestly */
    sim_conn_close(c);
    return 1;
  }
  if (sim_conn_send_out(c, o, headers, 1, end, t)) return 1;
  if (disconnect) {
    sim_count_fault(s, SIM_F_DISCONNECT);
    sim_conn_close(c);
    return 1;
  }
  if (error) {
    sim_count_fault(s, SIM_F_ERROR_CHUNK);
    finish_stream(st, t);
    return 1;
  }
  return 0;
}

static void token_due(sim_t *s, sim_stream *st) {
  int64_t i = st->next_tok, t = st->key;
  int last = i == st->n - 1;
  if (i == 0) {
    st->t_first = t;
    /* Prefill is done: its blocks are now reusable by later requests. */
    if (st->use_cache && st->n_blocks) sim_cache_insert(&s->cache, st->blocks, st->n_blocks);
    free(st->blocks);
    st->blocks = NULL;
    st->n_blocks = 0;
    if (!last) {
      s->n_decoding++;
      st->decoding = 1;
    }
  }
  if (last) {
    st->t_last = t;
    if (st->decoding) {
      s->n_decoding--;
      st->decoding = 0;
    }
  }
  if (last || i + 1 == st->chunk_end) {
    if (emit_chunk(s, st, i, last, t)) return;
    st->chunk_start = i + 1;
    if (!last) st->chunk_end = next_chunk_end(st, i + 1);
  }
  if (last) {
    if (!st->streaming) {
      sim_out *o = &s->out;
      int malformed = (st->faults & (1u << SIM_F_MALFORMED)) != 0;
      sim_out_begin(o);
      if (sim_render_body(st, o, t, malformed) != 0) {
        sim_conn_close(st->conn);
        return;
      }
      if (malformed) sim_count_fault(s, SIM_F_MALFORMED);
      char headers[256];
      snprintf(headers, sizeof headers,
               "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
               "Connection: %s\r\nServer: benchy-sim\r\n\r\n",
               o->b.len - SIM_OUT_FRONT, st->conn->want_close ? "close" : "keep-alive");
      if (sim_conn_send_out(st->conn, o, headers, 0, 0, t)) return;
    }
    finish_stream(st, t);
    return;
  }
  double f = 1.0 + s->cfg.batch_slowdown * (double)(s->n_decoding - 1);
  if (s->cfg.jitter > 0) f *= 1.0 + s->cfg.jitter * (2.0 * benchy_rand_unit(&st->rng) - 1.0);
  int64_t dt = llround(1e9 / s->cfg.decode_tps * f);
  if ((st->faults & (1u << SIM_F_STALL)) && i == st->fault_tok) {
    sim_count_fault(s, SIM_F_STALL);
    dt += llround(s->cfg.stall_ms * 1e6);
  }
  st->key = t + (dt > 0 ? dt : 0);
  st->next_tok = i + 1;
  heap_push(s, st);
}

static void stream_event(sim_t *s, sim_stream *st) {
  switch (st->state) {
  case SIM_ST_HOLD:
    st->t_admit = st->key;
    admit(s, st);
    break;
  case SIM_ST_START:
    start_slot(s, st);
    break;
  default:
    token_due(s, st);
    break;
  }
}

#ifdef SIM_DEBUG
#include <stdio.h>
int64_t dbg_calls, dbg_wake_late_max, dbg_wake_late_sum, dbg_busy_max, dbg_busy_sum, dbg_events, dbg_gap_max;
static int64_t dbg_last_exit;
#endif
static void on_timer(evutil_socket_t fd, short what, void *arg) {
  sim_t *s = arg;
  int64_t now = benchy_now_ns(), give_up = now + TIMER_SLICE_NS;
#ifdef SIM_DEBUG
  int64_t entry = now;
  dbg_calls++;
  if (s->heap_len) { int64_t wl = now - s->heap[0]->key; if (wl > dbg_wake_late_max) dbg_wake_late_max = wl; dbg_wake_late_sum += wl; }
  if (dbg_last_exit && now - dbg_last_exit > dbg_gap_max) dbg_gap_max = now - dbg_last_exit;
#endif
  s->timer_armed = 0;
  for (;;) {
    while (s->heap_len && s->heap[0]->key <= now) stream_event(s, heap_pop(s));
    now = benchy_now_ns();
    if (!s->heap_len || now >= give_up) break;
    if (s->heap[0]->key - now > SPIN_NS) break;
    while (now < s->heap[0]->key) now = benchy_now_ns();
  }
  sched_arm(s);
#ifdef SIM_DEBUG
  dbg_last_exit = benchy_now_ns();
  if (dbg_last_exit - entry > dbg_busy_max) dbg_busy_max = dbg_last_exit - entry;
  dbg_busy_sum += dbg_last_exit - entry;
  static int64_t dbg_last_print; static int64_t dbg_n;
  dbg_n++;
  if (dbg_last_exit - dbg_last_print > 1000000000) dbg_last_print = dbg_last_exit, fprintf(stderr, "calls %lld wake_late max %.3f ms avg %.3f us busy max %.3f ms avg %.3f us gap_max %.3f ms heap %zu\n", (long long)dbg_calls, dbg_wake_late_max/1e6, dbg_wake_late_sum/1e3/dbg_n, dbg_busy_max/1e6, dbg_busy_sum/1e3/dbg_n, dbg_gap_max/1e6, s->heap_len), dbg_wake_late_max = dbg_busy_max = dbg_wake_late_sum = dbg_busy_sum = dbg_gap_max = dbg_n = 0;
#endif
}

int sim_sched_init(sim_t *s) {
  s->ev_timer = event_new(s->base, -1, 0, on_timer, s);
  if (!s->ev_timer) return -1;
  s->free_slots = s->cfg.slots;
  sim_cache_init(&s->cache, SIM_CACHE_MAX_BLOCKS);
  return 0;
}

void sim_sched_free(sim_t *s) {
  if (s->ev_timer) event_free(s->ev_timer);
  s->ev_timer = NULL;
  free(s->heap);
  s->heap = NULL;
  s->heap_len = s->heap_cap = 0;
  sim_cache_free(&s->cache);
  benchy_buf_free(&s->out.b);
}
