/*
 * lifecycle.c — see lifecycle.h. The order is the user's plan written down:
 * check the patterns (a typo must not cost a server start), start the
 * server, wait until its ready URL answers 200 (the workload's own model
 * check follows), run, sample, stop the whole group, check the log, record.
 */
#include "lifecycle.h"

#include <ctype.h>
#include <stdarg.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "benchy/benchy.h"
#include "../report/result_internal.h"
#include "../meta/meta.h"
#include "../scrub.h"
#include "interrupt.h"
#include "log_check.h"
#include "run_progress.h"
#include "server_process.h"

#define TAIL_LINES 8
#define POLL_MS 50

/* A flag is secret-looking when one of its dash- or underscore-separated
 * parts is such a word (--api-key, --hf-token), not when a word merely
 * contains one: --max-num-batched-tokens and --tokenizer are settings worth
 * recording. */
static int secret_flag(const char *flag, size_t len) {
  size_t at = 0;
  while (at < len && flag[at] == '-') at++;
  while (at < len) {
    size_t end = at;
    while (end < len && flag[end] != '-' && flag[end] != '_') end++;
    static const char *const words[] = {"KEY", "TOKEN", "SECRET", "PASSWORD", "AUTH",
                                         "CREDENTIAL", "CREDENTIALS", "APIKEY"};
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
      if (strlen(words[w]) == end - at && !strncasecmp(flag + at, words[w], end - at)) return 1;
    at = end + 1;
  }
  return 0;
}

/* A key-shaped value (sk-..., hf_..., ghp_...): the rule the metadata's
 * redaction uses, so a command and the metadata hide the same words. */
static int secret_looking_value(const char *word) {
  while (*word == '"' || *word == '\'') word++;
  return meta_key_shaped(word, word) > 0;
}

/* The command as recorded: the value after a secret-looking flag
 * (--api-key X, --hf-token=X), NAME=VALUE words with a secret-looking NAME,
 * key-shaped words and every value the options know to be secret become
 * [redacted]. Words are re-joined with single spaces. */
static char *redact_command(const benchy_options *opts, const char *cmd, const scrubber *env) {
  benchy_buf out = {0};
  int hide_next = 0;
  for (const char *p = cmd; *p;) {
    while (isspace((unsigned char)*p)) p++;
    if (!*p) break;
    const char *end = p;
    while (*end && !isspace((unsigned char)*end)) end++;
    size_t len = (size_t)(end - p);
    if (out.len) benchy_buf_append_str(&out, " ");
    const char *eq = memchr(p, '=', len);
    size_t name_len = eq ? (size_t)(eq - p) : len;
    if (hide_next || secret_looking_value(p)) {
      benchy_buf_append_str(&out, SCRUB_MARKER);
      hide_next = 0;
    } else if (eq && (p[0] == '-' ? secret_flag(p, name_len) : scrub_secret_name(p, name_len))) {
      benchy_buf_append(&out, p, name_len + 1);
      benchy_buf_append_str(&out, SCRUB_MARKER);
    } else {
      if (p[0] == '-' && secret_flag(p, name_len)) hide_next = 1;
      benchy_buf_append(&out, p, len);
    }
    p = end;
  }
  if (benchy_buf_terminate(&out) != 0) return NULL;
  size_t cap = out.len + 1 + sizeof SCRUB_MARKER;
  char *text = realloc(out.data, cap);
  if (!text) {
    free(out.data);
    return NULL;
  }
  if (scrub_str(env, text, cap) < 0 || benchy_options_scrub(opts, text, cap) != BENCHY_OK) {
    free(text);
    return NULL;
  }
  return text;
}

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* --server-log, else beside the saved result (its name with .server.log),
 * else benchy-server-DATE-TIME.server.log in the current directory; a
 * default name already taken gets -2, -3, ... rather than replacing it. */
