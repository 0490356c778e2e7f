/*
 * options_json.c — benchy_options_to_json and the result's "config" block:
 * one writer of options for every workload, reading the table's flags for
 * what may be written (see options_json.h).
 */
#include "options_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchy/benchy.h"
#include "meta/meta.h"

/* user:password@ in a URL is a credential: the host and path stay. */
static char *without_userinfo(const char *url) {
  const char *scheme = strstr(url, "://");
  const char *host = scheme ? scheme + 3 : url;
  const char *slash = strchr(host, '/');
  const char *at = strchr(host, '@');
  if (!at || (slash && at > slash)) return benchy_strdup(url);
  size_t head = (size_t)(host - url);
  char *out = malloc(head + strlen(at + 1) + 1);
  if (!out) return NULL;
  memcpy(out, url, head);
  strcpy(out + head, at + 1);
  return out;
}

static cJSON *number_item(double d) {
  /* JSON has no infinity; the word the option takes is written instead. */
  return isinf(d) ? cJSON_CreateString(d > 0 ? "inf" : "-inf") : cJSON_CreateNumber(d);
}

static cJSON *string_list(const benchy_options *o, const benchy_option_info *info) {
  cJSON *arr = cJSON_CreateArray();
  size_t n = benchy_options_list_len(o, info->name);
  for (size_t k = 0; arr && k < n; k++) {
    const char *s = benchy_options_list_str(o, info->name, k);
    if (!s) continue;
    size_t len = strlen(s);
    if (info->flags & BENCHY_OPTF_HEADER_SECRET) {
      const char *colon = strchr(s, ':');
      if (colon) len = (size_t)(colon - s);
    }
    /* Kept as given for the script: written as the metadata writes text. */
    char *item = info->flags & BENCHY_OPTF_KEEP_VALUE ? meta_redact_text(s) : benchy_strndup(s, len);
    cJSON *str = item ? cJSON_CreateString(item) : NULL;
    free(item);
    if (!str || !cJSON_AddItemToArray(arr, str)) {
      cJSON_Delete(str);
      cJSON_Delete(arr);
      return NULL;
    }
  }
  return arr;
}

static cJSON *value_item(const benchy_options *o, const benchy_option_info *info) {
  const char *name = info->name;
  const char *text = benchy_options_str(o, name);
  switch (info->type) {
  case BENCHY_OPT_FLAG:
    return cJSON_CreateBool(benchy_options_flag(o, name));
  case BENCHY_OPT_INT:
  case BENCHY_OPT_DOUBLE:
    /* Unset (a sampling option left to the server) is not 0. */
    return text ? number_item(benchy_options_double(o, name)) : cJSON_CreateNull();
  case BENCHY_OPT_INT_LIST:
  case BENCHY_OPT_DOUBLE_LIST: {
    cJSON *arr = cJSON_CreateArray();
    size_t n = benchy_options_list_len(o, name);
    for (size_t k = 0; arr && k < n; k++)
      cJSON_AddItemToArray(arr, number_item(benchy_options_list_double(o, name, k)));
    return arr;
  }
  case BENCHY_OPT_STRING_LIST:
    return string_list(o, info);
  default:
    if (!text) return cJSON_CreateNull();
    if (info->flags & BENCHY_OPTF_URL_ROOT_PATH) {
      char *shown = without_userinfo(text);
      cJSON *item = shown ? cJSON_CreateString(shown) : NULL;
      free(shown);
      return item;
    }
    return cJSON_CreateString(text);
  }
}

cJSON *options_config_json(const benchy_options *o, unsigned what) {
  if (!o) return NULL;
  unsigned command = benchy_options_command(o);
  cJSON *c = cJSON_CreateObject();
  for (size_t i = 0; c && i < benchy_option_count(); i++) {
    const benchy_option_info *info = benchy_option_at(i);
    if (!(info->commands & command) || (info->flags & (BENCHY_OPTF_ALIAS | BENCHY_OPTF_SECRET)))
      continue;
    if (what == BENCHY_OPTIONS_JSON_IDENTIFYING && !benchy_option_identifies_run(info)) continue;
    /* Rows sharing a name hold one value: written once. */
    if (cJSON_GetObjectItemCaseSensitive(c, info->name)) continue;
    cJSON *item = value_item(o, info);
    if (!item || !cJSON_AddItemToObject(c, info->name, item)) {
      cJSON_Delete(item);
      cJSON_Delete(c);
      return NULL;
    }
  }
  return c;
}

