/*
 * main.c — the `benchy` command: finds the command (commands.c), parses its
 * options from the library's table and hands them over; each command lives
 * in a file of its own, and nothing here measures or computes anything.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <benchy/benchy.h>

#include "args.h"
#include "commands.h"

static void usage(FILE *f) {
  fprintf(f, "benchy %s — benchmark client for OpenAI-compatible LLM servers\n\n", benchy_version_string());
  fprintf(f, "usage: benchy COMMAND [OPTIONS]\n\ncommands:\n");
  for (size_t i = 0; i < cli_command_count(); i++)
    fprintf(f, "  %-8s %s\n", cli_command_at(i)->name, cli_command_at(i)->summary);
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
  const cli_command *c = cli_command_find(argv[1]);
  if (c && c->run_args) return c->run_args(argc, argv, 2);
  if (c) {
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
