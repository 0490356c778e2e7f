/*
 * bench_render.c — see bench_render.h. The markdown table has llama-benchy's
 * columns and row labels (so scripts that read its table read ours), padded
 * and aligned as its pipe table is; what the table cannot say (depth
 * meaning, prompt-length method, latency, flagged rows, server-side rates)
 * goes in plain lines below it. llama-bench's size, params and backend
 * columns appear when the server stated them, and only then.
 */
#include "csv.h"
#include "bench_render.h"
#include "sampling_render.h"
#include "stat_key.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "benchy/benchy.h"

#define NCOLS 11
enum { COL_MODEL, COL_SIZE, COL_PARAMS, COL_BACKEND, COL_TEST, COL_FIRST_STAT };
static const char *const headers[NCOLS] = {"model",       "size",      "params",    "backend",
                                           "test",        "t/s (total)", "t/s (req)", "peak t/s",
                                           "ttfr (ms)",   "est_ppt (ms)", "e2e_ttft (ms)"};
static const char *const fields[NCOLS] = {NULL,        "model_size", "model_n_params", "backend", NULL,
                                          "t_s_total", "t_s_req",    "peak_t_s",       "ttfr_ms", "est_ppt_ms",
                                          "e2e_ttft_ms"};

static const char *str_of(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static double num_of(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* One summary figure of a row's statistic (stat_key.h), NaN when absent. */
static double stat_of(const cJSON *row, const char *figure, const char *statistic) {
  char key[96];
  stat_key(key, sizeof key, figure, statistic);
  return num_of(row, key);
}

/* "mean ± stddev" as llama-bench prints it (a stddev that is undefined, one
 * sample under the sample definition, prints 0.00 as llama-bench does), or
 * "" when the row has no such figure. */
static void stat_cell(const cJSON *row, const char *field, char *out, size_t len) {
  out[0] = 0;
  double mean = stat_of(row, "mean", field), sd = stat_of(row, "std", field);
  if (!isfinite(mean)) return;
  snprintf(out, len, "%.2f ± %.2f", mean, isfinite(sd) ? sd : 0.0);
}

/* Display width: the '±' is two bytes but one column. */
static size_t width(const char *s) {
  size_t w = 0;
  for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
  return w;
}

static void pad(FILE *f, size_t n) {
  while (n--) fputc(' ', f);
}

/* One table line; the first column is left-aligned, the others right.
 * Columns whose shown[c] is 0 are left out (shown NULL: all shown). */
static void put_cells(FILE *f, const char *const *cells, const size_t *w, int n, const int *shown) {
  for (int c = 0; c < n; c++) {
    if (shown && !shown[c]) continue;
    size_t cw = width(cells[c]);
    fputs("| ", f);
    if (c == 0) {
      fputs(cells[c], f);
      pad(f, w[c] - cw);
    } else {
      pad(f, w[c] - cw);
      fputs(cells[c], f);
    }
    fputc(' ', f);
  }
  fputs("|\n", f);
}

/* The alignment line of a pipe table, as tabulate writes it. */
static void put_rule(FILE *f, const size_t *w, int n, const int *shown) {
  for (int c = 0; c < n; c++) {
    if (shown && !shown[c]) continue;
    fputs(c == 0 ? "|:" : "|", f);
    for (size_t k = 0; k < w[c] + 1; k++) fputc('-', f);
    if (c != 0) fputc(':', f);
  }
  fputs("|\n", f);
}

/* A table row: model and test as they are (a vLLM model id can be a long
 * path, never cut), the statistics formatted into cells of their own. */
typedef struct row_cells {
  const char *text[NCOLS];
  char stat[NCOLS][64];
} row_cells;

/* llama-bench's units: MiB below a GiB, else GiB; M below a billion, else B. */
static void size_cell(double bytes, char *out, size_t len) {
  out[0] = 0;
  if (!isfinite(bytes)) return;
  if (bytes < 1024.0 * 1024 * 1024)
    snprintf(out, len, "%.2f MiB", bytes / 1024 / 1024);
  else
    snprintf(out, len, "%.2f GiB", bytes / 1024 / 1024 / 1024);
}

static void params_cell(double n, char *out, size_t len) {
  out[0] = 0;
  if (!isfinite(n)) return;
  if (n < 1e9)
    snprintf(out, len, "%.2f M", n / 1e6);
  else
    snprintf(out, len, "%.2f B", n / 1e9);
}

static void fill_cells(const cJSON *row, row_cells *rc) {
  rc->text[COL_MODEL] = str_of(row, "model");
  rc->text[COL_TEST] = str_of(row, "test");
  rc->text[COL_BACKEND] = str_of(row, "backend");
  size_cell(num_of(row, "model_size"), rc->stat[COL_SIZE], sizeof rc->stat[COL_SIZE]);
  rc->text[COL_SIZE] = rc->stat[COL_SIZE];
  params_cell(num_of(row, "model_n_params"), rc->stat[COL_PARAMS], sizeof rc->stat[COL_PARAMS]);
  rc->text[COL_PARAMS] = rc->stat[COL_PARAMS];
  for (int c = COL_FIRST_STAT; c < NCOLS; c++) {
    stat_cell(row, fields[c], rc->stat[c], sizeof rc->stat[c]);
    rc->text[c] = rc->stat[c];
  }
}

static void md_notes(const cJSON *doc, FILE *f) {
  const cJSON *md = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
  const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(md, "prompt_lengths");
  const char *mode = str_of(md, "depth_mode");
  fputc('\n', f);
  if (!strcmp(mode, "cached"))
    fputs("depth: cached (llama-bench's @ dN: the N-token context is sent first, untimed; pp t/s "
          "counts only the tokens the server did not have cached)\n", f);
  else
    fprintf(f, "depth: resend (llama-benchy's @ dN: depth + pp tokens re-sent, all of them divided "
               "by the prefill time)%s\n",
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(md, "depth_mode_implied_by_no_cache"))
                ? "; implied by --no-cache"
                : "");
  if (cJSON_IsObject(prompt)) {
    int verifies = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(prompt, "verifies"));
    fprintf(f, "prompt lengths: %s (%s), template overhead %.0f tokens", str_of(prompt, "method"),
            verifies ? "counted by the server's tokenizer before sending"
                     : !strcmp(str_of(prompt, "method"), "estimate") ? "NOT exact"
                                                                     : "predicted, checked against usage",
            num_of(prompt, "overhead_user"));
    const char *notes = str_of(prompt, "notes");
    if (notes[0]) fprintf(f, "; %s", notes);
    fputc('\n', f);
  }
  fprintf(f, "latency: %s, %.2f ms subtracted for est_ppt and pp t/s | stddev: %s | runs: %.0f",
          str_of(md, "latency_mode"), num_of(md, "latency_ms"), str_of(md, "stddev"), num_of(md, "runs"));
  const cJSON *server = cJSON_GetObjectItemCaseSensitive(md, "server");
  double n_ctx = num_of(server, "n_ctx");
  if (isfinite(n_ctx)) fprintf(f, " | context: %.0f tokens", n_ctx);
  fputc('\n', f);
  const char *status = str_of(doc, "status");
  if (!strcmp(status, "ERR_FAILURE_RATE"))
    fprintf(f, "status: %s — every test ran, but more requests failed than --max-failure-rate allows "
               "(see the flags)\n", status);
  else if (strcmp(status, "OK") && status[0])
    fprintf(f, "status: %s — the table holds only what completed\n", status);
  const char *fill = str_of(md, "fill_errors");
  if (fill[0]) fprintf(f, "warning: %s\n", fill);
  const cJSON *aggs = cJSON_GetObjectItemCaseSensitive(doc, "aggregates");
  const cJSON *row;
  cJSON_ArrayForEach(row, aggs) {
    const cJSON *flags = cJSON_GetObjectItemCaseSensitive(row, "flags");
    const cJSON *fl;
    cJSON_ArrayForEach(fl, flags) {
      if (cJSON_IsString(fl)) fprintf(f, "flag: %s: %s\n", str_of(row, "test"), fl->valuestring);
    }
  }
}

