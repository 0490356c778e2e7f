/*
 * log_check.c — see log_check.h. The log is read once; every pattern is
 * tried on every line, so a log of any size costs one pass.
 */
#include "log_check.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int log_check_pattern(const char *option, const char *pattern, char *err, size_t errlen) {
  regex_t re;
  int rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
  if (rc == 0) {
    regfree(&re);
    return 0;
  }
  char why[256];
  regerror(rc, &re, why, sizeof why);
  benchy_set_error(err, errlen,
                   "%s '%s': not a POSIX extended regular expression (%s); escape literal "
                   "characters such as ( [ . * with a backslash",
                   option, pattern, why);
  return -1;
}

typedef struct pattern_state {
  regex_t re;
  int compiled;
  size_t matches;
  cJSON *lines;
} pattern_state;

static int compile_all(pattern_state *ps, const char *const *patterns, size_t n,
                       const char *option, char *err, size_t errlen) {
  for (size_t i = 0; i < n; i++) {
    if (log_check_pattern(option, patterns[i], err, errlen) != 0) return -1;
    if (regcomp(&ps[i].re, patterns[i], REG_EXTENDED | REG_NOSUB) != 0) return -1;
    ps[i].compiled = 1;
  }
  return 0;
}

static void free_all(pattern_state *ps, size_t n) {
  for (size_t i = 0; ps && i < n; i++) {
    if (ps[i].compiled) regfree(&ps[i].re);
    cJSON_Delete(ps[i].lines);
  }
  free(ps);
}

int log_check_file(const char *path, const char *const *expect, size_t n_expect,
                   const char *const *reject, size_t n_reject, cJSON **failures, char *err,
                   size_t errlen) {
  *failures = NULL;
  pattern_state *ex = calloc(n_expect + 1, sizeof *ex);
  pattern_state *rj = calloc(n_reject + 1, sizeof *rj);
  FILE *f = NULL;
  char *line = NULL;
  size_t line_cap = 0;
  int rc = -1;
  if (!ex || !rj) {
    benchy_set_error(err, errlen, "out of memory checking the server log");
    goto done;
  }
  if (compile_all(ex, expect, n_expect, "--expect-log", err, errlen) != 0 ||
      compile_all(rj, reject, n_reject, "--reject-log", err, errlen) != 0)
    goto done;
  if (!(f = fopen(path, "r"))) {
    benchy_set_error(err, errlen, "server log %s: %s; its checks could not be made", path,
                     strerror(errno));
    goto done;
  }
  ssize_t len;
  while ((len = getline(&line, &line_cap, f)) >= 0) {
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
    for (size_t i = 0; i < n_expect; i++)
      if (!ex[i].matches && regexec(&ex[i].re, line, 0, NULL, 0) == 0) ex[i].matches = 1;
    for (size_t i = 0; i < n_reject; i++) {
      if (regexec(&rj[i].re, line, 0, NULL, 0) != 0) continue;
      if (rj[i].matches++ >= LOG_CHECK_MAX_LINES) continue;
      if (!rj[i].lines) rj[i].lines = cJSON_CreateArray();
      char quoted[LOG_CHECK_MAX_LINE + 4];
      snprintf(quoted, sizeof quoted, "%.*s%s", LOG_CHECK_MAX_LINE, line,
               (size_t)len > LOG_CHECK_MAX_LINE ? "..." : "");
      cJSON_AddItemToArray(rj[i].lines, cJSON_CreateString(quoted));
    }
  }
  cJSON *out = cJSON_CreateArray();
  if (!out) goto done;
  for (size_t i = 0; i < n_expect; i++) {
    if (ex[i].matches) continue;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "check", "expect");
    cJSON_AddStringToObject(o, "pattern", expect[i]);
    cJSON_AddStringToObject(o, "why", "no line of the server log matched it");
    cJSON_AddItemToArray(out, o);
  }
  for (size_t i = 0; i < n_reject; i++) {
    if (!rj[i].matches) continue;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "check", "reject");
    cJSON_AddStringToObject(o, "pattern", reject[i]);
    cJSON_AddNumberToObject(o, "matches", (double)rj[i].matches);
    cJSON_AddItemToObject(o, "lines", rj[i].lines);
    rj[i].lines = NULL;
    cJSON_AddItemToArray(out, o);
  }
  *failures = out;
  rc = 0;
done:
  if (f) fclose(f);
  free(line);
  free_all(ex, n_expect);
  free_all(rj, n_reject);
  return rc;
}
