/*
 * runner.h — runs a numbered set of requests against one server, on N
 * event-loop threads, closed-loop (at most max_concurrency in flight, the
 * next sent as one completes) or open-loop (each request has an intended
 * send time; when the concurrency limit holds it back it waits, and the wait
 * stays visible as t_dispatched - t_scheduled).
 *
 * Every workload (bench, load, Lua) describes its requests through
 * runner_hooks and gets back records; the runner knows nothing of what the
 * requests mean.
 *
 * Threads: request i runs on thread i % threads. Hooks are called on the
 * worker threads, concurrently for different threads: next() must be safe
 * to call from several threads at once (a pure function of the index is
 * easiest), and on_record/on_chunk receive the thread number so that each
 * thread can keep its own statistics, merged after runner_run returns.
 */
#ifndef BENCHY_WORKLOAD_RUNNER_H
#define BENCHY_WORKLOAD_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "benchy/benchy.h"
#include "../util.h"

typedef struct runner_request {
  benchy_endpoint endpoint;
  const char *body; /* JSON body; must stay valid until on_record for this index */
  const char *tag;  /* may be NULL */
  int64_t send_at_ns; /* absolute intended send time (benchy_now_ns clock); 0 = as soon as allowed */
} runner_request;

typedef struct runner_hooks {
  void *userdata;
  /* Fills out for request index; returns 0, or 1 when there is no such request (ends the run). */
  int (*next)(void *userdata, uint64_t index, runner_request *out);
  /* Optional: every chunk, on the worker thread, while streaming. */
  void (*on_chunk)(void *userdata, int thread, uint64_t index, const benchy_chunk_event *ev);
  /* Every request, once, success or not (cancelled ones too, with
   * BENCHY_ERR_CANCELLED, when the run is interrupted). The record is valid
   * during the call only. */
  void (*on_record)(void *userdata, int thread, uint64_t index, const benchy_record *rec);
  /* Optional: return non-zero to stop issuing new requests (e.g. --max-errors). */
  int (*should_stop)(void *userdata);
} runner_hooks;

typedef struct runner_config {
  const char *base_url;
  const char *api_key;       /* may be NULL; never copied anywhere but the session */
  const char *const *headers;/* "Name: value" lines */
  size_t n_headers;
  int64_t timeout_ms;        /* per request, 0 = none */
  int threads;               /* >= 1 */
  unsigned request_flags;    /* BENCHY_KEEP_* */
  uint64_t count;            /* requests 0..count-1 */
  int64_t duration_ns;       /* > 0: stop issuing once this long has passed */
  uint64_t max_concurrency;  /* across all threads; 0 = unlimited */
} runner_config;

typedef struct runner_summary {
  uint64_t started;
  uint64_t completed; /* status OK */
  uint64_t failed;    /* any other status except cancelled */
  uint64_t cancelled;
  int64_t t_first_dispatch; /* ns, 0 if none */
  int64_t t_last_done;
  int interrupted;          /* stopped by runner_interrupt() */
  benchy_loop_counters counters; /* summed over threads */
  uint64_t max_in_flight;   /* peak of requests in flight, all threads together */
} runner_summary;

/* How many threads runner_run will use for cfg: --threads, but no more
 * than the requests of a counted run or the concurrency limit. */
BENCHY_INTERNAL int runner_thread_count(const runner_config *cfg);

/* Runs to completion (or interruption). Returns BENCHY_OK, BENCHY_ERR_CANCELLED
 * when interrupted, or an error with err filled (bad URL, out of memory). */
BENCHY_INTERNAL int runner_run(const runner_config *cfg, const runner_hooks *hooks,
                               runner_summary *out, char *err, size_t errlen);

/* Async-signal-safe: stops every runner in this process (SIGINT). In-flight
 * requests are cancelled and reported; nothing completed is lost. */
BENCHY_INTERNAL void runner_interrupt(void);
/* Clears the interrupt so that a later run can proceed (tests, notebooks). */
BENCHY_INTERNAL void runner_clear_interrupt(void);
BENCHY_INTERNAL int runner_interrupted(void);

#endif
