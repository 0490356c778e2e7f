/*
 * run.c — the public run handle (run.h): executes bench, load or a script
 * on one thread with a cancel token of its own and a progress reporter
 * (run_progress.c) bound to that thread. benchy_bench_run and
 * benchy_load_run are thin wrappers over it.
 */
#include "benchy/run.h"

#include "benchy/benchy.h"
#include "interrupt.h"
#include "lifecycle.h"
#include "run_progress.h"
#include "sampling.h"
#include "workload_entry.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RUN_NEW, RUN_RUNNING, RUN_ENDED };

struct benchy_run {
  benchy_options *opts;
  unsigned command;
  run_cancel *cancel;
  run_reporter reporter; /* its progress, reported on its thread */
  void *userdata;
  atomic_int state;
  int started_thread; /* benchy_run_start(): thread must be joined */
  int joined;
  pthread_t thread;
  int status;
  benchy_result *result;
  char error[1024];
};

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
  run_reporter_init(&run->reporter, run->opts);
  run->status = BENCHY_ERR_STATE;
  *out = run;
  return BENCHY_OK;
}

static void execute(benchy_run *run) {
  run->error[0] = '\0';
  run_reporter *outer_reporter = run_reporter_bind(&run->reporter);
  run_cancel *outer_cancel = cancel_current();
  cancel_set_current(run->cancel);
  int st;
  if (cancel_register(run->cancel) != 0) {
    snprintf(run->error, sizeof run->error,
             "too many runs at once in this process (256); wait for one to end");
    st = BENCHY_ERR_LIMIT;
  } else {
    /* Started before the server (--server-cmd) so that the timeline shows
     * its start; the run's levels are marked by the workload. */
    sampling_run *sampling = sampling_run_start(run->opts);
    st = lifecycle_execute(run->opts,
                           run->command == BENCHY_CMD_BENCH  ? bench_execute
                           : run->command == BENCHY_CMD_LOAD ? load_execute
                                                             : script_execute,
                           &run->result, run->error, sizeof run->error);
    sampling_run_finish(sampling, run->result);
  }
  cancel_unregister(run->cancel);
  benchy_options_scrub(run->opts, run->error, sizeof run->error);
  run->status = st;
  /* Ended before the last event, so that its callback can read the result.
   * benchy_run_free() on another thread still joins this thread first. */
  atomic_store(&run->state, RUN_ENDED);
  run_reporter_done(&run->reporter, st, run->error);
  run_reporter_bind(outer_reporter);
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
  run->reporter.fn = fn;
  run->reporter.ud = userdata;
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

int benchy_script_write_help(const benchy_options *opts, void *f, char *err, size_t errlen) {
  (void)opts;
  (void)f;
  snprintf(err, errlen, "this benchy was built without Lua (BENCHY_BUILD_LUA=OFF)");
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
