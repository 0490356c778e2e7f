/*
 * compare.c — benchy compare: two results of one kind, row by row and
 * metric by metric, with a significance test where the document holds the
 * samples for one and a plain note where it does not. The comparison is a
 * JSON document (compare_render.c draws it), so what the markdown says and
 * what CI reads from --format json are one thing.
 */
#include "benchy/compare.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../options_json.h"
#include "../stats/compare_stats.h"
#include "compare_internal.h"
#include "stat_key.h"
#include "result_internal.h"

typedef struct settings {
  double alpha;
  double slower_pct, latency_pct, memory_bytes; /* < 0: not asked for */
  const char *ignore;                            /* "k1,k2" or NULL */
  unsigned iterations;
  uint64_t seed;
} settings;

typedef enum better { HIGHER_IS_BETTER, LOWER_IS_BETTER } better;

typedef struct metric_def {
  const char *key;   /* bench: the statistic's key; load: the metric's name */
  const char *label; /* as people read it */
  better better;
} metric_def;

/* ---------- options ---------- */

static int parse_percent(const char *name, const char *text, double *out, char *err, size_t errlen) {
  char *end = NULL;
  double v = strtod(text, &end);
  while (end && isspace((unsigned char)*end)) end++;
  if (end && *end == '%') end++;
  while (end && isspace((unsigned char)*end)) end++;
  if (end == text || !end || *end || !isfinite(v) || v < 0) {
    snprintf(err, errlen, "--%s '%s': give a percentage such as 3%%", name, text);
    return -1;
  }
  *out = v;
  return 0;
}

int compare_parse_size(const char *text, double *bytes) {
  static const struct {
    const char *unit;
    double factor;
  } units[] = {{"", 1},         {"b", 1},           {"kb", 1e3},        {"k", 1e3},
               {"mb", 1e6},     {"m", 1e6},         {"gb", 1e9},        {"g", 1e9},
               {"tb", 1e12},    {"t", 1e12},        {"kib", 1024.0},    {"mib", 1048576.0},
               {"gib", 1073741824.0}, {"tib", 1099511627776.0}};
  char *end = NULL;
  double v = strtod(text, &end);
  if (end == text || !isfinite(v) || v < 0) return -1;
  while (isspace((unsigned char)*end)) end++;
  char unit[8];
  size_t len = strlen(end);
  while (len && isspace((unsigned char)end[len - 1])) len--;
  if (len >= sizeof unit) return -1;
  for (size_t i = 0; i < len; i++) unit[i] = (char)tolower((unsigned char)end[i]);
  unit[len] = '\0';
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (!strcmp(unit, units[i].unit)) {
      *bytes = v * units[i].factor;
      return 0;
    }
  return -1;
}

static int read_settings(const benchy_options *opts, settings *s, char *err, size_t errlen) {
  memset(s, 0, sizeof *s);
  s->slower_pct = s->latency_pct = s->memory_bytes = -1;
  s->alpha = 0.05;
  s->iterations = 2000;
  s->seed = 1;
  if (!opts) return 0;
  if (!(benchy_options_command(opts) & BENCHY_CMD_COMPARE)) {
    snprintf(err, errlen, "benchy_compare takes options made for BENCHY_CMD_COMPARE");
    return -1;
  }
  s->alpha = benchy_options_double(opts, "alpha");
  s->iterations = (unsigned)benchy_options_int(opts, "bootstrap-iterations");
  s->seed = (uint64_t)benchy_options_int(opts, "bootstrap-seed");
  s->ignore = benchy_options_str(opts, "ignore-config");
  const char *v;
  if ((v = benchy_options_str(opts, "fail-if-slower")) &&
      parse_percent("fail-if-slower", v, &s->slower_pct, err, errlen) != 0)
    return -1;
  if ((v = benchy_options_str(opts, "fail-if-latency-grows")) &&
      parse_percent("fail-if-latency-grows", v, &s->latency_pct, err, errlen) != 0)
    return -1;
  if ((v = benchy_options_str(opts, "fail-if-memory-grows")) &&
      compare_parse_size(v, &s->memory_bytes) != 0) {
    snprintf(err, errlen, "--fail-if-memory-grows '%s': give a size such as 1GB, 512MB or 2GiB", v);
    return -1;
  }
  return 0;
}

