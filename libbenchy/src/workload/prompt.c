/*
 * prompt.c — see prompt.h. A seeded sentence generator over a built-in word
 * list, and the search that sizes its output to an exact token count using
 * whatever the server offers to count with (/apply-template + /tokenize,
 * vLLM's /tokenize, or usage.prompt_tokens of probe requests).
 *
 * Text is a stream of "units" (a word, or a '.' / ',' mark), each close to
 * one token in every common vocabulary, so a count in units is a good first
 * guess of a count in tokens and the search converges in two or three calls.
 */
#include "prompt.h"

#include "../proto/openai.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Short, common words: one token each (with their leading space) in GPT-2,
 * cl100k, Llama 3 and Qwen vocabularies, and in the simulator's tokenizer
 * (at most 8 letters). "Ready" is in none of them: it opens the context-fill
 * message, which must share no first token with a generated text. */
static const char *const w_det[] = {"the", "a", "every", "this", "that", "each", "our", "their", "one", "some"};
static const char *const w_adj[] = {
    "quiet",  "bright", "old",    "small",  "green",   "warm",   "heavy",  "simple", "early",
    "narrow", "gentle", "open",   "broad",  "silver",  "yellow", "distant", "ancient", "careful",
    "strong", "tired",  "busy",   "clean",  "dark",    "deep",   "empty",  "fresh",  "golden",
    "happy",  "honest", "hungry", "little", "lonely",  "lucky",  "modern", "patient", "proud",
    "rapid",  "rich",   "rough",  "round",  "royal",   "sharp",  "short",  "silent", "smooth",
    "soft",   "steady", "strange", "sudden", "sweet",  "tall",   "thick",  "tiny",   "wild",
    "wise",   "young",  "calm",   "cold",   "dry",     "fair",   "fine",   "free",   "great",
    "hard",   "high",   "large",  "long",   "loud",    "new",    "plain",  "quick",  "rare",
    "safe",   "slow",   "solid",  "thin",   "true",    "vast",   "wet",    "blue",   "red"};
static const char *const w_noun[] = {
    "river",  "garden",  "city",    "window", "teacher", "farmer",  "village", "mountain",
    "letter", "market",  "forest",  "bridge", "kitchen", "harbor",  "island",  "library",
    "station", "valley", "painter", "doctor", "table",   "engine",  "road",    "house",
    "child",  "friend",  "story",   "song",   "boat",    "train",   "horse",   "bird",
    "tree",   "stone",   "field",   "lake",   "door",    "wall",    "street",  "school",
    "family", "morning", "evening", "winter", "summer",  "light",   "voice",   "paper",
    "book",   "picture", "music",   "water",  "bread",   "coffee",  "rain",    "wind",
    "cloud",  "shadow",  "corner",  "hill",   "beach",   "ship",    "captain", "student",
    "writer", "baker",   "sister",  "brother", "mother", "father",  "neighbor", "stranger",
    "lamp",   "clock",   "map",     "key",    "box",     "basket",  "coat",    "glass",
    "wheel",  "tower",   "castle",  "temple", "office",  "room",    "floor",   "roof",
    "path",   "journey", "plan",    "idea",   "answer",  "question", "game",   "team"};
static const char *const w_verb[] = {
    "carried", "watched", "found",   "opened",  "followed", "built",   "crossed", "painted",
    "visited", "reached", "left",    "kept",    "held",     "moved",   "passed",  "turned",
    "joined",  "lifted",  "pulled",  "pushed",  "covered",  "filled",  "cleaned", "counted",
    "touched", "noticed", "answered", "named",  "saved",    "shared",  "started", "changed",
    "brought", "taught",  "bought",  "caught",  "chose",    "wrote",   "gave",    "made",
    "took",    "saw",     "met",     "lost",    "sold",     "told",    "sent",    "fixed",
    "packed",  "planted", "guarded", "showed",  "helped",   "called",  "loved",   "liked"};
static const char *const w_prep[] = {"near",   "across", "behind", "beside", "under",  "over",
                                     "above",  "along",  "around", "beyond", "inside", "through",
                                     "past",   "into",   "after",  "before", "during", "without",
                                     "within", "toward", "from",   "with"};
