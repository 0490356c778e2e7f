/*
 * runner.c — see runner.h. One worker per thread, each with its own loop
 * and session; request i belongs to worker i % threads.
 *
 * A worker walks its indices in order. Closed loop (send_at_ns == 0): it
 * keeps its share of max_concurrency in flight. Open loop: a timer fires at
 * each intended send time; a request the concurrency limit holds back waits
 * in a FIFO and keeps its intended time as t_scheduled, so the wait shows in
 * from-schedule latencies rather than vanishing (coordinated omission).
 */
#include "runner.h"

#include "../core/session_internal.h"
#include "../monotonic_cond.h"
#include "interrupt.h"
#include "run_progress.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_WORKERS 1024

typedef struct waiting {
  uint64_t index;
  runner_request req;
} waiting;

/* Requests in flight over every thread, their peak, and those that ended
 * (for the run's progress). finished counts worker threads that returned:
 * the run's thread waits on it, reporting progress while it waits. */
typedef struct shared_flight {
  atomic_ullong now, peak, done, failed;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int finished;
} shared_flight;

typedef struct worker {
  int id;
  shared_flight *flight;
  const runner_config *cfg;
  const runner_hooks *hooks;
  run_cancel *cancel;      /* the run's token, current on the worker's thread */
  benchy_loop *loop;
  benchy_session *session;
  uint64_t next_index;     /* next index of this worker to take */
  uint64_t limit;          /* in flight at most (0 = unlimited) */
  uint64_t in_flight;
  int exhausted;           /* next() said there is no more */
  int64_t t_start;
  uint64_t timer;          /* pending open-loop timer */
  /* The request the pending timer is for, built ahead of its time so that
   * building it (parsing and printing its body) is not part of the
   * dispatch lag. NULL when none. */
  benchy_request *prepared;
  uint64_t prepared_index;
  waiting *queue;          /* held back by the concurrency limit */
  size_t q_head, q_len, q_cap;
  runner_summary sum;
  int status;
  int watch;               /* interrupt_watch slot of loop */
  char err[256];
} worker;

typedef struct inflight {
  worker *w;
  uint64_t index;
} inflight;

static int stopping(worker *w) {
  if (interrupt_pending()) return 1;
  if (w->hooks->should_stop && w->hooks->should_stop(w->hooks->userdata)) return 1;
  if (w->cfg->duration_ns > 0 && benchy_now_ns() - w->t_start >= w->cfg->duration_ns) return 1;
  return 0;
}

static void on_chunk(benchy_request *r, const benchy_chunk_event *ev, const char *text, size_t len,
                     void *ud) {
  inflight *f = ud;
  f->w->hooks->on_chunk(f->w->hooks->userdata, f->w->id, f->index, ev);
}

static void pump(worker *w);

static void on_done(benchy_request *r, const benchy_record *rec, void *ud) {
  inflight *f = ud;
  worker *w = f->w;
  if (rec->status == BENCHY_OK)
    w->sum.completed++;
  else if (rec->status == BENCHY_ERR_CANCELLED)
    w->sum.cancelled++;
  else
    w->sum.failed++;
  if (rec->t_done > w->sum.t_last_done) w->sum.t_last_done = rec->t_done;
  w->hooks->on_record(w->hooks->userdata, w->id, f->index, rec);
  w->in_flight--;
  atomic_fetch_sub(&w->flight->now, 1);
  if (rec->status != BENCHY_ERR_CANCELLED) {
    atomic_fetch_add(&w->flight->done, 1);
    if (rec->status != BENCHY_OK) atomic_fetch_add(&w->flight->failed, 1);
  }
  /* One thread: this is the run's thread, where progress is reported.
   * (With more, the run's thread reports while it waits for them.) */
  if (w->cfg->threads == 1)
    run_progress_requests(atomic_load(&w->flight->done), atomic_load(&w->flight->failed),
                 atomic_load(&w->flight->now), 0);
  free(f);
  benchy_request_free(r);
  pump(w);
}

/* A request object for index with its callbacks, not yet started. */
static int build_one(worker *w, uint64_t index, const runner_request *req, benchy_request **out) {
  benchy_request *r = NULL;
  int st = benchy_request_new(&r, w->session, req->endpoint, req->body);
  if (st != BENCHY_OK) {
    snprintf(w->err, sizeof w->err, "request %llu: %s", (unsigned long long)index,
             benchy_session_error(w->session));
    return st;
  }
  inflight *f = malloc(sizeof *f);
  if (!f) {
    benchy_request_free(r);
    return BENCHY_ERR_NOMEM;
  }
  f->w = w;
  f->index = index;
  if (w->cfg->request_flags) benchy_request_set_flags(r, w->cfg->request_flags);
  if (req->tag) benchy_request_set_tag(r, req->tag);
  if (w->hooks->on_chunk) benchy_request_set_on_chunk(r, on_chunk, f);
  benchy_request_set_on_done(r, on_done, f);
  benchy_request_set_userdata(r, f);
  *out = r;
  return BENCHY_OK;
}

