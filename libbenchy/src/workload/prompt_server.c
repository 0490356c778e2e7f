/*
 * prompt_server.c — the calls that count a prompt's tokens on the server
 * (prompt_server.h): llama-server's /apply-template and /tokenize, vLLM's
 * /tokenize, and max_tokens-1 probe generations read for their usage.
 * Blocking fetches on the counter's session; nothing here knows the
 * generator that sizes prompts with them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prompt_server.h"
#include "../proto/openai.h"

/* POSTs body to path; on HTTP 200 *doc is the parsed answer. Returns the
 * fetch status (HTTP errors included); err says what failed. */
static int post_json(prompt_counter *c, const char *path, cJSON *body, cJSON **doc, int *http,
                     char *err, size_t errlen) {
  *doc = NULL;
  *http = 0;
  char *text = cJSON_PrintUnformatted(body);
  if (!text) return BENCHY_ERR_NOMEM;
  char *answer = NULL;
  c->fetches++;
  int st = benchy_session_fetch(c->session, "POST", path, text, http, &answer);
  cJSON_free(text);
  if (st == BENCHY_OK) {
    *doc = cJSON_Parse(answer ? answer : "");
    if (!*doc) {
      benchy_set_error(err, errlen, "POST %s: the answer is not JSON", path);
      st = BENCHY_ERR_MALFORMED;
    }
  } else if (*http >= 400) {
    char msg[256];
    oai_error_message(answer, msg, sizeof msg);
    benchy_set_error(err, errlen, "POST %s: HTTP %d: %s", path, *http, msg);
  } else {
    benchy_set_error(err, errlen, "%s", benchy_session_error(c->session));
  }
  free(answer);
  return st;
}

cJSON *prompt_messages_json(const char *system, const char *user) {
  cJSON *msgs = cJSON_CreateArray();
  if (!msgs) return NULL;
  if (system) {
    cJSON *m = cJSON_CreateObject();
    cJSON_AddItemToArray(msgs, m);
    if (!m || !cJSON_AddStringToObject(m, "role", "system") ||
        !cJSON_AddStringToObject(m, "content", system))
      goto oom;
  }
  cJSON *m = cJSON_CreateObject();
  cJSON_AddItemToArray(msgs, m);
  if (!m || !cJSON_AddStringToObject(m, "role", "user") || !cJSON_AddStringToObject(m, "content", user))
    goto oom;
  return msgs;
oom:
  cJSON_Delete(msgs);
  return NULL;
}

/* llama-server: tokens of text (rendered prompt or plain). */
int prompt_llama_tokenize(prompt_counter *c, const char *text, size_t len, int add_special, int64_t *count,
                          char *err, size_t errlen) {
  char *copy = benchy_strndup(text, len);
  cJSON *body = cJSON_CreateObject();
  if (!copy || !body || !cJSON_AddStringToObject(body, "content", copy) ||
      !cJSON_AddBoolToObject(body, "add_special", add_special) ||
      !cJSON_AddBoolToObject(body, "parse_special", 1)) {
    free(copy);
    cJSON_Delete(body);
    return BENCHY_ERR_NOMEM;
  }
  free(copy);
  cJSON *doc;
  int http;
  int st = post_json(c, "/tokenize", body, &doc, &http, err, errlen);
  cJSON_Delete(body);
  if (st != BENCHY_OK) return st;
  const cJSON *toks = cJSON_GetObjectItemCaseSensitive(doc, "tokens");
  if (!cJSON_IsArray(toks)) {
    cJSON_Delete(doc);
    benchy_set_error(err, errlen, "POST /tokenize: no \"tokens\" array in the answer");
    return BENCHY_ERR_MALFORMED;
  }
  *count = cJSON_GetArraySize(toks);
  cJSON_Delete(doc);
  return BENCHY_OK;
}