static const char *const w_conj[] = {"and", "but", "while", "because", "until", "so", "when", "although"};
static const char *const w_adv[] = {"slowly", "quietly", "often", "again", "later",  "soon",
                                    "always", "rarely",  "gladly", "calmly", "finally", "today"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Sentence shapes: D det, A adj, N noun, V verb, P prep, C conj, R adverb,
 * '.' and ',' marks. The first sentence of every text opens with an
 * adjective and a noun (about 7000 pairs) rather than a determiner, so that
 * two texts rarely share even their first token. */
static const char *const shapes[] = {
    "DANVDNPDAN.", "DNVPDN,CDANVDN.", "PDAN,DNRVDN.", "DANCDNVPDN.", "DNVDNR.",
    "DAN,PDN,VDAN.", "RDNVDANPDN.",
};
static const char *const opener = "ANVDANPDN.";

/* The user message of a context-fill request (see prompt_context_only). */
static const char fill_user[] = "Ready?";

/* Probe texts use keys no caller uses, so they never pre-fill a real
 * prompt's prefix into the server's cache. */
#define PROBE_KEY ((uint64_t)1 << 63)
/* Domains keep the context text of key k unlike the new text of key k. */
#define DOMAIN_NEW 0x6e657774ull
#define DOMAIN_CONTEXT 0x63747874ull

struct prompt_gen {
  prompt_config cfg;
  char *model;
  int method;
  int probes_ok;        /* the server answered a generation probe */
  int64_t ov_user;      /* template tokens around a lone user message */
  int64_t ov_system;    /* around system + user */
  int64_t tail;         /* after the user text; -1 unknown */
  int64_t adjust;       /* server's usage count minus our tokenize count */
  int64_t fill_plain;   /* tokens of fill_user on its own (vLLM split) */
  double tpw;           /* tokens per unit */
  long fetches, probes;
  char notes[768];
};

/* ---- text generation ---- */

typedef struct gen_state {
  uint64_t rng;
  const char *shape; /* current sentence shape */
  size_t pos;        /* next slot in shape */
  int first_unit;    /* nothing emitted yet */
  int cap_next;      /* next word starts a sentence */
} gen_state;

static uint64_t mix_key(uint64_t seed, uint64_t domain, uint64_t key) {
  uint64_t s = seed ^ (domain * 0x9E3779B97F4A7C15ull);
  uint64_t a = benchy_rand_next(&s);
  s ^= key;
  return a ^ benchy_rand_next(&s);
}

static const char *pick(uint64_t *rng, const char *const *list, size_t n) {
  return list[benchy_rand_next(rng) % n];
}

/* Appends the next unit. */
static int gen_unit(gen_state *st, benchy_buf *b) {
  if (!st->shape || !st->shape[st->pos]) {
    st->shape = st->first_unit ? opener : shapes[benchy_rand_next(&st->rng) % N_OF(shapes)];
    st->pos = 0;
    st->cap_next = 1;
  }
  char slot = st->shape[st->pos++];
  if (slot == '.' || slot == ',') {
    st->first_unit = 0;
    return benchy_buf_append(b, &slot, 1);
  }
  const char *w;
  switch (slot) {
  case 'D': w = pick(&st->rng, w_det, N_OF(w_det)); break;
  case 'A': w = pick(&st->rng, w_adj, N_OF(w_adj)); break;
  case 'N': w = pick(&st->rng, w_noun, N_OF(w_noun)); break;
  case 'V': w = pick(&st->rng, w_verb, N_OF(w_verb)); break;
  case 'P': w = pick(&st->rng, w_prep, N_OF(w_prep)); break;
  case 'C': w = pick(&st->rng, w_conj, N_OF(w_conj)); break;
  default: w = pick(&st->rng, w_adv, N_OF(w_adv)); break;
  }
  if (!st->first_unit && benchy_buf_append(b, " ", 1)) return -1;
  size_t at = b->len;
  if (benchy_buf_append_str(b, w)) return -1;
  if (st->cap_next && b->data[at] >= 'a' && b->data[at] <= 'z') b->data[at] = (char)(b->data[at] - 32);
  st->cap_next = 0;
  st->first_unit = 0;
  return 0;
}

static int gen_text(uint64_t seed, uint64_t domain, uint64_t key, int64_t units, benchy_buf *b) {
  gen_state st = {mix_key(seed, domain, key), NULL, 0, 1, 1};
  if (benchy_buf_reserve(b, (size_t)(units > 0 ? units : 0) * 8 + 1)) return -1;
  for (int64_t i = 0; i < units; i++)
    if (gen_unit(&st, b)) return -1;
  return benchy_buf_terminate(b);
}

int prompt_words(uint64_t seed, uint64_t key, int64_t n_words, benchy_buf *b) {
  return gen_text(seed, DOMAIN_NEW, key, n_words, b);
}

/* ---- server calls ---- */


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

/* POSTs body to path; on HTTP 200 *doc is the parsed answer. Returns the
 * fetch status (HTTP errors included); err says what failed. */
static int post_json(prompt_gen *g, const char *path, cJSON *body, cJSON **doc, int *http,
                     char *err, size_t errlen) {
  *doc = NULL;
  *http = 0;
  char *text = cJSON_PrintUnformatted(body);
  if (!text) return BENCHY_ERR_NOMEM;
  char *answer = NULL;
  g->fetches++;
  int st = benchy_session_fetch(g->cfg.session, "POST", path, text, http, &answer);
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
    benchy_set_error(err, errlen, "%s", benchy_session_error(g->cfg.session));
  }
  free(answer);
  return st;
}

