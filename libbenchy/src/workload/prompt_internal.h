/*
 * prompt_internal.h — what the files of the prompt generator share
 * (prompt.h is the interface): the generator's state, the text generator
 * (prompt_words.c), the calls that count tokens on the server
 * (prompt_server.c); prompt_calibrate.c picks the method and calibrates,
 * prompt.c sizes prompts to an exact length.
 */
#ifndef BENCHY_WORKLOAD_PROMPT_INTERNAL_H
#define BENCHY_WORKLOAD_PROMPT_INTERNAL_H

#include <math.h>

#include "prompt.h"

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

/* Units of a predicted (not counted) method. */
static inline int64_t prompt_predict(const prompt_gen *g, int64_t units) {
  return (int64_t)llround(g->tpw * (double)units);
}

/* ---- prompt_words.c ---- */

/* Appends `units` units of text for (seed, domain, key) to b and
 * terminates it. Returns 0, -1 out of memory. */
BENCHY_INTERNAL int prompt_gen_text(uint64_t seed, uint64_t domain, uint64_t key, int64_t units,
                                    benchy_buf *b);

/* ---- prompt_server.c: each counts one fetch (g->fetches; probes also
 * g->probes), and on failure says in err what failed. ---- */

/* A chat "messages" array: the system message when system, then user. */
BENCHY_INTERNAL cJSON *prompt_messages_json(const char *system, const char *user);
/* llama-server: tokens of text (rendered prompt or plain). */
BENCHY_INTERNAL int prompt_llama_tokenize(prompt_gen *g, const char *text, size_t len, int add_special,
                                          int64_t *count, char *err, size_t errlen);
/* llama-server: the chat template applied to the messages. */
BENCHY_INTERNAL int prompt_llama_render(prompt_gen *g, const char *system, const char *user,
                                        char **rendered, char *err, size_t errlen);
/* vLLM: /tokenize with messages (chat) or a prompt. */
BENCHY_INTERNAL int prompt_vllm_tokenize(prompt_gen *g, const char *system, const char *user, int chat,
                                         int add_special, int64_t *count, char *err, size_t errlen);
/* A generation of one token; *prompt_tokens from its usage (-1 when the
 * server reported none). */
BENCHY_INTERNAL int prompt_probe_usage(prompt_gen *g, const char *system, const char *user,
                                       int64_t *prompt_tokens, char *err, size_t errlen);

#endif
