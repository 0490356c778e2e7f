/*
 * tokenizer.h — the simulator's deterministic tokenizer, its ChatML chat
 * template, and the word list the simulated model "generates" from.
 *
 * The tokenizer is invertible: every id maps back to exactly one piece, so
 * /detokenize(/tokenize(text)) == text for any text, and token ids are
 * stable across runs, seeds and versions (docs/simulator.md gives the rules).
 */
#ifndef BENCHY_SIM_TOKENIZER_H
#define BENCHY_SIM_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct cJSON;

/* Ids: 1 and 2 are the chat markers, 16+b a single byte (ASCII that is not a
 * letter or digit, or a byte that is not valid UTF-8), 272+cp a code point
 * >= 0x80, SIM_TOK_RUN_BASE + ... a run of letters/digits (see tokenizer.c). */
#define SIM_TOK_IM_START 1
#define SIM_TOK_IM_END 2
#define SIM_TOK_RUN_BASE ((int64_t)1 << 21)
#define SIM_TOK_MAX_RUN 8 /* longest letter/digit run in one token */

/* Called once per token, in order; piece points into the text. */
typedef void (*sim_tok_fn)(void *ud, int64_t id, const char *piece, size_t len);

/* Tokenizes text[0..len); returns the number of tokens. fn may be NULL. */
BENCHY_INTERNAL size_t sim_tokenize(const char *text, size_t len, sim_tok_fn fn, void *ud);

/* Appends the piece of token id to out. -1 when no piece has that id
 * (out unchanged), -2 out of memory. */
BENCHY_INTERNAL int sim_detokenize_one(int64_t id, benchy_buf *out);

/* Renders messages (and tools, may be NULL) with the ChatML template into
 * out, ending with the assistant generation prompt. -1 with a message in err
 * when a message is not usable, -2 out of memory. */
BENCHY_INTERNAL int sim_apply_template(const struct cJSON *messages, const struct cJSON *tools,
                                       benchy_buf *out, char *err, size_t errlen);

/* Appends the text of a message "content" (string, null, or an array of
 * {type:"text", text} parts, concatenated). -1 when it is none of these. */
BENCHY_INTERNAL int sim_content_text(const struct cJSON *content, benchy_buf *out);

/* Words of generated text: each is at most 8 lowercase letters, so " word"
 * is exactly one token of this tokenizer. */
#define SIM_WORD_COUNT 128
typedef struct sim_word {
  const char *text;
  unsigned char len;
} sim_word;
BENCHY_INTERNAL extern const sim_word sim_words[SIM_WORD_COUNT];

#endif
