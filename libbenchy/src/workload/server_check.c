/*
 * server_check.c — see server_check.h. Moved out of bench.c so that load
 * refuses a wrong model the way bench always did, instead of sending every
 * request to be refused.
 */
#include "server_check.h"
#include "server_facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/openai.h"

/* Root of the base URL (scheme://host:port), for /health hints. */
static void url_root(const char *url, char *out, size_t outlen) {
  const char *scheme = strstr(url, "://");
  const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
  snprintf(out, outlen, "%.*s", slash ? (int)(slash - url) : (int)strlen(url), url);
}

/* Why GET /models failed, for a person, with what to do about it; frees body. */
static int explain_fetch_failure(benchy_session *sess, int st, int http, char *body, const char *shown_url,
                                 char *err, size_t errlen) {
  if (st == BENCHY_ERR_CANCELLED) {
    free(body);
    return st;
  }
  if (st == BENCHY_ERR_TIMEOUT) {
    /* The caller adds which option bounds the wait (startup_explain_timeout). */
    free(body);
    benchy_set_error(err, errlen, "the server at %s accepted the connection but did not answer (%s)",
                     shown_url, benchy_session_error(sess));
    return st;
  }
  if (http == 0) {
    char root[1024];
    url_root(shown_url, root, sizeof root);
    free(body);
    benchy_set_error(err, errlen, "cannot reach the server at %s (%s). Is it running? A server that is starting "
                     "refuses connections or answers GET %s/health with 503 until its model is loaded: wait "
                     "until /health answers 200, then run again.", shown_url, benchy_session_error(sess), root);
    return st;
  }
  char msg[512] = "";
  oai_error_message(body, msg, sizeof msg);
  free(body);
  const char *hint = "";
  if (http == 401 || http == 403)
    hint = " The server wants an API key: put it in the variable named by --api-key-env (default "
           "OPENAI_API_KEY), or give --api-key KEY.";
  else if (http == 503)
    hint = " The server is still loading: wait until GET /health answers 200.";
  else if (http == 404)
    hint = " Does --base-url end with the API prefix (/v1)?";
  benchy_set_error(err, errlen, "GET %s/models: HTTP %d: %s.%s", shown_url, http, msg, hint);
  return st;
}

/* The model named (*model) checked against the /models list, or the first
 * listed when none was named; its facts go into info. */
static int choose_model(const cJSON *doc, const char *shown_url, char **model, cJSON *info, char *err,
                        size_t errlen) {
  const cJSON *data = doc ? cJSON_GetObjectItemCaseSensitive(doc, "data") : NULL;
  benchy_buf names = {0};
  int found = 0;
  const char *first = NULL;
  const cJSON *item, *first_item = NULL, *chosen = NULL;
  cJSON_ArrayForEach(item, data) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
    if (!cJSON_IsString(id)) continue;
    if (!first) {
      first = id->valuestring;
      first_item = item;
    }
    benchy_buf_printf(&names, "%s%s", names.len ? ", " : "", id->valuestring);
    if (*model && !strcmp(*model, id->valuestring)) {
      found = 1;
      chosen = item;
      const cJSON *mml = cJSON_GetObjectItemCaseSensitive(item, "max_model_len");
      if (cJSON_IsNumber(mml) && info) cJSON_AddNumberToObject(info, "max_model_len", mml->valuedouble);
    }
  }
  benchy_buf_terminate(&names);
  int st = BENCHY_OK;
  if (!*model) {
    if (!first) {
      benchy_set_error(err, errlen, "GET %s/models lists no model; pass the model name with --model", shown_url);
      st = BENCHY_ERR_NOT_FOUND;
    } else if (!(*model = benchy_strdup(first))) {
      st = BENCHY_ERR_NOMEM;
    }
    chosen = first_item;
  } else if (!found && first) {
    /* A server that lists nothing is trusted with the name given; one that
     * lists other names would refuse every request. */
    benchy_set_error(err, errlen, "the server at %s does not serve model '%s'; it serves: %s. Pass one of these "
                     "with --model.", shown_url, *model, names.data ? names.data : "");
    st = BENCHY_ERR_NOT_FOUND;
  }
  if (st == BENCHY_OK && info) server_facts_from_model(info, chosen);
  benchy_buf_free(&names);
  return st;
}

int server_check_model(benchy_session *sess, const char *shown_url, char **model, cJSON *info,
                       char *err, size_t errlen) {
  int http = 0;
  char *body = NULL;
  int st = benchy_session_fetch(sess, "GET", "models", NULL, &http, &body);
  if (st != BENCHY_OK) return explain_fetch_failure(sess, st, http, body, shown_url, err, errlen);
  cJSON *doc = cJSON_Parse(body ? body : "");
  free(body);
  st = choose_model(doc, shown_url, model, info, err, errlen);
  cJSON_Delete(doc);
  return st;
}
