/*
 * prompt_fit.c — the prompts of prompt.h: generated text (prompt_words.c)
 * sized to an exact token count by a search, using whatever the server
 * offers to count with (prompt.c chose it, prompt_server.c makes the
 * calls).
 *
 * A count in units is a good first guess of a count in tokens, so the
 * search converges in two or three calls.
 */
#include "prompt_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- counting a candidate ---- */

/* What is being sized: the text of `units` units for one part, with the
 * other part (if any) fixed. */
typedef struct fit_ctx {
  int chat;
  int part;          /* FIT_CONTEXT or FIT_TOTAL */
  uint64_t key;      /* of the part being sized */
  uint64_t domain;
  const char *fixed; /* the other part's text: system for FIT_TOTAL (chat), context text otherwise */
  benchy_buf text;   /* the candidate */
  const char *filler;/* appended after the units, repeated n_filler times */
  int n_filler;
} fit_ctx;

/* One-token words that close the gap when no whole number of units fits
 * (the unit at the boundary is two tokens in this vocabulary). */
static const char *const fillers[] = {" the", " and", " a", " so", "."};

enum { FIT_CONTEXT = 1, FIT_TOTAL = 2 };

/* Server's count of the candidate of `units` units (for counting methods),
 * or the prediction (for the others). */
static int count_candidate(prompt_gen *g, fit_ctx *fc, int64_t units, const char *context_fixed,
                           int64_t fixed_units, int64_t *count, char *err, size_t errlen) {
  benchy_buf_clear(&fc->text);
  if (fc->part == FIT_TOTAL && !fc->chat && context_fixed) {
    if (benchy_buf_append_str(&fc->text, context_fixed)) return BENCHY_ERR_NOMEM;
  }
  if (prompt_gen_text(g->cfg.seed, fc->domain, fc->key, units, &fc->text)) return BENCHY_ERR_NOMEM;
  for (int i = 0; i < fc->n_filler; i++)
    if (benchy_buf_append_str(&fc->text, fc->filler)) return BENCHY_ERR_NOMEM;
  if (fc->part == FIT_CONTEXT && !fc->chat) {
    if (benchy_buf_append(&fc->text, "\n", 1) || benchy_buf_terminate(&fc->text)) return BENCHY_ERR_NOMEM;
  }
  const char *t = fc->text.data;
  int st = BENCHY_OK;
  int64_t c = 0;
  switch (g->method) {
  case PROMPT_METHOD_LLAMA:
    if (!fc->chat) {
      st = prompt_llama_tokenize(&g->srv, t, fc->text.len, 1, &c, err, errlen);
    } else {
      char *rendered = NULL;
      const char *sys = fc->part == FIT_CONTEXT ? t : context_fixed;
      const char *usr = fc->part == FIT_CONTEXT ? fill_user : t;
      st = prompt_llama_render(&g->srv, sys, usr, &rendered, err, errlen);
      if (st == BENCHY_OK) {
        size_t len = strlen(rendered);
        if (fc->part == FIT_CONTEXT) {
          /* The context is the rendered text up to where the user's words
           * begin: the last occurrence, as the system text comes first. */
          const char *at = NULL;
          for (const char *p = strstr(rendered, fill_user); p; p = strstr(p + 1, fill_user)) at = p;
          len = at ? (size_t)(at - rendered) : len;
        }
        st = prompt_llama_tokenize(&g->srv, rendered, len, 1, &c, err, errlen);
        free(rendered);
      }
    }
    if (st == BENCHY_OK) c += g->adjust;
    break;
  case PROMPT_METHOD_VLLM:
    if (!fc->chat) {
      st = prompt_vllm_tokenize(&g->srv, NULL, t, 0, 1, &c, err, errlen);
    } else if (fc->part == FIT_CONTEXT) {
      st = prompt_vllm_tokenize(&g->srv, t, fill_user, 1, 1, &c, err, errlen);
      c -= g->fill_plain;
    } else {
      st = prompt_vllm_tokenize(&g->srv, context_fixed, t, 1, 1, &c, err, errlen);
    }
    if (st == BENCHY_OK) c += g->adjust;
    break;
  default: {
    /* Predicted: the template overhead sits with the context when there
     * is one (tail assumed 0), else with the prompt. */
    int with_system = fc->chat && (fc->part == FIT_CONTEXT || context_fixed);
    int64_t ov = fc->chat ? (with_system ? g->ov_system : g->ov_user) : g->ov_user;
    if (fc->part == FIT_CONTEXT)
      c = ov + prompt_predict(g, units) + (fc->chat ? 0 : prompt_predict(g, 1));
    else
      c = ov + prompt_predict(g, units) + prompt_predict(g, fixed_units) + (!fc->chat && context_fixed ? prompt_predict(g, 1) : 0);
    break;
  }
  }
  *count = c;
  return st;
}