/* Server-side rates beside ours, when the server reports llama.cpp timings,
 * and the time to first byte beside prefill: what our prefill holds that
 * the server's prompt_ms does not. */
static void md_server_table(const cJSON *doc, FILE *f) {
  const cJSON *aggs = cJSON_GetObjectItemCaseSensitive(doc, "aggregates");
  const cJSON *row;
  int any = 0;
  cJSON_ArrayForEach(row, aggs) any |= isfinite(stat_of(row, "mean", "server_t_s"));
  if (!any) return;
  enum { N = 5 };
  static const char *const h[N] = {"model", "test", "t/s (req, ours)", "t/s (server timings)", "ttfb (ms)"};
  static const char *const stat[N] = {NULL, NULL, "t_s_req", "server_t_s", "ttfb_ms"};
  size_t w[N];
  for (int c = 0; c < N; c++) w[c] = width(h[c]);
  cJSON_ArrayForEach(row, aggs) {
    char cell[N][64];
    const char *p[N] = {str_of(row, "model"), str_of(row, "test"), cell[2], cell[3], cell[4]};
    for (int c = 2; c < N; c++) stat_cell(row, stat[c], cell[c], sizeof cell[c]);
    for (int c = 0; c < N; c++)
      if (width(p[c]) > w[c]) w[c] = width(p[c]);
  }
  fputs("\nserver-side rates (llama.cpp timings) beside ours. The server times only its own prefill and decode;\n"
        "our pp rate also holds what comes before its prefill: request parsing, tokenization and chat\n"
        "template, scheduling into a slot (queueing when busy), network and HTTP, and our client.\n"
        "ttfb: request written to first response byte: the network round trip and all the server does\n"
        "before it answers (a server that answers with its first token, as llama-server does, adds its prefill).\n\n",
        f);
  put_cells(f, h, w, N, NULL);
  put_rule(f, w, N, NULL);
  cJSON_ArrayForEach(row, aggs) {
    char cell[N][64];
    const char *p[N] = {str_of(row, "model"), str_of(row, "test"), cell[2], cell[3], cell[4]};
    for (int c = 2; c < N; c++) stat_cell(row, stat[c], cell[c], sizeof cell[c]);
    put_cells(f, p, w, N, NULL);
  }
}

