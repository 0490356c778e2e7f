/*
 * main.c — the `benchy` command. Each subcommand parses its options from
 * the library's table and calls one library function; nothing here
 * measures or computes anything.
 *
 * Exit status, the same for every command (README.md, "Exit status"):
 *   0    success;
 *   1    the run happened and failed: more requests failed than
 *        --max-failure-rate allows, or an error stopped it after it started;
 *        compare: a regression past a --fail-if threshold;
 *   2    usage error, or the run could not start (bad option, server down,
 *        wrong model, a --jsonl file refused): nothing was measured;
 *   130  interrupted by SIGINT/SIGTERM; what completed was still written.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <benchy/benchy.h>

#include "args.h"
#include "compare_cmd.h"
#include "matrix_cmd.h"
#include "progress.h"
#include "report_cmd.h"
#include "result_path.h"
#include "sim_foreground.h"

typedef struct command {
  const char *name;
  unsigned option_set;
  const char *summary;
  int (*run)(benchy_options *opts);
} command;

static void on_interrupt(int sig) {
  (void)sig;
  benchy_interrupt();
}

/* First Ctrl-C (or SIGTERM): stop cleanly, in whatever phase, and write what
 * completed. SA_RESETHAND restores the default action as the handler is
 * entered, so a second one kills the process the usual way. The library
 * does not rely on a wait returning EINTR (the interrupt wakes its loops
 * through their stop descriptor), so SA_RESTART keeps writes of the result
 * to a pipe from failing half-way. */
void cli_catch_interrupts(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND | SA_RESTART;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

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
  /* The run is over: a Ctrl-C while the result is written ends the process
   * as in any other program (the library would have nothing to stop). */
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
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

static int cmd_bench(benchy_options *opts) { return run_workload(opts, "bench"); }
static int cmd_load(benchy_options *opts) { return run_workload(opts, "load"); }
static int cmd_run(benchy_options *opts) { return run_workload(opts, "run"); }
/* The simulator stopped by a signal ends normally; one that cannot listen never started. */
static int cmd_sim(benchy_options *opts) { return cli_sim_foreground(opts) == BENCHY_OK ? 0 : 2; }

/* The metadata every result carries, alone: to check what a run will record. */
static int cmd_meta(benchy_options *opts) {
  char err[1024] = "";
  char *json = benchy_meta_json(opts, err, sizeof err);
  if (!json) {
    benchy_options_scrub(opts, err, sizeof err);
    fprintf(stderr, "benchy meta: %s\n", err);
    return 2;
  }
  printf("%s\n", json);
  free(json);
  return fflush(stdout) == 0 ? 0 : 1;
}

static const command commands[] = {
    {"bench", BENCHY_CMD_BENCH, "llama-bench-style pp/tg table over HTTP", cmd_bench},
    {"load", BENCHY_CMD_LOAD, "serving load test: arrivals, concurrency, latency percentiles", cmd_load},
    {"run", BENCHY_CMD_RUN, "run a Lua workload script: users, scenarios, checks, thresholds", cmd_run},
    {"meta", BENCHY_CMD_META, "print the reproducibility metadata a result records, as JSON", cmd_meta},
    {"sim", BENCHY_CMD_SIM, "simulated OpenAI-compatible server with a known timing model", cmd_sim},
};

static void usage(FILE *f) {
  fprintf(f, "benchy %s — benchmark client for OpenAI-compatible LLM servers\n\n", benchy_version_string());
  fprintf(f, "usage: benchy COMMAND [OPTIONS]\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "  %-8s %s\n", "compare", "two saved results: differences, significance, regression gates");
  fprintf(f, "  %-8s %s\n", "table", "one table across saved results");
  fprintf(f, "  %-8s %s\n", "report", "saved results as one HTML page of plots (opens offline)");
  fprintf(f, "  %-8s %s\n", "matrix", "every combination of server settings, one run each, one table");
  fprintf(f, "  %-8s %s\n", "version", "print the version");
  fprintf(f, "\n'benchy COMMAND --help' lists a command's options.\n");
}

/* What the table says a command's bare word is ("FILE.lua"), or "". */
static const char *positional_metavar(unsigned option_set) {
  for (size_t i = 0; i < benchy_option_count(); i++) {
    const benchy_option_info *info = benchy_option_at(i);
    if ((info->commands & option_set) && (info->flags & BENCHY_OPTF_POSITIONAL) && info->metavar)
      return info->metavar;
  }
  return "";
}

/* benchy run SCRIPT.lua --help: the options the script declares, after the table's. */
static int script_help(const benchy_options *opts) {
  char err[1024] = "";
  fflush(stdout);
  if (benchy_script_write_help(opts, stdout, err, sizeof err) == BENCHY_OK) return 0;
  fprintf(stderr, "benchy run: %s\n", err);
  return 1;
}

static int terminal_width(void) {
  const char *cols = getenv("COLUMNS");
  int w = cols ? atoi(cols) : 0;
  return w >= 60 ? w : 100;
}

int main(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
    printf("benchy %s\n", benchy_version_string());
    return 0;
  }
  /* Their main arguments are files, not options. */
  if (!strcmp(argv[1], "compare")) return cli_compare(argc, argv, 2);
  if (!strcmp(argv[1], "table")) return cli_table(argc, argv, 2);
  if (!strcmp(argv[1], "matrix")) return cli_matrix(argc, argv, 2);
  if (!strcmp(argv[1], "report")) return cli_report(argc, argv, 2);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    const command *c = &commands[i];
    if (strcmp(argv[1], c->name)) continue;
    benchy_options *opts = NULL;
    if (benchy_options_new(&opts, c->option_set) != BENCHY_OK) {
      fprintf(stderr, "benchy: out of memory\n");
      return 2;
    }
    int parsed = cli_parse_options(opts, argc, argv, 2, c->name);
    if (parsed != 0) {
      if (parsed > 0) {
        printf("usage: benchy %s %s%s[OPTIONS]\n\n%s.\n", c->name, positional_metavar(c->option_set),
               positional_metavar(c->option_set)[0] ? " " : "", c->summary);
        if (c->option_set == BENCHY_CMD_SIM) printf("\n%s", benchy_sim_model_text());
        benchy_options_write_help(c->option_set, stdout, terminal_width());
        if (c->option_set == BENCHY_CMD_RUN && benchy_options_is_set(opts, "script") &&
            script_help(opts) != 0) {
          benchy_options_free(opts);
          return 2;
        }
      }
      benchy_options_free(opts);
      return parsed > 0 ? 0 : 2;
    }
    /* The command line for metadata.command_line (redacted when written). */
    for (int a = 0; a < argc && benchy_option_find_for("meta-argv", c->option_set, NULL); a++)
      if (benchy_options_set(opts, "meta-argv", argv[a]) != BENCHY_OK) {
        fprintf(stderr, "benchy: %s\n", benchy_options_error(opts));
        benchy_options_free(opts);
        return 2;
      }
    int rc = c->run(opts);
    benchy_options_free(opts);
    return rc;
  }
  fprintf(stderr, "benchy: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}