/* ---------- what may be compared ---------- */

/* Identifying options that say how the server was reached, not what was
 * measured: an A/B comparison is of two servers, on two addresses. */
static const char *const reach_keys[] = {"base-url", "host",          "port",   "api-key-env",
                                         "header",   "probe-timeout", "timeout", "threads"};

static int in_comma_list(const char *list, const char *word) {
  if (!list) return 0;
  size_t wl = strlen(word);
  for (const char *p = list; *p;) {
    while (*p == ',' || isspace((unsigned char)*p)) p++;
    const char *e = p;
    while (*e && *e != ',') e++;
    const char *t = e;
    while (t > p && isspace((unsigned char)t[-1])) t--;
    if ((size_t)(t - p) == wl && !strncmp(p, word, wl)) return 1;
    p = e;
  }
  return 0;
}

static int is_reach_key(const char *key) {
  for (size_t i = 0; i < sizeof reach_keys / sizeof reach_keys[0]; i++)
    if (!strcmp(reach_keys[i], key)) return 1;
  return 0;
}

static void append(char *buf, size_t cap, const char *fmt, const char *a, const char *b,
                   const char *c) {
  size_t used = strlen(buf);
  if (used < cap) snprintf(buf + used, cap - used, fmt, a, b, c);
}

static void value_text(const cJSON *v, char *out, size_t cap) {
  char *t = v ? cJSON_PrintUnformatted(v) : NULL;
  snprintf(out, cap, "%s", t ? t : "absent");
  if (strlen(out) > 40) strcpy(out + 37, "...");
  free(t);
}

/* Appends "key (BASE x, NEW y)" for each identifying key that differs and
 * is not ignored; returns how many. Keys ignored anyway go to *ignored. */
static int identity_differences(const cJSON *base_cfg, const cJSON *new_cfg, unsigned command,
                                const char *ignore, char *diff, size_t cap, cJSON *ignored) {
  cJSON *a = options_identity_of_config(base_cfg, command);
  cJSON *b = options_identity_of_config(new_cfg, command);
  int count = 0;
  for (int side = 0; side < 2 && a && b; side++) {
    const cJSON *from = side ? b : a, *other = side ? a : b;
    for (const cJSON *item = from->child; item; item = item->next) {
      if (is_reach_key(item->string)) continue;
      const cJSON *there = cJSON_GetObjectItemCaseSensitive(other, item->string);
      if (side && there) continue; /* seen from the base's side already */
      if (there && cJSON_Compare(item, there, 1)) continue;
      if (in_comma_list(ignore, item->string)) {
        cJSON_AddItemToArray(ignored, cJSON_CreateString(item->string));
        continue;
      }
      char vb[48], vn[48];
      value_text(side ? there : item, vb, sizeof vb);
      value_text(side ? item : there, vn, sizeof vn);
      append(diff, cap, count ? ", %s (BASE %s, NEW %s)" : "%s (BASE %s, NEW %s)",
             item->string, vb, vn);
      count++;
    }
  }
  cJSON_Delete(a);
  cJSON_Delete(b);
  return count;
}

/* A key to ignore that names no option of either config is most likely a
 * typo: said, so the user does not believe it ignored something. */
static void unknown_ignored_keys(const char *ignore, const cJSON *base_cfg, const cJSON *new_cfg,
                                 cJSON *notes) {
  for (const char *p = ignore ? ignore : ""; *p;) {
    while (*p == ',' || isspace((unsigned char)*p)) p++;
    const char *e = p;
    while (*e && *e != ',') e++;
    const char *t = e;
    while (t > p && isspace((unsigned char)t[-1])) t--;
    char key[96];
    size_t len = (size_t)(t - p) < sizeof key - 1 ? (size_t)(t - p) : sizeof key - 1;
    memcpy(key, p, len);
    key[len] = '\0';
    if (len && !cJSON_GetObjectItemCaseSensitive(base_cfg, key) &&
        !cJSON_GetObjectItemCaseSensitive(new_cfg, key)) {
      char text[160];
      snprintf(text, sizeof text, "--ignore-config %s: neither config has that key", key);
      cJSON_AddItemToArray(notes, cJSON_CreateString(text));
    }
    p = e;
  }
}

