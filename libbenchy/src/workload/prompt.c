/*
 * prompt.c — see prompt.h. A prompt_gen made ("Length" there): the best
 * counting method the server offers, found by probing, and the figures the
 * sizing search (prompt_fit.c) starts from (tokens per unit, template
 * overheads, the offset between /tokenize and usage), measured with it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prompt_internal.h"

/* Probe texts use keys no caller uses, so they never pre-fill a real
 * prompt's prefix into the server's cache. */
#define PROBE_KEY ((uint64_t)1 << 63)

static void note(prompt_gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(prompt_gen *g, const char *fmt, ...) {
  size_t len = strlen(g->notes);
  if (len + 3 >= sizeof g->notes) return;
  if (len) {
    memcpy(g->notes + len, "; ", 3);
    len += 2;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g->notes + len, sizeof g->notes - len, fmt, ap);
  va_end(ap);
}

static int count_plain_units(prompt_gen *g, uint64_t key, int64_t units, int64_t *count, char *err,
                             size_t errlen) {
  benchy_buf b = {0};
  if (prompt_gen_text(g->cfg.seed, DOMAIN_NEW, key, units, &b)) return BENCHY_ERR_NOMEM;
  int st = g->method == PROMPT_METHOD_LLAMA
               ? prompt_llama_tokenize(&g->srv, b.data, b.len, 0, count, err, errlen)
               : prompt_vllm_tokenize(&g->srv, NULL, b.data, 0, 0, count, err, errlen);
  benchy_buf_free(&b);
  return st;
}

/* Whole-prompt count by the current counting method (adjust not applied). */
static int count_whole(prompt_gen *g, const char *system, const char *user, int64_t *count, char *err,
                       size_t errlen) {
  int chat = g->cfg.api == BENCHY_ENDPOINT_CHAT;
  if (g->method == PROMPT_METHOD_LLAMA) {
    if (!chat) return prompt_llama_tokenize(&g->srv, user, strlen(user), 1, count, err, errlen);
    char *rendered = NULL;
    int st = prompt_llama_render(&g->srv, system, user, &rendered, err, errlen);
    if (st != BENCHY_OK) return st;
    st = prompt_llama_tokenize(&g->srv, rendered, strlen(rendered), 1, count, err, errlen);
    free(rendered);
    return st;
  }
  return prompt_vllm_tokenize(&g->srv, system, user, chat, 1, count, err, errlen);
}

/* Measures slope and overheads with the counting method. */
static int calibrate_counted(prompt_gen *g, char *err, size_t errlen) {
  int chat = g->cfg.api == BENCHY_ENDPOINT_CHAT;
  int64_t c1, c2, w1 = 32, w2 = 160;
  int st = count_plain_units(g, PROBE_KEY | 1, w1, &c1, err, errlen);
  if (st == BENCHY_OK) st = count_plain_units(g, PROBE_KEY | 2, w2, &c2, err, errlen);
  if (st != BENCHY_OK) return st;
  g->tpw = (double)(c2 + c1) / (double)(w1 + w2);
  benchy_buf u = {0}, s = {0};
  if (prompt_gen_text(g->cfg.seed, DOMAIN_NEW, PROBE_KEY | 1, w1, &u) ||
      prompt_gen_text(g->cfg.seed, DOMAIN_NEW, PROBE_KEY | 3, w1, &s)) {
    benchy_buf_free(&u);
    benchy_buf_free(&s);
    return BENCHY_ERR_NOMEM;
  }
  int64_t cu = 0, cs = 0, c3 = 0;
  st = count_whole(g, NULL, u.data, &cu, err, errlen);
  if (st == BENCHY_OK) st = count_plain_units(g, PROBE_KEY | 3, w1, &c3, err, errlen);
  if (st == BENCHY_OK && chat) st = count_whole(g, s.data, u.data, &cs, err, errlen);
  if (st == BENCHY_OK) {
    g->ov_user = cu - c1;
    g->ov_system = chat ? cs - c1 - c3 : g->ov_user;
  }
  if (st == BENCHY_OK && chat && g->method == PROMPT_METHOD_LLAMA) {
    /* The tail: rendered tokens after the user's words. */
    char *rendered = NULL;
    st = prompt_llama_render(&g->srv, NULL, u.data, &rendered, err, errlen);
    if (st == BENCHY_OK) {
      const char *at = strstr(rendered, u.data);
      int64_t upto = 0;
      if (at) st = prompt_llama_tokenize(&g->srv, rendered, (size_t)(at - rendered) + u.len, 1, &upto, err, errlen);
      if (st == BENCHY_OK && at) g->tail = cu - upto;
      free(rendered);
    }
  } else if (st == BENCHY_OK && chat) {
    int64_t fp = 0;
    st = prompt_vllm_tokenize(&g->srv, NULL, fill_user, 0, 0, &fp, err, errlen);
    g->fill_plain = fp;
  } else if (st == BENCHY_OK) {
    g->tail = 0;
  }
  benchy_buf_free(&u);
  benchy_buf_free(&s);
  return st;
}

/* Fits slope and overheads to usage.prompt_tokens of probe generations. */
static int calibrate_usage(prompt_gen *g, char *err, size_t errlen) {
  int chat = g->cfg.api == BENCHY_ENDPOINT_CHAT;
  int64_t w1 = 24, w2 = 152;
  benchy_buf a = {0}, b = {0}, s = {0};
  int st = BENCHY_ERR_NOMEM;
  if (prompt_gen_text(g->cfg.seed, DOMAIN_NEW, PROBE_KEY | 11, w1, &a) ||
      prompt_gen_text(g->cfg.seed, DOMAIN_NEW, PROBE_KEY | 12, w2, &b) ||
      prompt_gen_text(g->cfg.seed, DOMAIN_NEW, PROBE_KEY | 13, w1, &s))
    goto out;
  int64_t c1, c2, c3 = -1;
  st = prompt_probe_usage(&g->srv, NULL, a.data, &c1, err, errlen);
  if (st == BENCHY_OK) st = prompt_probe_usage(&g->srv, NULL, b.data, &c2, err, errlen);
  if (st == BENCHY_OK && chat) st = prompt_probe_usage(&g->srv, s.data, a.data, &c3, err, errlen);
  if (st != BENCHY_OK) goto out;
  g->probes_ok = 1;
  if (c1 < 0 || c2 < 0 || (chat && c3 < 0) || c2 <= c1) {
    benchy_set_error(err, errlen, "the server's answers carry no usable usage.prompt_tokens");
    st = BENCHY_ERR_UNSUPPORTED;
    goto out;
  }
  g->tpw = (double)(c2 - c1) / (double)(w2 - w1);
  g->ov_user = c1 - prompt_predict(g, w1);
  g->ov_system = chat ? c3 - prompt_predict(g, 2 * w1) : g->ov_user;
  g->tail = chat ? -1 : 0;
out:
  benchy_buf_free(&a);
  benchy_buf_free(&b);
  benchy_buf_free(&s);
  return st;
}

/* Compares our count with the server's usage for one prompt; the
 * difference (a BOS the template does not show, say) is kept as adjust. */
static int cross_check(prompt_gen *g, char *err, size_t errlen) {
  benchy_buf u = {0};
  if (prompt_gen_text(g->cfg.seed, DOMAIN_NEW, PROBE_KEY | 21, 48, &u)) return BENCHY_ERR_NOMEM;
  int64_t ours = 0, theirs = -1;
  int st = count_whole(g, NULL, u.data, &ours, err, errlen);
  if (st == BENCHY_OK) st = prompt_probe_usage(&g->srv, NULL, u.data, &theirs, err, errlen);
  benchy_buf_free(&u);
  if (st != BENCHY_OK) return st;
  g->probes_ok = 1;
  if (theirs < 0) {
    note(g, "the server reports no usage.prompt_tokens: counts not cross-checked");
  } else if (theirs != ours) {
    g->adjust = theirs - ours;
    note(g, "the server's usage counts %lld more tokens than its /tokenize (kept as an offset)",
         (long long)g->adjust);
  }
  return BENCHY_OK;
}

static int detect_llama(prompt_gen *g, char *err, size_t errlen) {
  char *rendered = NULL;
  int st = prompt_llama_render(&g->srv, NULL, "Hello there", &rendered, err, errlen);
  if (st != BENCHY_OK) return st;
  int64_t c = 0;
  st = prompt_llama_tokenize(&g->srv, "Hello there", 11, 0, &c, err, errlen);
  free(rendered);
  if (st == BENCHY_OK && c <= 0) {
    benchy_set_error(err, errlen, "/tokenize counted no tokens");
    st = BENCHY_ERR_UNSUPPORTED;
  }
  return st;
}

static int detect_vllm(prompt_gen *g, char *err, size_t errlen) {
  int64_t c = 0;
  int chat = g->cfg.api == BENCHY_ENDPOINT_CHAT;
  int st = prompt_vllm_tokenize(&g->srv, NULL, "Hello there", chat, 1, &c, err, errlen);
  if (st == BENCHY_OK && c <= 0) {
    benchy_set_error(err, errlen, "/tokenize counted no tokens");
    st = BENCHY_ERR_UNSUPPORTED;
  }
  return st;
}

/* A probe that timed out or was interrupted says nothing about whether the
 * server offers the method: trying the next one would only wait again (or
 * ignore the Ctrl-C), so these end prompt_gen_new. */
static int no_answer(int st) { return st == BENCHY_ERR_TIMEOUT || st == BENCHY_ERR_CANCELLED; }

/* A counting method (LLAMA or VLLM): detected, calibrated with it and,
 * when probes are allowed, cross-checked against a generation's usage.
 * When the method is not there, why says what was missing; when the
 * cross-check's generation failed, *failed_generation is set and err says
 * why (that is the server failing, not a method missing). */
static int try_counting(prompt_gen *g, int method, char *why, size_t whylen, int *failed_generation,
                        char *err, size_t errlen) {
  why[0] = 0;
  g->method = method;
  g->tail = -1;
  int st = method == PROMPT_METHOD_LLAMA ? detect_llama(g, why, whylen) : detect_vllm(g, why, whylen);
  if (st == BENCHY_OK) st = calibrate_counted(g, why, whylen);
  if (st == BENCHY_OK && g->cfg.allow_probes) {
    st = cross_check(g, err, errlen);
    *failed_generation = st != BENCHY_OK;
  }
  return st;
}

/* Nothing to count with: one token per word, no overhead. */
static void use_estimate(prompt_gen *g) {
  g->method = PROMPT_METHOD_ESTIMATE;
  g->tpw = 1.0;
  g->ov_user = g->ov_system = 0;
  g->tail = -1;
  g->adjust = 0;
  note(g, "prompt lengths are estimates (one token per word): not exact");
}

int prompt_gen_new(prompt_gen **out, const prompt_config *cfg, char *err, size_t errlen) {
  *out = NULL;
  prompt_gen *g = calloc(1, sizeof *g);
  if (!g) return BENCHY_ERR_NOMEM;
  g->cfg = *cfg;
  g->model = cfg->model ? benchy_strdup(cfg->model) : NULL;
  g->cfg.model = g->model;
  g->srv = (prompt_counter){cfg->session, g->model, cfg->api, cfg->no_cache, 0, 0};
  g->tpw = 1.0;
  g->tail = -1;
  int want = cfg->method;
  int st = BENCHY_OK;
  char why[256];

  if (cfg->session && (want == PROMPT_METHOD_AUTO || want == PROMPT_METHOD_LLAMA)) {
    int failed_generation = 0;
    st = try_counting(g, PROMPT_METHOD_LLAMA, why, sizeof why, &failed_generation, err, errlen);
    if (failed_generation) goto fail; /* the user must see why */
    if (st == BENCHY_OK) goto done;
    if (no_answer(st)) goto stalled;
    if (want == PROMPT_METHOD_LLAMA) {
      benchy_set_error(err, errlen, "llama-server tokenizer endpoints unavailable: %s", why);
      goto fail;
    }
    note(g, "no llama-server /apply-template + /tokenize (%s)", why);
  }
  if (cfg->session && (want == PROMPT_METHOD_AUTO || want == PROMPT_METHOD_VLLM)) {
    int failed_generation = 0;
    st = try_counting(g, PROMPT_METHOD_VLLM, why, sizeof why, &failed_generation, err, errlen);
    if (failed_generation) goto fail;
    if (st == BENCHY_OK) {
      if (cfg->api == BENCHY_ENDPOINT_CHAT)
        note(g, "vLLM /tokenize cannot split the template around the user text: the depth "
                "context includes the assistant header");
      goto done;
    }
    if (no_answer(st)) goto stalled;
    if (want == PROMPT_METHOD_VLLM) {
      benchy_set_error(err, errlen, "vLLM /tokenize unavailable: %s", why);
      goto fail;
    }
    note(g, "no vLLM /tokenize (%s)", why);
  }
  if (cfg->session && cfg->allow_probes && (want == PROMPT_METHOD_AUTO || want == PROMPT_METHOD_USAGE)) {
    g->method = PROMPT_METHOD_USAGE;
    g->adjust = 0;
    st = calibrate_usage(g, err, errlen);
    if (st == BENCHY_OK) {
      note(g, "lengths predicted from usage.prompt_tokens of probes; each request's usage is checked");
      goto done;
    }
    if (g->probes_ok == 0 && st != BENCHY_ERR_UNSUPPORTED) goto fail; /* the probe itself failed */
    if (want == PROMPT_METHOD_USAGE) goto fail;
    note(g, "usage calibration failed (%s)", err ? err : "");
  }
  if (want != PROMPT_METHOD_AUTO && want != PROMPT_METHOD_ESTIMATE) {
    benchy_set_error(err, errlen, "prompt length method %s needs a server session%s", prompt_method_name(want),
           want == PROMPT_METHOD_USAGE ? " and probes allowed" : "");
    st = BENCHY_ERR_UNSUPPORTED;
    goto fail;
  }
  use_estimate(g);
done:
  if (err && errlen) err[0] = 0;
  *out = g;
  return BENCHY_OK;
stalled:
  benchy_set_error(err, errlen, "%s", why);
  goto fail;
fail:
  if (st == BENCHY_OK) st = BENCHY_ERR_UNSUPPORTED;
  prompt_gen_free(g);
  return st;
}

void prompt_gen_free(prompt_gen *g) {
  if (!g) return;
  free(g->model);
  free(g);
}

int prompt_gen_method(const prompt_gen *g) { return g ? g->method : PROMPT_METHOD_AUTO; }

const char *prompt_method_name(int method) {
  switch (method) {
  case PROMPT_METHOD_LLAMA: return "llama-tokenize";
  case PROMPT_METHOD_VLLM: return "vllm-tokenize";
  case PROMPT_METHOD_USAGE: return "usage-calibration";
  case PROMPT_METHOD_ESTIMATE: return "estimate";
  default: return "auto";
  }
}

int prompt_gen_verifies(const prompt_gen *g) {
  return g && (g->method == PROMPT_METHOD_LLAMA || g->method == PROMPT_METHOD_VLLM);
}

int64_t prompt_gen_overhead(const prompt_gen *g, int with_system) {
  return with_system ? g->ov_system : g->ov_user;
}
int64_t prompt_gen_tail(const prompt_gen *g) { return g->tail; }
int prompt_gen_split_known(const prompt_gen *g) {
  return g->cfg.api == BENCHY_ENDPOINT_COMPLETIONS ? g->method != PROMPT_METHOD_ESTIMATE
                                                   : g->method == PROMPT_METHOD_LLAMA && g->tail >= 0;
}
const char *prompt_gen_notes(const prompt_gen *g) { return g->notes; }

cJSON *prompt_gen_describe(const prompt_gen *g) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "method", prompt_method_name(g->method));
  cJSON_AddBoolToObject(o, "verifies", prompt_gen_verifies(g));
  cJSON_AddStringToObject(o, "api", g->cfg.api == BENCHY_ENDPOINT_CHAT ? "chat" : "completions");
  cJSON_AddNumberToObject(o, "overhead_user", (double)g->ov_user);
  cJSON_AddNumberToObject(o, "overhead_system", (double)g->ov_system);
  if (g->tail >= 0)
    cJSON_AddNumberToObject(o, "tail", (double)g->tail);
  else
    cJSON_AddNullToObject(o, "tail");
  cJSON_AddBoolToObject(o, "split_known", prompt_gen_split_known(g));
  cJSON_AddNumberToObject(o, "usage_offset", (double)g->adjust);
  cJSON_AddNumberToObject(o, "tokens_per_word", g->tpw);
  cJSON_AddStringToObject(o, "notes", g->notes);
  cJSON_AddNumberToObject(o, "fetches", (double)g->srv.fetches);
  cJSON_AddNumberToObject(o, "probes", (double)g->srv.probes);
  return o;
}
