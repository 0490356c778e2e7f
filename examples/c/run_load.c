/*
 * run_load — a small `benchy load` sweep through the run handle (run.h):
 * progress from a callback, Ctrl-C cancelling just this run, the result as
 * a markdown table. The run-handle example of docs/c-api.md.
 *
 *   run_load                      start the built-in simulator in-process
 *   run_load http://host:8080/v1  use a running server (model from $MODEL)
 *
 * Build it as stream_one.c is built (docs/c-api.md, "Building against it").
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <benchy/benchy.h>

static benchy_run *the_run; /* for the signal handler */

/* benchy_run_cancel is async-signal-safe: a handler may call it. */
static void on_sigint(int sig) {
  (void)sig;
  benchy_run_cancel(the_run);
}

/* On the run's thread, at most ~10 times a second for request counts, and
 * at every phase, message, warning and the end. Nothing of the library's is
 * locked while it runs. */
static void on_progress(const benchy_progress *p, void *userdata) {
  int *events = userdata;
  ++*events;
  switch (p->kind) {
  case BENCHY_PROGRESS_PHASE:
    fprintf(stderr, "[%6.2fs] %s\n", p->elapsed_s, p->message); /* p->phase: "level", ... */
    break;
  case BENCHY_PROGRESS_REQUESTS:
    fprintf(stderr, "[%6.2fs]   %llu done, %llu failed, %llu in flight\n", p->elapsed_s,
            (unsigned long long)p->requests_done, (unsigned long long)p->requests_failed,
            (unsigned long long)p->requests_in_flight);
    break;
  case BENCHY_PROGRESS_WARNING:
    fprintf(stderr, "warning: %s\n", p->message);
    break;
  case BENCHY_PROGRESS_DONE:
    fprintf(stderr, "[%6.2fs] done: %s, %llu requests\n", p->elapsed_s, benchy_status_name(p->status),
            (unsigned long long)p->requests_done);
    break;
  default: /* MESSAGE, and kinds added later */
    break;
  }
}

static benchy_sim *start_simulator(void) {
  benchy_options *opts = NULL;
  benchy_sim *sim = NULL;
  char err[256] = "";
  if (benchy_options_new(&opts, BENCHY_CMD_SIM) != BENCHY_OK ||
      benchy_options_set(opts, "port", "0") != BENCHY_OK ||
      benchy_sim_start(&sim, opts, err, sizeof err) != BENCHY_OK)
    fprintf(stderr, "cannot start the simulator: %s\n",
            err[0] ? err : opts ? benchy_options_error(opts) : "out of memory");
  benchy_options_free(opts);
  return sim;
}

int main(int argc, char **argv) {
  benchy_sim *sim = NULL;
  const char *base_url = argc > 1 ? argv[1] : NULL;
  if (!base_url) {
    if (!(sim = start_simulator())) return 1;
    base_url = benchy_sim_base_url(sim);
  }
  /* The same names and values as `benchy load --help` lists. */
  const char *settings[][2] = {{"base-url", base_url},
                               {"model", getenv("MODEL") ? getenv("MODEL") : "sim"},
                               {"concurrency", "1,4"},
                               {"num-prompts", "16"},
                               {"input-len", "64"},
                               {"output-len", "16"}};
  benchy_options *opts = NULL;
  int st = benchy_options_new(&opts, BENCHY_CMD_LOAD);
  for (size_t i = 0; st == BENCHY_OK && i < sizeof settings / sizeof settings[0]; i++)
    if ((st = benchy_options_set(opts, settings[i][0], settings[i][1])) != BENCHY_OK)
      fprintf(stderr, "%s\n", benchy_options_error(opts));

  int events = 0;
  if (st == BENCHY_OK) st = benchy_run_new(&the_run, opts); /* copies opts */
  benchy_options_free(opts);
  if (st == BENCHY_OK) {
    benchy_run_set_progress(the_run, on_progress, &events);
    signal(SIGINT, on_sigint);
    st = benchy_run_execute(the_run); /* blocks; benchy_run_start would not */
    signal(SIGINT, SIG_DFL);
    const benchy_result *result = benchy_run_result(the_run); /* borrowed */
    if (result) benchy_result_write(result, "md", stdout);
    if (st != BENCHY_OK) fprintf(stderr, "run: %s: %s\n", benchy_status_name(st), benchy_run_error(the_run));
    printf("progress_events=%d status=%s\n", events, benchy_status_name(st));
  }
  benchy_run_free(the_run); /* frees the result too */
  benchy_sim_stop(sim);
  return st == BENCHY_OK ? 0 : 1;
}
