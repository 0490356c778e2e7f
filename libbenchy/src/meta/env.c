/*
 * env.c — --meta-env PREFIX[,PREFIX...]: only the variables asked for (the
 * environment holds credentials of every kind), and of those, secret-looking
 * names keep only the name (the last redaction pass, redact.c, also removes
 * key-shaped values).
 */
#include "meta.h"

#include "../scrub.h"

#include <stdlib.h>
#include <string.h>

extern char **environ;

static int has_prefix(const char *name, const char *prefixes) {
  for (const char *p = prefixes; *p;) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (n && !strncmp(name, p, n)) return 1;
    p = comma ? comma + 1 : p + n;
  }
  return 0;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void meta_env(cJSON *md, const benchy_options *opts) {
  const char *prefixes = benchy_options_str(opts, "meta-env");
  if (!prefixes) return;
  size_t n = 0;
  while (environ && environ[n]) n++;
  const char **picked = calloc(n + 1, sizeof *picked);
  if (!picked) return;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strchr(environ[i], '=') && has_prefix(environ[i], prefixes)) picked[k++] = environ[i];
  /* Sorted: two runs with the same variables record the same text. */
  qsort(picked, k, sizeof *picked, by_name);
  cJSON *env = cJSON_AddObjectToObject(md, "env");
  for (size_t i = 0; env && i < k; i++) {
    const char *eq = strchr(picked[i], '=');
    char *name = benchy_strndup(picked[i], (size_t)(eq - picked[i]));
    if (!name) break;
    int secret = meta_secret_name(name, strlen(name));
    cJSON_AddStringToObject(env, name, secret ? SCRUB_MARKER : eq + 1);
    free(name);
  }
  free(picked);
}