int compare_marked_invalid(const cJSON *doc) {
  const cJSON *meta = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
  const cJSON *inv = cJSON_GetObjectItemCaseSensitive(meta, "invalid");
  if (cJSON_IsTrue(inv) || (cJSON_IsString(inv) && inv->valuestring[0]) ||
      ((cJSON_IsObject(inv) || cJSON_IsArray(inv)) && inv->child))
    return 1;
  if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(meta, "valid"))) return 1;
  const cJSON *validity = cJSON_GetObjectItemCaseSensitive(meta, "validity");
  if (cJSON_IsString(validity) && !strcmp(validity->valuestring, "invalid")) return 1;
  if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(validity, "valid"))) return 1;
  return 0;
}

/* ---------- rows ---------- */

static void add_number(cJSON *o, const char *key, double v) {
  if (isfinite(v)) cJSON_AddNumberToObject(o, key, v);
  else cJSON_AddNullToObject(o, key);
}

static double number_of(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static int is_throughput(const metric_def *m) { return m->better == HIGHER_IS_BETTER; }

/* Fills the row's percentages, verdict and gate from the test (NULL: none
 * could be made, why_not says why). */
static void judge(cJSON *row, const metric_def *m, double base, double fresh, const cmp_test *t,
                  const char *test_name, const char *why_not, const settings *s,
                  cJSON *regressions) {
  double scale = fabs(base) > 0 ? 100.0 / fabs(base) : NAN;
  add_number(row, "diff_pct", (fresh - base) * scale);
  if (t && isfinite(t->ci_low)) {
    cJSON *ci = cJSON_AddArrayToObject(row, "ci_pct");
    cJSON_AddItemToArray(ci, isfinite(scale) ? cJSON_CreateNumber(t->ci_low * scale) : cJSON_CreateNull());
    cJSON_AddItemToArray(ci, isfinite(scale) ? cJSON_CreateNumber(t->ci_high * scale) : cJSON_CreateNull());
  } else {
    cJSON_AddNullToObject(row, "ci_pct");
  }
  if (t) add_number(row, "p", t->p);
  else cJSON_AddNullToObject(row, "p");
  cJSON_AddStringToObject(row, "test", test_name ? test_name : "none");
  const char *verdict = "not tested";
  int worse = 0;
  if (t) {
    verdict = "no significant change";
    if (t->p < s->alpha && t->diff != 0) {
      int improved = m->better == HIGHER_IS_BETTER ? t->diff > 0 : t->diff < 0;
      verdict = improved ? "faster" : "slower";
      worse = !improved;
    }
  }
  cJSON_AddStringToObject(row, "verdict", verdict);
  if (why_not) cJSON_AddStringToObject(row, "note", why_not);
  else cJSON_AddNullToObject(row, "note");
  double threshold = is_throughput(m) ? s->slower_pct : s->latency_pct;
  double moved = fabs((fresh - base) * scale);
  int regression = worse && threshold >= 0 && isfinite(moved) && moved > threshold;
  cJSON_AddBoolToObject(row, "regression", regression);
  if (regression) {
    char text[256];
    snprintf(text, sizeof text, "%s %s: %+.1f%% (p=%.2g), past --%s %g%%",
             cJSON_GetObjectItemCaseSensitive(row, "row")->valuestring, m->label,
             (fresh - base) * scale, t->p, is_throughput(m) ? "fail-if-slower" : "fail-if-latency-grows",
             threshold);
    cJSON_AddItemToArray(regressions, cJSON_CreateString(text));
  }
}

static cJSON *new_row(cJSON *rows, const char *row_label, const metric_def *m, double base,
                      double fresh) {
  cJSON *row = cJSON_CreateObject();
  cJSON_AddStringToObject(row, "row", row_label);
  cJSON_AddStringToObject(row, "metric", m->label);
  cJSON_AddStringToObject(row, "better", m->better == HIGHER_IS_BETTER ? "higher" : "lower");
  add_number(row, "base", base);
  add_number(row, "new", fresh);
  cJSON_AddItemToArray(rows, row);
  return row;
}

/* A sample standard deviation from a written one: load writes population
 * deviations by default (ddof 0), Welch's test takes sample ones. */
static double sample_sd(double sd, double n, int population) {
  return population && n > 1 ? sd * sqrt(n / (n - 1)) : sd;
}

static int writes_population_sd(const cJSON *doc) {
  const cJSON *sd = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "metadata"), "stddev");
  return cJSON_IsString(sd) && !strcmp(sd->valuestring, "population");
}