char *benchy_options_to_json(const benchy_options *o, unsigned what) {
  cJSON *c = options_config_json(o, what);
  if (!c) return NULL;
  char *text = cJSON_PrintUnformatted(c);
  cJSON_Delete(c);
  if (!text) return NULL;
  /* cJSON's allocator may not be malloc: hand back what free() takes. */
  char *out = benchy_strdup(text);
  cJSON_free(text);
  return out;
}

/* One JSON value as the text the option takes ("true", "50,inf", ...). */
static char *value_text(const cJSON *item) {
  if (cJSON_IsBool(item)) return benchy_strdup(cJSON_IsTrue(item) ? "true" : "false");
  if (cJSON_IsString(item)) return benchy_strdup(item->valuestring);
  if (cJSON_IsNumber(item)) {
    char num[40];
    snprintf(num, sizeof num, "%.17g", item->valuedouble);
    return benchy_strdup(num);
  }
  if (cJSON_IsArray(item)) {
    benchy_buf b = {0};
    const cJSON *el;
    cJSON_ArrayForEach(el, item) {
      char *t = value_text(el);
      if (t) benchy_buf_printf(&b, "%s%s", b.len ? "," : "", t);
      free(t);
    }
    if (benchy_buf_terminate(&b) != 0) {
      benchy_buf_free(&b);
      return NULL;
    }
    return b.data;
  }
  char *printed = cJSON_PrintUnformatted(item);
  char *out = printed ? benchy_strdup(printed) : NULL;
  cJSON_free(printed);
  return out;
}

static int set_from_json(benchy_options *o, const benchy_option_info *info, const cJSON *item) {
  if (info->type == BENCHY_OPT_STRING_LIST && cJSON_IsArray(item)) {
    const cJSON *el;
    cJSON_ArrayForEach(el, item) {
      if (!cJSON_IsString(el) || benchy_options_set(o, info->name, el->valuestring) != BENCHY_OK)
        return -1;
    }
    return 0;
  }
  char *text = value_text(item);
  int st = text ? benchy_options_set(o, info->name, text) : BENCHY_ERR_NOMEM;
  free(text);
  return st == BENCHY_OK ? 0 : -1;
}

/* A written config block as this version writes it: each value set again
 * through the table, so a journal written before a value's shape changed
 * ("request-rate": "50,inf" then, [50, "inf"] now; "stddev": null then, the
 * command's default now) compares by what it means. Values the table
 * refuses, and keys that name no option, are kept as written. */
static cJSON *as_written_now(const cJSON *config, unsigned command) {
  benchy_options *o = NULL;
  if (benchy_options_new(&o, command) != BENCHY_OK) return NULL;
  cJSON *kept = cJSON_CreateObject();
  for (const cJSON *item = config ? config->child : NULL; kept && item; item = item->next) {
    const benchy_option_info *info = benchy_option_find_for(item->string, command, NULL);
    if (info && !(info->flags & BENCHY_OPTF_ALIAS) && cJSON_IsNull(item)) continue;
    if (info && !(info->flags & BENCHY_OPTF_ALIAS) && set_from_json(o, info, item) == 0) continue;
    cJSON_AddItemToObject(kept, item->string, cJSON_Duplicate(item, 1));
  }
  cJSON *out = kept ? options_config_json(o, BENCHY_OPTIONS_JSON_ALL) : NULL;
  benchy_options_free(o);
  for (cJSON *item = out ? kept->child : NULL; item; item = item->next) {
    cJSON *copy = cJSON_Duplicate(item, 1);
    if (cJSON_GetObjectItemCaseSensitive(out, item->string))
      cJSON_ReplaceItemInObjectCaseSensitive(out, item->string, copy);
    else
      cJSON_AddItemToObject(out, item->string, copy);
  }
  cJSON_Delete(kept);
  return out;
}

cJSON *options_identity_of_config(const cJSON *config, unsigned command) {
  cJSON *d = as_written_now(config, command);
  if (!d) return NULL;
  for (cJSON *item = d->child, *next; item; item = next) {
    next = item->next;
    const benchy_option_info *info = benchy_option_find_for(item->string, command, NULL);
    if (info && !benchy_option_identifies_run(info)) cJSON_Delete(cJSON_DetachItemViaPointer(d, item));
  }
  return d;
}
