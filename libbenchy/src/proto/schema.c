/*
 * schema.c — the JSON Schema subset of schema.h, on cJSON trees.
 *
 * A failure is reported once, at the first value that fails, with the JSON
 * pointer of that value; the walk keeps the pointer in one fixed buffer,
 * appending a segment on the way down and cutting it on the way up.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "benchy/benchy.h"
#include "benchy/schema.h"

typedef struct walk {
  benchy_schema_result *out;
  char path[sizeof ((benchy_schema_result *)0)->path];
  size_t path_len;
  int truncated; /* segments that did not fit: the pointer ends with "..." */
} walk;

const char *benchy_schema_fail_name(int fail) {
  switch (fail) {
  case BENCHY_SCHEMA_OK: return "ok";
  case BENCHY_SCHEMA_MISSING_REQUIRED: return "missing_required";
  case BENCHY_SCHEMA_WRONG_TYPE: return "wrong_type";
  case BENCHY_SCHEMA_BAD_VALUE: return "bad_value";
  case BENCHY_SCHEMA_UNPARSED: return "unparsed";
  default: return "unknown";
  }
}

static int fail(walk *w, int kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(walk *w, int kind, const char *fmt, ...) {
  benchy_schema_result *o = w->out;
  o->fail = kind;
  /* push() leaves room for the "..." that marks a cut pointer. */
  memcpy(o->path, w->path, w->path_len);
  memcpy(o->path + w->path_len, "...", w->truncated ? 4 : 1);
  if (!w->truncated) o->path[w->path_len] = '\0';
  int n = snprintf(o->message, sizeof o->message, "%s: ", o->path[0] ? o->path : "/");
  if (n < 0 || (size_t)n >= sizeof o->message) return kind;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(o->message + n, sizeof o->message - (size_t)n, fmt, ap);
  va_end(ap);
  return kind;
}

#define SKIPPED ((size_t)-1) /* a mark for a segment that did not fit */

/* Appends "/" + the RFC 6901 escaped segment; returns the mark pop() takes. */
static size_t push(walk *w, const char *seg) {
  size_t mark = w->path_len;
  if (w->truncated) {
    w->truncated++;
    return SKIPPED;
  }
  char buf[sizeof w->path];
  size_t n = 0;
  buf[n++] = '/';
  for (const char *p = seg; *p && n + 2 < sizeof buf; p++) {
    if (*p == '~' || *p == '/') {
      buf[n++] = '~';
      buf[n++] = *p == '~' ? '0' : '1';
    } else {
      buf[n++] = *p;
    }
  }
  if (w->path_len + n + 4 > sizeof w->path) { /* keep room for "..." */
    w->truncated = 1;
    return SKIPPED;
  }
  memcpy(w->path + w->path_len, buf, n);
  w->path_len += n;
  w->path[w->path_len] = '\0';
  return mark;
}

static size_t push_index(walk *w, int i) {
  char seg[16];
  snprintf(seg, sizeof seg, "%d", i);
  return push(w, seg);
}

static void pop(walk *w, size_t mark) {
  if (mark == SKIPPED) {
    w->truncated--;
    return;
  }
  w->path_len = mark;
  w->path[mark] = '\0';
}

static int is_integer(const cJSON *v) {
  return cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble == floor(v->valuedouble);
}

static const char *type_of(const cJSON *v) {
  if (cJSON_IsObject(v)) return "object";
  if (cJSON_IsArray(v)) return "array";
  if (cJSON_IsString(v)) return "string";
  if (cJSON_IsNumber(v)) return "number";
  if (cJSON_IsBool(v)) return "boolean";
  if (cJSON_IsNull(v)) return "null";
  return "unknown";
}

/* Whether v has the JSON Schema type named t; unknown names match nothing. */
static int has_type(const cJSON *v, const char *t) {
  if (!strcmp(t, "integer")) return is_integer(v);
  if (!strcmp(t, "number")) return cJSON_IsNumber(v);
  return !strcmp(t, type_of(v));
}

/* A value for a message, cut short: "kelvin", 3, {...}. */
static void brief(const cJSON *v, char *buf, size_t cap) {
  char *text = cJSON_PrintUnformatted(v);
  if (!text) {
    snprintf(buf, cap, "(%s)", type_of(v));
    return;
  }
  if (strlen(text) + 1 > cap && cap > 4)
    snprintf(buf, cap, "%.*s...", (int)(cap - 4), text);
  else
    snprintf(buf, cap, "%s", text);
  cJSON_free(text);
}

static size_t utf8_length(const char *s) {
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if ((*p & 0xC0) != 0x80) n++;
  return n;
}

static const cJSON *kw(const cJSON *schema, const char *name) {
  return cJSON_GetObjectItemCaseSensitive(schema, name);
}

static int check(walk *w, const cJSON *v, const cJSON *schema);

static int check_type(walk *w, const cJSON *v, const cJSON *type) {
  if (cJSON_IsString(type)) {
    if (has_type(v, type->valuestring)) return 0;
    return fail(w, BENCHY_SCHEMA_WRONG_TYPE, "expected %s, got %s", type->valuestring, type_of(v));
  }
  if (!cJSON_IsArray(type) || !type->child) return 0;
  char names[160] = "";
  size_t len = 0;
  const cJSON *t;
  cJSON_ArrayForEach(t, type) {
    if (!cJSON_IsString(t)) continue;
    if (has_type(v, t->valuestring)) return 0;
    int n = snprintf(names + len, sizeof names - len, "%s%s", len ? " or " : "", t->valuestring);
    if (n > 0) len = len + (size_t)n < sizeof names ? len + (size_t)n : sizeof names - 1;
  }
  if (!len) return 0; /* no string in the array: nothing to check */
  return fail(w, BENCHY_SCHEMA_WRONG_TYPE, "expected %s, got %s", names, type_of(v));
}

static int check_enum(walk *w, const cJSON *v, const cJSON *schema) {
  const cJSON *en = kw(schema, "enum");
  if (cJSON_IsArray(en)) {
    const cJSON *e;
    cJSON_ArrayForEach(e, en) if (cJSON_Compare(v, e, 1)) return 0;
    char got[96], allowed[256];
    brief(v, got, sizeof got);
    brief(en, allowed, sizeof allowed);
    return fail(w, BENCHY_SCHEMA_BAD_VALUE, "%s is not one of %s", got, allowed);
  }
  const cJSON *cn = kw(schema, "const");
  if (cn && !cJSON_Compare(v, cn, 1)) {
    char got[96], want[96];
    brief(v, got, sizeof got);
    brief(cn, want, sizeof want);
    return fail(w, BENCHY_SCHEMA_BAD_VALUE, "%s is not the constant %s", got, want);
  }
  return 0;
}

static int check_number(walk *w, const cJSON *v, const cJSON *schema) {
  double x = v->valuedouble;
  const cJSON *b;
  if (cJSON_IsNumber(b = kw(schema, "minimum")) && x < b->valuedouble)
    return fail(w, BENCHY_SCHEMA_BAD_VALUE, "%.17g is less than the minimum %.17g", x, b->valuedouble);
  if (cJSON_IsNumber(b = kw(schema, "maximum")) && x > b->valuedouble)
    return fail(w, BENCHY_SCHEMA_BAD_VALUE, "%.17g is more than the maximum %.17g", x, b->valuedouble);
  if (cJSON_IsNumber(b = kw(schema, "exclusiveMinimum")) && x <= b->valuedouble)
    return fail(w, BENCHY_SCHEMA_BAD_VALUE, "%.17g is not more than the exclusive minimum %.17g", x,
                b->valuedouble);
  if (cJSON_IsNumber(b = kw(schema, "exclusiveMaximum")) && x >= b->valuedouble)
    return fail(w, BENCHY_SCHEMA_BAD_VALUE, "%.17g is not less than the exclusive maximum %.17g", x,
                b->valuedouble);
  return 0;
}

static int check_string(walk *w, const cJSON *v, const cJSON *schema) {
  size_t n = utf8_length(v->valuestring);
  const cJSON *b;
  if (cJSON_IsNumber(b = kw(schema, "minLength")) && (double)n < b->valuedouble)
    return fail(w, BENCHY_SCHEMA_BAD_VALUE, "string of %zu characters is shorter than minLength %.0f", n,
                b->valuedouble);
  if (cJSON_IsNumber(b = kw(schema, "maxLength")) && (double)n > b->valuedouble)
    return fail(w, BENCHY_SCHEMA_BAD_VALUE, "string of %zu characters is longer than maxLength %.0f", n,
                b->valuedouble);
  return 0;
}

static int check_array(walk *w, const cJSON *v, const cJSON *schema) {
  int n = cJSON_GetArraySize(v);
  const cJSON *b;
  if (cJSON_IsNumber(b = kw(schema, "minItems")) && (double)n < b->valuedouble)
    return fail(w, BENCHY_SCHEMA_BAD_VALUE, "array of %d items has fewer than minItems %.0f", n,
                b->valuedouble);
  if (cJSON_IsNumber(b = kw(schema, "maxItems")) && (double)n > b->valuedouble)
    return fail(w, BENCHY_SCHEMA_BAD_VALUE, "array of %d items has more than maxItems %.0f", n,
                b->valuedouble);
  const cJSON *items = kw(schema, "items");
  if (!items) return 0;
  int i = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, v) {
    /* An array of schemas checks by position; elements past it are free. */
    const cJSON *s = cJSON_IsArray(items) ? cJSON_GetArrayItem(items, i) : items;
    if (s) {
      size_t mark = push_index(w, i);
      int rc = check(w, e, s);
      pop(w, mark);
      if (rc) return rc;
    }
    i++;
  }
  return 0;
}

