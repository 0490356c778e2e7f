/*
 * server_facts.c — see server_facts.h.
 */
#include "server_facts.h"

#include <stdio.h>
#include <string.h>

static void copy_positive(cJSON *server, const char *name, const cJSON *from, const char *field) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, field);
  /* llama-server writes "" or 0 for what it does not know. */
  if (cJSON_IsNumber(v) && v->valuedouble > 0) cJSON_AddNumberToObject(server, name, v->valuedouble);
}

void server_facts_from_model(cJSON *server, const cJSON *model_entry) {
  if (!server || !cJSON_IsObject(model_entry)) return;
  const cJSON *owner = cJSON_GetObjectItemCaseSensitive(model_entry, "owned_by");
  if (cJSON_IsString(owner) && owner->valuestring[0])
    cJSON_AddStringToObject(server, "owned_by", owner->valuestring);
  const cJSON *meta = cJSON_GetObjectItemCaseSensitive(model_entry, "meta");
  if (!cJSON_IsObject(meta)) return;
  copy_positive(server, "model_n_params", meta, "n_params");
  copy_positive(server, "model_size", meta, "size");
}

void server_facts_backend(const cJSON *server, char *out, size_t len) {
  out[0] = 0;
  const cJSON *build = cJSON_GetObjectItemCaseSensitive(server, "build_info");
  const cJSON *owner = cJSON_GetObjectItemCaseSensitive(server, "owned_by");
  const char *b = cJSON_IsString(build) ? build->valuestring : "";
  const char *o = cJSON_IsString(owner) ? owner->valuestring : "";
  if (!strncmp(b, "benchy-sim", 10) || !strcmp(o, "benchy-sim"))
    snprintf(out, len, "benchy-sim");
  else if (b[0]) /* only llama-server answers /props with a build_info */
    snprintf(out, len, "llama.cpp %s", b);
  else if (!strcmp(o, "llamacpp"))
    snprintf(out, len, "llama.cpp");
  else if (!strcmp(o, "vllm"))
    snprintf(out, len, "vLLM");
  else if (!strcmp(o, "sglang"))
    snprintf(out, len, "SGLang");
}

void server_facts_to_row(const cJSON *server, cJSON *row) {
  const cJSON *size = cJSON_GetObjectItemCaseSensitive(server, "model_size");
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(server, "model_n_params");
  if (cJSON_IsNumber(size)) cJSON_AddNumberToObject(row, "model_size", size->valuedouble);
  if (cJSON_IsNumber(params)) cJSON_AddNumberToObject(row, "model_n_params", params->valuedouble);
  char backend[160];
  server_facts_backend(server, backend, sizeof backend);
  if (backend[0]) cJSON_AddStringToObject(row, "backend", backend);
}
