/*
 * model.c — the timing model and the scheduler that plays it out.
 *
 * Every stream has at most one pending event (joining the queue after a
 * slow-headers hold, its slot start, or its next token), kept in one binary
 * min-heap ordered by (time, sequence); the loop thread (sim.c) serves what
 * is due, then polls its sockets or, when the next event is far, sleeps on
 * one libevent timer armed for it. Times are the model's times, computed
 * from each other and never from when the loop got round to an event, so a
 * late loop shows up as lateness (send time - scheduled time) and never as
 * a slower model:
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

/* Longest stretch spent on due chunks before the loop looks at sockets
 * again (accepts, new requests, hang-ups). */
#define TIMER_SLICE_NS 2000000

/* ---- the heap ----
 * Entries carry their key, so sifting never touches a stream's memory; a
 * cancelled stream stays in the heap as a zombie until it surfaces, so no
 * entry needs to know its own position. */

static inline int before(const sim_heap_ent *a, const sim_heap_ent *b) {
  return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

static void heap_up(sim_heap_ent *h, size_t i) {
  sim_heap_ent e = h[i];
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!before(&e, &h[p])) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = e;
}

static void heap_down(sim_heap_ent *h, size_t n, size_t i) {
  sim_heap_ent e = h[i];
  for (;;) {
    size_t l = 2 * i + 1;
    if (l >= n) break;
    size_t c = (l + 1 < n && before(&h[l + 1], &h[l])) ? l + 1 : l;
    if (!before(&h[c], &e)) break;
    h[i] = h[c];
    i = c;
  }
  h[i] = e;
}

/* Capacity is reserved when a stream is submitted, so pushes cannot fail. */
static void heap_push(sim_t *s, sim_stream *st) {
  st->in_heap = 1;
  s->heap[s->heap_len] = (sim_heap_ent){st->key, s->seq++, st};
  heap_up(s->heap, s->heap_len++);
}

static sim_stream *heap_pop(sim_t *s) {
  sim_stream *top = s->heap[0].st;
  top->in_heap = 0;
  if (--s->heap_len > 0) {
    s->heap[0] = s->heap[s->heap_len];
    heap_down(s->heap, s->heap_len, 0);
  }
  return top;
}

void sim_sched_arm(sim_t *s) {
  if (!s->heap_len) {
    if (s->timer_armed) event_del(s->ev_timer);
    s->timer_armed = 0;
    return;
  }
  int64_t at = s->heap[0].key;
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
  free(st->args);
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
  if (st->in_queue) dequeue(s, st);
  if (st->decoding) s->n_decoding--;
  st->decoding = 0;
  if (st->slot_held) release_slot(s, benchy_now_ns());
  st->slot_held = 0;
  st->conn = NULL;
  stream_done(s);
  if (st->in_heap) st->zombie = 1; /* freed when it surfaces */
  else sim_stream_free(st);
}

int sim_stream_submit(sim_stream *st) {
  sim_t *s = st->sim;
  /* Every stream is in the heap or the queue, never both, and moves between
   * them one for one: room for all of them now means no push fails later. */
  sim_heap_ent *heap = benchy_grow(s->heap, &s->heap_cap, s->heap_len + s->q_len + 1, sizeof *heap);
  if (!heap) return -1;
  s->heap = heap;
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
      sim_count_fault(s, SIM_F_ERROR_CHUNK); /* before the response, as above */
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
  /* Counted before the bytes go out: a client that has seen the fault must
   * find it in /sim/stats already. */
  if (disconnect) sim_count_fault(s, SIM_F_DISCONNECT);
  if (error) sim_count_fault(s, SIM_F_ERROR_CHUNK);
  if (sim_conn_send_out(c, o, headers, 1, end, t)) return 1;
  if (disconnect) {
    sim_conn_close(c);
    return 1;
  }
  if (error) {
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

int64_t sim_sched_run(sim_t *s) {
  int64_t now = benchy_now_ns(), give_up = now + TIMER_SLICE_NS;
  while (s->heap_len) {
    while (s->heap_len && s->heap[0].key <= now) {
      sim_stream *st = heap_pop(s);
      if (st->zombie) sim_stream_free(st);
      else stream_event(s, st);
    }
    now = benchy_now_ns();
    if (now >= give_up || !s->heap_len || s->heap[0].key > now) break;
  }
  sim_stats_flush(s);
  return s->heap_len ? s->heap[0].key - now : INT64_MAX;
}

/* The timer only wakes the loop; the loop itself runs the scheduler. */
static void on_timer(evutil_socket_t fd, short what, void *arg) {
  sim_t *s = arg;
  s->timer_armed = 0;
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
  /* Only zombies are left once every connection is closed. */
  for (size_t i = 0; i < s->heap_len; i++) sim_stream_free(s->heap[i].st);
  free(s->heap);
  s->heap = NULL;
  s->heap_len = s->heap_cap = 0;
  sim_cache_free(&s->cache);
  benchy_buf_free(&s->out.b);
}