int bench_render_md(const cJSON *doc, FILE *f) {
  const cJSON *aggs = cJSON_GetObjectItemCaseSensitive(doc, "aggregates");
  size_t w[NCOLS];
  int shown[NCOLS];
  for (int c = 0; c < NCOLS; c++) {
    w[c] = width(headers[c]);
    shown[c] = c < COL_SIZE || c > COL_BACKEND; /* model facts: only when the server stated them */
  }
  const cJSON *row;
  cJSON_ArrayForEach(row, aggs) {
    row_cells rc;
    fill_cells(row, &rc);
    for (int c = 0; c < NCOLS; c++) {
      if (width(rc.text[c]) > w[c]) w[c] = width(rc.text[c]);
      if (c >= COL_SIZE && c <= COL_BACKEND && rc.text[c][0]) shown[c] = 1;
    }
  }
  put_cells(f, headers, w, NCOLS, shown);
  put_rule(f, w, NCOLS, shown);
  cJSON_ArrayForEach(row, aggs) {
    row_cells rc;
    fill_cells(row, &rc);
    put_cells(f, rc.text, w, NCOLS, shown);
  }
  md_notes(doc, f);
  /* What was sampled while each row's shapes ran, a few lines per row. */
  int sampled = 0;
  cJSON_ArrayForEach(row, aggs) sampled |= cJSON_GetObjectItemCaseSensitive(row, "client_cpu") != NULL;
  if (sampled) fprintf(f, "\n");
  cJSON_ArrayForEach(row, aggs) {
    const cJSON *test = cJSON_GetObjectItemCaseSensitive(row, "test");
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s: ", cJSON_IsString(test) ? test->valuestring : "?");
    sampling_render_md(f, row, prefix);
  }
  md_server_table(doc, f);
  return ferror(f) ? BENCHY_ERR_IO : BENCHY_OK;
}