static void discard_built(benchy_request *r) {
  free(benchy_request_userdata(r));
  benchy_request_free(r);
}

static void drop_prepared(worker *w) {
  if (w->prepared) discard_built(w->prepared);
  w->prepared = NULL;
}

static int start_one(worker *w, uint64_t index, const runner_request *req) {
  benchy_request *r = NULL;
  if (w->prepared && w->prepared_index == index) {
    r = w->prepared;
    w->prepared = NULL;
  } else {
    /* A queued index: the request prepared for the pending timer stays. */
    int st = build_one(w, index, req, &r);
    if (st != BENCHY_OK) return st;
  }
  int st = benchy_request_start(r, req->send_at_ns);
  if (st != BENCHY_OK) {
    discard_built(r);
    return st;
  }
  w->in_flight++;
  unsigned long long now = atomic_fetch_add(&w->flight->now, 1) + 1;
  unsigned long long peak = atomic_load(&w->flight->peak);
  while (now > peak && !atomic_compare_exchange_weak(&w->flight->peak, &peak, now)) {
  }
  w->sum.started++;
  if (!w->sum.t_first_dispatch) w->sum.t_first_dispatch = benchy_request_record(r)->t_dispatched;
  return BENCHY_OK;
}

static int has_room(const worker *w) { return !w->limit || w->in_flight < w->limit; }

static int queue_push(worker *w, uint64_t index, const runner_request *req) {
  if (w->q_len == w->q_cap) {
    size_t cap = w->q_cap ? w->q_cap * 2 : 64;
    waiting *grown = malloc(cap * sizeof *grown);
    if (!grown) return BENCHY_ERR_NOMEM;
    for (size_t i = 0; i < w->q_len; i++) grown[i] = w->queue[(w->q_head + i) % w->q_cap];
    free(w->queue);
    w->queue = grown;
    w->q_cap = cap;
    w->q_head = 0;
  }
  w->queue[(w->q_head + w->q_len) % w->q_cap] = (waiting){index, *req};
  w->q_len++;
  return BENCHY_OK;
}

static void on_timer(benchy_loop *loop, void *ud) {
  worker *w = ud;
  w->timer = 0;
  pump(w);
}

/* Takes the next index of this worker; 1 when there is none. */
static int take_next(worker *w, uint64_t *index, runner_request *req) {
  if (w->exhausted) return 1;
  uint64_t i = w->next_index;
  if (i >= w->cfg->count) {
    w->exhausted = 1;
    return 1;
  }
  memset(req, 0, sizeof *req);
  if (w->hooks->next(w->hooks->userdata, i, req) != 0) {
    w->exhausted = 1;
    return 1;
  }
  *index = i;
  w->next_index += (uint64_t)w->cfg->threads;
  return 0;
}

/* Issues whatever may go now: queued requests first (they are the oldest),
 * then new ones whose time has come; arms a timer for the next one. */
static void pump(worker *w) {
  if (w->status != BENCHY_OK) return;
  if (stopping(w)) {
    w->exhausted = 1;
    w->q_len = 0;
    if (w->timer) benchy_loop_cancel_timer(w->loop, w->timer);
    w->timer = 0;
    drop_prepared(w);
    if (interrupt_pending()) benchy_loop_stop(w->loop);
    return;
  }
  while (w->q_len && has_room(w)) {
    waiting item = w->queue[w->q_head];
    w->q_head = (w->q_head + 1) % w->q_cap;
    w->q_len--;
    if ((w->status = start_one(w, item.index, &item.req)) != BENCHY_OK) return;
  }
  if (w->timer) return; /* the next arrival is already scheduled */
  for (;;) {
    uint64_t index;
    runner_request req;
    if (take_next(w, &index, &req)) return;
    int64_t now = benchy_now_ns();
    if (req.send_at_ns > now) {
      /* Not yet: give the index back and come back at its time (next() is
       * a pure function of the index, so asking again is free of effects). */
      w->next_index -= (uint64_t)w->cfg->threads;
      w->timer = benchy_loop_call_at(w->loop, req.send_at_ns, on_timer, w);
      if (!w->timer) {
        w->status = BENCHY_ERR_NOMEM;
        return;
      }
      if (!w->prepared || w->prepared_index != index) {
        drop_prepared(w);
        if ((w->status = build_one(w, index, &req, &w->prepared)) != BENCHY_OK) return;
        w->prepared_index = index;
      }
      return;
    }
    if (has_room(w) && !w->q_len) {
      if ((w->status = start_one(w, index, &req)) != BENCHY_OK) return;
    } else if (req.send_at_ns) {
      if ((w->status = queue_push(w, index, &req)) != BENCHY_OK) return;
    } else {
      /* Closed loop and full: take it again when a request completes. */
      w->next_index -= (uint64_t)w->cfg->threads;
      return;
    }
  }
}

