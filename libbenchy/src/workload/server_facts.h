/*
 * server_facts.h — what a server says about the model it serves, for
 * llama-bench's `size | params | backend` columns: llama-server's
 * /v1/models `meta` (n_params, size in bytes), /props build_info, and the
 * server kind from owned_by. Nothing is guessed: a fact the server does not
 * state stays absent.
 */
#ifndef BENCHY_WORKLOAD_SERVER_FACTS_H
#define BENCHY_WORKLOAD_SERVER_FACTS_H

#include <cJSON.h>
#include <stddef.h>

#include "../util.h"

/* From the /v1/models entry of the model: adds "owned_by",
 * "model_n_params" and "model_size" (bytes) to server when stated. */
BENCHY_INTERNAL void server_facts_from_model(cJSON *server, const cJSON *model_entry);

/* The backend as far as the server tells it ("llama.cpp b10470-34af94cd9",
 * "vLLM", "benchy-sim"), from server's "build_info" (llama-server /props)
 * and "owned_by"; "" when it does not say. */
BENCHY_INTERNAL void server_facts_backend(const cJSON *server, char *out, size_t len);

/* Adds "model_size", "model_n_params" and "backend" to a table row, each
 * only when known (a jsonl line stands alone, as llama-bench's do). */
BENCHY_INTERNAL void server_facts_to_row(const cJSON *server, cJSON *row);

#endif
