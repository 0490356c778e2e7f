/* meta.c — gathers every metadata source (meta.h) and redacts the whole. */
#include "meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "benchy/meta.h"

void meta_gpus(cJSON *md, double timeout_s) {
  const char *library = getenv("BENCHY_NVML_LIBRARY");
  if (!library || !*library) library = "libnvidia-ml.so.1";
  char nvml_err[512], smi_err[512];
  cJSON *gpus = meta_gpus_nvml(library, nvml_err, sizeof nvml_err);
  if (!gpus) gpus = meta_gpus_smi(timeout_s, smi_err, sizeof smi_err);
  if (!gpus) {
    char why[1200];
    snprintf(why, sizeof why, "no GPU information: %s; %s", nvml_err, smi_err);
    gpus = cJSON_CreateObject();
    if (gpus) cJSON_AddStringToObject(gpus, "error", why);
  }
  if (gpus) cJSON_AddItemToObject(md, "gpus", gpus);
}

static void add_time(cJSON *md) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  struct tm tm;
  char stamp[64];
  time_t secs = tv.tv_sec;
  if (gmtime_r(&secs, &tm) && strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm)) {
    char full[96];
    snprintf(full, sizeof full, "%s.%03dZ", stamp, (int)(tv.tv_usec / 1000));
    cJSON_AddStringToObject(md, "collected_at", full);
  }
}

/* The --header lines sent: names always, values only for the allow-list. */
static void add_headers(cJSON *md, const benchy_options *opts) {
  size_t n = benchy_options_list_len(opts, "header");
  if (!n) return;
  cJSON *h = cJSON_AddObjectToObject(md, "request_headers");
  for (size_t i = 0; h && i < n; i++) {
    const char *line = benchy_options_list_str(opts, "header", i);
    const char *colon = line ? strchr(line, ':') : NULL;
    if (!colon) continue;
    char *name = benchy_strndup(line, (size_t)(colon - line));
    if (!name) return;
    const char *value = colon + 1;
    while (*value == ' ') value++;
    cJSON_AddStringToObject(h, name, meta_header_value_safe(name, strlen(name)) ? value : "[redacted]");
    free(name);
  }
}

int meta_collect(const benchy_options *opts, benchy_session *server, cJSON *md) {
  if (!opts || !md) return BENCHY_ERR_INVALID;
  /* Built apart and redacted as a whole before joining md, so no secret is
   * ever in the caller's tree, even for a moment. */
  cJSON *m = cJSON_CreateObject();
  if (!m) return BENCHY_ERR_NOMEM;
  double timeout_s = benchy_options_double(opts, "meta-timeout");
  if (timeout_s <= 0) timeout_s = 10;
  meta_build(m);
  cJSON *argv = meta_redact_argv(opts);
  if (argv) cJSON_AddItemToObject(m, "command_line", argv);
  add_time(m);
  add_headers(m, opts);
  meta_host(m);
  meta_gpus(m, timeout_s);
  meta_server(m, server);
  meta_git(m, opts, timeout_s);
  meta_env(m, opts);
  meta_cmd(m, opts, timeout_s);
  int st = meta_redact_tree(m, opts) == 0 ? BENCHY_OK : BENCHY_ERR_NOMEM;
  while (m->child) {
    cJSON *item = cJSON_DetachItemViaPointer(m, m->child);
    cJSON_DeleteItemFromObjectCaseSensitive(md, item->string);
    cJSON_AddItemToObject(md, item->string, item);
  }
  cJSON_Delete(m);
  return st;
}
