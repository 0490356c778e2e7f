/*
 * load_freshness.h — that `benchy load` measures the server, not its prompt
 * cache: prompt texts new to the server on every run, and a per-level check
 * of what the server says it served from its cache (docs/load.md, "Prompts
 * are new to the server").
 *
 * Texts. Synthetic prompts are made from (text seed, request key); the text
 * seed mixes --seed with a run nonce drawn afresh for every run, so that a
 * second run of the same command sends texts the server has not seen while
 * --seed still fixes every length and the dataset's structure. The nonce is
 * written into the result; --prompt-nonce N makes that run's texts again.
 * Nonce 0 is the seed's own texts (--repeat-prompts).
 *
 * Cache check. Per request, the tokens the server served from its cache
 * (load_record_cached_tokens) against what the dataset meant to be cached:
 * nothing for random prompts, the shared prefix for the prefix dataset,
 * anything when repeats were asked for (--repeat-prompts, a dataset file).
 * A request is "served from cache unexpectedly" when it got more than that
 * plus a little slack (llama.cpp reuses a few template tokens of any
 * prompt). A level with such requests gets a warning.
 */
#ifndef BENCHY_WORKLOAD_LOAD_FRESHNESS_H
#define BENCHY_WORKLOAD_LOAD_FRESHNESS_H

#include <cJSON.h>
#include <stdint.h>

#include "../util.h"

/* Why cache hits would be expected in a level. */
typedef enum load_repeats {
  LOAD_REPEATS_NONE = 0,  /* every prompt meant to be new to the server */
  LOAD_REPEATS_PREFIX,    /* prefix dataset: the shared prefix is meant to be cached */
  LOAD_REPEATS_ASKED,     /* --repeat-prompts */
  LOAD_REPEATS_FILE       /* a dataset file: its prompts are what they are */
} load_repeats;

/* The largest nonce: exact in a JSON number (a double). */
#define LOAD_NONCE_MAX ((uint64_t)1 << 53)

/* A fresh nonce in [1, LOAD_NONCE_MAX): differs between runs. */
BENCHY_INTERNAL uint64_t load_fresh_nonce(void);
/* The seed synthetic texts are made from: seed itself for nonce 0. */
BENCHY_INTERNAL uint64_t load_text_seed(uint64_t seed, uint64_t nonce);

typedef struct load_cache_tally {
  int64_t reporting;            /* successful requests whose server said what it cached */
  int64_t input_tokens;         /* their prompt tokens */
  int64_t cached_tokens;        /* their cached prompt tokens */
  int64_t unexpected_requests;  /* requests served from cache beyond what was meant */
  int64_t unexpected_tokens;    /* cached tokens beyond what was meant */
} load_cache_tally;

/* One successful request: cached -1 when the server did not say;
 * expected_cached the tokens meant to be cached (the prefix), or -1 for
 * "any" (repeats asked for). */
BENCHY_INTERNAL void load_cache_count(load_cache_tally *t, int64_t cached, int64_t input_tokens,
                                      int64_t expected_cached);
BENCHY_INTERNAL void load_cache_merge(load_cache_tally *into, const load_cache_tally *from);

/* Adds "prompt_cache" to level_obj ({"cached_tokens", "input_tokens",
 * "cached_share", "reported_by", "expected", "unexpected_requests",
 * "unexpected_cached_tokens", "warning"}) and, when the level was served
 * from cache unexpectedly, appends the warning to the level's "warnings".
 * Returns the warning (owned by level_obj) or NULL. */
BENCHY_INTERNAL const char *load_cache_report(const load_cache_tally *t, load_repeats repeats,
                                              cJSON *level_obj);

BENCHY_INTERNAL const char *load_repeats_name(load_repeats r);

#endif