static char *log_path_of(const benchy_options *opts) {
  const char *given = benchy_options_str(opts, "server-log");
  if (given && *given) return benchy_strdup(given);
  const char *dir = benchy_options_str(opts, "result-dir");
  const char *file = benchy_options_str(opts, "result-filename");
  const char *save = benchy_options_str(opts, "save-result");
  char stem[512];
  if (file && *file) {
    snprintf(stem, sizeof stem, "%s/%s", dir && *dir ? dir : ".", file);
  } else if (save && *save) {
    snprintf(stem, sizeof stem, "%s%s%s", dir && *dir && save[0] != '/' ? dir : "",
             dir && *dir && save[0] != '/' ? "/" : "", save);
  } else {
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y%m%d-%H%M%S", &tm);
    snprintf(stem, sizeof stem, "%s/benchy-server-%s", dir && *dir ? dir : ".", when);
  }
  char *dot = strrchr(stem, '.');
  char *slash = strrchr(stem, '/');
  if (dot && (!slash || dot > slash)) *dot = '\0';
  char path[600];
  for (int n = 1; n < 10000; n++) {
    if (n == 1) snprintf(path, sizeof path, "%s.server.log", stem);
    else snprintf(path, sizeof path, "%s.server-%d.log", stem, n);
    if (!exists(path)) return benchy_strdup(path);
  }
  return NULL;
}

/* --ready-url: a path goes on the base URL's root (scheme://host:port). */
static char *ready_url_of(const benchy_options *opts) {
  const char *ready = benchy_options_str(opts, "ready-url");
  if (!ready || !*ready) ready = "/health";
  if (ready[0] != '/') return benchy_strdup(ready);
  const char *base = benchy_options_str(opts, "base-url");
  if (!base) base = "";
  const char *scheme = strstr(base, "://");
  const char *path = scheme ? strchr(scheme + 3, '/') : NULL;
  size_t root = path ? (size_t)(path - base) : strlen(base);
  char *url = malloc(root + strlen(ready) + 1);
  if (!url) return NULL;
  memcpy(url, base, root);
  strcpy(url + root, ready);
  return url;
}

static size_t discard(char *data, size_t size, size_t n, void *ud) {
  (void)data;
  (void)ud;
  return size * n;
}

/* The HTTP status of GET url (0: no answer), waiting at most timeout_ms. */
static long http_status(const char *url, long timeout_ms) {
  CURL *h = curl_easy_init();
  if (!h) return 0;
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  long code = 0;
  if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(h);
  return code;
}