static void welch_row(cJSON *rows, const char *label, const metric_def *m, double mb, double sb,
                      double nb, double mn, double sn, double nn, const char *unit,
                      const char *more, const settings *s, cJSON *regressions) {
  cJSON *row = new_row(rows, label, m, mb, mn);
  char name[160], why[200];
  snprintf(name, sizeof name, "welch t, %.0f vs %.0f %s", nb, nn, unit);
  cmp_test t;
  if (!isfinite(mb) || !isfinite(mn) || !isfinite(sb) || !isfinite(sn) ||
      cmp_welch(mb, sb, nb, mn, sn, nn, s->alpha, &t) != 0) {
    snprintf(why, sizeof why, "%.0f vs %.0f %s: too few for a t-test (it needs 2 a side)%s", nb,
             nn, unit, more);
    judge(row, m, mb, mn, NULL, name, why, s, regressions);
    return;
  }
  judge(row, m, mb, mn, &t, name, NULL, s, regressions);
}

static const metric_def bench_metrics[] = {
    {"t_s_total", "t/s total", HIGHER_IS_BETTER}, {"t_s_req", "t/s req", HIGHER_IS_BETTER},
    {"peak_t_s", "peak t/s", HIGHER_IS_BETTER},   {"ttfr_ms", "ttfr ms", LOWER_IS_BETTER},
    {"est_ppt_ms", "est_ppt ms", LOWER_IS_BETTER}, {"e2e_ttft_ms", "e2e_ttft ms", LOWER_IS_BETTER}};

static const cJSON *find_labelled(const cJSON *aggs, const char *label,
                                  void (*label_of)(const cJSON *, char *, size_t)) {
  char other[160];
  for (const cJSON *a = aggs ? aggs->child : NULL; a; a = a->next) {
    label_of(a, other, sizeof other);
    if (!strcmp(other, label)) return a;
  }
  return NULL;
}

static void bench_rows(const cJSON *bd, const cJSON *nd, const settings *s, cJSON *rows,
                       cJSON *regressions) {
  const cJSON *ba = cJSON_GetObjectItemCaseSensitive(bd, "aggregates");
  const cJSON *na = cJSON_GetObjectItemCaseSensitive(nd, "aggregates");
  int bpop = writes_population_sd(bd), npop = writes_population_sd(nd);
  for (const cJSON *b = ba ? ba->child : NULL; b; b = b->next) {
    char label[160];
    compare_bench_row_label(b, label, sizeof label);
    const cJSON *n = find_labelled(na, label, compare_bench_row_label);
    if (!n) continue; /* listed among the unmatched rows */
    for (size_t i = 0; i < sizeof bench_metrics / sizeof bench_metrics[0]; i++) {
      const metric_def *m = &bench_metrics[i];
      char kn[96], kmean[96], ksd[96];
      stat_key(kn, sizeof kn, "n", m->key);
      stat_key(kmean, sizeof kmean, "mean", m->key);
      stat_key(ksd, sizeof ksd, "std", m->key);
      double nb = number_of(b, kn), nn = number_of(n, kn);
      if (!(nb > 0) || !(nn > 0)) continue; /* does not apply to the row */
      /* Totals and peaks are one figure per run; the rest one per request. */
      int per_run = !strcmp(m->key, "t_s_total") || !strcmp(m->key, "peak_t_s");
      welch_row(rows, label, m, number_of(b, kmean), sample_sd(number_of(b, ksd), nb, bpop),
                nb, number_of(n, kmean), sample_sd(number_of(n, ksd), nn, npop), nn,
                per_run ? "per-run values" : "per-request values", "; give --runs >= 2", s,
                regressions);
    }
  }
}

