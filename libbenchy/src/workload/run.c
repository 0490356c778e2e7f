/*
 * run.c — the public run handle (run.h): executes bench or load on one
 * thread with a cancel token of its own, and turns the workloads' progress
 * reports (run_progress.h) into rate-limited callbacks on that thread.
 * benchy_bench_run and benchy_load_run are thin wrappers over it.
 */
#include "benchy/run.h"

#include "benchy/benchy.h"
#include "interrupt.h"
#include "lifecycle.h"
#include "run_progress.h"
#include "workload_entry.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* REQUESTS events at most this often (10/s): enough for a live counter, few
 * enough that a Python or Lua callback costs nothing measurable. */
#define PROGRESS_INTERVAL_NS 100000000LL

enum { RUN_NEW, RUN_RUNNING, RUN_ENDED };

struct benchy_run {
  benchy_options *opts;
  unsigned command;
  run_cancel *cancel;
  benchy_progress_fn progress_fn;
  void *progress_ud;
  void *userdata;
  atomic_int state;
  int started_thread; /* benchy_run_start(): thread must be joined */
  int joined;
  pthread_t thread;
  int status;
  benchy_result *result;
  char error[1024];
  /* Progress state, touched only on the run's thread. */
  int64_t t_start;
  int64_t t_last_requests;
  const char *phase;
  size_t index, count;
  uint64_t done_before, failed_before; /* finished batches */
  uint64_t done, failed, in_flight;    /* totals as last reported */
};

static _Thread_local benchy_run *current_run;

static void emit(benchy_run *run, benchy_progress_kind kind, const char *message) {
  if (!run->progress_fn) return;
  benchy_progress p;
  memset(&p, 0, sizeof p);
  p.struct_size = sizeof p;
  p.kind = kind;
  p.phase = run->phase;
  p.index = run->index;
  p.count = run->count;
  p.requests_done = run->done;
  p.requests_failed = run->failed;
  p.requests_in_flight = run->in_flight;
  p.elapsed_s = (double)(benchy_now_ns() - run->t_start) / 1e9;
  p.message = message ? message : "";
  p.status = kind == BENCHY_PROGRESS_DONE ? run->status : BENCHY_OK;
  run->progress_fn(&p, run->progress_ud);
}

static void emit_text(benchy_progress_kind kind, const char *fmt, va_list ap) {
  benchy_run *run = current_run;
  if (!run || !run->progress_fn) return;
  char text[1024] = "";
  if (fmt) vsnprintf(text, sizeof text, fmt, ap);
  benchy_options_scrub(run->opts, text, sizeof text);
  emit(run, kind, text);
}

void run_phase(const char *phase, size_t index, size_t count, const char *fmt, ...) {
  benchy_run *run = current_run;
  if (!run) return;
  run->phase = phase;
  run->index = index;
  run->count = count;
  va_list ap;
  va_start(ap, fmt);
  emit_text(BENCHY_PROGRESS_PHASE, fmt, ap);
  va_end(ap);
}

void run_message(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit_text(BENCHY_PROGRESS_MESSAGE, fmt, ap);
  va_end(ap);
}

void run_vmessage(const char *fmt, va_list ap) { emit_text(BENCHY_PROGRESS_MESSAGE, fmt, ap); }

void run_warning(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit_text(BENCHY_PROGRESS_WARNING, fmt, ap);
  va_end(ap);
}

void run_progress_requests(uint64_t done, uint64_t failed, uint64_t in_flight, int batch_over) {
  benchy_run *run = current_run;
  if (!run) return;
  run->done = run->done_before + done;
  run->failed = run->failed_before + failed;
  run->in_flight = batch_over ? 0 : in_flight;
  if (batch_over) {
    run->done_before = run->done;
    run->failed_before = run->failed;
  }
  int64_t now = benchy_now_ns();
  if (!batch_over && now - run->t_last_requests < PROGRESS_INTERVAL_NS) return;
  run->t_last_requests = now;
  emit(run, BENCHY_PROGRESS_REQUESTS, NULL);
}

/* ---- the handle ---- */

int benchy_run_new(benchy_run **out, const benchy_options *opts) {
  if (!out || !opts) return BENCHY_ERR_INVALID;
  *out = NULL;
  unsigned command = benchy_options_command(opts);
  if (command != BENCHY_CMD_BENCH && command != BENCHY_CMD_LOAD && command != BENCHY_CMD_RUN)
    return BENCHY_ERR_UNSUPPORTED;
  benchy_run *run = calloc(1, sizeof *run);
  if (!run) return BENCHY_ERR_NOMEM;
  run->command = command;
  run->cancel = cancel_new();
  if (!run->cancel || benchy_options_copy(&run->opts, opts) != BENCHY_OK) {
    cancel_free(run->cancel);
    free(run);
    return BENCHY_ERR_NOMEM;
  }
  atomic_init(&run->state, RUN_NEW);
  run->phase = "check";
  run->status = BENCHY_ERR_STATE;
  *out = run;
  return BENCHY_OK;
}

static void execute(benchy_run *run) {
  run->t_start = benchy_now_ns();
  run->error[0] = '\0';
  benchy_run *outer_run = current_run;
  run_cancel *outer_cancel = cancel_current();
  current_run = run;
  cancel_set_current(run->cancel);
  int st;
  if (cancel_register(run->cancel) != 0) {
    snprintf(run->error, sizeof run->error,
             "too many runs at once in this process (256); wait for one to end");
    st = BENCHY_ERR_LIMIT;
  } else {
    st = lifecycle_execute(run->opts,
                           run->command == BENCHY_CMD_BENCH  ? bench_execute
                           : run->command == BENCHY_CMD_LOAD ? load_execute
                                                             : script_execute,
                           &run->result, run->error, sizeof run->error);
  }
  cancel_unregister(run->cancel);
  benchy_options_scrub(run->opts, run->error, sizeof run->error);
  run->status = st;
  run->phase = "done";
  run->in_flight = 0;
  /* Ended before the last event, so that its callback can read the result.
   * benchy_run_free() on another thread still joins this thread first. */
  atomic_store(&run->state, RUN_ENDED);
  emit(run, BENCHY_PROGRESS_DONE, run->error);
  current_run = outer_run;
  cancel_set_current(outer_cancel);
}