static void pause_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static void say_with_tail(char *err, size_t errlen, const char *log, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void say_with_tail(char *err, size_t errlen, const char *log, const char *fmt, ...) {
  char head[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(head, sizeof head, fmt, ap);
  va_end(ap);
  char tail[1024];
  log_tail(log, TAIL_LINES, tail, errlen > 600 ? 500 : sizeof tail);
  if (tail[0])
    benchy_set_error(err, errlen, "%s; the last lines of its log %s:\n%s", head, log, tail);
  else
    benchy_set_error(err, errlen, "%s; its log %s is empty", head, log);
}

/* Waits for 200 from url; BENCHY_OK, BENCHY_ERR_CANCELLED or an error. */
static int wait_ready(server_process *proc, const char *url, double timeout_s, const char *log,
                      char *err, size_t errlen) {
  int64_t deadline = benchy_now_ns() + (int64_t)(timeout_s * 1e9);
  long last = 0;
  for (;;) {
    if (interrupt_pending()) {
      benchy_set_error(err, errlen, "interrupted while waiting for the server to be ready");
      return BENCHY_ERR_CANCELLED;
    }
    if (server_process_exited(proc)) {
      say_with_tail(err, errlen, log, "the server command %s before it was ready (GET %s)",
                    server_process_exit_text(proc), url);
      return BENCHY_ERR_CONNECT;
    }
    int64_t left_ms = (deadline - benchy_now_ns()) / 1000000;
    if (left_ms <= 0) {
      char got[64] = "no answer";
      if (last) snprintf(got, sizeof got, "last answer HTTP %ld", last);
      say_with_tail(err, errlen, log,
                    "the server was not ready after --ready-timeout %g s (GET %s: %s); raise "
                    "--ready-timeout or fix --ready-url",
                    timeout_s, url, got);
      return BENCHY_ERR_TIMEOUT;
    }
    last = http_status(url, left_ms < 1000 ? left_ms : 1000);
    if (last == 200) return BENCHY_OK;
    pause_ms(POLL_MS);
  }
}

static const char *const *list_of(const benchy_options *opts, const char *name, size_t *n) {
  *n = benchy_options_is_set(opts, name) ? benchy_options_list_len(opts, name) : 0;
  if (!*n) return NULL;
  const char **items = calloc(*n, sizeof *items);
  if (!items) {
    *n = 0;
    return NULL;
  }
  for (size_t i = 0; i < *n; i++) items[i] = benchy_options_list_str(opts, name, i);
  return items;
}

typedef struct lifecycle {
  const benchy_options *opts;
  const char *const *env, *const *expect, *const *reject;
  size_t n_env, n_expect, n_reject;
  char *log, *url;
  scrubber secrets; /* values of secret-looking --server-env names */
  server_process *proc;
  double startup_s;
} lifecycle;

static int check_inputs(lifecycle *lc, char *err, size_t errlen) {
  for (size_t i = 0; i < lc->n_expect; i++)
    if (log_check_pattern("--expect-log", lc->expect[i], err, errlen) != 0) return -1;
  for (size_t i = 0; i < lc->n_reject; i++)
    if (log_check_pattern("--reject-log", lc->reject[i], err, errlen) != 0) return -1;
  for (size_t i = 0; i < lc->n_env; i++) {
    const char *eq = strchr(lc->env[i], '=');
    if (!eq || eq == lc->env[i]) {
      benchy_set_error(err, errlen, "--server-env '%s' is not NAME=VALUE; give e.g. "
                                    "VLLM_ATTENTION_BACKEND=FLASHINFER", lc->env[i]);
      return -1;
    }
    if (scrub_secret_name(lc->env[i], (size_t)(eq - lc->env[i])))
      scrubber_add(&lc->secrets, eq + 1, strlen(eq + 1));
  }
  return 0;
}

static cJSON *env_json(const lifecycle *lc) {
  cJSON *o = cJSON_CreateObject();
  for (size_t i = 0; o && i < lc->n_env; i++) {
    const char *eq = strchr(lc->env[i], '=');
    char *name = benchy_strndup(lc->env[i], (size_t)(eq - lc->env[i]));
    if (!name) continue;
    cJSON_DeleteItemFromObjectCaseSensitive(o, name);
    cJSON_AddStringToObject(o, name,
                            scrub_secret_name(name, strlen(name)) || secret_looking_value(eq + 1)
                                ? SCRUB_MARKER
                                : eq + 1);
    free(name);
  }
  return o;
}

/* metadata.server_process, and metadata.invalid when the log failed. */
static void record(const lifecycle *lc, benchy_result *result, cJSON *failures,
                   const char *check_error) {
  if (!result || !result->doc) return;
  cJSON *meta = cJSON_GetObjectItemCaseSensitive(result->doc, "metadata");
  if (!meta) meta = cJSON_AddObjectToObject(result->doc, "metadata");
  if (!meta) return;
  cJSON *sp = cJSON_CreateObject();
  char *cmd = redact_command(lc->opts, benchy_options_str(lc->opts, "server-cmd"), &lc->secrets);
  cJSON_AddStringToObject(sp, "command", cmd ? cmd : SCRUB_MARKER);
  free(cmd);
  cJSON_AddItemToObject(sp, "env", env_json(lc));
  const char *cwd = benchy_options_str(lc->opts, "server-cwd");
  if (cwd) cJSON_AddStringToObject(sp, "cwd", cwd);
  else cJSON_AddNullToObject(sp, "cwd");
  cJSON_AddNumberToObject(sp, "pid", (double)server_process_pid(lc->proc));
  if (!strchr(lc->url, '@')) cJSON_AddStringToObject(sp, "ready_url", lc->url);
  cJSON_AddNumberToObject(sp, "startup_s", lc->startup_s);
  cJSON_AddNumberToObject(sp, "cpu_s", server_process_cpu_s(lc->proc));
  cJSON_AddNumberToObject(sp, "peak_rss_bytes", (double)server_process_peak_rss(lc->proc));
  cJSON_AddStringToObject(sp, "exit", server_process_exit_text(lc->proc));
  cJSON_AddBoolToObject(sp, "exited_during_run", server_process_died_early(lc->proc));
  cJSON_AddStringToObject(sp, "log", lc->log);
  cJSON *v = cJSON_AddObjectToObject(sp, "validation");
  cJSON *ex = cJSON_AddArrayToObject(v, "expect");
  for (size_t i = 0; i < lc->n_expect; i++) cJSON_AddItemToArray(ex, cJSON_CreateString(lc->expect[i]));
  cJSON *rj = cJSON_AddArrayToObject(v, "reject");
  for (size_t i = 0; i < lc->n_reject; i++) cJSON_AddItemToArray(rj, cJSON_CreateString(lc->reject[i]));
  int failed = check_error || (failures && cJSON_GetArraySize(failures) > 0);
  cJSON_AddBoolToObject(v, "passed", !failed);
  if (check_error) cJSON_AddStringToObject(v, "error", check_error);
  cJSON_AddItemToObject(v, "failures", failures ? cJSON_Duplicate(failures, 1) : cJSON_CreateArray());
  cJSON_DeleteItemFromObjectCaseSensitive(meta, "server_process");
  cJSON_AddItemToObject(meta, "server_process", sp);
  if (!failed) return;
  cJSON *inv = cJSON_CreateObject();
  cJSON_AddStringToObject(inv, "reason", check_error ? check_error
                                                     : "the server log failed its checks "
                                                       "(--expect-log/--reject-log)");
  cJSON_AddStringToObject(inv, "log", lc->log);
  cJSON_AddItemToObject(inv, "failures", failures ? cJSON_Duplicate(failures, 1) : cJSON_CreateArray());
  cJSON_DeleteItemFromObjectCaseSensitive(meta, "invalid");
  cJSON_AddItemToObject(meta, "invalid", inv);
  cJSON_DeleteItemFromObjectCaseSensitive(meta, "valid");
  cJSON_AddFalseToObject(meta, "valid");
}

/* "--expect-log 'x' never matched; --reject-log 'y' matched 3 lines, first: ..." */
static void describe_failures(const cJSON *failures, const char *log, char *err, size_t errlen) {
  benchy_buf b = {0};
  benchy_buf_printf(&b, "the result is INVALID: the server log %s failed its checks:", log);
  for (const cJSON *f = failures ? failures->child : NULL; f; f = f->next) {
    const char *check = cJSON_GetStringValue(cJSON_GetObjectItem(f, "check"));
    const char *pattern = cJSON_GetStringValue(cJSON_GetObjectItem(f, "pattern"));
    if (check && !strcmp(check, "expect")) {
      benchy_buf_printf(&b, "\n  --expect-log '%s' matched no line", pattern);
    } else {
      const cJSON *lines = cJSON_GetObjectItem(f, "lines");
      const char *first = cJSON_GetStringValue(cJSON_GetArrayItem(lines, 0));
      benchy_buf_printf(&b, "\n  --reject-log '%s' matched %g line(s), first: %.200s", pattern,
                        cJSON_GetNumberValue(cJSON_GetObjectItem(f, "matches")), first ? first : "");
    }
  }
  benchy_buf_terminate(&b);
  benchy_set_error(err, errlen, "%s", b.data ? b.data : "the server log failed its checks");
  benchy_buf_free(&b);
}

static int run_with_server(lifecycle *lc, lifecycle_workload_fn workload, benchy_result **out,
                           char *err, size_t errlen) {
  const benchy_options *opts = lc->opts;
  if (check_inputs(lc, err, errlen) != 0) return BENCHY_ERR_INVALID;
  if (!(lc->log = log_path_of(opts)) || !(lc->url = ready_url_of(opts))) {
    benchy_set_error(err, errlen, "out of memory starting the server");
    return BENCHY_ERR_NOMEM;
  }
  const char *cwd = benchy_options_str(opts, "server-cwd");
  server_spec spec = {benchy_options_str(opts, "server-cmd"), lc->env, lc->n_env,
                      cwd && *cwd ? cwd : NULL, lc->log};
  int64_t t0 = benchy_now_ns();
  if (server_process_start(&lc->proc, &spec, err, errlen) != 0) return BENCHY_ERR_IO;
  run_message("server started (pid %d, log %s); waiting for %s", (int)server_process_pid(lc->proc),
              lc->log, lc->url);
  double grace = benchy_options_double(opts, "stop-grace");
  int st = wait_ready(lc->proc, lc->url, benchy_options_double(opts, "ready-timeout"), lc->log,
                      err, errlen);
  if (st != BENCHY_OK) {
    server_process_stop(lc->proc, grace, NULL, 0);
    return st;
  }
  lc->startup_s = (double)(benchy_now_ns() - t0) / 1e9;
  server_process_sample(lc->proc);
  run_message("server ready after %.2f s", lc->startup_s);
  st = workload(opts, out, err, errlen);
  server_process_sample(lc->proc);
  char stop_err[256] = "";
  if (server_process_stop(lc->proc, grace, stop_err, sizeof stop_err) != 0) run_warning("%s", stop_err);
  cJSON *failures = NULL;
  char check_err[512] = "";
  if (log_check_file(lc->log, lc->expect, lc->n_expect, lc->reject, lc->n_reject, &failures,
                     check_err, sizeof check_err) != 0 && !check_err[0])
    snprintf(check_err, sizeof check_err, "the server log could not be checked");
  int failed = check_err[0] || cJSON_GetArraySize(failures) > 0;
  record(lc, *out, failures, check_err[0] ? check_err : NULL);
  if (failed && (st == BENCHY_OK || !err[0])) {
    if (check_err[0]) benchy_set_error(err, errlen, "the result is INVALID: %s", check_err);
    else describe_failures(failures, lc->log, err, errlen);
    if (st == BENCHY_OK) st = BENCHY_ERR_VALIDATION;
  } else if (failed) {
    run_warning("the result is also INVALID: the server log %s failed its checks", lc->log);
  }
  cJSON_Delete(failures);
  return st;
}

int lifecycle_execute(const benchy_options *opts, lifecycle_workload_fn workload,
                      benchy_result **out, char *err, size_t errlen) {
  const char *cmd = benchy_options_is_set(opts, "server-cmd") ? benchy_options_str(opts, "server-cmd") : NULL;
  if (!cmd || !*cmd) return workload(opts, out, err, errlen);
  lifecycle lc = {.opts = opts};
  lc.env = list_of(opts, "server-env", &lc.n_env);
  lc.expect = list_of(opts, "expect-log", &lc.n_expect);
  lc.reject = list_of(opts, "reject-log", &lc.n_reject);
  int st = run_with_server(&lc, workload, out, err, errlen);
  server_process_free(lc.proc);
  scrubber_free(&lc.secrets);
  free((void *)lc.env);
  free((void *)lc.expect);
  free((void *)lc.reject);
  free(lc.log);
  free(lc.url);
  return st;
}