static int check_object(walk *w, const cJSON *v, const cJSON *schema) {
  const cJSON *req = kw(schema, "required"), *r;
  if (cJSON_IsArray(req)) {
    cJSON_ArrayForEach(r, req) {
      if (!cJSON_IsString(r) || cJSON_GetObjectItemCaseSensitive(v, r->valuestring)) continue;
      size_t mark = push(w, r->valuestring);
      int rc = fail(w, BENCHY_SCHEMA_MISSING_REQUIRED, "required property \"%s\" is missing", r->valuestring);
      pop(w, mark);
      return rc;
    }
  }
  const cJSON *props = kw(schema, "properties");
  const cJSON *extra = kw(schema, "additionalProperties");
  const cJSON *m;
  cJSON_ArrayForEach(m, v) {
    const cJSON *s = cJSON_IsObject(props) ? cJSON_GetObjectItemCaseSensitive(props, m->string) : NULL;
    size_t mark = push(w, m->string);
    int rc = 0;
    if (s)
      rc = check(w, m, s);
    else if (cJSON_IsFalse(extra))
      rc = fail(w, BENCHY_SCHEMA_BAD_VALUE, "property \"%s\" is not allowed (additionalProperties is false)",
                m->string);
    else if (cJSON_IsObject(extra))
      rc = check(w, m, extra);
    pop(w, mark);
    if (rc) return rc;
  }
  return 0;
}