int benchy_run_execute(benchy_run *run) {
  if (!run) return BENCHY_ERR_INVALID;
  int expected = RUN_NEW;
  if (!atomic_compare_exchange_strong(&run->state, &expected, RUN_RUNNING)) return BENCHY_ERR_STATE;
  execute(run);
  return run->status;
}

static void *run_thread(void *arg) {
  execute(arg);
  return NULL;
}

int benchy_run_start(benchy_run *run) {
  if (!run) return BENCHY_ERR_INVALID;
  int expected = RUN_NEW;
  if (!atomic_compare_exchange_strong(&run->state, &expected, RUN_RUNNING)) return BENCHY_ERR_STATE;
  if (pthread_create(&run->thread, NULL, run_thread, run) != 0) {
    snprintf(run->error, sizeof run->error, "could not start the run's thread");
    run->status = BENCHY_ERR_NOMEM;
    atomic_store(&run->state, RUN_ENDED);
    return BENCHY_ERR_NOMEM;
  }
  run->started_thread = 1;
  return BENCHY_OK;
}

int benchy_run_wait(benchy_run *run) {
  if (!run) return BENCHY_ERR_INVALID;
  if (atomic_load(&run->state) == RUN_NEW) return BENCHY_ERR_STATE;
  if (run->started_thread && !run->joined) {
    pthread_join(run->thread, NULL);
    run->joined = 1;
  }
  return run->status;
}

int benchy_run_poll(const benchy_run *run) {
  return run && atomic_load(&((benchy_run *)run)->state) == RUN_ENDED;
}

void benchy_run_cancel(benchy_run *run) {
  if (run) cancel_raise(run->cancel);
}

int benchy_run_status(const benchy_run *run) {
  if (!run) return BENCHY_ERR_INVALID;
  return benchy_run_poll(run) ? run->status : BENCHY_ERR_STATE;
}

const char *benchy_run_error(const benchy_run *run) {
  return run && benchy_run_poll(run) ? run->error : "";
}

const benchy_result *benchy_run_result(const benchy_run *run) {
  return run && benchy_run_poll(run) ? run->result : NULL;
}

benchy_result *benchy_run_take_result(benchy_run *run) {
  if (!run || !benchy_run_poll(run)) return NULL;
  benchy_result *r = run->result;
  run->result = NULL;
  return r;
}

int benchy_run_set_progress(benchy_run *run, benchy_progress_fn fn, void *userdata) {
  if (!run) return BENCHY_ERR_INVALID;
  if (atomic_load(&run->state) != RUN_NEW) return BENCHY_ERR_STATE;
  run->progress_fn = fn;
  run->progress_ud = userdata;
  return BENCHY_OK;
}

void benchy_run_set_userdata(benchy_run *run, void *userdata) {
  if (run) run->userdata = userdata;
}

void *benchy_run_userdata(const benchy_run *run) { return run ? run->userdata : NULL; }

void benchy_run_free(benchy_run *run) {
  if (!run) return;
  if (run->started_thread && !run->joined) {
    cancel_raise(run->cancel);
    benchy_run_wait(run);
  }
  benchy_result_free(run->result);
  benchy_options_free(run->opts);
  cancel_free(run->cancel);
  free(run);
}

/* A library built without Lua (BENCHY_BUILD_LUA=OFF) has no script host. */
#ifndef BENCHY_HAVE_LUA
int script_execute(const benchy_options *opts, benchy_result **out, char *err, size_t errlen) {
  (void)opts;
  *out = NULL;
  snprintf(err, errlen, "this benchy was built without Lua (BENCHY_BUILD_LUA=OFF): rebuild with it "
                        "to run scripts");
  return BENCHY_ERR_UNSUPPORTED;
}
#endif

/* ---- the blocking calls of workload.h, now thin wrappers ---- */

static int run_blocking(const benchy_options *opts, benchy_result **out, char *err, size_t errlen) {
  *out = NULL;
  if (err && errlen) err[0] = '\0';
  benchy_run *run = NULL;
  int st = benchy_run_new(&run, opts);
  if (st != BENCHY_OK) {
    if (err && errlen) snprintf(err, errlen, "%s", benchy_status_message(st));
    return st;
  }
  st = benchy_run_execute(run);
  if (err && errlen) snprintf(err, errlen, "%s", benchy_run_error(run));
  *out = benchy_run_take_result(run);
  benchy_run_free(run);
  return st;
}

/* Bad arguments get the workloads' own messages, which name the call. */
int benchy_bench_run(const benchy_options *opts, benchy_result **out, char *err, size_t errlen) {
  if (!opts || !out || !(benchy_options_command(opts) & BENCHY_CMD_BENCH))
    return bench_execute(opts, out, err, errlen);
  return run_blocking(opts, out, err, errlen);
}

int benchy_load_run(const benchy_options *opts, benchy_result **out, char *err, size_t errlen) {
  if (!opts || !out || !(benchy_options_command(opts) & BENCHY_CMD_LOAD))
    return load_execute(opts, out, err, errlen);
  return run_blocking(opts, out, err, errlen);
}

void benchy_interrupt(void) { interrupt_raise(); }
void benchy_clear_interrupt(void) { interrupt_clear_all(); }
