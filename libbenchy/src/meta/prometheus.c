/* prometheus.c — see prometheus.h. */
#include "prometheus.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void prom_free(prom_set *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n; i++) free(s->m[i].name);
  free(s->m);
  memset(s, 0, sizeof *s);
}

const prom_metric *prom_find(const prom_set *s, const char *name) {
  for (size_t i = 0; i < s->n; i++)
    if (!strcmp(s->m[i].name, name)) return &s->m[i];
  return NULL;
}

/* A "# TYPE name kind" line's name and kind, remembered so that a family's
 * samples are told apart: histogram and summary series are skipped. */
typedef struct family {
  char name[160];
  char kind[16];
} family;

static int ends_with(const char *s, size_t n, const char *suffix) {
  size_t k = strlen(suffix);
  return n >= k && !memcmp(s + n - k, suffix, k);
}

/* The kind the family list gives a sample named name[0..n), or "" when
 * none does. */
static const char *kind_of(const family *fam, size_t n_fam, const char *name, size_t n) {
  static const char *const suffixes[] = {"", "_bucket", "_sum", "_count", "_created", "_total"};
  for (size_t f = 0; f < n_fam; f++) {
    size_t base = strlen(fam[f].name);
    if (n < base || memcmp(name, fam[f].name, base)) continue;
    for (size_t k = 0; k < sizeof suffixes / sizeof suffixes[0]; k++)
      if (n == base + strlen(suffixes[k]) && !memcmp(name + base, suffixes[k], n - base)) return fam[f].kind;
  }
  return "";
}

static int add_value(prom_set *s, const char *name, size_t n, double v, prom_kind kind) {
  for (size_t i = 0; i < s->n; i++)
    if (strlen(s->m[i].name) == n && !memcmp(s->m[i].name, name, n)) {
      s->m[i].value += v; /* labels folded */
      return BENCHY_OK;
    }
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    prom_metric *grown = realloc(s->m, cap * sizeof *grown);
    if (!grown) return BENCHY_ERR_NOMEM;
    s->m = grown;
    s->cap = cap;
  }
  char *copy = benchy_strndup(name, n);
  if (!copy) return BENCHY_ERR_NOMEM;
  s->m[s->n++] = (prom_metric){copy, v, kind};
  return BENCHY_OK;
}

int prom_parse(const char *text, prom_set *out) {
  memset(out, 0, sizeof *out);
  family *fam = NULL;
  size_t n_fam = 0, cap_fam = 0;
  int st = BENCHY_OK;
  for (const char *line = text; line && *line && st == BENCHY_OK;) {
    const char *eol = strchr(line, '\n');
    size_t len = eol ? (size_t)(eol - line) : strlen(line);
    const char *next = eol ? eol + 1 : NULL;
    while (len && (*line == ' ' || *line == '\t')) line++, len--;
    if (len > 7 && !strncmp(line, "# TYPE ", 7)) {
      const char *p = line + 7, *end = line + len;
      const char *sp = memchr(p, ' ', (size_t)(end - p));
      if (sp && (size_t)(sp - p) < sizeof fam->name) {
        if (n_fam == cap_fam) {
          size_t cap = cap_fam ? cap_fam * 2 : 32;
          family *grown = realloc(fam, cap * sizeof *grown);
          if (!grown) {
            st = BENCHY_ERR_NOMEM;
            break;
          }
          fam = grown;
          cap_fam = cap;
        }
        family *f = &fam[n_fam++];
        memcpy(f->name, p, (size_t)(sp - p));
        f->name[sp - p] = '\0';
        size_t kl = (size_t)(end - sp - 1);
        if (kl >= sizeof f->kind) kl = sizeof f->kind - 1;
        memcpy(f->kind, sp + 1, kl);
        f->kind[kl] = '\0';
        while (kl && (f->kind[kl - 1] == ' ' || f->kind[kl - 1] == '\r')) f->kind[--kl] = '\0';
      }
    } else if (len && *line != '#') {
      const char *end = line + len, *p = line;
      while (p < end && *p != '{' && *p != ' ' && *p != '\t') p++;
      size_t name_len = (size_t)(p - line);
      if (p < end && *p == '{') {
        /* Label values are quoted and may hold braces, spaces and \" . */
        int quoted = 0;
        for (p++; p < end; p++) {
          if (quoted && *p == '\\' && p + 1 < end) p++;
          else if (*p == '"') quoted = !quoted;
          else if (!quoted && *p == '}') break;
        }
        if (p < end) p++;
      }
      char num[64];
      while (p < end && (*p == ' ' || *p == '\t')) p++;
      size_t nl = 0;
      while (p + nl < end && p[nl] != ' ' && p[nl] != '\t' && p[nl] != '\r' && nl < sizeof num - 1) nl++;
      memcpy(num, p, nl);
      num[nl] = '\0';
      char *stop = NULL;
      double v = strtod(num, &stop);
      if (name_len && nl && stop && *stop == '\0' && isfinite(v)) {
        const char *kind = kind_of(fam, n_fam, line, name_len);
        if (!strcmp(kind, "gauge"))
          st = add_value(out, line, name_len, v, PROM_GAUGE);
        else if (!strcmp(kind, "counter") || (!*kind && ends_with(line, name_len, "_total")))
          st = add_value(out, line, name_len, v, PROM_COUNTER);
        else if (!*kind || !strcmp(kind, "untyped"))
          st = add_value(out, line, name_len, v, PROM_GAUGE);
        /* histogram, summary: left out */
      }
    }
    line = next;
  }
  free(fam);
  if (st != BENCHY_OK) prom_free(out);
  return st;
}

static const struct {
  const char *prefix, *source;
} known[] = {{"vllm:", "vllm"}, {"llamacpp:", "llama.cpp"}, {"sglang:", "sglang"}};

static const char *known_prefix(const prom_set *s) {
  for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
    for (size_t i = 0; i < s->n; i++)
      if (!strncmp(s->m[i].name, known[k].prefix, strlen(known[k].prefix))) return known[k].prefix;
  return NULL;
}

const char *prom_source(const prom_set *s) {
  const char *prefix = known_prefix(s);
  for (size_t k = 0; prefix && k < sizeof known / sizeof known[0]; k++)
    if (!strcmp(prefix, known[k].prefix)) return known[k].source;
  return "prometheus";
}

cJSON *prom_level_json(const prom_set *before, const prom_set *after) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  const char *prefix = known_prefix(after);
  cJSON_AddStringToObject(o, "source", prom_source(after));
  cJSON *deltas = cJSON_AddObjectToObject(o, "deltas");
  cJSON *gauges = cJSON_AddObjectToObject(o, "gauges_after");
  size_t generic = 0;
  for (size_t i = 0; deltas && gauges && i < after->n; i++) {
    const prom_metric *m = &after->m[i];
    if (prefix ? strncmp(m->name, prefix, strlen(prefix)) != 0 : generic++ >= PROM_MAX_GENERIC) continue;
    if (m->kind == PROM_GAUGE) {
      cJSON_AddNumberToObject(gauges, m->name, m->value);
    } else {
      /* A counter that went down was reset (a restarted server): the
       * delta is unknown, not negative. */
      const prom_metric *b = prom_find(before, m->name);
      double d = m->value - (b ? b->value : 0);
      if (d < 0)
        cJSON_AddNullToObject(deltas, m->name);
      else
        cJSON_AddNumberToObject(deltas, m->name, d);
    }
  }
  return o;
}