static void *worker_main(void *arg) {
  worker *w = arg;
  cancel_set_current(w->cancel);
  w->t_start = benchy_now_ns();
  pump(w);
  while (w->status == BENCHY_OK && !interrupt_pending() && (w->in_flight || w->timer || w->q_len)) {
    benchy_loop_run(w->loop, BENCHY_RUN_DEFAULT);
    if (!w->in_flight && !w->timer && !w->q_len) break;
  }
  /* A request built for a time that never came was never sent. */
  drop_prepared(w);
  /* Interrupted or failed: what is still in flight is cancelled and
   * reported, so nothing that completed is lost and nothing hangs. */
  while (w->session && w->in_flight) {
    /* on_done frees the request; cancel one at a time. */
    benchy_request *victim = session_first_request(w->session);
    if (!victim) break;
    benchy_request_cancel(victim);
  }
  benchy_loop_get_counters(w->loop, &w->sum.counters);
  return NULL;
}

static void *worker_thread(void *arg) {
  worker *w = arg;
  worker_main(w);
  pthread_mutex_lock(&w->flight->mu);
  w->flight->finished++;
  pthread_cond_signal(&w->flight->cv);
  pthread_mutex_unlock(&w->flight->mu);
  return NULL;
}

static void report_requests(shared_flight *flight, int batch_over) {
  run_progress_requests(atomic_load(&flight->done), atomic_load(&flight->failed), atomic_load(&flight->now),
               batch_over);
}

/* Waits for the started workers to return, reporting progress on this (the
 * run's) thread every 100 ms meanwhile; the lock is not held while
 * reporting, so the callback can do what it likes. */
static void wait_workers(shared_flight *flight, int started) {
  pthread_mutex_lock(&flight->mu);
  while (flight->finished < started) {
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += 100000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    if (pthread_cond_timedwait(&flight->cv, &flight->mu, &until) == 0) continue;
    pthread_mutex_unlock(&flight->mu);
    report_requests(flight, 0);
    pthread_mutex_lock(&flight->mu);
  }
  pthread_mutex_unlock(&flight->mu);
}

int runner_thread_count(const runner_config *cfg) {
  int n = cfg->threads;
  if ((uint64_t)n > cfg->count && cfg->count > 0 && cfg->duration_ns <= 0) n = (int)cfg->count;
  /* Every thread holds at least one request in flight, so more threads than
   * the concurrency limit would raise the limit. */
  if (cfg->max_concurrency && (uint64_t)n > cfg->max_concurrency) n = (int)cfg->max_concurrency;
  return n;
}

static void flight_init(shared_flight *flight) {
  atomic_init(&flight->now, 0);
  atomic_init(&flight->peak, 0);
  atomic_init(&flight->done, 0);
  atomic_init(&flight->failed, 0);
  flight->finished = 0;
  benchy_monotonic_cond_init(&flight->mu, &flight->cv);
}

/* Each worker's loop and session, and its share of the concurrency limit;
 * stops at the first that cannot be made (the caller frees them all). */
static int workers_setup(worker *workers, int n, const runner_config *local, const runner_hooks *hooks,
                         shared_flight *flight, run_cancel *cancel, char *err, size_t errlen) {
  const runner_config *cfg = local;
  int status = BENCHY_OK;
  for (int i = 0; i < n && status == BENCHY_OK; i++) {
    worker *w = &workers[i];
    w->id = i;
    w->flight = flight;
    w->cfg = local;
    w->hooks = hooks;
    w->cancel = cancel;
    w->next_index = (uint64_t)i;
    w->status = BENCHY_OK;
    if (cfg->max_concurrency) {
      w->limit = cfg->max_concurrency / (uint64_t)n + ((uint64_t)i < cfg->max_concurrency % (uint64_t)n);
      if (!w->limit) w->limit = 1;
    }
    if ((status = benchy_loop_new(&w->loop)) != BENCHY_OK) break;
    if ((status = benchy_session_new_err(&w->session, w->loop, cfg->base_url, err, errlen)) != BENCHY_OK)
      break;
    if (cfg->api_key) benchy_session_set_api_key(w->session, cfg->api_key);
    for (size_t h = 0; h < cfg->n_headers && status == BENCHY_OK; h++) {
      status = benchy_session_add_header(w->session, cfg->headers[h]);
      if (status != BENCHY_OK && err) snprintf(err, errlen, "%s", benchy_session_error(w->session));
    }
    if (cfg->timeout_ms) benchy_session_set_timeout_ms(w->session, cfg->timeout_ms);
  }
  return status;
}