/* Finds units so that the count is target: Newton steps on the tokens-per-
 * unit slope, narrowed to the bracket seen so far. *exact says whether it
 * was hit; otherwise the closest candidate is left in fc->text. */
static int fit(prompt_gen *g, fit_ctx *fc, int64_t target, int64_t base, const char *context_fixed,
               int64_t fixed_units, int64_t *units_out, int64_t *count_out, int *exact, int *attempts,
               char *err, size_t errlen) {
  double slope = g->tpw > 0.05 ? g->tpw : 1.0;
  int64_t m = (int64_t)llround((double)(target - base) / slope);
  if (m < 1) m = 1;
  int64_t lo = 0, hi = INT64_MAX; /* counts below target at lo, above at hi */
  int64_t best_m = -1, best_c = 0;
  *exact = 0;
  for (int iter = 0; iter < 24; iter++) {
    int64_t c;
    int st = count_candidate(g, fc, m, context_fixed, fixed_units, &c, err, errlen);
    (*attempts)++;
    if (st != BENCHY_OK) return st;
    if (best_m < 0 || llabs(c - target) < llabs(best_c - target) ||
        (llabs(c - target) == llabs(best_c - target) && c < best_c)) {
      best_m = m;
      best_c = c;
    }
    if (c == target) {
      *exact = 1;
      break;
    }
    if (c < target) {
      if (m > lo) lo = m;
    } else if (m < hi) {
      hi = m;
    }
    int64_t step = (int64_t)llround((double)(target - c) / slope);
    if (step == 0) step = c < target ? 1 : -1;
    int64_t next = m + step;
    if (next <= lo) next = lo + 1;
    if (next >= hi) next = hi - 1;
    if (next < 1 || next <= lo || next >= hi || next == m) break; /* bracketed: no unit count fits */
    m = next;
  }
  if (!*exact && lo > 0 && hi == lo + 1 && g->method != PROMPT_METHOD_USAGE &&
      g->method != PROMPT_METHOD_ESTIMATE) {
    /* count(lo) < target < count(lo + 1): pad the shorter text with one-
     * token words. Counted methods only: a prediction cannot see the gap. */
    int64_t c_lo;
    int st = count_candidate(g, fc, lo, context_fixed, fixed_units, &c_lo, err, errlen);
    (*attempts)++;
    if (st != BENCHY_OK) return st;
    int64_t gap = target - c_lo;
    for (size_t f = 0; gap > 0 && gap <= 4 && f < sizeof fillers / sizeof fillers[0] && !*exact; f++) {
      fc->filler = fillers[f];
      fc->n_filler = (int)gap;
      int64_t c;
      st = count_candidate(g, fc, lo, context_fixed, fixed_units, &c, err, errlen);
      (*attempts)++;
      if (st != BENCHY_OK) return st;
      if (c == target) {
        *exact = 1;
        m = lo;
        best_c = c;
      }
    }
    if (!*exact) {
      fc->filler = NULL;
      fc->n_filler = 0;
      m = -1; /* the text in fc is not the best one: rebuild it below */
    }
  }
  if (!*exact && best_m != m) {
    int64_t c;
    int st = count_candidate(g, fc, best_m, context_fixed, fixed_units, &c, err, errlen);
    (*attempts)++;
    if (st != BENCHY_OK) return st;
    best_c = c;
  }
  *units_out = *exact ? m : best_m;
  *count_out = *exact ? target : best_c;
  return BENCHY_OK;
}

/* ---- making prompts ---- */

void prompt_text_free(prompt_text *t) {
  if (!t) return;
  free(t->system);
  free(t->user);
  memset(t, 0, sizeof *t);
}