static int check(walk *w, const cJSON *v, const cJSON *schema) {
  if (cJSON_IsBool(schema)) {
    if (cJSON_IsTrue(schema)) return 0;
    return fail(w, BENCHY_SCHEMA_BAD_VALUE, "no value is allowed here (the schema is false)");
  }
  if (!cJSON_IsObject(schema)) return 0; /* not a schema: constrains nothing */
  int rc = check_type(w, v, kw(schema, "type"));
  if (!rc) rc = check_enum(w, v, schema);
  if (rc) return rc;
  if (cJSON_IsNumber(v)) return check_number(w, v, schema);
  if (cJSON_IsString(v)) return check_string(w, v, schema);
  if (cJSON_IsArray(v)) return check_array(w, v, schema);
  if (cJSON_IsObject(v)) return check_object(w, v, schema);
  return 0;
}

/* A caller built against an older, smaller struct gets its prefix. */
static int deliver(benchy_schema_result *out, const benchy_schema_result *full, int rc) {
  uint32_t size = out->struct_size && out->struct_size < sizeof *full ? out->struct_size : (uint32_t)sizeof *full;
  memcpy(out, full, size);
  out->struct_size = size;
  return rc;
}

static int validate_tree(const cJSON *value, const cJSON *schema, benchy_schema_result *out) {
  memset(out, 0, sizeof *out);
  out->struct_size = sizeof *out;
  if (!value || !schema) {
    snprintf(out->message, sizeof out->message, "benchy_schema_validate_cjson: value and schema are required");
    return BENCHY_ERR_INVALID;
  }
  walk w = {.out = out};
  check(&w, value, schema);
  return BENCHY_OK;
}

int benchy_schema_validate_cjson(const cJSON *value, const cJSON *schema, benchy_schema_result *out) {
  if (!out) return BENCHY_ERR_INVALID;
  benchy_schema_result full;
  int rc = validate_tree(value, schema, &full);
  return deliver(out, &full, rc);
}

static int validate_text(const char *value_json, const char *schema_json, benchy_schema_result *out) {
  memset(out, 0, sizeof *out);
  out->struct_size = sizeof *out;
  if (!value_json || !schema_json) {
    snprintf(out->message, sizeof out->message, "benchy_schema_validate: value and schema text are required");
    return BENCHY_ERR_INVALID;
  }
  cJSON *schema = cJSON_ParseWithOpts(schema_json, NULL, 1);
  if (!schema) {
    snprintf(out->message, sizeof out->message,
             "the schema is not JSON (or memory ran out); pass the tool's \"parameters\" object as text");
    return BENCHY_ERR_INVALID;
  }
  cJSON *value = cJSON_ParseWithOpts(value_json, NULL, 1);
  int rc = BENCHY_OK;
  if (!value) {
    out->fail = BENCHY_SCHEMA_UNPARSED;
    snprintf(out->message, sizeof out->message, "/: the value is not JSON text");
  } else {
    rc = validate_tree(value, schema, out);
  }
  cJSON_Delete(value);
  cJSON_Delete(schema);
  return rc;
}

int benchy_schema_validate(const char *value_json, const char *schema_json, benchy_schema_result *out) {
  if (!out) return BENCHY_ERR_INVALID;
  benchy_schema_result full;
  int rc = validate_text(value_json, schema_json, &full);
  return deliver(out, &full, rc);
}
