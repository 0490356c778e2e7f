/*
 * prompt_words.h — the text of generated prompts (prompt_words.c): a
 * seeded sentence generator, no server involved. prompt.h hands
 * prompt_words() on to its callers.
 */
#ifndef BENCHY_WORKLOAD_PROMPT_WORDS_H
#define BENCHY_WORKLOAD_PROMPT_WORDS_H

#include <stdint.h>

#include "../util.h"

/* Domains keep the context text of key k unlike the new text of key k. */
#define DOMAIN_NEW 0x6e657774ull
#define DOMAIN_CONTEXT 0x63747874ull

/* The raw generator, no server involved: appends about n_words words of
 * sentences for (seed, key) to b. Deterministic. Returns 0, -1 out of memory. */
BENCHY_INTERNAL int prompt_words(uint64_t seed, uint64_t key, int64_t n_words, benchy_buf *b);

/* Appends `units` units of text for (seed, domain, key) to b and
 * terminates it. Returns 0, -1 out of memory. */
BENCHY_INTERNAL int prompt_gen_text(uint64_t seed, uint64_t domain, uint64_t key, int64_t units,
                                    benchy_buf *b);

#endif