/* llama-server: the chat template applied to the messages. */
int prompt_llama_render(prompt_counter *c, const char *system, const char *user, char **rendered,
                        char *err, size_t errlen) {
  *rendered = NULL;
  cJSON *body = cJSON_CreateObject();
  cJSON *msgs = prompt_messages_json(system, user);
  if (!body || !msgs) {
    cJSON_Delete(body);
    cJSON_Delete(msgs);
    return BENCHY_ERR_NOMEM;
  }
  cJSON_AddItemToObject(body, "messages", msgs);
  cJSON *doc;
  int http;
  int st = post_json(c, "/apply-template", body, &doc, &http, err, errlen);
  cJSON_Delete(body);
  if (st != BENCHY_OK) return st;
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "prompt");
  if (!cJSON_IsString(p)) {
    cJSON_Delete(doc);
    benchy_set_error(err, errlen, "POST /apply-template: no \"prompt\" in the answer");
    return BENCHY_ERR_MALFORMED;
  }
  *rendered = benchy_strdup(p->valuestring);
  cJSON_Delete(doc);
  return *rendered ? BENCHY_OK : BENCHY_ERR_NOMEM;
}

/* vLLM: /tokenize with messages (chat) or a prompt; "count" or the length
 * of "tokens". */
int prompt_vllm_tokenize(prompt_counter *c, const char *system, const char *user, int chat,
                         int add_special, int64_t *count, char *err, size_t errlen) {
  cJSON *body = cJSON_CreateObject();
  if (!body || (c->model && !cJSON_AddStringToObject(body, "model", c->model))) {
    cJSON_Delete(body);
    return BENCHY_ERR_NOMEM;
  }
  if (chat) {
    cJSON *msgs = prompt_messages_json(system, user);
    if (!msgs || !cJSON_AddBoolToObject(body, "add_generation_prompt", 1)) {
      cJSON_Delete(msgs);
      cJSON_Delete(body);
      return BENCHY_ERR_NOMEM;
    }
    cJSON_AddItemToObject(body, "messages", msgs);
  } else if (!cJSON_AddStringToObject(body, "prompt", user) ||
             !cJSON_AddBoolToObject(body, "add_special_tokens", add_special)) {
    cJSON_Delete(body);
    return BENCHY_ERR_NOMEM;
  }
  cJSON *doc;
  int http;
  int st = post_json(c, "/tokenize", body, &doc, &http, err, errlen);
  cJSON_Delete(body);
  if (st != BENCHY_OK) return st;
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(doc, "count");
  const cJSON *toks = cJSON_GetObjectItemCaseSensitive(doc, "tokens");
  if (cJSON_IsNumber(n))
    *count = (int64_t)n->valuedouble;
  else if (cJSON_IsArray(toks))
    *count = cJSON_GetArraySize(toks);
  else {
    cJSON_Delete(doc);
    benchy_set_error(err, errlen, "POST /tokenize: neither \"count\" nor \"tokens\" in the answer");
    return BENCHY_ERR_MALFORMED;
  }
  cJSON_Delete(doc);
  return BENCHY_OK;
}

/* A generation of one token; *prompt_tokens from its usage (-1 when the
 * server reported none). Failure carries the server's message. */
int prompt_probe_usage(prompt_counter *c, const char *system, const char *user, int64_t *prompt_tokens,
                       char *err, size_t errlen) {
  *prompt_tokens = -1;
  int chat = c->api == BENCHY_ENDPOINT_CHAT;
  cJSON *body = cJSON_CreateObject();
  if (!body || (c->model && !cJSON_AddStringToObject(body, "model", c->model)))
    goto oom;
  if (chat) {
    cJSON *msgs = prompt_messages_json(system, user);
    if (!msgs) goto oom;
    cJSON_AddItemToObject(body, "messages", msgs);
  } else if (!cJSON_AddStringToObject(body, "prompt", user)) {
    goto oom;
  }
  if (!cJSON_AddNumberToObject(body, "max_tokens", 1) || !cJSON_AddBoolToObject(body, "stream", 0))
    goto oom;
  if (c->no_cache && !cJSON_AddBoolToObject(body, "cache_prompt", 0)) goto oom;
  cJSON *doc;
  int http;
  c->probes++;
  int st = post_json(c, chat ? "chat/completions" : "completions", body, &doc, &http, err, errlen);
  cJSON_Delete(body);
  if (st != BENCHY_OK) return st;
  const cJSON *usage = cJSON_GetObjectItemCaseSensitive(doc, "usage");
  const cJSON *pt = cJSON_IsObject(usage) ? cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens") : NULL;
  if (cJSON_IsNumber(pt)) *prompt_tokens = (int64_t)pt->valuedouble;
  cJSON_Delete(doc);
  return BENCHY_OK;
oom:
  cJSON_Delete(body);
  return BENCHY_ERR_NOMEM;
}
