/*
 * A run handle: one `benchy bench` or `benchy load` run, driven from any
 * front end (the CLI, Lua, Python, your program).
 *
 *   benchy_run *run = NULL;
 *   benchy_run_new(&run, opts);                 // command from the options
 *   benchy_run_set_progress(run, on_progress, me);
 *   benchy_run_execute(run);                    // or _start + _wait / _poll
 *   const benchy_result *r = benchy_run_result(run);
 *   ...
 *   benchy_run_free(run);
 *
 * Threads. A run executes on one thread, "the run's thread": the caller's
 * in benchy_run_execute(), one the library creates in benchy_run_start().
 * The progress callback is only ever called on the run's thread, never
 * from a signal handler, and never while the library holds a lock the
 * callback could need: it may call any benchy_run_* function on this run
 * except benchy_run_wait() and benchy_run_free(), and may block (the run
 * waits for it; requests already in flight keep being timed on their own
 * threads when --threads > 1, but with one thread a slow callback delays
 * reading the responses, so keep it short).
 *
 * Cancel. benchy_run_cancel() is async-signal-safe and thread-safe and
 * stops only its run, in whatever phase, within one wake-up of its event
 * loops: requests in flight are cancelled, every completed record is kept
 * (and was already appended to --jsonl), and the status is
 * BENCHY_ERR_CANCELLED. benchy_interrupt() (workload.h) cancels every live
 * run in the process; one that comes while no run is live cancels the next
 * run as it starts.
 */
#ifndef BENCHY_RUN_H
#define BENCHY_RUN_H

#include "benchy/export.h"

#include <stddef.h>
#include <stdint.h>

#include "benchy/options.h"
#include "benchy/result.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct benchy_run benchy_run;

typedef enum benchy_progress_kind {
  /* A phase, load level or bench row starts: phase/index/count say which,
   * message says it for people. Always delivered. */
  BENCHY_PROGRESS_PHASE = 0,
  /* Request counts moved. Rate-limited: at most one per 100 ms while
   * requests run, plus one as each batch of requests (a level, a row's
   * run, the warm-up) ends. */
  BENCHY_PROGRESS_REQUESTS = 1,
  /* A line of progress for people (what `benchy load` prints unless
   * --quiet). Always delivered. */
  BENCHY_PROGRESS_MESSAGE = 2,
  /* Something a user must see even with --quiet (the CLI prints it):
   * e.g. an unexpected prefix-cache hit in a load level. Always delivered. */
  BENCHY_PROGRESS_WARNING = 3,
  /* The last event of every executed run, exactly once: status holds the
   * run's status, and the run has ended (benchy_run_poll() is 1, its
   * status, error and result can be read from the callback). No callback
   * comes after benchy_run_wait() or benchy_run_execute() returns. */
  BENCHY_PROGRESS_DONE = 4
} benchy_progress_kind;

/* What the progress callback receives; valid during the call only. Grows
 * only at the end (check struct_size before reading later fields). */
typedef struct benchy_progress {
  size_t struct_size;
  benchy_progress_kind kind;
  /* The current phase: "check" (server and model), "probe" (bench: prompt
   * sizing with the server's tokenizer), "warmup", "row" (bench), "level"
   * (load), "done"; a later version may add phases. Never NULL. */
  const char *phase;
  /* Which row or level of how many, 0-based; 0 and 0 in other phases. */
  size_t index, count;
  /* Over the whole run so far, warm-up included, never decreasing:
   * requests that ended (done = succeeded + failed; cancelled ones are not
   * counted), of which failed, and in flight now. */
  uint64_t requests_done, requests_failed, requests_in_flight;
  /* Seconds since the run started executing. */
  double elapsed_s;
  /* Text for people, without a "benchy load:" prefix; "" when none; never
   * NULL. Secrets (API key, header values) are scrubbed. */
  const char *message;
  /* BENCHY_PROGRESS_DONE: the run's status; BENCHY_OK before. */
  int status;
} benchy_progress;

typedef void (*benchy_progress_fn)(const benchy_progress *progress, void *userdata);

/* A run of the command the options were made for (BENCHY_CMD_BENCH, BENCHY_CMD_LOAD or
 * BENCHY_CMD_RUN, a Lua script; another is BENCHY_ERR_UNSUPPORTED). The options are
 * copied: the caller may free its own at once. */
BENCHY_API int benchy_run_new(benchy_run **out, const benchy_options *opts);
/* Frees the run and its result (unless taken). A run still executing is
 * cancelled and waited for first (it stops promptly, its records are
 * dropped with it; what was appended to --jsonl stays). Never call it
 * from the run's own progress callback, on a run another thread waits for,
 * or on one another thread executes with benchy_run_execute(). NULL is a
 * no-op. */
BENCHY_API void benchy_run_free(benchy_run *run);

/* Before the run starts; fn NULL turns progress off (the default). */
BENCHY_API int benchy_run_set_progress(benchy_run *run, benchy_progress_fn fn, void *userdata);
BENCHY_API void benchy_run_set_userdata(benchy_run *run, void *userdata);
BENCHY_API void *benchy_run_userdata(const benchy_run *run);

/* Executes the run on the calling thread and returns its status. Once per
 * run: a second call, or one after benchy_run_start(), is BENCHY_ERR_STATE. */
BENCHY_API int benchy_run_execute(benchy_run *run);
/* Executes the run on a thread of the library's and returns at once. */
BENCHY_API int benchy_run_start(benchy_run *run);
/* Waits for a started run to end; returns its status. On a run executed
 * with benchy_run_execute(), returns its status at once. */
BENCHY_API int benchy_run_wait(benchy_run *run);
/* 1 when the run has ended (wait will not block), 0 while it runs or has
 * not started. Thread-safe. */
BENCHY_API int benchy_run_poll(const benchy_run *run);

/* Async-signal-safe, thread-safe, idempotent; before the run starts it
 * makes the run end as soon as it starts, with BENCHY_ERR_CANCELLED. */
BENCHY_API void benchy_run_cancel(benchy_run *run);

/* After the run ended: its status (the same as benchy_result_status() when
 * there is a result, or the error that kept it from starting);
 * BENCHY_ERR_STATE before. */
BENCHY_API int benchy_run_status(const benchy_run *run);
/* After the run ended: what went wrong, scrubbed of secrets; "" when
 * nothing did. Owned by the run. */
BENCHY_API const char *benchy_run_error(const benchy_run *run);
/* Borrowed: the result, valid until benchy_run_free(); NULL when the run
 * has not ended, ended before measuring anything, or the result was taken. */
BENCHY_API const benchy_result *benchy_run_result(const benchy_run *run);
/* Transferred: the result, which the caller frees with benchy_result_free();
 * the run no longer holds it (benchy_run_result() is NULL after). */
BENCHY_API benchy_result *benchy_run_take_result(benchy_run *run);

#ifdef __cplusplus
}
#endif
#endif
