/*
 * main.c — the `benchy` command. Each subcommand parses its options from
 * the library's table and calls one library function; nothing here
 * measures or computes anything.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <benchy/benchy.h>

#include "args.h"

typedef struct command {
  const char *name;
  unsigned option_set;
  const char *summary;
  int (*run)(benchy_options *opts);
} command;

static void on_sigint(int sig) {
  /* First Ctrl-C: stop cleanly and write what completed. A second one
   * kills the process the usual way. */
  benchy_interrupt();
  signal(sig, SIG_DFL);
}

static int write_result(const benchy_result *result, const benchy_options *opts) {
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
  const char *save = benchy_options_str(opts, "save-result");
  if (save) {
    char err[512] = "";
    if (benchy_result_save(result, save, err, sizeof err) != BENCHY_OK) {
      fprintf(stderr, "benchy: %s\n", err);
      return 1;
    }
    fprintf(stderr, "benchy: result saved to %s\n", save);
  }
  return st == BENCHY_OK ? 0 : 1;
}

static int run_workload(benchy_options *opts,
                        int (*fn)(const benchy_options *, benchy_result **, char *, size_t)) {
  signal(SIGINT, on_sigint);
  signal(SIGTERM, on_sigint);
  benchy_result *result = NULL;
  char err[1024] = "";
  int st = fn(opts, &result, err, sizeof err);
  if (!result) {
    fprintf(stderr, "benchy: %s\n", err[0] ? err : benchy_status_message(st));
    return 2;
  }
  int rc = write_result(result, opts);
  if (benchy_result_status(result) == BENCHY_ERR_CANCELLED) {
    fprintf(stderr, "benchy: interrupted; the results above hold every request that completed\n");
    rc = 130;
  } else if (st != BENCHY_OK) {
    /* A failed run exits non-zero even when it left no message. */
    fprintf(stderr, "benchy: %s\n", err[0] ? err : benchy_status_message(st));
    rc = rc ? rc : 1;
  }
  benchy_result_free(result);
  return rc;
}

static int cmd_bench(benchy_options *opts) { return run_workload(opts, benchy_bench_run); }
static int cmd_load(benchy_options *opts) { return run_workload(opts, benchy_load_run); }
static int cmd_sim(benchy_options *opts) { return benchy_sim_run(opts) == BENCHY_OK ? 0 : 1; }

static const command commands[] = {
    {"bench", BENCHY_CMD_BENCH, "llama-bench-style pp/tg table over HTTP", cmd_bench},
    {"load", BENCHY_CMD_LOAD, "serving load test: arrivals, concurrency, latency percentiles", cmd_load},
    {"sim", BENCHY_CMD_SIM, "simulated OpenAI-compatible server with a known timing model", cmd_sim},
};

static void usage(FILE *f) {
  fprintf(f, "benchy %s — benchmark client for OpenAI-compatible LLM servers\n\n", benchy_version_string());
  fprintf(f, "usage: benchy COMMAND [OPTIONS]\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "  %-8s %s\n", "version", "print the version");
  fprintf(f, "\n'benchy COMMAND --help' lists a command's options.\n");
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
        printf("usage: benchy %s [OPTIONS]\n\n%s.\n", c->name, c->summary);
        if (c->option_set == BENCHY_CMD_SIM) printf("\n%s", benchy_sim_model_text());
        benchy_options_write_help(c->option_set, stdout, terminal_width());
      }
      benchy_options_free(opts);
      return parsed > 0 ? 0 : 2;
    }
    int rc = c->run(opts);
    benchy_options_free(opts);
    return rc;
  }
  fprintf(stderr, "benchy: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}
