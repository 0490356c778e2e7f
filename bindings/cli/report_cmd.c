/*
 * report_cmd.c — benchy report: result files (a .json result, or a .jsonl
 * file with one result document per line) into one HTML page.
 */
#include "report_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <benchy/benchy.h>

#include "args.h"
#include "compare_cmd.h"

static const char report_usage[] =
    "usage: benchy report RESULT.json|RESULTS.jsonl... -o report.html [OPTIONS]\n"
    "       benchy report BASE.json NEW.json --compare -o report.html [OPTIONS]\n\n"
    "Saved results (--save-result) as one HTML page that opens offline: latency distributions,\n"
    "the throughput/latency curve of a sweep, timelines, failures, bench bars, Lua scenarios,\n"
    "GPU samples and metadata, every result overlaid; --compare adds benchy compare's table\n"
    "(docs/report.md).\n";

typedef struct loaded {
  benchy_result **results;
  char **labels;
  size_t n, cap;
} loaded;

static int add(loaded *l, benchy_result *r, const char *label) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    benchy_result **rs = realloc(l->results, cap * sizeof *rs);
    if (!rs) return -1;
    l->results = rs;
    char **ls = realloc(l->labels, cap * sizeof *ls);
    if (!ls) return -1;
    l->labels = ls;
    l->cap = cap;
  }
  l->labels[l->n] = strdup(label);
  if (!l->labels[l->n]) return -1;
  l->results[l->n++] = r;
  return 0;
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && !strcmp(s + a - b, suffix);
}

/* A .jsonl of result documents, one per line (what a loop over runs
 * appends); each is labelled FILE:LINE. A --jsonl journal is refused by the
 * library, which says what it is. */
static int load_jsonl(loaded *l, const char *path) {
  /* Read whole first: one document (a single line) is a result as any;
   * the library tells a journal and an unreadable file apart, and says
   * so; only several documents (not one JSON value) are read line by line. */
  benchy_result *whole = NULL;
  char why[1024];
  int st = benchy_result_load(&whole, path, why, sizeof why);
  if (st == BENCHY_OK) {
    if (add(l, whole, path) == 0) return 0;
    benchy_result_free(whole);
    fprintf(stderr, "benchy report: out of memory\n");
    return -1;
  }
  FILE *f = st == BENCHY_ERR_MALFORMED ? fopen(path, "r") : NULL;
  if (!f) {
    fprintf(stderr, "benchy report: %s\n", why);
    return -1;
  }
  char *line = NULL;
  size_t cap = 0;
  long lineno = 0;
  int rc = 0, found = 0;
  while (getline(&line, &cap, f) >= 0) {
    lineno++;
    if (strspn(line, " \t\r\n") == strlen(line)) continue;
    benchy_result *r = NULL;
    char err[1024];
    if (benchy_result_parse(&r, line, err, sizeof err) != BENCHY_OK) {
      fprintf(stderr, "benchy report: %s line %ld: %s\n", path, lineno, err);
      rc = -1;
      break;
    }
    char label[4096];
    snprintf(label, sizeof label, "%s:%ld", path, lineno);
    if (add(l, r, label) != 0) {
      benchy_result_free(r);
      rc = -1;
      break;
    }
    found++;
  }
  free(line);
  fclose(f);
  if (rc == 0 && !found) {
    fprintf(stderr, "benchy report: %s holds no result (one result document per line)\n", path);
    rc = -1;
  }
  return rc;
}

int cli_report(int argc, char **argv, int first) {
  benchy_options *opts = NULL;
  split_args s = {0};
  loaded l = {0};
  int rc = 2;
  if (benchy_options_new(&opts, BENCHY_CMD_REPORT) != BENCHY_OK ||
      cli_split_files(argc, argv, first, BENCHY_CMD_REPORT, &s) != 0) {
    fprintf(stderr, "benchy report: out of memory\n");
    goto done;
  }
  int parsed = cli_parse_options(opts, s.noptions, s.options, 1, "report");
  if (parsed > 0) {
    printf("%s", report_usage);
    benchy_options_write_help(BENCHY_CMD_REPORT, stdout, 100);
    rc = 0;
    goto done;
  }
  if (parsed < 0) goto done;
  const char *out = benchy_options_str(opts, "output");
  if (s.nfiles < 1) {
    fprintf(stderr, "benchy report: give one or more result files (--save-result) and -o "
                    "report.html; 'benchy report --help'\n");
    goto done;
  }
  if (!out || !*out) {
    fprintf(stderr, "benchy report: give the page's file with -o FILE.html (--output)\n");
    goto done;
  }
  for (int i = 0; i < s.nfiles; i++) {
    if (ends_with(s.files[i], ".jsonl")) {
      if (load_jsonl(&l, s.files[i]) != 0) goto done;
      continue;
    }
    benchy_result *r = NULL;
    char err[1024];
    if (benchy_result_load(&r, s.files[i], err, sizeof err) != BENCHY_OK) {
      fprintf(stderr, "benchy report: %s\n", err);
      goto done;
    }
    if (add(&l, r, s.files[i]) != 0) {
      benchy_result_free(r);
      fprintf(stderr, "benchy report: out of memory\n");
      goto done;
    }
  }
  char err[2048];
  if (benchy_report_save((const benchy_result *const *)l.results, (const char *const *)l.labels,
                         l.n, opts, out, err, sizeof err) != BENCHY_OK) {
    fprintf(stderr, "benchy report: %s\n", err);
    goto done;
  }
  fprintf(stderr, "benchy report: %zu result%s written to %s\n", l.n, l.n == 1 ? "" : "s", out);
  rc = 0;
done:
  for (size_t i = 0; i < l.n; i++) {
    benchy_result_free(l.results[i]);
    free(l.labels[i]);
  }
  free(l.results);
  free(l.labels);
  benchy_options_free(opts);
  cli_split_free(&s);
  return rc;
}
