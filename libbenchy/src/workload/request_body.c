/*
 * request_body.c — the user's request-body fields, shared by bench and load
 * (see request_body.h for the rules).
 */
#include "request_body.h"

#include <stdlib.h>
#include <string.h>

#include "benchy/benchy.h"
#include "util.h"
#include "meta/meta.h"

/* A sampling option and the body field it sets. */
typedef struct sampling_field {
  const char *option, *field;
  int integer;
} sampling_field;

static const sampling_field sampling_fields[] = {
    {"temperature", "temperature", 0}, {"top-p", "top_p", 0},          {"top-k", "top_k", 1},
    {"min-p", "min_p", 0},             {"sampling-seed", "seed", 1},
};
#define N_SAMPLING (sizeof sampling_fields / sizeof sampling_fields[0])

/* The fields benchy sets to measure, and what to use instead. */
typedef struct owned_field {
  const char *field, *instead;
} owned_field;

static const owned_field owned_fields[] = {
    {"model", "--model"},
    {"messages", "the prompts benchy generates (load: --dataset)"},
    {"prompt", "the prompts benchy generates (load: --dataset)"},
    {"max_tokens", "--tg (bench) or --output-len (load)"},
    {"max_completion_tokens", "--tg (bench) or --output-len (load)"},
    {"min_tokens", "--tg (bench) or --output-len with --ignore-eos (load)"},
    {"n_predict", "--tg (bench) or --output-len with --ignore-eos (load)"},
    {"ignore_eos", "--ignore-eos (load; bench always forces exact lengths)"},
    {"cache_prompt", "--no-cache"},
};

struct request_body {
  cJSON *sent;            /* every field added to each body, sampling and extra */
  cJSON *extra;           /* --extra-body as given */
  cJSON *server_defaults; /* from /props, or NULL */
  int ignore_eos;
};

static int refuse_extra_field(const cJSON *item, const benchy_options *o, char *err, size_t errlen) {
  const char *key = item->string;
  for (size_t i = 0; i < sizeof owned_fields / sizeof owned_fields[0]; i++) {
    if (strcmp(key, owned_fields[i].field)) continue;
    benchy_set_error(err, errlen, "--extra-body: \"%s\" is set by benchy to measure what it reports; "
                     "use %s instead", key, owned_fields[i].instead);
    return 1;
  }
  for (size_t i = 0; i < N_SAMPLING; i++) {
    if (strcmp(key, sampling_fields[i].field) || !benchy_options_is_set(o, sampling_fields[i].option))
      continue;
    benchy_set_error(err, errlen, "--extra-body: \"%s\" is also given by --%s; give it once", key,
                     sampling_fields[i].option);
    return 1;
  }
  /* A non-streamed or usage-less answer has nothing to time or count. */
  if (!strcmp(key, "stream") && !cJSON_IsTrue(item)) {
    benchy_set_error(err, errlen, "--extra-body: \"stream\" must stay true: benchy times the streamed "
                     "tokens; leave it out");
    return 1;
  }
  if (!strcmp(key, "stream_options")) {
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(item, "include_usage");
    if (!cJSON_IsObject(item) || (usage && !cJSON_IsTrue(usage))) {
      benchy_set_error(err, errlen, "--extra-body: \"stream_options\" must be an object that keeps "
                       "include_usage true: benchy counts tokens from the final usage");
      return 1;
    }
  }
  if (!strcmp(key, "n") && !(cJSON_IsNumber(item) && item->valuedouble == 1)) {
    benchy_set_error(err, errlen, "--extra-body: \"n\" must be 1: benchy measures one completion "
                     "per request");
    return 1;
  }
  return 0;
}

