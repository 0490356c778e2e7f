/*
 * tool_args.c — the arguments of a simulated tool call: a value that
 * follows the tool's declared parameters schema (the subset schema.h
 * understands), drawn from a seeded generator, or on --fault-bad-tool-args
 * one that is wrong in a known way.
 *
 * Built once per request as a cJSON tree and printed; the chunk writer then
 * cuts the text into the call's argument fragments.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "sim/sim_internal.h"
#include "sim/tokenizer.h"

#define MAX_DEPTH 16

typedef struct gen {
  uint64_t rng;
  int64_t words; /* the first free string takes these words; later ones 1-3 */
  int oom;
} gen;

static const cJSON *kw(const cJSON *schema, const char *name) {
  return cJSON_IsObject(schema) ? cJSON_GetObjectItemCaseSensitive(schema, name) : NULL;
}

/* v when its members can be walked, else NULL (a keyword of the wrong shape). */
static const cJSON *members(const cJSON *v) { return cJSON_IsArray(v) || cJSON_IsObject(v) ? v : NULL; }

static uint64_t draw(gen *g, uint64_t n) { return n ? benchy_rand_next(&g->rng) % n : 0; }

/* The type to generate: the declared one (any of a type array, drawn),
 * else what the other keywords imply. */
static const char *type_to_make(gen *g, const cJSON *schema) {
  const cJSON *t = kw(schema, "type");
  if (cJSON_IsString(t)) return t->valuestring;
  if (cJSON_IsArray(t)) {
    const char *names[8];
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, t) {
      if (cJSON_IsString(e) && n < 8) names[n++] = e->valuestring;
    }
    if (n) return names[draw(g, (uint64_t)n)];
  }
  if (kw(schema, "properties") || kw(schema, "required")) return "object";
  if (kw(schema, "items")) return "array";
  return "string";
}

static cJSON *make_string(gen *g, const cJSON *schema) {
  int64_t n = g->words > 0 ? g->words : 1 + (int64_t)draw(g, 3);
  g->words = 0;
  const cJSON *lo = kw(schema, "minLength"), *hi = kw(schema, "maxLength");
  double max_len = cJSON_IsNumber(hi) && hi->valuedouble >= 0 ? hi->valuedouble : 1e9;
  double min_len = cJSON_IsNumber(lo) && lo->valuedouble > 0 ? lo->valuedouble : 0;
  benchy_buf b = {0};
  int rc = 0;
  for (int64_t i = 0; i < n && (double)b.len < max_len; i++) {
    const sim_word *w = &sim_words[draw(g, SIM_WORD_COUNT)];
    if (i) rc |= benchy_buf_append_str(&b, " ");
    rc |= benchy_buf_append(&b, w->text, w->len);
  }
  /* The words are ASCII, so bytes are code points here. */
  while (!rc && (double)b.len < min_len && (double)b.len < max_len) rc |= benchy_buf_append_str(&b, "x");
  if (!rc && (double)b.len > max_len) b.len = (size_t)max_len;
  rc |= benchy_buf_terminate(&b);
  cJSON *v = rc ? NULL : cJSON_CreateString(b.data ? b.data : "");
  benchy_buf_free(&b);
  return v;
}

/* [lo, hi] from minimum/maximum and their exclusive forms; integral when asked. */
static void bounds(const cJSON *schema, int integral, double *lo, double *hi) {
  const cJSON *b;
  double step = integral ? 1 : 1e-3;
  int has_lo = 0, has_hi = 0;
  *lo = 0;
  *hi = 100;
  if (cJSON_IsNumber(b = kw(schema, "minimum"))) *lo = b->valuedouble, has_lo = 1;
  if (cJSON_IsNumber(b = kw(schema, "exclusiveMinimum"))) *lo = b->valuedouble + step, has_lo = 1;
  if (cJSON_IsNumber(b = kw(schema, "maximum"))) *hi = b->valuedouble, has_hi = 1;
  if (cJSON_IsNumber(b = kw(schema, "exclusiveMaximum"))) *hi = b->valuedouble - step, has_hi = 1;
  if (has_hi && !has_lo) *lo = *hi - 100;
  else if (has_lo && !has_hi) *hi = *lo + 100;
  if (integral) {
    *lo = ceil(*lo);
    *hi = floor(*hi);
  }
  if (*hi < *lo) *hi = *lo;
}