static cJSON *messages_json(const char *system, const char *user) {
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
static int llama_tokenize(prompt_gen *g, const char *text, size_t len, int add_special, int64_t *count,
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
  int st = post_json(g, "/tokenize", body, &doc, &http, err, errlen);
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
static int llama_render(prompt_gen *g, const char *system, const char *user, char **rendered,
                        char *err, size_t errlen) {
  *rendered = NULL;
  cJSON *body = cJSON_CreateObject();
  cJSON *msgs = messages_json(system, user);
  if (!body || !msgs) {
    cJSON_Delete(body);
    cJSON_Delete(msgs);
    return BENCHY_ERR_NOMEM;
  }
  cJSON_AddItemToObject(body, "messages", msgs);
  cJSON *doc;
  int http;
  int st = post_json(g, "/apply-template", body, &doc, &http, err, errlen);
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
static int vllm_tokenize(prompt_gen *g, const char *system, const char *user, int chat,
                         int add_special, int64_t *count, char *err, size_t errlen) {
  cJSON *body = cJSON_CreateObject();
  if (!body || (g->model && !cJSON_AddStringToObject(body, "model", g->model))) {
    cJSON_Delete(body);
    return BENCHY_ERR_NOMEM;
  }
  if (chat) {
    cJSON *msgs = messages_json(system, user);
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
  int st = post_json(g, "/tokenize", body, &doc, &http, err, errlen);
  cJSON_Delete(body);
  if (st != BENCHY_OK) return st;
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(doc, "count");
  const cJSON *toks = cJSON_GetObjectItemCaseSensitive(doc, "tokens");
  if (cJSON_IsNumber(c))
    *count = (int64_t)c->valuedouble;
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
static int probe_usage(prompt_gen *g, const char *system, const char *user, int64_t *prompt_tokens,
                       char *err, size_t errlen) {
  *prompt_tokens = -1;
  int chat = g->cfg.api == BENCHY_ENDPOINT_CHAT;
  cJSON *body = cJSON_CreateObject();
  if (!body || (g->model && !cJSON_AddStringToObject(body, "model", g->model)))
    goto oom;
  if (chat) {
    cJSON *msgs = messages_json(system, user);
    if (!msgs) goto oom;
    cJSON_AddItemToObject(body, "messages", msgs);
  } else if (!cJSON_AddStringToObject(body, "prompt", user)) {
    goto oom;
  }
  if (!cJSON_AddNumberToObject(body, "max_tokens", 1) || !cJSON_AddBoolToObject(body, "stream", 0))
    goto oom;
  if (g->cfg.no_cache && !cJSON_AddBoolToObject(body, "cache_prompt", 0)) goto oom;
  cJSON *doc;
  int http;
  g->probes++;
  int st = post_json(g, chat ? "chat/completions" : "completions", body, &doc, &http, err, errlen);
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

/* Units of a predicted (not counted) method. */
static int64_t predict(const prompt_gen *g, int64_t units) { return (int64_t)llround(g->tpw * (double)units); }

/* Server's count of the candidate of `units` units (for counting methods),
 * or the prediction (for the others). */
static int count_candidate(prompt_gen *g, fit_ctx *fc, int64_t units, const char *context_fixed,
                           int64_t fixed_units, int64_t *count, char *err, size_t errlen) {
  benchy_buf_clear(&fc->text);
  if (fc->part == FIT_TOTAL && !fc->chat && context_fixed) {
    if (benchy_buf_append_str(&fc->text, context_fixed)) return BENCHY_ERR_NOMEM;
  }
  if (gen_text(g->cfg.seed, fc->domain, fc->key, units, &fc->text)) return BENCHY_ERR_NOMEM;
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
      st = llama_tokenize(g, t, fc->text.len, 1, &c, err, errlen);
    } else {
      char *rendered = NULL;
      const char *sys = fc->part == FIT_CONTEXT ? t : context_fixed;
      const char *usr = fc->part == FIT_CONTEXT ? fill_user : t;
      st = llama_render(g, sys, usr, &rendered, err, errlen);
      if (st == BENCHY_OK) {
        size_t len = strlen(rendered);
        if (fc->part == FIT_CONTEXT) {
          /* The context is the rendered text up to where the user's words
           * begin: the last occurrence, as the system text comes first. */
          const char *at = NULL;
          for (const char *p = strstr(rendered, fill_user); p; p = strstr(p + 1, fill_user)) at = p;
          len = at ? (size_t)(at - rendered) : len;
        }
        st = llama_tokenize(g, rendered, len, 1, &c, err, errlen);
        free(rendered);
      }
    }
    if (st == BENCHY_OK) c += g->adjust;
    break;
  case PROMPT_METHOD_VLLM:
    if (!fc->chat) {
      st = vllm_tokenize(g, NULL, t, 0, 1, &c, err, errlen);
    } else if (fc->part == FIT_CONTEXT) {
      st = vllm_tokenize(g, t, fill_user, 1, 1, &c, err, errlen);
      c -= g->fill_plain;
    } else {
      st = vllm_tokenize(g, context_fixed, t, 1, 1, &c, err, errlen);
    }
    if (st == BENCHY_OK) c += g->adjust;
    break;
  default: {
    /* Predicted: the template overhead sits with the context when there
     * is one (tail assumed 0), else with the prompt. */
    int with_system = fc->chat && (fc->part == FIT_CONTEXT || context_fixed);
    int64_t ov = fc->chat ? (with_system ? g->ov_system : g->ov_user) : g->ov_user;
    if (fc->part == FIT_CONTEXT)
      c = ov + predict(g, units) + (fc->chat ? 0 : predict(g, 1));
    else
      c = ov + predict(g, units) + predict(g, fixed_units) + (!fc->chat && context_fixed ? predict(g, 1) : 0);
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

/* ---- calibration ---- */

static int count_plain_units(prompt_gen *g, uint64_t key, int64_t units, int64_t *count, char *err,
                             size_t errlen) {
  benchy_buf b = {0};
  if (gen_text(g->cfg.seed, DOMAIN_NEW, key, units, &b)) return BENCHY_ERR_NOMEM;
  int st = g->method == PROMPT_METHOD_LLAMA
               ? llama_tokenize(g, b.data, b.len, 0, count, err, errlen)
               : vllm_tokenize(g, NULL, b.data, 0, 0, count, err, errlen);
  benchy_buf_free(&b);
  return st;
}

/* Whole-prompt count by the current counting method (adjust not applied). */
static int count_whole(prompt_gen *g, const char *system, const char *user, int64_t *count, char *err,
                       size_t errlen) {
  int chat = g->cfg.api == BENCHY_ENDPOINT_CHAT;
  if (g->method == PROMPT_METHOD_LLAMA) {
    if (!chat) return llama_tokenize(g, user, strlen(user), 1, count, err, errlen);
    char *rendered = NULL;
    int st = llama_render(g, system, user, &rendered, err, errlen);
    if (st != BENCHY_OK) return st;
    st = llama_tokenize(g, rendered, strlen(rendered), 1, count, err, errlen);
    free(rendered);
    return st;
  }
  return vllm_tokenize(g, system, user, chat, 1, count, err, errlen);
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
  if (gen_text(g->cfg.seed, DOMAIN_NEW, PROBE_KEY | 1, w1, &u) ||
      gen_text(g->cfg.seed, DOMAIN_NEW, PROBE_KEY | 3, w1, &s)) {
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
    st = llama_render(g, NULL, u.data, &rendered, err, errlen);
    if (st == BENCHY_OK) {
      const char *at = strstr(rendered, u.data);
      int64_t upto = 0;
      if (at) st = llama_tokenize(g, rendered, (size_t)(at - rendered) + u.len, 1, &upto, err, errlen);
      if (st == BENCHY_OK && at) g->tail = cu - upto;
      free(rendered);
    }
  } else if (st == BENCHY_OK && chat) {
    int64_t fp = 0;
    st = vllm_tokenize(g, NULL, fill_user, 0, 0, &fp, err, errlen);
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
  if (gen_text(g->cfg.seed, DOMAIN_NEW, PROBE_KEY | 11, w1, &a) ||
      gen_text(g->cfg.seed, DOMAIN_NEW, PROBE_KEY | 12, w2, &b) ||
      gen_text(g->cfg.seed, DOMAIN_NEW, PROBE_KEY | 13, w1, &s))
    goto out;
  int64_t c1, c2, c3 = -1;
  st = probe_usage(g, NULL, a.data, &c1, err, errlen);
  if (st == BENCHY_OK) st = probe_usage(g, NULL, b.data, &c2, err, errlen);
  if (st == BENCHY_OK && chat) st = probe_usage(g, s.data, a.data, &c3, err, errlen);
  if (st != BENCHY_OK) goto out;
  g->probes_ok = 1;
  if (c1 < 0 || c2 < 0 || (chat && c3 < 0) || c2 <= c1) {
    benchy_set_error(err, errlen, "the server's answers carry no usable usage.prompt_tokens");
    st = BENCHY_ERR_UNSUPPORTED;
    goto out;
  }
  g->tpw = (double)(c2 - c1) / (double)(w2 - w1);
  g->ov_user = c1 - predict(g, w1);
  g->ov_system = chat ? c3 - predict(g, 2 * w1) : g->ov_user;
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
  if (gen_text(g->cfg.seed, DOMAIN_NEW, PROBE_KEY | 21, 48, &u)) return BENCHY_ERR_NOMEM;
  int64_t ours = 0, theirs = -1;
  int st = count_whole(g, NULL, u.data, &ours, err, errlen);
  if (st == BENCHY_OK) st = probe_usage(g, NULL, u.data, &theirs, err, errlen);
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
  int st = llama_render(g, NULL, "Hello there", &rendered, err, errlen);
  if (st != BENCHY_OK) return st;
  int64_t c = 0;
  st = llama_tokenize(g, "Hello there", 11, 0, &c, err, errlen);
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
  int st = vllm_tokenize(g, NULL, "Hello there", chat, 1, &c, err, errlen);
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

int prompt_gen_new(prompt_gen **out, const prompt_config *cfg, char *err, size_t errlen) {
  *out = NULL;
  prompt_gen *g = calloc(1, sizeof *g);
  if (!g) return BENCHY_ERR_NOMEM;
  g->cfg = *cfg;
  g->model = cfg->model ? benchy_strdup(cfg->model) : NULL;
  g->cfg.model = g->model;
  g->tpw = 1.0;
  g->tail = -1;
  int want = cfg->method;
  int st = BENCHY_OK;
  char why[256];

  if (cfg->session && (want == PROMPT_METHOD_AUTO || want == PROMPT_METHOD_LLAMA)) {
    why[0] = 0;
    g->method = PROMPT_METHOD_LLAMA;
    st = detect_llama(g, why, sizeof why);
    if (st == BENCHY_OK) st = calibrate_counted(g, why, sizeof why);
    if (st == BENCHY_OK && cfg->allow_probes) {
      st = cross_check(g, err, errlen);
      if (st != BENCHY_OK) goto fail; /* a generation failed: the user must see why */
    }
    if (st == BENCHY_OK) goto done;
    if (no_answer(st)) goto stalled;
    if (want == PROMPT_METHOD_LLAMA) {
      benchy_set_error(err, errlen, "llama-server tokenizer endpoints unavailable: %s", why);
      goto fail;
    }
    note(g, "no llama-server /apply-template + /tokenize (%s)", why);
  }
  if (cfg->session && (want == PROMPT_METHOD_AUTO || want == PROMPT_METHOD_VLLM)) {
    why[0] = 0;
    g->method = PROMPT_METHOD_VLLM;
    g->tail = -1;
    st = detect_vllm(g, why, sizeof why);
    if (st == BENCHY_OK) st = calibrate_counted(g, why, sizeof why);
    if (st == BENCHY_OK && cfg->allow_probes) {
      st = cross_check(g, err, errlen);
      if (st != BENCHY_OK) goto fail;
    }
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
  g->method = PROMPT_METHOD_ESTIMATE;
  g->tpw = 1.0;
  g->ov_user = g->ov_system = 0;
  g->tail = -1;
  g->adjust = 0;
  note(g, "prompt lengths are estimates (one token per word): not exact");
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
  cJSON_AddNumberToObject(o, "fetches", (double)g->fetches);
  cJSON_AddNumberToObject(o, "probes", (double)g->probes);
  return o;
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
    cJSON *msgs = messages_json(t->system, t->user ? t->user : "");
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
