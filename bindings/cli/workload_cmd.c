/*
 * workload_cmd.c — the commands that measure: bench, load and run share one
 * path (the run handle), differing only in their name.
 */
#include "workload_cmd.h"

#include <stdio.h>
#include <stdlib.h>

#include "interrupts.h"
#include "progress.h"
#include "result_path.h"

static int write_result(const benchy_result *result, const benchy_options *opts,
                        const char *save_path) {
  const char *format = benchy_options_str(opts, "format");
  if (!format) format = "md";
  const char *refused = benchy_result_format_error(result, format);
  if (refused) {
    /* The result is not lost: say how to keep it before giving up. */
    fprintf(stderr, "benchy: --format %s: %s\n", format, refused);
    format = "json";
  }
  int st = benchy_result_write(result, format, stdout);
  if (refused) st = BENCHY_ERR_UNSUPPORTED;
  fflush(stdout);
  if (save_path && cli_save_result(result, opts, save_path) != 0) return 1;
  return st == BENCHY_OK ? 0 : 1;
}

static int run_workload(benchy_options *opts, const char *command_name) {
  char *save_path = NULL;
  if (cli_result_path(opts, command_name, &save_path) != 0) return 2;
  benchy_run *run = NULL;
  if (benchy_run_new(&run, opts) != BENCHY_OK) {
    fprintf(stderr, "benchy: out of memory\n");
    free(save_path);
    return 2;
  }
  cli_progress progress;
  cli_progress_init(&progress, command_name, opts, stderr);
  benchy_run_set_progress(run, cli_progress_event, &progress);
  cli_catch_interrupts();
  if (benchy_options_key_overridden(opts)) {
    const char *env = benchy_options_str(opts, "api-key-env");
    fprintf(stderr, "benchy: --header 'Authorization: ...' is sent instead of the API key %s%s "
                    "(one Authorization header per request)\n",
            benchy_options_is_set(opts, "api-key") ? "given with --api-key" : "from $",
            benchy_options_is_set(opts, "api-key") ? "" : env ? env : "");
  }
  int st = benchy_run_execute(run);
  cli_release_interrupts();
  char err[1024];
  snprintf(err, sizeof err, "%s", benchy_run_error(run));
  /* The library's sessions scrub their own text; this catches anything a
   * run quoted from elsewhere. */
  benchy_options_scrub(opts, err, sizeof err);
  const benchy_result *result = benchy_run_result(run);
  if (!result) {
    fprintf(stderr, "benchy: %s\n", err[0] ? err : benchy_status_message(st));
    free(save_path);
    benchy_run_free(run);
    return st == BENCHY_ERR_CANCELLED ? 130 : 2;
  }
  int rc = write_result(result, opts, save_path);
  free(save_path);
  if (benchy_result_status(result) == BENCHY_ERR_CANCELLED) {
    fprintf(stderr, "benchy: %s\n",
            err[0] ? err : "interrupted; the results above hold every request that completed");
    rc = 130;
  } else if (st != BENCHY_OK) {
    /* A failed run exits non-zero even when it left no message. */
    fprintf(stderr, "benchy: %s\n", err[0] ? err : benchy_status_message(st));
    rc = rc ? rc : 1;
  }
  benchy_run_free(run);
  return rc;
}

int cli_bench(benchy_options *opts) { return run_workload(opts, "bench"); }
int cli_load(benchy_options *opts) { return run_workload(opts, "load"); }
int cli_run(benchy_options *opts) { return run_workload(opts, "run"); }