static int same_level(const cJSON *a, const cJSON *b) {
  const cJSON *sa = cJSON_GetObjectItemCaseSensitive(a, "scenario");
  const cJSON *sb = cJSON_GetObjectItemCaseSensitive(b, "scenario");
  if (cJSON_IsString(sa) || cJSON_IsString(sb))
    return cJSON_IsString(sa) && cJSON_IsString(sb) && !strcmp(sa->valuestring, sb->valuestring);
  return cJSON_Compare(cJSON_GetObjectItemCaseSensitive(a, "request_rate"),
                       cJSON_GetObjectItemCaseSensitive(b, "request_rate"), 1) &&
         cJSON_Compare(cJSON_GetObjectItemCaseSensitive(a, "max_concurrency"),
                       cJSON_GetObjectItemCaseSensitive(b, "max_concurrency"), 1);
}

/* Whether a record belongs to a row: a load level by its number, a run's
 * scenario by its name. */
static int record_in_row(const cJSON *record, const cJSON *row) {
  const cJSON *scenario = cJSON_GetObjectItemCaseSensitive(row, "scenario");
  if (cJSON_IsString(scenario)) {
    const cJSON *of = cJSON_GetObjectItemCaseSensitive(record, "scenario");
    return cJSON_IsString(of) && !strcmp(of->valuestring, scenario->valuestring);
  }
  return number_of(record, "level") == number_of(row, "level");
}

/* The OK records of one level (or scenario) with a number under field;
 * *kept counts them. NULL when none (or out of memory). */
static double *level_samples(const cJSON *doc, const cJSON *row, const char *field, size_t *kept) {
  const cJSON *records = cJSON_GetObjectItemCaseSensitive(doc, "records");
  size_t cap = (size_t)cJSON_GetArraySize(records), n = 0;
  double *v = cap ? malloc(cap * sizeof *v) : NULL;
  for (const cJSON *r = records ? records->child : NULL; v && r; r = r->next) {
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(r, "status");
    if (!record_in_row(r, row) || !cJSON_IsString(st) || strcmp(st->valuestring, "OK"))
      continue;
    double x = number_of(r, field);
    if (isfinite(x)) v[n++] = x;
  }
  *kept = n;
  if (!n) {
    free(v);
    return NULL;
  }
  return v;
}

static const metric_def load_rates[] = {{"request_throughput", "req/s", HIGHER_IS_BETTER},
                                        {"output_throughput", "output tok/s", HIGHER_IS_BETTER}};
static const metric_def load_latencies[] = {{"ttft", "TTFT", LOWER_IS_BETTER},
                                            {"tpot", "TPOT", LOWER_IS_BETTER},
                                            {"itl", "ITL", LOWER_IS_BETTER},
                                            {"e2el", "E2EL", LOWER_IS_BETTER}};
static const double load_percentiles[] = {50, 90, 99};

