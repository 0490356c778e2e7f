/*
 * result_load.c — a saved JSON result read back into a benchy_result that
 * renders as the run's own did. What a reader may rely on (and so what is
 * checked here) is docs/results.md's "Version rules".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "result_kinds.h"
#include "result_upgrade.h"

static void line_and_column(const char *text, const char *at, long *line, long *col) {
  *line = 1;
  *col = 1;
  for (const char *p = text; p < at && *p; p++) {
    if (*p == '\n') {
      (*line)++;
      *col = 1;
    } else {
      (*col)++;
    }
  }
}

static int check_version(const cJSON *doc, const char *field, int known, const char *origin, char *err,
                         size_t errlen) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, field);
  if (!v) return BENCHY_OK; /* record_version: version 1 bench results did not write it */
  if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble != (double)(int)v->valuedouble) {
    benchy_set_error(err, errlen, "%s: \"%s\" is not a version number", origin, field);
    return BENCHY_ERR_INVALID;
  }
  if (v->valueint > known) {
    benchy_set_error(err, errlen,
                     "%s was written by a newer benchy (%s %d; this library %s reads up to %d): "
                     "read it with that version or newer",
                     origin, field, v->valueint, benchy_version_string(), known);
    return BENCHY_ERR_UNSUPPORTED;
  }
  return BENCHY_OK;
}

/* text[len] must be NUL. */
static int parse_named(benchy_result **out, const char *text, size_t len, const char *origin, char *err,
                       size_t errlen) {
  size_t blank = strspn(text, " \t\r\n");
  if (blank >= len) {
    benchy_set_error(err, errlen, "%s is empty, not a benchy result", origin);
    return BENCHY_ERR_MALFORMED;
  }
  const char *end = NULL;
  /* The whole text must be one value: a --jsonl journal would otherwise
   * read as its first line. (cJSON wants the terminator inside the length
   * to check it; text is NUL-terminated.) */
  cJSON *doc = cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
  if (!doc) {
    cJSON *first = cJSON_ParseWithLengthOpts(text, len, NULL, 0);
    int journal = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(first, "type"));
    cJSON_Delete(first);
    if (journal) {
      benchy_set_error(err, errlen,
                       "%s is a --jsonl journal, not a result document; give the file written by "
                       "--save-result or --format json (or run again with --resume --jsonl to "
                       "rebuild the result from the journal)",
                       origin);
      return BENCHY_ERR_INVALID;
    }
    long line, col;
    line_and_column(text, end ? end : text, &line, &col);
    benchy_set_error(err, errlen, "%s is not valid JSON (line %ld, column %ld)", origin, line, col);
    return BENCHY_ERR_MALFORMED;
  }
  const cJSON *version = cJSON_GetObjectItemCaseSensitive(doc, "result_version");
  const cJSON *kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
  if (!cJSON_IsObject(doc) || !version || !cJSON_IsString(kind)) {
    benchy_set_error(err, errlen,
                     "%s is JSON but not a benchy result (it lacks \"result_version\" and \"kind\"); "
                     "give a file written by --save-result or --format json",
                     origin);
    cJSON_Delete(doc);
    return BENCHY_ERR_INVALID;
  }
  int st = check_version(doc, "result_version", BENCHY_RESULT_VERSION, origin, err, errlen);
  if (st == BENCHY_OK) st = check_version(doc, "record_version", BENCHY_RECORD_VERSION, origin, err, errlen);
  const result_kind_info *info = st == BENCHY_OK ? result_kind_lookup(kind->valuestring) : NULL;
  if (st == BENCHY_OK && !info) {
    benchy_set_error(err, errlen, "%s: this library does not know results of kind \"%s\"", origin,
                     kind->valuestring);
    st = BENCHY_ERR_UNSUPPORTED;
  }
  const cJSON *status = cJSON_GetObjectItemCaseSensitive(doc, "status");
  int code = st == BENCHY_OK && cJSON_IsString(status) ? benchy_status_from_name(status->valuestring) : -1;
  if (st == BENCHY_OK && code < 0) {
    benchy_set_error(err, errlen, "%s: \"status\" is missing or not a status name", origin);
    st = BENCHY_ERR_INVALID;
  }
  /* An older file is brought to the current shape here, so every renderer
   * and reader past this point knows one shape. */
  if (st == BENCHY_OK && version->valueint < BENCHY_RESULT_VERSION) {
    st = result_upgrade(doc, version->valueint);
    if (st != BENCHY_OK) benchy_set_error(err, errlen, "out of memory reading %s", origin);
  }
  if (st != BENCHY_OK) {
    cJSON_Delete(doc);
    return st;
  }
  benchy_result *r = result_new(info->kind, doc, info->render_md, info->render_csv);
  if (!r) {
    benchy_set_error(err, errlen, "out of memory reading %s", origin);
    return BENCHY_ERR_NOMEM;
  }
  r->status = code;
  *out = r;
  return BENCHY_OK;
}

int benchy_result_parse(benchy_result **out, const char *json, char *err, size_t errlen) {
  if (out) *out = NULL;
  if (err && errlen) err[0] = 0;
  if (!out || !json) {
    benchy_set_error(err, errlen, "benchy_result_parse: out and json are required");
    return BENCHY_ERR_INVALID;
  }
  return parse_named(out, json, strlen(json), "the text", err, errlen);
}

int benchy_result_load(benchy_result **out, const char *path, char *err, size_t errlen) {
  if (out) *out = NULL;
  if (err && errlen) err[0] = 0;
  if (!out || !path) {
    benchy_set_error(err, errlen, "benchy_result_load: out and path are required");
    return BENCHY_ERR_INVALID;
  }
  FILE *f = fopen(path, "rb");
  if (!f) {
    benchy_set_error(err, errlen, "cannot read %s: %s", path, strerror(errno));
    return errno == ENOENT ? BENCHY_ERR_NOT_FOUND : BENCHY_ERR_IO;
  }
  char *text = NULL;
  size_t len = 0, cap = 0;
  int st = BENCHY_OK;
  for (;;) {
    if (cap - len < 65536) {
      char *grown = realloc(text, cap + 65536 + 1);
      if (!grown) {
        st = BENCHY_ERR_NOMEM;
        break;
      }
      text = grown;
      cap += 65536;
    }
    size_t n = fread(text + len, 1, cap - len, f);
    len += n;
    if (n == 0) break;
  }
  if (st == BENCHY_OK && ferror(f)) st = BENCHY_ERR_IO;
  fclose(f);
  if (st != BENCHY_OK) {
    benchy_set_error(err, errlen, "cannot read %s: %s", path, benchy_status_message(st));
    free(text);
    return st;
  }
  text[len] = 0;
  st = parse_named(out, text, len, path, err, errlen);
  free(text);
  return st;
}
