/*
 * server_check.h — what every client command asks the server before it
 * sends anything measured: is it reachable, and does it serve the model.
 * One check for bench, load (and the Lua run), so that a wrong --model or a
 * missing API key stops each of them the same way, before a request is sent.
 */
#ifndef BENCHY_WORKLOAD_SERVER_CHECK_H
#define BENCHY_WORKLOAD_SERVER_CHECK_H

#include <cJSON.h>
#include <stddef.h>

#include "benchy/benchy.h"
#include "../util.h"

/* GET models on sess. *model is the name the user gave, checked against the
 * served list, or NULL, and then set (malloc'd) to the first model served.
 * shown_url is the base URL without credentials, for messages. info (may be
 * NULL) gets the model's "max_model_len" when the server lists it.
 * BENCHY_OK, or an error whose err names the problem and what to do (the
 * models served, when the name is wrong). */
BENCHY_INTERNAL int server_check_model(benchy_session *sess, const char *shown_url, char **model,
                                       cJSON *info, char *err, size_t errlen);

#endif