static void percentile_row(cJSON *rows, const char *label, const metric_def *lat, double q,
                           const cJSON *bd, const cJSON *b, const cJSON *nd, const cJSON *n,
                           const settings *s, cJSON *regressions) {
  char key[64], metric_label[48], name[160], why[320];
  snprintf(key, sizeof key, "p%g_%s_ms", q, lat->key);
  snprintf(metric_label, sizeof metric_label, "%s p%g ms", lat->label, q);
  metric_def m = {key, metric_label, lat->better};
  double vb = number_of(b, key), vn = number_of(n, key);
  cJSON *row = new_row(rows, label, &m, vb, vn);
  if (!isfinite(vb) || !isfinite(vn)) {
    snprintf(why, sizeof why, "p%g is not in %s (its --percentiles)", q, !isfinite(vb) ? "BASE" : "NEW");
    judge(row, &m, vb, vn, NULL, NULL, why, s, regressions);
    return;
  }
  if (!strcmp(lat->key, "itl")) {
    judge(row, &m, vb, vn, NULL, NULL,
          "ITL percentiles need every gap; results keep one record per request, not its gaps",
          s, regressions);
    return;
  }
  char field[32];
  snprintf(field, sizeof field, "%s_ms", lat->key);
  size_t kb = 0, kn = 0;
  double *sb = level_samples(bd, b, field, &kb);
  double *sn = level_samples(nd, n, field, &kn);
  /* A percentile is only resampled meaningfully with some samples beyond
   * it: 5 in the tail, and never fewer than 20 in all. */
  size_t need = (size_t)ceil(5.0 / (1.0 - q / 100.0) - 1e-9);
  if (need < 20) need = 20;
  const char *omitted = number_of(b, "records_omitted") > 0 || number_of(n, "records_omitted") > 0
                            ? " kept records (--max-records)"
                            : " requests";
  snprintf(name, sizeof name, "bootstrap p%g, %zu vs %zu%s", q, kb, kn, omitted);
  cmp_test t;
  if (kb < need || kn < need) {
    snprintf(why, sizeof why,
             "%zu vs %zu%s: too few for a bootstrap of p%g (it needs %zu a side, 5 beyond it); "
             "give %s >= %zu",
             kb, kn, omitted, q, need,
             cJSON_IsString(cJSON_GetObjectItemCaseSensitive(b, "scenario")) ? "this scenario requests"
                                                                             : "--num-prompts",
             need);
    judge(row, &m, vb, vn, NULL, name, why, s, regressions);
  } else if (cmp_bootstrap_percentile(sb, kb, sn, kn, q, s->alpha, s->iterations, s->seed, &t) != 0) {
    judge(row, &m, vb, vn, NULL, name, "out of memory for the bootstrap", s, regressions);
  } else {
    judge(row, &m, vb, vn, &t, name, NULL, s, regressions);
  }
  free(sb);
  free(sn);
}

static double metric_count(const cJSON *level, const char *metric) {
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(level, "collector");
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "metrics"), metric);
  double n = number_of(m, "n");
  return isfinite(n) ? n : number_of(level, "completed");
}

static void load_rows(const cJSON *bd, const cJSON *nd, const settings *s, cJSON *rows,
                      cJSON *regressions) {
  const cJSON *ba = cJSON_GetObjectItemCaseSensitive(bd, "aggregates");
  const cJSON *na = cJSON_GetObjectItemCaseSensitive(nd, "aggregates");
  int bpop = writes_population_sd(bd), npop = writes_population_sd(nd);
  for (const cJSON *b = ba ? ba->child : NULL; b; b = b->next) {
    char label[160], other[160];
    compare_load_level_label(b, label, sizeof label);
    const cJSON *n = NULL;
    for (const cJSON *c = na ? na->child : NULL; c && !n; c = c->next) {
      compare_load_level_label(c, other, sizeof other);
      if (!strcmp(label, other) && same_level(b, c)) n = c;
    }
    if (!n) continue;
    for (size_t i = 0; i < sizeof load_rates / sizeof load_rates[0]; i++) {
      const metric_def *m = &load_rates[i];
      cJSON *row = new_row(rows, label, m, number_of(b, m->key), number_of(n, m->key));
      judge(row, m, number_of(b, m->key), number_of(n, m->key), NULL, NULL,
            "one figure per level (the whole level's rate): nothing to test it on", s,
            regressions);
    }
    for (size_t i = 0; i < sizeof load_latencies / sizeof load_latencies[0]; i++) {
      const metric_def *lat = &load_latencies[i];
      char key[48], sdkey[48], mlabel[48];
      snprintf(key, sizeof key, "mean_%s_ms", lat->key);
      snprintf(sdkey, sizeof sdkey, "std_%s_ms", lat->key);
      snprintf(mlabel, sizeof mlabel, "%s mean ms", lat->label);
      metric_def m = {key, mlabel, lat->better};
      double nb = metric_count(b, lat->key), nn = metric_count(n, lat->key);
      welch_row(rows, label, &m, number_of(b, key), sample_sd(number_of(b, sdkey), nb, bpop), nb,
                number_of(n, key), sample_sd(number_of(n, sdkey), nn, npop), nn,
                !strcmp(lat->key, "itl") ? "gaps" : "requests",
                cJSON_IsString(cJSON_GetObjectItemCaseSensitive(b, "scenario"))
                    ? "; give the scenario more iterations"
                    : "; give --num-prompts >= 2",
                s,
                regressions);
      for (size_t q = 0; q < sizeof load_percentiles / sizeof load_percentiles[0]; q++)
        percentile_row(rows, label, lat, load_percentiles[q], bd, b, nd, n, s, regressions);
    }
  }
}