static cJSON *make(gen *g, const cJSON *schema, int depth);

static cJSON *make_object(gen *g, const cJSON *schema, int depth) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  const cJSON *props = kw(schema, "properties"), *req = kw(schema, "required"), *p;
  /* Every declared property, optional ones too: a client can count on
   * seeing each, and dropping one is what the missing-field fault is for. */
  cJSON_ArrayForEach(p, members(props)) {
    cJSON *v = make(g, p, depth + 1);
    if (!v || !cJSON_AddItemToObject(o, p->string, v)) goto oom;
  }
  /* A required name without a declared schema still has to be there. */
  cJSON_ArrayForEach(p, members(req)) {
    if (!cJSON_IsString(p) || cJSON_GetObjectItemCaseSensitive(o, p->valuestring)) continue;
    cJSON *v = make_string(g, NULL);
    if (!v || !cJSON_AddItemToObject(o, p->valuestring, v)) goto oom;
  }
  return o;
oom:
  cJSON_Delete(o);
  return NULL;
}

static cJSON *make_array(gen *g, const cJSON *schema, int depth) {
  const cJSON *lo = kw(schema, "minItems"), *hi = kw(schema, "maxItems"), *items = kw(schema, "items");
  int64_t min_n = cJSON_IsNumber(lo) && lo->valuedouble > 0 ? (int64_t)lo->valuedouble : 1;
  int64_t max_n = cJSON_IsNumber(hi) && hi->valuedouble >= 0 ? (int64_t)hi->valuedouble : min_n + 1;
  if (min_n > 64) min_n = 64;
  if (max_n > min_n + 2) max_n = min_n + 2;
  int64_t n = max_n <= min_n ? max_n : min_n + (int64_t)draw(g, (uint64_t)(max_n - min_n + 1));
  cJSON *a = cJSON_CreateArray();
  for (int64_t i = 0; a && i < n; i++) {
    const cJSON *s = cJSON_IsArray(items) ? cJSON_GetArrayItem(items, (int)i) : items;
    cJSON *v = make(g, s, depth + 1);
    if (!v || !cJSON_AddItemToArray(a, v)) {
      cJSON_Delete(a);
      return NULL;
    }
  }
  return a;
}

static cJSON *make(gen *g, const cJSON *schema, int depth) {
  const cJSON *en = kw(schema, "enum"), *cn = kw(schema, "const");
  if (cJSON_IsArray(en) && cJSON_GetArraySize(en) > 0)
    return cJSON_Duplicate(cJSON_GetArrayItem(en, (int)draw(g, (uint64_t)cJSON_GetArraySize(en))), 1);
  if (cn) return cJSON_Duplicate(cn, 1);
  if (depth > MAX_DEPTH) return cJSON_CreateNull();
  const char *t = type_to_make(g, schema);
  if (!strcmp(t, "object")) return make_object(g, schema, depth);
  if (!strcmp(t, "array")) return make_array(g, schema, depth);
  if (!strcmp(t, "integer") || !strcmp(t, "number")) {
    int integral = !strcmp(t, "integer");
    double lo, hi;
    bounds(schema, integral, &lo, &hi);
    double u = benchy_rand_unit(&g->rng);
    double v = integral ? lo + floor(u * (hi - lo + 1)) : round((lo + u * (hi - lo)) * 100) / 100;
    if (v > hi) v = hi;
    if (v < lo) v = lo;
    return cJSON_CreateNumber(v);
  }
  if (!strcmp(t, "boolean")) return cJSON_CreateBool(draw(g, 2));
  if (!strcmp(t, "null")) return cJSON_CreateNull();
  return make_string(g, schema);
}

/* A value whose JSON type the schema's "type" does not allow; NULL when
 * every type is allowed. */
static cJSON *wrong_type_for(const cJSON *schema) {
  const cJSON *t = kw(schema, "type");
  if (!t) return NULL;
  int allows_string = 0, allows_number = 0;
  const cJSON *e;
  if (cJSON_IsString(t)) {
    allows_string = !strcmp(t->valuestring, "string");
    allows_number = !strcmp(t->valuestring, "number") || !strcmp(t->valuestring, "integer");
  } else {
    cJSON_ArrayForEach(e, t) {
      if (!cJSON_IsString(e)) continue;
      if (!strcmp(e->valuestring, "string")) allows_string = 1;
      if (!strcmp(e->valuestring, "number") || !strcmp(e->valuestring, "integer")) allows_number = 1;
    }
  }
  if (!allows_string) return cJSON_CreateString("wrong type");
  if (!allows_number) return cJSON_CreateNumber(12345);
  return cJSON_CreateObject(); /* string and number allowed: an object is not, unless listed too */
}

