/* target.c — the server a run measures (target.h). */
#include "target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/base_url.h"
#include "../proto/openai.h"
#include "../secrets.h"
#include "interrupt.h"
#include "server_check.h"
#include "startup.h"

/* --api-key, else the --api-key-env variable: the one rule (secrets.c) that
 * the scrubber also follows, so the key sent is the key kept out of text. */
const char *target_api_key(const benchy_options *opts) { return options_api_key(opts); }

char *target_redact_url(const char *url) {
  const char *scheme = strstr(url, "://");
  const char *host = scheme ? scheme + 3 : url;
  const char *slash = strchr(host, '/');
  const char *at = strchr(host, '@');
  if (!at || (slash && at > slash)) return benchy_strdup(url);
  benchy_buf b = {0};
  benchy_buf_append(&b, url, (size_t)(host - url));
  benchy_buf_append_str(&b, at + 1);
  if (benchy_buf_terminate(&b) != 0) {
    benchy_buf_free(&b);
    return NULL;
  }
  return b.data;
}

int target_init(target *t, const benchy_options *opts, char *err, size_t errlen) {
  memset(t, 0, sizeof *t);
  t->watch = -1;
  const char *url = benchy_options_str(opts, "base-url");
  char problem[512];
  if (!base_url_check(url, problem, sizeof problem)) {
    benchy_set_error(err, errlen, "--base-url: %s", problem);
    return BENCHY_ERR_INVALID;
  }
  size_t len = strlen(url);
  while (len > 1 && url[len - 1] == '/') len--; /* "…/v1/" works too */
  if (!(t->base_url = benchy_strndup(url, len)) || !(t->shown_url = target_redact_url(t->base_url)))
    return BENCHY_ERR_NOMEM;
  const char *key = target_api_key(opts);
  if (key && !(t->api_key = benchy_strdup(key))) return BENCHY_ERR_NOMEM;
  t->n_headers = benchy_options_list_len(opts, "header");
  if (t->n_headers && !(t->headers = calloc(t->n_headers, sizeof *t->headers))) return BENCHY_ERR_NOMEM;
  for (size_t i = 0; i < t->n_headers; i++) {
    t->headers[i] = benchy_options_list_str(opts, "header", i);
    const char *colon = t->headers[i] ? strchr(t->headers[i], ':') : NULL;
    /* The value is not echoed: it may be a credential. */
    if (!colon || colon == t->headers[i] || strpbrk(t->headers[i], "\r\n")) {
      benchy_set_error(err, errlen, "--header number %zu is not of the form 'Name: value' on one line "
                       "(got a header of %zu bytes)", i + 1, t->headers[i] ? strlen(t->headers[i]) : 0);
      return BENCHY_ERR_INVALID;
    }
  }
  t->probe_timeout_ms = startup_probe_timeout_ms(opts);
  return BENCHY_OK;
}

int target_connect(target *t, char *err, size_t errlen) {
  int st = benchy_loop_new(&t->loop);
  if (st != BENCHY_OK) return st;
  t->watch = interrupt_watch(t->loop);
  char url_problem[512];
  if (benchy_session_new_err(&t->sess, t->loop, t->base_url, url_problem, sizeof url_problem) != BENCHY_OK) {
    benchy_set_error(err, errlen, "--base-url: %s", url_problem);
    return BENCHY_ERR_INVALID;
  }
  if (t->api_key && (st = benchy_session_set_api_key(t->sess, t->api_key)) != BENCHY_OK) return st;
  for (size_t i = 0; i < t->n_headers; i++) {
    if ((st = benchy_session_add_header(t->sess, t->headers[i])) != BENCHY_OK) {
      benchy_set_error(err, errlen, "--header: %s", benchy_session_error(t->sess));
      return st;
    }
  }
  /* The probe session only ever fetches probes; measured requests run on
   * the runner's sessions, with --timeout. */
  benchy_session_set_timeout_ms(t->sess, t->probe_timeout_ms);
  return BENCHY_OK;
}

int target_check_model(target *t, const benchy_options *opts, char **model, cJSON *server, char *err,
                       size_t errlen) {
  int st = server_check_model(t->sess, t->shown_url, model, server, err, errlen);
  startup_explain_timeout(err, errlen, st, opts);
  return st;
}

/* GET path as JSON: *doc is NULL when the body is not JSON; msg says why a
 * fetch failed. */
static int fetch_json(target *t, const char *path, int *http, cJSON **doc, char *msg, size_t msglen) {
  char *body = NULL;
  *doc = NULL;
  int st = benchy_session_fetch(t->sess, "GET", path, NULL, http, &body);
  if (st == BENCHY_OK) {
    *doc = cJSON_Parse(body ? body : "");
  } else if (*http >= 400) {
    oai_error_message(body, msg, msglen);
  } else {
    snprintf(msg, msglen, "%s", benchy_session_error(t->sess));
  }
  free(body);
  return st;
}

int target_read_context(target *t, const benchy_options *opts, cJSON *server, request_body *rb,
                        int64_t *n_ctx, const char **source, char *err, size_t errlen) {
  *n_ctx = -1;
  *source = NULL;
  int http = 0;
  cJSON *doc = NULL;
  char msg[256];
  int st = fetch_json(t, "/props", &http, &doc, msg, sizeof msg);
  if (st == BENCHY_ERR_CANCELLED) return st;
  if (st == BENCHY_ERR_TIMEOUT) {
    /* Optional as /props is (vLLM has none), a server that holds it open
     * would hold every later probe too. */
    benchy_set_error(err, errlen, "the server did not answer its /props (%s)", msg);
    startup_explain_timeout(err, errlen, st, opts);
    return st;
  }
  if (st == BENCHY_OK && doc) {
    const cJSON *dgs = cJSON_GetObjectItemCaseSensitive(doc, "default_generation_settings");
    const cJSON *nc = cJSON_IsObject(dgs) ? cJSON_GetObjectItemCaseSensitive(dgs, "n_ctx") : NULL;
    if (!cJSON_IsNumber(nc)) nc = cJSON_GetObjectItemCaseSensitive(doc, "n_ctx");
    if (cJSON_IsNumber(nc) && nc->valuedouble > 0) {
      *n_ctx = (int64_t)nc->valuedouble;
      *source = "/props n_ctx (context per slot)";
    }
    const cJSON *slots = cJSON_GetObjectItemCaseSensitive(doc, "total_slots");
    if (cJSON_IsNumber(slots)) cJSON_AddNumberToObject(server, "total_slots", slots->valuedouble);
    const cJSON *build = cJSON_GetObjectItemCaseSensitive(doc, "build_info");
    if (cJSON_IsString(build)) cJSON_AddStringToObject(server, "build_info", build->valuestring);
    if (rb) request_body_note_server_defaults(rb, doc);
  }
  cJSON_Delete(doc);
  const cJSON *mml = cJSON_GetObjectItemCaseSensitive(server, "max_model_len");
  if (*n_ctx < 0 && cJSON_IsNumber(mml)) {
    *n_ctx = (int64_t)mml->valuedouble;
    *source = "/v1/models max_model_len";
  }
  return BENCHY_OK;
}

void target_unwatch(target *t) {
  interrupt_unwatch(t->watch);
  t->watch = -1;
}

void target_free(target *t) {
  target_unwatch(t);
  benchy_session_free(t->sess);
  benchy_loop_free(t->loop);
  if (t->api_key) {
    memset(t->api_key, 0, strlen(t->api_key));
    free(t->api_key);
  }
  free(t->base_url);
  free(t->shown_url);
  free(t->headers);
  memset(t, 0, sizeof *t);
  t->watch = -1;
}