/* Rows of one side the other lacks: said, so nothing silently drops out. */
static void unmatched(const cJSON *from, const cJSON *other, const char *side, int bench,
                      cJSON *notes) {
  const cJSON *fa = cJSON_GetObjectItemCaseSensitive(from, "aggregates");
  const cJSON *oa = cJSON_GetObjectItemCaseSensitive(other, "aggregates");
  for (const cJSON *a = fa ? fa->child : NULL; a; a = a->next) {
    char label[160], text[256], o[160];
    int found = 0;
    if (bench) {
      compare_bench_row_label(a, label, sizeof label);
      found = find_labelled(oa, label, compare_bench_row_label) != NULL;
    } else {
      compare_load_level_label(a, label, sizeof label);
      for (const cJSON *c = oa ? oa->child : NULL; c && !found; c = c->next) {
        compare_load_level_label(c, o, sizeof o);
        found = !strcmp(o, label) && same_level(a, c);
      }
    }
    if (found) continue;
    snprintf(text, sizeof text, "%s only in %s: not compared", label, side);
    cJSON_AddItemToArray(notes, cJSON_CreateString(text));
  }
}

static cJSON *side_summary(const benchy_result *r) {
  cJSON *o = cJSON_CreateObject();
  const cJSON *meta = cJSON_GetObjectItemCaseSensitive(r->doc, "metadata");
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(meta, "name");
  cJSON_AddStringToObject(o, "kind", r->kind);
  cJSON_AddStringToObject(o, "status", benchy_status_name(r->status));
  if (cJSON_IsString(name)) cJSON_AddStringToObject(o, "name", name->valuestring);
  else cJSON_AddNullToObject(o, "name");
  cJSON_AddBoolToObject(o, "invalid", compare_marked_invalid(r->doc));
  return o;
}

static unsigned command_of(const char *kind) {
  if (!strcmp(kind, "bench")) return BENCHY_CMD_BENCH;
  if (!strcmp(kind, "load")) return BENCHY_CMD_LOAD;
  return BENCHY_CMD_RUN;
}