static int parse_extra(request_body *rb, const benchy_options *o, const char *text, char *err,
                       size_t errlen) {
  const char *end = NULL;
  cJSON *extra = cJSON_ParseWithOpts(text, &end, 1);
  if (!extra || !cJSON_IsObject(extra)) {
    const char *at = extra ? NULL : cJSON_GetErrorPtr();
    if (at && at >= text && at <= text + strlen(text))
      benchy_set_error(err, errlen, "--extra-body: not valid JSON (error at byte %zu of '%s'); give a "
                       "JSON object such as '{\"timings_per_token\": true}'",
                       (size_t)(at - text), text);
    else
      benchy_set_error(err, errlen, "--extra-body: '%s' is not a JSON object; give one such as "
                       "'{\"timings_per_token\": true}'", text);
    cJSON_Delete(extra);
    return BENCHY_ERR_INVALID;
  }
  for (const cJSON *item = extra->child; item; item = item->next) {
    if (refuse_extra_field(item, o, err, errlen)) {
      cJSON_Delete(extra);
      return BENCHY_ERR_INVALID;
    }
  }
  rb->extra = extra;
  return BENCHY_OK;
}

int request_body_new(request_body **out, const benchy_options *o, char *err, size_t errlen) {
  *out = NULL;
  request_body *rb = calloc(1, sizeof *rb);
  if (!rb || !(rb->sent = cJSON_CreateObject())) {
    free(rb);
    return BENCHY_ERR_NOMEM;
  }
  for (size_t i = 0; i < N_SAMPLING; i++) {
    const sampling_field *f = &sampling_fields[i];
    if (!benchy_options_is_set(o, f->option)) continue;
    double v = f->integer ? (double)benchy_options_int(o, f->option) : benchy_options_double(o, f->option);
    if (!cJSON_AddNumberToObject(rb->sent, f->field, v)) {
      request_body_free(rb);
      return BENCHY_ERR_NOMEM;
    }
  }
  const char *extra = benchy_options_str(o, "extra-body");
  if (extra) {
    int st = parse_extra(rb, o, extra, err, errlen);
    if (st != BENCHY_OK) {
      request_body_free(rb);
      return st;
    }
    for (const cJSON *item = rb->extra->child; item; item = item->next) {
      cJSON *copy = cJSON_Duplicate(item, 1);
      if (!copy) {
        request_body_free(rb);
        return BENCHY_ERR_NOMEM;
      }
      cJSON_AddItemToObject(rb->sent, item->string, copy);
    }
  }
  rb->ignore_eos = benchy_options_flag(o, "ignore-eos");
  *out = rb;
  return BENCHY_OK;
}

void request_body_free(request_body *rb) {
  if (!rb) return;
  cJSON_Delete(rb->sent);
  cJSON_Delete(rb->extra);
  cJSON_Delete(rb->server_defaults);
  free(rb);
}

int request_body_force_length(cJSON *body, int64_t n) {
  int ok = cJSON_AddNumberToObject(body, "max_tokens", (double)n) &&
           cJSON_AddNumberToObject(body, "min_tokens", (double)n) &&
           cJSON_AddNumberToObject(body, "n_predict", (double)n) &&
           cJSON_AddBoolToObject(body, "ignore_eos", 1);
  return ok ? 0 : -1;
}

int request_body_ignore_eos(const request_body *rb) { return rb && rb->ignore_eos; }

int request_body_apply(const request_body *rb, cJSON *body) {
  if (!rb) return 0;
  for (const cJSON *item = rb->sent->child; item; item = item->next) {
    cJSON *copy = cJSON_Duplicate(item, 1);
    if (!copy) return -1;
    if (!strcmp(item->string, "stream_options")) {
      /* The user's stream options join benchy's usage request. */
      if (!cJSON_GetObjectItemCaseSensitive(copy, "include_usage") &&
          !cJSON_AddTrueToObject(copy, "include_usage")) {
        cJSON_Delete(copy);
        return -1;
      }
    }
    if (cJSON_GetObjectItemCaseSensitive(body, item->string)) {
      cJSON_ReplaceItemInObjectCaseSensitive(body, item->string, copy);
    } else {
      cJSON_AddItemToObject(body, item->string, copy);
    }
  }
  return 0;
}

