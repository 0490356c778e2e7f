/*
 * prompt.h — natural-looking prompts of an exact length in tokens, as the
 * server itself counts them (its tokenizer, its chat template), without a
 * local tokenizer. Used by `benchy bench` (pp / depth prompts) and
 * `benchy load` (random datasets of exact lengths).
 *
 * Text. Sentences of common English words from a built-in word list, drawn
 * by a seeded generator. The words are chosen to be one token each in the
 * common BPE vocabularies (GPT-2, cl100k, Llama 3, Qwen), so a text of w
 * words is close to w tokens before any measurement. Every (seed, key) gives
 * a different text from its first word on, so two requests share no prefix
 * beyond the chat template's own tokens (cache busting); the same (seed,
 * key) always gives the same text, so a prompt can be rebuilt (--resume).
 *
 * Length. A prompt_gen probes the server once (prompt_gen_new) and picks the
 * best method it offers, in this order:
 *   1. PROMPT_METHOD_LLAMA  llama-server: POST /apply-template renders the
 *      messages with the server's template, POST /tokenize counts the
 *      rendered text. Every prompt is counted before it is sent.
 *   2. PROMPT_METHOD_VLLM   vLLM: POST /tokenize with {"model", "messages"}
 *      (chat) or {"model", "prompt"} (completions) returns "count". Every
 *      prompt is counted before it is sent.
 *   3. PROMPT_METHOD_USAGE  anything else: probe requests (max_tokens 1)
 *      measure usage.prompt_tokens for texts of two known lengths; the
 *      slope is the tokens-per-word ratio, the intercept the template
 *      overhead. Lengths are predicted, not counted: prompt_text.verified is
 *      0, and the caller must compare with the usage.prompt_tokens of the
 *      real request (prompt_check_usage) and flag a mismatch.
 *   4. PROMPT_METHOD_ESTIMATE  nothing answered (or the caller forbade
 *      probes): one token per word, overhead 0. Never exact; prompt_text.exact
 *      is 0 and the caller must say so in its output.
 * There is no silent fallback: prompt_gen_method() says which was used and
 * prompt_gen_notes() why the better ones were not. A probe that gets no
 * answer in time (BENCHY_ERR_TIMEOUT: the session's timeout) or is
 * interrupted (BENCHY_ERR_CANCELLED) is no reason to fall back: it ends
 * prompt_gen_new with that status, err naming the request.
 *
 * Shape of a chat prompt (as llama-benchy sends it): the system message holds
 * the context (depth) text, the user message the new (pp) text. Rendered by
 * a template that is
 *     head + SYSTEM + mid + USER + tail
 * where head/mid/tail are template tokens. For llama-bench's meaning of
 * depth, the "context" is everything up to the user text (head + SYSTEM +
 * mid) and the "new" tokens are USER + tail: prompt_make_pair sizes SYSTEM
 * so that the context is exactly depth tokens and USER so that the new part
 * is exactly n tokens; the whole prompt is then depth + n tokens. Where the
 * split of the overhead between the parts cannot be measured (vLLM, usage
 * probes) the tail is assumed to be 0 and prompt_gen_split_known() is 0.
 * Completions prompts are CONTEXT + NEW concatenated (CONTEXT ends with a
 * newline, so the tokenizer cannot merge across the boundary); head is the
 * BOS the server adds.
 *
 * Threads: a prompt_gen is used from one thread at a time, and never from a
 * loop callback (it makes blocking fetches on the session's server). Build
 * prompts before the run, or call from the runner's next() only with
 * PROMPT_METHOD_USAGE/ESTIMATE (which make no requests after prompt_gen_new)
 * behind a lock.
 */
#ifndef BENCHY_WORKLOAD_PROMPT_H
#define BENCHY_WORKLOAD_PROMPT_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "benchy/benchy.h"
#include "../util.h"
#include "prompt_words.h"

typedef enum prompt_method {
  PROMPT_METHOD_AUTO = 0,     /* prompt_config.method: pick the best available */
  PROMPT_METHOD_LLAMA = 1,    /* /apply-template + /tokenize (llama-server) */
  PROMPT_METHOD_VLLM = 2,     /* /tokenize with messages or prompt (vLLM) */
  PROMPT_METHOD_USAGE = 3,    /* calibrated from usage.prompt_tokens of probes */
  PROMPT_METHOD_ESTIMATE = 4  /* one token per word; lengths not exact */
} prompt_method;

typedef struct prompt_config {
  benchy_session *session; /* for benchy_session_fetch(); not owned; NULL: ESTIMATE only */
  const char *model;       /* sent with /tokenize and probes */
  benchy_endpoint api;     /* CHAT: system + user messages; COMPLETIONS: one prompt */
  uint64_t seed;
  int method;              /* PROMPT_METHOD_AUTO, or force one (fails if unavailable) */
  int allow_probes;        /* may send max_tokens-1 generation requests (USAGE) */
  int no_cache;            /* probes carry cache_prompt: false */
} prompt_config;

