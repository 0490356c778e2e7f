/*
 * compare_render.c — a comparison document as the markdown table people
 * read, or as JSON. Everything shown comes from the document.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchy/benchy.h"
#include "compare_internal.h"
#include "json_print.h"

static const char *text_of(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *shown(const cJSON *o, const char *key) {
  const char *t = text_of(o, key);
  return t ? t : "";
}

static void fmt_value(const cJSON *v, char *out, size_t cap) {
  if (!cJSON_IsNumber(v)) {
    snprintf(out, cap, "—");
    return;
  }
  double x = v->valuedouble;
  if (fabs(x) >= 100) snprintf(out, cap, "%.1f", x);
  else if (fabs(x) >= 1) snprintf(out, cap, "%.2f", x);
  else snprintf(out, cap, "%.3g", x);
}

static void fmt_p(const cJSON *v, char *out, size_t cap) {
  if (!cJSON_IsNumber(v)) snprintf(out, cap, "—");
  else if (v->valuedouble < 0.001) snprintf(out, cap, "<0.001");
  else snprintf(out, cap, "%.3f", v->valuedouble);
}

static void fmt_ci(const cJSON *ci, char *out, size_t cap) {
  const cJSON *lo = cJSON_GetArrayItem(ci, 0), *hi = cJSON_GetArrayItem(ci, 1);
  if (!cJSON_IsNumber(lo) || !cJSON_IsNumber(hi)) snprintf(out, cap, "—");
  else snprintf(out, cap, "[%+.1f%%, %+.1f%%]", lo->valuedouble, hi->valuedouble);
}

/* Notes are numbered once each: a sweep's levels share most of them. */
static int note_number(cJSON *seen, const char *note) {
  int i = 1;
  for (const cJSON *n = seen->child; n; n = n->next, i++)
    if (!strcmp(n->valuestring, note)) return i;
  cJSON_AddItemToArray(seen, cJSON_CreateString(note));
  return i;
}

static int write_md(const cJSON *doc, FILE *f) {
  const cJSON *base = cJSON_GetObjectItemCaseSensitive(doc, "base");
  const cJSON *fresh = cJSON_GetObjectItemCaseSensitive(doc, "new");
  double alpha = cJSON_GetObjectItemCaseSensitive(doc, "alpha")->valuedouble;
  const char *bn = text_of(base, "name"), *nn = text_of(fresh, "name");
  fprintf(f, "## benchy compare (%s): %s vs %s\n\n", shown(doc, "kind"), bn ? bn : "BASE",
          nn ? nn : "NEW");
  fprintf(f, "Δ%% is NEW against BASE; CI is the %g%% interval of the difference; a change counts "
             "when p < %g. Means: Welch's t-test; percentiles: seeded bootstrap.\n\n",
          100 * (1 - alpha), alpha);
  fprintf(f, "| row | metric | base | new | Δ%% | CI of Δ%% | p | verdict |\n");
  fprintf(f, "|---|---|---:|---:|---:|---|---:|---|\n");
  cJSON *seen = cJSON_CreateArray();
  for (const cJSON *r = cJSON_GetObjectItemCaseSensitive(doc, "rows")->child; r; r = r->next) {
    char vb[32], vn[32], d[32], ci[64], p[16], verdict[96];
    fmt_value(cJSON_GetObjectItemCaseSensitive(r, "base"), vb, sizeof vb);
    fmt_value(cJSON_GetObjectItemCaseSensitive(r, "new"), vn, sizeof vn);
    const cJSON *dp = cJSON_GetObjectItemCaseSensitive(r, "diff_pct");
    if (cJSON_IsNumber(dp)) snprintf(d, sizeof d, "%+.1f%%", dp->valuedouble);
    else snprintf(d, sizeof d, "—");
    fmt_ci(cJSON_GetObjectItemCaseSensitive(r, "ci_pct"), ci, sizeof ci);
    fmt_p(cJSON_GetObjectItemCaseSensitive(r, "p"), p, sizeof p);
    const char *note = text_of(r, "note");
    int regression = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "regression"));
    char mark[16] = "";
    if (note) snprintf(mark, sizeof mark, " [%d]", note_number(seen, note));
    snprintf(verdict, sizeof verdict, "%s%s%s%s", regression ? "**" : "", shown(r, "verdict"), mark,
             regression ? " — REGRESSION**" : "");
    fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", shown(r, "row"),
            shown(r, "metric"), vb, vn, d, ci, p, verdict);
  }
  if (seen->child) fprintf(f, "\n");
  int i = 1;
  for (const cJSON *n = seen->child; n; n = n->next, i++) fprintf(f, "[%d] %s\n", i, n->valuestring);
  cJSON_Delete(seen);
  const cJSON *ignored = cJSON_GetObjectItemCaseSensitive(doc, "ignored_config");
  if (ignored && ignored->child) {
    fprintf(f, "\nCompared across differing config keys (--ignore-config):");
    for (const cJSON *k = ignored->child; k; k = k->next) fprintf(f, " %s", k->valuestring);
    fprintf(f, "\n");
  }
  for (const cJSON *n = cJSON_GetObjectItemCaseSensitive(doc, "notes")->child; n; n = n->next)
    fprintf(f, "\nNote: %s\n", n->valuestring);
  const char *memory = text_of(doc, "memory");
  if (memory) fprintf(f, "\nMemory: %s\n", memory);
  const cJSON *reg = cJSON_GetObjectItemCaseSensitive(doc, "regressions");
  if (!reg->child) {
    fprintf(f, "\nRegressions: none\n");
  } else {
    fprintf(f, "\nRegressions:\n");
    for (const cJSON *r = reg->child; r; r = r->next) fprintf(f, "- %s\n", r->valuestring);
  }
  return ferror(f) ? BENCHY_ERR_IO : BENCHY_OK;
}

char *benchy_comparison_to_json(const benchy_comparison *c, int pretty) {
  return c ? json_print_exact(c->doc, pretty) : NULL;
}

int benchy_comparison_write(const benchy_comparison *c, const char *format, FILE *f) {
  if (!c || !format || !f) return BENCHY_ERR_INVALID;
  if (!strcmp(format, "md")) return write_md(c->doc, f);
  if (strcmp(format, "json")) return BENCHY_ERR_UNSUPPORTED;
  char *text = json_print_exact(c->doc, 1);
  if (!text) return BENCHY_ERR_NOMEM;
  fprintf(f, "%s\n", text);
  free(text);
  return ferror(f) ? BENCHY_ERR_IO : BENCHY_OK;
}