void request_body_note_server_defaults(request_body *rb, const cJSON *props) {
  if (!rb || !props) return;
  const cJSON *dgs = cJSON_GetObjectItemCaseSensitive(props, "default_generation_settings");
  const cJSON *params = cJSON_IsObject(dgs) ? cJSON_GetObjectItemCaseSensitive(dgs, "params") : NULL;
  if (!cJSON_IsObject(params)) return;
  cJSON *defaults = cJSON_CreateObject();
  if (!defaults) return;
  for (size_t i = 0; i < N_SAMPLING; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, sampling_fields[i].field);
    if (cJSON_IsNumber(v)) cJSON_AddNumberToObject(defaults, sampling_fields[i].field, v->valuedouble);
  }
  if (!defaults->child) {
    cJSON_Delete(defaults);
    return;
  }
  cJSON_Delete(rb->server_defaults);
  rb->server_defaults = defaults;
}

void request_body_fetch_server_defaults(request_body *rb, benchy_session *s) {
  if (!rb || !s) return;
  int http = 0;
  char *text = NULL;
  if (benchy_session_fetch(s, "GET", "/props", NULL, &http, &text) == BENCHY_OK && text) {
    cJSON *doc = cJSON_Parse(text);
    request_body_note_server_defaults(rb, doc);
    cJSON_Delete(doc);
  }
  free(text);
}

cJSON *request_body_describe(const request_body *rb) {
  cJSON *d = cJSON_CreateObject();
  if (!d || !rb) return d;
  cJSON_AddItemToObject(d, "sent", cJSON_Duplicate(rb->sent, 1));
  /* What the server sampled with: what was sent, else its default. */
  cJSON *effect = cJSON_AddObjectToObject(d, "sampler_in_effect");
  for (size_t i = 0; effect && i < N_SAMPLING; i++) {
    const char *field = sampling_fields[i].field;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rb->sent, field);
    if (!v && rb->server_defaults) v = cJSON_GetObjectItemCaseSensitive(rb->server_defaults, field);
    cJSON_AddItemToObject(effect, field, v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
  }
  if (rb->server_defaults) {
    cJSON_AddItemToObject(d, "server_default_sampler", cJSON_Duplicate(rb->server_defaults, 1));
    cJSON_AddStringToObject(d, "server_default_sampler_source",
                            "GET /props default_generation_settings.params");
  } else {
    cJSON_AddNullToObject(d, "server_default_sampler");
    cJSON_AddStringToObject(d, "server_default_sampler_source",
                            "not reported by the server (no llama-server /props)");
  }
  /* What was sent may hold a key (--extra-body '{"api_key": ...}'). */
  if (meta_redact_tree(d, NULL) != 0) {
    cJSON_Delete(d);
    return NULL;
  }
  return d;
}

char *request_body_fingerprint(const request_body *rb) {
  if (!rb || !rb->sent->child) return NULL;
  /* A hash, not the text: the body may carry a key (--extra-body), and a
   * grammar or schema can be longer than any fingerprint should be. */
  char *text = cJSON_PrintUnformatted(rb->sent);
  if (!text) return NULL;
  char *fp = malloc(17);
  if (fp) snprintf(fp, 17, "%016llx", (unsigned long long)benchy_fnv1a(text));
  cJSON_free(text);
  return fp;
}

const cJSON *request_body_extra(const request_body *rb) { return rb ? rb->extra : NULL; }

cJSON *request_body_extra_shown(const request_body *rb) {
  if (!rb || !rb->extra) return NULL;
  cJSON *copy = cJSON_Duplicate(rb->extra, 1);
  if (copy && meta_redact_tree(copy, NULL) != 0) {
    cJSON_Delete(copy);
    return NULL;
  }
  return copy;
}