int benchy_compare(benchy_comparison **out, const benchy_result *base, const benchy_result *fresh,
                   const benchy_options *opts, char *err, size_t errlen) {
  char scratch[8];
  if (!err || !errlen) {
    err = scratch;
    errlen = sizeof scratch;
  }
  err[0] = '\0';
  if (!out || !base || !fresh) {
    snprintf(err, errlen, "benchy_compare needs an output pointer and two results");
    return BENCHY_ERR_INVALID;
  }
  *out = NULL;
  settings s;
  if (read_settings(opts, &s, err, errlen) != 0) return BENCHY_ERR_INVALID;
  if (strcmp(base->kind, fresh->kind)) {
    snprintf(err, errlen, "BASE is a %s result and NEW a %s result: only results of one kind compare",
             base->kind, fresh->kind);
    return BENCHY_ERR_INVALID;
  }
  if (compare_marked_invalid(base->doc)) {
    snprintf(err, errlen, "BASE is marked invalid in its metadata: an invalid result is never a "
                          "baseline; compare against a valid run");
    return BENCHY_ERR_INVALID;
  }
  cJSON *doc = cJSON_CreateObject();
  cJSON *ignored = cJSON_CreateArray();
  char diff[1024] = "";
  int differ = identity_differences(cJSON_GetObjectItemCaseSensitive(base->doc, "config"),
                                    cJSON_GetObjectItemCaseSensitive(fresh->doc, "config"),
                                    command_of(base->kind), s.ignore, diff, sizeof diff, ignored);
  if (differ) {
    snprintf(err, errlen,
             "the results measured different things: %s differ%s; compare like with like, or "
             "give --ignore-config with the keys to compare across",
             diff, differ == 1 ? "s" : "");
    cJSON_Delete(ignored);
    cJSON_Delete(doc);
    return BENCHY_ERR_INVALID;
  }
  cJSON_AddNumberToObject(doc, "compare_version", 1);
  cJSON_AddStringToObject(doc, "kind", base->kind);
  cJSON_AddItemToObject(doc, "base", side_summary(base));
  cJSON_AddItemToObject(doc, "new", side_summary(fresh));
  cJSON_AddNumberToObject(doc, "alpha", s.alpha);
  cJSON_AddItemToObject(doc, "ignored_config", ignored);
  cJSON *thresholds = cJSON_AddObjectToObject(doc, "thresholds");
  add_number(thresholds, "slower_pct", s.slower_pct >= 0 ? s.slower_pct : NAN);
  add_number(thresholds, "latency_grows_pct", s.latency_pct >= 0 ? s.latency_pct : NAN);
  add_number(thresholds, "memory_grows_bytes", s.memory_bytes >= 0 ? s.memory_bytes : NAN);
  cJSON *rows = cJSON_AddArrayToObject(doc, "rows");
  cJSON *notes = cJSON_AddArrayToObject(doc, "notes");
  cJSON *regressions = cJSON_AddArrayToObject(doc, "regressions");
  int bench = !strcmp(base->kind, "bench");
  if (bench) bench_rows(base->doc, fresh->doc, &s, rows, regressions);
  else load_rows(base->doc, fresh->doc, &s, rows, regressions);
  unknown_ignored_keys(s.ignore, cJSON_GetObjectItemCaseSensitive(base->doc, "config"),
                       cJSON_GetObjectItemCaseSensitive(fresh->doc, "config"), notes);
  unmatched(base->doc, fresh->doc, "BASE", bench, notes);
  unmatched(fresh->doc, base->doc, "NEW", bench, notes);
  if (base->status != BENCHY_OK || fresh->status != BENCHY_OK) {
    char text[160];
    snprintf(text, sizeof text, "status: BASE %s, NEW %s; a run that did not complete holds fewer samples",
             benchy_status_name(base->status), benchy_status_name(fresh->status));
    cJSON_AddItemToArray(notes, cJSON_CreateString(text));
  }
  if (compare_marked_invalid(fresh->doc))
    cJSON_AddItemToArray(notes, cJSON_CreateString("NEW is marked invalid in its metadata"));
  /* Results without memory figures say so rather than pass in silence. */
  compare_memory_rows(base->doc, fresh->doc, bench, s.memory_bytes, doc, rows, regressions);
  benchy_comparison *c = calloc(1, sizeof *c);
  if (!c) {
    cJSON_Delete(doc);
    return BENCHY_ERR_NOMEM;
  }
  c->doc = doc;
  *out = c;
  return BENCHY_OK;
}

void benchy_comparison_free(benchy_comparison *c) {
  if (!c) return;
  cJSON_Delete(c->doc);
  free(c);
}

size_t benchy_comparison_regression_count(const benchy_comparison *c) {
  return c ? (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(c->doc, "regressions")) : 0;
}

const char *benchy_comparison_regression(const benchy_comparison *c, size_t i) {
  if (!c || i >= benchy_comparison_regression_count(c)) return NULL;
  const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c->doc, "regressions"), (int)i);
  return cJSON_IsString(r) ? r->valuestring : NULL;
}
