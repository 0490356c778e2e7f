/*
 * prompt_server.h — the calls that count a prompt's tokens on the server
 * (prompt_server.c), for the prompt generator's calibration (prompt.c) and
 * sizing search (prompt_fit.c).
 */
#ifndef BENCHY_WORKLOAD_PROMPT_SERVER_H
#define BENCHY_WORKLOAD_PROMPT_SERVER_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "benchy/benchy.h"
#include "../util.h"

/* Where and how to count, and how often it was asked. */
typedef struct prompt_counter {
  benchy_session *session; /* not owned */
  const char *model;       /* sent with vLLM's /tokenize and probes; not owned */
  benchy_endpoint api;     /* probes: chat/completions or completions */
  int no_cache;            /* probes carry cache_prompt: false */
  long fetches, probes;
} prompt_counter;

/* Each call counts one fetch (c->fetches; a probe also c->probes) and on
 * failure says in err what failed: the HTTP status and the server's
 * message, or what the answer lacked. */

/* A chat "messages" array: the system message when system, then user. */
BENCHY_INTERNAL cJSON *prompt_messages_json(const char *system, const char *user);
/* llama-server: tokens of text (rendered prompt or plain). */
BENCHY_INTERNAL int prompt_llama_tokenize(prompt_counter *c, const char *text, size_t len, int add_special,
                                          int64_t *count, char *err, size_t errlen);
/* llama-server: the chat template applied to the messages. */
BENCHY_INTERNAL int prompt_llama_render(prompt_counter *c, const char *system, const char *user,
                                        char **rendered, char *err, size_t errlen);
/* vLLM: /tokenize with messages (chat) or a prompt. */
BENCHY_INTERNAL int prompt_vllm_tokenize(prompt_counter *c, const char *system, const char *user, int chat,
                                         int add_special, int64_t *count, char *err, size_t errlen);
/* A generation of one token; *prompt_tokens from its usage (-1 when the
 * server reported none). */
BENCHY_INTERNAL int prompt_probe_usage(prompt_counter *c, const char *system, const char *user,
                                       int64_t *prompt_tokens, char *err, size_t errlen);

#endif