/* Makes one property of the root object the wrong type: the first required
 * one with a declared type, else the first declared one. 0 when none has a
 * type to contradict. */
static int spoil_type(cJSON *root, const cJSON *params) {
  const cJSON *props = kw(params, "properties"), *req = kw(params, "required"), *r;
  const char *name = NULL;
  cJSON_ArrayForEach(r, members(req)) {
    if (cJSON_IsString(r) && kw(cJSON_GetObjectItemCaseSensitive(props, r->valuestring), "type")) {
      name = r->valuestring;
      break;
    }
  }
  cJSON_ArrayForEach(r, members(props)) {
    if (!name && kw(r, "type")) {
      name = r->string;
      break;
    }
  }
  if (!name) return 0;
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(props, name);
  cJSON *bad = wrong_type_for(s);
  if (!bad) return -1;
  /* An object is not wrong for a schema that lists "object" too. */
  const cJSON *e;
  cJSON_ArrayForEach(e, members(kw(s, "type"))) {
    if (cJSON_IsObject(bad) && cJSON_IsString(e) && !strcmp(e->valuestring, "object")) {
      cJSON_Delete(bad);
      bad = cJSON_CreateBool(1);
    }
  }
  cJSON_DeleteItemFromObjectCaseSensitive(root, name);
  if (!cJSON_AddItemToObject(root, name, bad)) {
    cJSON_Delete(bad);
    return -1;
  }
  return 1;
}

/* Drops the root's first required property. 0 when nothing is required. */
static int spoil_required(cJSON *root, const cJSON *params) {
  const cJSON *r;
  cJSON_ArrayForEach(r, members(kw(params, "required"))) {
    if (!cJSON_IsString(r)) continue;
    cJSON_DeleteItemFromObjectCaseSensitive(root, r->valuestring);
    return 1;
  }
  return 0;
}

int sim_tool_args(const cJSON *params, uint64_t seed, int64_t words, int bad, benchy_buf *out, int *made) {
  gen g = {seed, words, 0};
  /* Tools declare an object of parameters; one without any takes {}. */
  static const char object_schema[] = "{\"type\":\"object\"}";
  cJSON *fallback = NULL;
  if (!cJSON_IsObject(params)) params = fallback = cJSON_Parse(object_schema);
  cJSON *root = params ? make(&g, params, 0) : NULL;
  int kind = bad, rc = root ? 0 : -1;
  if (!rc && cJSON_IsObject(root)) {
    if (kind == SIM_BAD_ARGS_WRONG_TYPE && (rc = spoil_type(root, params)) == 0) kind = SIM_BAD_ARGS_INVALID_JSON;
    if (kind == SIM_BAD_ARGS_MISSING && (rc = spoil_required(root, params)) == 0) kind = SIM_BAD_ARGS_INVALID_JSON;
    rc = rc < 0 ? -1 : 0;
  } else if (!rc && kind != SIM_BAD_ARGS_NONE) {
    kind = SIM_BAD_ARGS_INVALID_JSON;
  }
  char *text = rc ? NULL : cJSON_PrintUnformatted(root);
  if (!text) rc = -1;
  if (!rc) {
    size_t len = strlen(text);
    /* Cut off before its end, as a model stopped mid-object; a scalar
     * would still parse when cut, so it gets a stray brace instead. */
    int cut = kind == SIM_BAD_ARGS_INVALID_JSON && len > 1 && strchr("}]\"", text[len - 1]);
    if (cut) len--;
    rc = benchy_buf_append(out, text, len);
    if (!rc && kind == SIM_BAD_ARGS_INVALID_JSON && !cut) rc = benchy_buf_append_str(out, "}");
    rc |= benchy_buf_terminate(out);
  }
  cJSON_free(text);
  cJSON_Delete(root);
  cJSON_Delete(fallback);
  if (made) *made = kind;
  return rc ? -1 : 0;
}