/* Runs the workers: on this thread when there is one, else one thread each. */
static int workers_run(worker *workers, pthread_t *tids, int n, shared_flight *flight) {
  for (int i = 0; i < n; i++) workers[i].watch = interrupt_watch(workers[i].loop);
  int status = BENCHY_OK;
  if (interrupt_pending()) {
    status = BENCHY_ERR_CANCELLED;
  } else if (n == 1) {
    worker_main(&workers[0]);
  } else {
    int started = 0;
    for (; started < n; started++)
      if (pthread_create(&tids[started], NULL, worker_thread, &workers[started]) != 0) break;
    wait_workers(flight, started);
    for (int i = 0; i < started; i++) pthread_join(tids[i], NULL);
  }
  for (int i = 0; i < n; i++) interrupt_unwatch(workers[i].watch);
  return status;
}

/* Adds one worker's counts to the total, takes its first error, and frees
 * what it held. */
static void worker_fold(worker *w, runner_summary *total, int *status, char *err, size_t errlen) {
  const runner_summary *s = &w->sum;
  total->started += s->started;
  total->completed += s->completed;
  total->failed += s->failed;
  total->cancelled += s->cancelled;
  if (s->t_first_dispatch && (!total->t_first_dispatch || s->t_first_dispatch < total->t_first_dispatch))
    total->t_first_dispatch = s->t_first_dispatch;
  if (s->t_last_done > total->t_last_done) total->t_last_done = s->t_last_done;
  total->counters.socket_reads += s->counters.socket_reads;
  total->counters.sse_events += s->counters.sse_events;
  total->counters.requests_done += s->counters.requests_done;
  total->counters.retries += s->counters.retries;
  total->counters.connections += s->counters.connections;
  total->counters.data_reads += s->counters.data_reads;
  total->counters.kernel_stamped_reads += s->counters.kernel_stamped_reads;
  if (*status == BENCHY_OK && w->status != BENCHY_OK) {
    *status = w->status;
    if (err) snprintf(err, errlen, "%s", w->err[0] ? w->err : benchy_status_message(w->status));
  }
  benchy_session_free(w->session);
  benchy_loop_free(w->loop);
  free(w->queue);
}

int runner_run(const runner_config *cfg, const runner_hooks *hooks, runner_summary *out, char *err,
               size_t errlen) {
  if (out) memset(out, 0, sizeof *out);
  if (!cfg || !hooks || !hooks->next || !hooks->on_record || cfg->threads < 1 ||
      cfg->threads > MAX_WORKERS) {
    if (err) snprintf(err, errlen, "runner: invalid configuration");
    return BENCHY_ERR_INVALID;
  }
  int n = runner_thread_count(cfg);
  runner_config local = *cfg;
  local.threads = n;
  worker *workers = calloc((size_t)n, sizeof *workers);
  pthread_t *tids = calloc((size_t)n, sizeof *tids);
  if (!workers || !tids) {
    free(workers);
    free(tids);
    return BENCHY_ERR_NOMEM;
  }
  shared_flight flight;
  flight_init(&flight);
  int status = workers_setup(workers, n, &local, hooks, &flight, cancel_current(), err, errlen);
  if (status == BENCHY_OK) status = workers_run(workers, tids, n, &flight);
  runner_summary total = {0};
  for (int i = 0; i < n; i++) worker_fold(&workers[i], &total, &status, err, errlen);
  total.counters.struct_size = sizeof total.counters;
  total.max_in_flight = atomic_load(&flight.peak);
  total.interrupted = interrupt_pending();
  if (status == BENCHY_OK && total.interrupted) status = BENCHY_ERR_CANCELLED;
  if (out) *out = total;
  report_requests(&flight, 1);
  pthread_cond_destroy(&flight.cv);
  pthread_mutex_destroy(&flight.mu);
  free(workers);
  free(tids);
  return status;
}

void runner_interrupt(void) { interrupt_raise(); }
void runner_clear_interrupt(void) { interrupt_clear_all(); }
int runner_interrupted(void) { return interrupt_pending(); }