static void csv_num(FILE *f, double v) {
  if (isfinite(v)) fprintf(f, "%.6g", v);
}

/* Byte and parameter counts in full: %g would round 8030261248 to 8.03026e+09. */
static void csv_count(FILE *f, double v) {
  if (isfinite(v)) fprintf(f, "%.0f", v);
}

int bench_render_csv(const cJSON *doc, FILE *f) {
  static const char *const stats[] = {"t_s_total",   "t_s_req", "peak_t_s",   "ttfr_ms", "est_ppt_ms",
                                      "e2e_ttft_ms", "e2e_ms",  "server_t_s", "ttfb_ms"};
  const size_t n_stats = sizeof stats / sizeof stats[0];
  fputs("model,model_size,model_n_params,backend,test,kind,pp,tg,depth,concurrency,depth_mode,runs_completed,"
        "requests,errors", f);
  for (size_t i = 0; i < n_stats; i++) fprintf(f, ",mean_%s,std_%s,n_%s", stats[i], stats[i], stats[i]);
  fputs(",flags\n", f);
  const cJSON *aggs = cJSON_GetObjectItemCaseSensitive(doc, "aggregates");
  const cJSON *row;
  cJSON_ArrayForEach(row, aggs) {
    csv_field(f, str_of(row, "model"));
    fputc(',', f);
    csv_count(f, num_of(row, "model_size"));
    fputc(',', f);
    csv_count(f, num_of(row, "model_n_params"));
    fputc(',', f);
    csv_field(f, str_of(row, "backend"));
    fputc(',', f);
    csv_field(f, str_of(row, "test"));
    fprintf(f, ",%s,", str_of(row, "kind"));
    static const char *const ints[] = {"pp", "tg", "depth", "concurrency"};
    for (size_t i = 0; i < 4; i++) {
      csv_num(f, num_of(row, ints[i]));
      fputc(',', f);
    }
    fprintf(f, "%s,", str_of(row, "depth_mode"));
    csv_num(f, num_of(row, "runs_completed"));
    fputc(',', f);
    csv_num(f, num_of(row, "requests"));
    fputc(',', f);
    csv_num(f, num_of(row, "errors"));
    for (size_t i = 0; i < n_stats; i++) {
      fputc(',', f);
      csv_num(f, stat_of(row, "mean", stats[i]));
      fputc(',', f);
      csv_num(f, stat_of(row, "std", stats[i]));
      fputc(',', f);
      /* A statistic with no samples leaves its cells empty, n included. */
      double n = stat_of(row, "n", stats[i]);
      csv_num(f, n > 0 ? n : NAN);
    }
    fputc(',', f);
    benchy_buf flags = {0};
    const cJSON *fl;
    cJSON_ArrayForEach(fl, cJSON_GetObjectItemCaseSensitive(row, "flags")) {
      if (cJSON_IsString(fl)) benchy_buf_printf(&flags, "%s%s", flags.len ? "; " : "", fl->valuestring);
    }
    benchy_buf_terminate(&flags);
    csv_field(f, flags.data ? flags.data : "");
    benchy_buf_free(&flags);
    fputc('\n', f);
  }
  return ferror(f) ? BENCHY_ERR_IO : BENCHY_OK;
}
