/*
 * compare_cmd.c — the compare and table commands: the only commands whose
 * main arguments are files, so they set their positional words apart
 * before the table-driven parser sees the options.
 */
#include "compare_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <benchy/benchy.h>

#include "args.h"

/* A word is an option ("--x", "--x=v", "-o"), the value after an option
 * that takes one, or a file. None of these commands' options takes several
 * words, so one value word per option is the whole rule. */
int cli_split_files(int argc, char **argv, int first, unsigned command, split_args *out) {
  out->files = calloc((size_t)argc + 1, sizeof *out->files);
  out->options = calloc((size_t)argc + 1, sizeof *out->options);
  if (!out->files || !out->options) return -1;
  out->nfiles = 0;
  out->noptions = 1;
  out->options[0] = argv[0];
  for (int i = first; i < argc; i++) {
    const char *w = argv[i];
    if (w[0] != '-' || !w[1]) {
      out->files[out->nfiles++] = argv[i];
      continue;
    }
    out->options[out->noptions++] = argv[i];
    if (strchr(w, '=')) continue;
    const benchy_option_info *info = benchy_option_find_for(w + (w[1] == '-' ? 2 : 1), command, NULL);
    if (info && info->type != BENCHY_OPT_FLAG && i + 1 < argc)
      out->options[out->noptions++] = argv[++i];
  }
  return 0;
}

void cli_split_free(split_args *s) {
  free(s->files);
  free(s->options);
}

static int terminal_width(void) {
  const char *cols = getenv("COLUMNS");
  int w = cols ? atoi(cols) : 0;
  return w >= 60 ? w : 100;
}

/* Parses the options; 0 to go on, else the exit status (help: 0). */
static int parse(benchy_options *opts, split_args *s, const char *name, const char *usage) {
  int parsed = cli_parse_options(opts, s->noptions, s->options, 1, name);
  if (parsed > 0) {
    printf("%s", usage);
    benchy_options_write_help(benchy_options_command(opts), stdout, terminal_width());
    return 0;
  }
  return parsed < 0 ? 2 : -1;
}

static benchy_result *load_or_say(const char *path, const char *command) {
  benchy_result *r = NULL;
  char err[1024];
  if (benchy_result_load(&r, path, err, sizeof err) != BENCHY_OK) {
    fprintf(stderr, "benchy %s: %s\n", command, err);
    return NULL;
  }
  return r;
}

static const char compare_usage[] =
    "usage: benchy compare BASE.json NEW.json [OPTIONS]\n\n"
    "Two saved results (--save-result) of one kind, row by row: both values, the difference, its\n"
    "confidence interval, p and a verdict (docs/compare.md). Exit 0: no regression; 1: a row\n"
    "significantly worse and past a --fail-if threshold; 2: usage, or results refused.\n";

int cli_compare(int argc, char **argv, int first) {
  benchy_options *opts = NULL;
  split_args s = {0};
  int rc = 2;
  benchy_result *base = NULL, *fresh = NULL;
  benchy_comparison *c = NULL;
  if (benchy_options_new(&opts, BENCHY_CMD_COMPARE) != BENCHY_OK ||
      cli_split_files(argc, argv, first, BENCHY_CMD_COMPARE, &s) != 0) {
    fprintf(stderr, "benchy compare: out of memory\n");
    goto done;
  }
  int parsed = parse(opts, &s, "compare", compare_usage);
  if (parsed >= 0) {
    rc = parsed;
    goto done;
  }
  if (s.nfiles != 2) {
    fprintf(stderr, "benchy compare: give two result files, BASE then NEW (got %d); "
                    "'benchy compare --help' for the options\n", s.nfiles);
    goto done;
  }
  if (!(base = load_or_say(s.files[0], "compare")) || !(fresh = load_or_say(s.files[1], "compare")))
    goto done;
  char err[2048];
  if (benchy_compare(&c, base, fresh, opts, err, sizeof err) != BENCHY_OK) {
    fprintf(stderr, "benchy compare: %s vs %s: %s\n", s.files[0], s.files[1], err);
    goto done;
  }
  const char *format = benchy_options_str(opts, "format");
  if (benchy_comparison_write(c, format ? format : "md", stdout) != BENCHY_OK) {
    fprintf(stderr, "benchy compare: could not write the comparison\n");
    goto done;
  }
  fflush(stdout);
  size_t n = benchy_comparison_regression_count(c);
  for (size_t i = 0; i < n; i++)
    fprintf(stderr, "benchy compare: regression: %s\n", benchy_comparison_regression(c, i));
  rc = n ? 1 : 0;
done:
  benchy_comparison_free(c);
  benchy_result_free(base);
  benchy_result_free(fresh);
  benchy_options_free(opts);
  cli_split_free(&s);
  return rc;
}

static const char table_usage[] =
    "usage: benchy table RESULT.json... [OPTIONS]\n\n"
    "One table across saved results: a row per result (its file name), a column per bench test\n"
    "(t/s total) or load level (TTFT p50 and p99), and whether each run is valid.\n";

int cli_table(int argc, char **argv, int first) {
  benchy_options *opts = NULL;
  split_args s = {0};
  int rc = 2;
  benchy_result **results = NULL;
  if (benchy_options_new(&opts, BENCHY_CMD_TABLE) != BENCHY_OK ||
      cli_split_files(argc, argv, first, BENCHY_CMD_TABLE, &s) != 0) {
    fprintf(stderr, "benchy table: out of memory\n");
    goto done;
  }
  int parsed = parse(opts, &s, "table", table_usage);
  if (parsed >= 0) {
    rc = parsed;
    goto done;
  }
  if (s.nfiles < 1) {
    fprintf(stderr, "benchy table: give one or more result files; 'benchy table --help'\n");
    goto done;
  }
  results = calloc((size_t)s.nfiles, sizeof *results);
  if (!results) goto done;
  for (int i = 0; i < s.nfiles; i++)
    if (!(results[i] = load_or_say(s.files[i], "table"))) goto done;
  const char *format = benchy_options_str(opts, "format");
  if (benchy_results_table_write((const benchy_result *const *)results,
                                 (const char *const *)s.files, (size_t)s.nfiles,
                                 format ? format : "md", stdout) == BENCHY_OK)
    rc = 0;
  else
    fprintf(stderr, "benchy table: could not write the table\n");
done:
  for (int i = 0; results && i < s.nfiles; i++) benchy_result_free(results[i]);
  free(results);
  benchy_options_free(opts);
  cli_split_free(&s);
  return rc;
}