static char *take_text(fit_ctx *fc) {
  char *s = fc->text.data ? fc->text.data : benchy_strdup("");
  fc->text = (benchy_buf){0};
  return s;
}

int prompt_make_pair(prompt_gen *g, uint64_t context_key, int64_t depth, uint64_t key, int64_t n,
                     prompt_text *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  int chat = g->cfg.api == BENCHY_ENDPOINT_CHAT;
  int verifies = prompt_gen_verifies(g);
  out->target = depth + n;
  out->context_target = depth;
  int st = BENCHY_OK;
  int exact_ctx = 1, exact_all = 0;
  char *context = NULL;
  int64_t ctx_units = 0;

  if (depth > 0) {
    fit_ctx fc = {chat, FIT_CONTEXT, context_key, DOMAIN_CONTEXT, NULL, {0}, NULL, 0};
    int64_t base = chat ? g->ov_system : g->ov_user;
    st = fit(g, &fc, depth, base, NULL, 0, &ctx_units, &out->context_tokens, &exact_ctx,
             &out->attempts, err, errlen);
    if (st != BENCHY_OK) {
      benchy_buf_free(&fc.text);
      return st;
    }
    context = take_text(&fc);
    if (!context) return BENCHY_ERR_NOMEM;
  }

  fit_ctx fc = {chat, FIT_TOTAL, key, DOMAIN_NEW, context, {0}, NULL, 0};
  int64_t units = 0, total = 0;
  int64_t base = depth > 0 ? out->context_tokens + (chat && g->tail > 0 ? g->tail : 0)
                           : g->ov_user;
  st = fit(g, &fc, depth + n, base, context, ctx_units, &units, &total, &exact_all, &out->attempts,
           err, errlen);
  if (st != BENCHY_OK) {
    benchy_buf_free(&fc.text);
    free(context);
    return st;
  }
  out->tokens = total;
  out->user = take_text(&fc);
  if (!out->user) {
    free(context);
    return BENCHY_ERR_NOMEM;
  }
  if (chat) {
    out->system = context;
  } else {
    out->context_len = context ? strlen(context) : 0;
    free(context);
  }
  if (depth == 0) out->context_tokens = 0;
  out->verified = verifies;
  out->exact = exact_ctx && exact_all && g->method != PROMPT_METHOD_ESTIMATE;
  return BENCHY_OK;
}

int prompt_make(prompt_gen *g, uint64_t key, int64_t n, prompt_text *out, char *err, size_t errlen) {
  return prompt_make_pair(g, 0, 0, key, n, out, err, errlen);
}

int prompt_context_only(const prompt_text *pair, benchy_endpoint api, prompt_text *out) {
  memset(out, 0, sizeof *out);
  out->target = out->context_target = pair->context_target;
  out->tokens = out->context_tokens = pair->context_tokens;
  out->verified = pair->verified;
  out->exact = pair->exact;
  if (api == BENCHY_ENDPOINT_CHAT) {
    out->system = pair->system ? benchy_strdup(pair->system) : NULL;
    out->user = benchy_strdup(fill_user);
    if ((pair->system && !out->system) || !out->user) {
      prompt_text_free(out);
      return BENCHY_ERR_NOMEM;
    }
    /* The fill's own length includes its short user message; what matters
     * is the prefix it leaves cached, context_tokens. */
    out->target = out->tokens = -1;
  } else {
    out->user = benchy_strndup(pair->user ? pair->user : "", pair->context_len);
    out->context_len = pair->context_len;
    if (!out->user) return BENCHY_ERR_NOMEM;
  }
  return BENCHY_OK;
}

int prompt_to_body(const prompt_text *t, benchy_endpoint api, cJSON *body) {
  if (api == BENCHY_ENDPOINT_CHAT) {
    cJSON *msgs = prompt_messages_json(t->system, t->user ? t->user : "");
    if (!msgs) return -1;
    cJSON_AddItemToObject(body, "messages", msgs);
    return 0;
  }
  return cJSON_AddStringToObject(body, "prompt", t->user ? t->user : "") ? 0 : -1;
}

int prompt_check_usage(const prompt_text *t, int64_t usage_prompt_tokens) {
  if (usage_prompt_tokens < 0) return -1;
  return usage_prompt_tokens == t->target;
}
