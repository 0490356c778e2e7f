/*
 * dataset.h — the prompts of a load run, and how long each answer should be.
 *
 * Four sources:
 *  - random: input and output lengths drawn uniformly from
 *    [len (1 - r), len (1 + r)] (vLLM's --random-range-ratio), the text made
 *    by a dataset_textgen to the exact length (load.c plugs prompt.h in);
 *  - prefix: num_groups shared prefixes of prefix_len tokens, each prompt a
 *    randomly chosen group's prefix followed by a unique part of input_len
 *    tokens (to measure prefix caching);
 *  - sharegpt: a JSON array of {"conversations": [{"from": "human"|"gpt",
 *    "value": "..."}, ...]}; the first human turn is the prompt, the reply
 *    after it sets the output length (a token estimate, see below) unless a
 *    fixed length is given;
 *  - jsonl: one object per line, {"prompt": "..."} or {"messages": [...]},
 *    optionally with "output_len" or "max_tokens".
 *
 * Everything is seeded: the same seed picks the same entries in the same
 * order and draws the same lengths, so two runs send the same requests.
 * File errors name the path, the line and the field that is wrong.
 *
 * Token estimates for file text (no tokenizer at hand): one token per four
 * bytes of UTF-8, at least one per word — close for English BPE
 * vocabularies. They only set max_tokens and the expected input length; the
 * reported token counts come from the server's usage.
 */
#ifndef BENCHY_WORKLOAD_DATASET_H
#define BENCHY_WORKLOAD_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "../util.h"

typedef enum dataset_kind {
  DATASET_RANDOM = 0,
  DATASET_SHAREGPT = 1,
  DATASET_JSONL = 2,
  DATASET_PREFIX = 3
} dataset_kind;

typedef struct dataset_item {
  char *system;         /* chat system message (prefix dataset: the shared prefix), or NULL */
  char *prompt;         /* user message (completions: the whole prompt); NULL with messages */
  char *messages_json;  /* jsonl "messages": the array as compact JSON, or NULL */
  int64_t input_tokens; /* intended or estimated prompt tokens; -1 unknown */
  int input_exact;      /* 1: input_tokens is exact as the server counts it */
  int64_t output_len;   /* max_tokens to ask for; -1: the server's default */
  int64_t group;        /* prefix dataset: the group; -1 otherwise */
  uint64_t line;        /* files: the line the entry starts on; 0 otherwise */
} dataset_item;

typedef struct dataset {
  int kind;             /* dataset_kind */
  dataset_item *items;
  size_t n;
  size_t skipped;       /* file entries without a usable prompt */
  int64_t exact_misses; /* synthetic: prompts whose length could not be made exact */
} dataset;

/* Makes the text of one synthetic prompt: context_tokens of shared context
 * chosen by context_key (0 tokens: none), then n new tokens chosen by key;
 * the whole prompt is context_tokens + n tokens. Fills item->system (the
 * context, or NULL), item->prompt, item->input_tokens and item->input_exact
 * with malloc'd strings. Returns BENCHY_OK or an error with err filled. */
typedef struct dataset_textgen {
  void *userdata;
  int (*make)(void *userdata, uint64_t context_key, int64_t context_tokens, uint64_t key,
              int64_t n, dataset_item *item, char *err, size_t errlen);
} dataset_textgen;

typedef struct dataset_synth_config {
  int kind;            /* DATASET_RANDOM or DATASET_PREFIX */
  size_t n;            /* prompts to make */
  int64_t input_len;   /* random: mean prompt length; prefix: the unique part */
  int64_t output_len;
  double range_ratio;  /* lengths uniform in [len (1 - r), len (1 + r)] */
  int64_t prefix_len;  /* prefix: shared tokens per group */
  int64_t num_groups;  /* prefix: distinct prefixes */
  uint64_t seed;       /* lengths and group choice */
  uint64_t key_base;   /* request i's text key is key_base + i (distinct bases: distinct texts) */
} dataset_synth_config;

BENCHY_INTERNAL int dataset_synthesize(dataset *out, const dataset_synth_config *cfg,
                                       const dataset_textgen *gen, char *err, size_t errlen);

typedef struct dataset_file_config {
  int kind;                /* DATASET_SHAREGPT or DATASET_JSONL */
  const char *path;
  int64_t fixed_output_len;/* > 0: every entry asks for this many tokens */
  int64_t default_output_len; /* jsonl lines without a length; -1: server default */
} dataset_file_config;

/* Reads every usable entry of the file. Errors: BENCHY_ERR_IO (cannot
 * read), BENCHY_ERR_INVALID (a malformed entry: "path:LINE: what is wrong"),
 * BENCHY_ERR_NOT_FOUND (no usable entry at all). */
BENCHY_INTERNAL int dataset_load_file(dataset *out, const dataset_file_config *cfg, char *err,
                                      size_t errlen);

/* n entries for a run: a seeded permutation of d's items, repeated as often
 * as n needs; out[i] points into d. */
BENCHY_INTERNAL void dataset_pick(const dataset *d, uint64_t seed, size_t n,
                                  const dataset_item **out);

BENCHY_INTERNAL void dataset_free(dataset *d);

/* The token estimate used for file text (see above). */
BENCHY_INTERNAL int64_t dataset_estimate_tokens(const char *text);

/* "random" / "sharegpt" / "jsonl" / "prefix" → kind; -1 otherwise. */
BENCHY_INTERNAL int dataset_kind_from_name(const char *name);
BENCHY_INTERNAL const char *dataset_kind_name(int kind);

/* A length drawn uniformly from [len (1 - r), len (1 + r)], at least 1
 * (integers, both ends included, as vLLM's random dataset draws them). */
BENCHY_INTERNAL int64_t dataset_draw_len(uint64_t *rng, int64_t len, double ratio);

#endif
