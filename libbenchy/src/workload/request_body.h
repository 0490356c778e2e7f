/*
 * request_body.h — what the user asks to add to every request body.
 *
 * bench and load build their bodies differently (one prompt shape each), but
 * the fields the user chooses are the same for both and are decided here,
 * once: the sampling options (--temperature, --top-p, --top-k, --min-p,
 * --sampling-seed), --extra-body, and how an exact output length is forced.
 *
 * Unset sampling options are not sent, so the server's own default stays in
 * effect; llama-server says what that default is in GET /props, and the
 * result records it beside what was sent.
 *
 * --extra-body may add any field, but not one benchy sets itself to measure
 * (model, prompt, output length, stream, cache_prompt, n): those are refused
 * with the option to use instead, so a result never claims a length or a
 * cache setting that the request did not carry.
 */
#ifndef BENCHY_WORKLOAD_REQUEST_BODY_H
#define BENCHY_WORKLOAD_REQUEST_BODY_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "benchy/options.h"
#include "benchy/session.h"

typedef struct request_body request_body;

/* Reads the request-body options of o (bench or load). A bad --extra-body
 * (not a JSON object, a field benchy owns, a sampling field given twice)
 * fails with BENCHY_ERR_INVALID and a message naming the option. */
int request_body_new(request_body **out, const benchy_options *o, char *err, size_t errlen);
void request_body_free(request_body *rb);

/* Adds the fields that make every server produce exactly n tokens:
 * max_tokens, min_tokens (vLLM, SGLang), n_predict (llama.cpp) and
 * ignore_eos. 0 on success, -1 when out of memory. */
int request_body_force_length(cJSON *body, int64_t n);

/* 1 when load was asked for exact output lengths (--ignore-eos). */
int request_body_ignore_eos(const request_body *rb);

/* Adds the user's fields (sampling, then --extra-body) to a body benchy has
 * built. 0 on success, -1 when out of memory. */
int request_body_apply(const request_body *rb, cJSON *body);

/* Keeps the server's default sampler from a llama-server /props document
 * (default_generation_settings.params); a document without one is ignored. */
void request_body_note_server_defaults(request_body *rb, const cJSON *props);
/* Asks GET /props for it; a server without /props (vLLM, SGLang) is fine. */
void request_body_fetch_server_defaults(request_body *rb, benchy_session *s);

/* For the result: {"sent": {fields added to every request},
 * "sampler_in_effect": {each sampling field: sent, else the server's default,
 * else null}, "server_default_sampler": {...} or null,
 * "server_default_sampler_source"}. */
cJSON *request_body_describe(const request_body *rb);
/* The fields sent, as compact JSON (free with cJSON_free), for a resume
 * fingerprint; NULL when nothing is added, so that files written before
 * these options existed still match. */
char *request_body_fingerprint(const request_body *rb);
/* --extra-body as parsed (NULL when not given), for the result's config. */
const cJSON *request_body_extra(const request_body *rb);
/* A copy of the extra fields to write into results and journals: secret-
 * looking keys and key-shaped values redacted (meta_redact_tree). NULL: none,
 * or out of memory. */
cJSON *request_body_extra_shown(const request_body *rb);

#endif