typedef struct prompt_gen prompt_gen;

/* Probes the server and calibrates (a few small fetches; with USAGE also
 * two to four max_tokens-1 generations). Fails when cfg->method forces a
 * method the server does not offer, when a probe generation fails, times
 * out or is interrupted, or out of memory; err says why. */
BENCHY_INTERNAL int prompt_gen_new(prompt_gen **out, const prompt_config *cfg, char *err,
                                   size_t errlen);
BENCHY_INTERNAL void prompt_gen_free(prompt_gen *g);

BENCHY_INTERNAL int prompt_gen_method(const prompt_gen *g);
/* "llama-tokenize", "vllm-tokenize", "usage-calibration", "estimate". */
BENCHY_INTERNAL const char *prompt_method_name(int method);
/* 1 when each prompt's length is counted by the server before sending. */
BENCHY_INTERNAL int prompt_gen_verifies(const prompt_gen *g);
/* Template tokens around a prompt (chat: with a system message when
 * with_system, else a user message alone; completions: the BOS). */
BENCHY_INTERNAL int64_t prompt_gen_overhead(const prompt_gen *g, int with_system);
/* Template tokens after the user text (the assistant header); -1 unknown. */
BENCHY_INTERNAL int64_t prompt_gen_tail(const prompt_gen *g);
BENCHY_INTERNAL int prompt_gen_split_known(const prompt_gen *g);
/* Why better methods were not used, for people ("" when the best was). */
BENCHY_INTERNAL const char *prompt_gen_notes(const prompt_gen *g);
/* {"method", "verifies", "overhead_user", "overhead_system", "tail",
 *  "tokens_per_word", "notes", "fetches", "probes"}; NULL out of memory. */
BENCHY_INTERNAL cJSON *prompt_gen_describe(const prompt_gen *g);

typedef struct prompt_text {
  char *system;          /* chat: the system message (context), NULL when none */
  char *user;            /* chat: the user message; completions: the whole prompt */
  int64_t target;        /* tokens asked for, whole prompt (context + new) */
  int64_t tokens;        /* whole prompt as the server counts it (verified) or predicts */
  int64_t context_target;/* pair only: tokens of the context part asked for */
  int64_t context_tokens;/* pair only: context part as counted/predicted */
  size_t context_len;    /* completions pair: the first context_len bytes of user
                            are the context text */
  int verified;          /* 1: tokens was counted by the server's tokenizer */
  int exact;             /* 1: tokens == target (and context too), as far as known */
  int attempts;          /* tokenize calls it took */
} prompt_text;

/* A prompt of exactly n tokens in total (template included): a user
 * message alone (chat) or a bare prompt (completions). key selects the text
 * (use the request index). Returns BENCHY_OK even when the length could not
 * be made exact (out->exact says so); an error only for a failed fetch that
 * the method needs, or out of memory (err says which). n smaller than the
 * template overhead gives the shortest prompt (one word), exact = 0. */
BENCHY_INTERNAL int prompt_make(prompt_gen *g, uint64_t key, int64_t n, prompt_text *out, char *err,
                                size_t errlen);

/* A prompt whose context part is exactly depth tokens and whose new part is
 * exactly n tokens (see the shape above); depth 0 is prompt_make(). The
 * context text depends on context_key only and the new text on key only, so
 * requests that share context_key share the context prefix (cached depth),
 * and distinct context_keys share nothing (resend). */
BENCHY_INTERNAL int prompt_make_pair(prompt_gen *g, uint64_t context_key, int64_t depth,
                                     uint64_t key, int64_t n, prompt_text *out, char *err,
                                     size_t errlen);

/* The request that fills the cache with a pair's context (llama-bench's
 * untimed depth fill): the same system message (chat) with a short user
 * message that shares no first token with any generated text; for
 * completions the context text alone. Copies into out (system, user). */
BENCHY_INTERNAL int prompt_context_only(const prompt_text *pair, benchy_endpoint api,
                                        prompt_text *out);

BENCHY_INTERNAL void prompt_text_free(prompt_text *t);

/* Adds the prompt to an OpenAI request body: "messages" (chat) or "prompt"
 * (completions). Returns 0, or -1 out of memory. */
BENCHY_INTERNAL int prompt_to_body(const prompt_text *t, benchy_endpoint api, cJSON *body);

/* After the real request: compares the server's usage.prompt_tokens with the
 * prompt's target. Returns 1 when they agree, 0 when not, -1 when the server
 * did not report usage. */
BENCHY_INTERNAL int prompt_check_usage(const prompt_text *t, int64_t usage_prompt_tokens);

#endif
