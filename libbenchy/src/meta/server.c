/*
 * server.c — the server as it describes itself: /v1/models, llama-server's
 * /props, vLLM's /version, SGLang's /get_server_info. Each is asked once
 * through the session's blocking fetch (bounded by its probe timeout); an
 * endpoint the server does not have is skipped without a word, since each
 * kind of server has only some of them.
 */
#include "meta.h"

#include <stdlib.h>
#include <string.h>

static cJSON *get_json(benchy_session *s, const char *path) {
  int http = 0;
  char *body = NULL;
  if (benchy_session_fetch(s, "GET", path, NULL, &http, &body) != BENCHY_OK || http != 200) {
    free(body);
    return NULL;
  }
  cJSON *doc = body ? cJSON_Parse(body) : NULL;
  free(body);
  return doc;
}

static void copy_item(cJSON *to, const char *key, const cJSON *from, const char *from_key) {
  const cJSON *v = from ? cJSON_GetObjectItemCaseSensitive(from, from_key) : NULL;
  if (v) cJSON_AddItemToObject(to, key, cJSON_Duplicate(v, 1));
}

static void add_models(cJSON *out, benchy_session *s) {
  cJSON *doc = get_json(s, "models");
  const cJSON *data = doc ? cJSON_GetObjectItemCaseSensitive(doc, "data") : NULL;
  if (cJSON_IsArray(data)) {
    cJSON *models = cJSON_AddArrayToObject(out, "models");
    const cJSON *m;
    cJSON_ArrayForEach(m, data) {
      cJSON *entry = cJSON_CreateObject();
      if (!entry) break;
      copy_item(entry, "id", m, "id");
      copy_item(entry, "owned_by", m, "owned_by");
      copy_item(entry, "max_model_len", m, "max_model_len"); /* vLLM */
      copy_item(entry, "root", m, "root");
      copy_item(entry, "meta", m, "meta"); /* llama-server: n_params, size, ... */
      cJSON_AddItemToArray(models, entry);
    }
  }
  cJSON_Delete(doc);
}

static void add_props(cJSON *out, benchy_session *s) {
  cJSON *doc = get_json(s, "/props");
  if (!cJSON_IsObject(doc)) {
    cJSON_Delete(doc);
    return;
  }
  /* Only the facts that identify the run; /props also holds the chat
   * template and every sampling default, which would swamp the result. */
  cJSON *p = cJSON_AddObjectToObject(out, "props");
  if (p) {
    copy_item(p, "build_info", doc, "build_info");
    copy_item(p, "model_path", doc, "model_path");
    copy_item(p, "total_slots", doc, "total_slots");
    const cJSON *gen = cJSON_GetObjectItemCaseSensitive(doc, "default_generation_settings");
    if (cJSON_GetObjectItemCaseSensitive(doc, "n_ctx")) copy_item(p, "n_ctx", doc, "n_ctx");
    else copy_item(p, "n_ctx", gen, "n_ctx");
  }
  cJSON_Delete(doc);
}

static void add_whole(cJSON *out, benchy_session *s, const char *path, const char *key) {
  cJSON *doc = get_json(s, path);
  if (cJSON_IsObject(doc)) cJSON_AddItemToObject(out, key, doc);
  else cJSON_Delete(doc);
}

void meta_server(cJSON *md, benchy_session *s) {
  if (!s) return;
  cJSON *out = cJSON_CreateObject();
  if (!out) return;
  char *url = meta_redact_text(benchy_session_base_url(s));
  if (url) cJSON_AddStringToObject(out, "base_url", url);
  free(url);
  add_models(out, s);
  add_props(out, s);
  add_whole(out, s, "/version", "version");                 /* vLLM */
  add_whole(out, s, "/get_server_info", "server_info");     /* SGLang */
  if (cJSON_GetArraySize(out) <= 1)
    cJSON_AddStringToObject(out, "error", "the server answered none of /v1/models, /props, "
                                          "/version, /get_server_info");
  cJSON_AddItemToObject(md, "server_reported", out);
}

cJSON *meta_server_reported(const benchy_options *opts, benchy_session *s) {
  if (!s) return NULL;
  cJSON *holder = cJSON_CreateObject();
  if (!holder) return NULL;
  meta_server(holder, s);
  cJSON *out = NULL;
  if (meta_redact_tree(holder, opts) == 0) out = cJSON_DetachItemFromObjectCaseSensitive(holder, "server_reported");
  cJSON_Delete(holder);
  return out;
}
