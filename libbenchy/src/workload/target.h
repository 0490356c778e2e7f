/*
 * target.h — the server a run measures, as bench, load (and the Lua run)
 * all see it: its base URL and the form of it that may be shown or saved,
 * the API key and --header lines sent with every request, and the probe
 * session that asks it, before anything is measured, whether it serves the
 * model (server_check.h), what it is (server_facts.h) and how much context
 * a request may use (/props).
 *
 * The probe session blocks on a loop of its own that is watched for
 * interrupts (interrupt.h) and bounded by --probe-timeout (startup.h), so a
 * Ctrl-C or a stalled server ends the startup, not the whole --timeout.
 */
#ifndef BENCHY_WORKLOAD_TARGET_H
#define BENCHY_WORKLOAD_TARGET_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "benchy/benchy.h"
#include "../util.h"
#include "request_body.h"

typedef struct target {
  char *base_url;       /* --base-url, trailing '/' removed */
  char *shown_url;      /* base_url without user:password@: what messages and results carry */
  char *api_key;        /* NULL: none; wiped when freed, never written anywhere */
  const char **headers; /* --header "Name: value" lines (pointing into the options) */
  size_t n_headers;
  int64_t probe_timeout_ms; /* startup_probe_timeout_ms() */
  /* After target_connect: the probe session and the loop it blocks on. */
  benchy_loop *loop;
  benchy_session *sess;
  int watch; /* interrupt_watch() slot of loop, -1 none */
} target;

/* The API key the options give, or NULL: the one place it is read, so every
 * way of giving it (today --api-key-env VAR) reaches every command. The
 * string is the environment's or the options'; copy it to keep it. */
BENCHY_INTERNAL const char *target_api_key(const benchy_options *opts);

/* url without user:password@ (malloc'd; NULL: out of memory). Results and
 * messages never carry credentials. */
BENCHY_INTERNAL char *target_redact_url(const char *url);

/* Reads --base-url (checked: err names what is wrong with it), the API
 * key and --header of opts into t; asks nothing of the server yet. t is
 * zeroed first; target_free() it whatever this returns. */
BENCHY_INTERNAL int target_init(target *t, const benchy_options *opts, char *err, size_t errlen);

/* Creates t's loop (watched for interrupts) and its probe session with the
 * key, headers and --probe-timeout. */
BENCHY_INTERNAL int target_connect(target *t, char *err, size_t errlen);

/* GET models: *model (the name given, or NULL) is checked against what the
 * server serves, or set to the first it serves; server (may be NULL) gets
 * what /v1/models states of it. A timeout's message says which option to
 * raise. */
BENCHY_INTERNAL int target_check_model(target *t, const benchy_options *opts, char **model, cJSON *server,
                                       char *err, size_t errlen);

/* GET /props (llama-server; others have none, which is fine): adds
 * "total_slots" and "build_info" to server, notes the server's default
 * sampler in rb (may be NULL), and sets *n_ctx to the context one request
 * may use (/props n_ctx per slot, else server's "max_model_len" from
 * /v1/models; -1 unknown) and *source to where it came from. An error only
 * when the server did not answer in time or the run was interrupted. */
BENCHY_INTERNAL int target_read_context(target *t, const benchy_options *opts, cJSON *server,
                                        request_body *rb, int64_t *n_ctx, const char **source,
                                        char *err, size_t errlen);

/* From here on an interrupt no longer stops t's loop (interrupt_unwatch). */
BENCHY_INTERNAL void target_unwatch(target *t);

/* Unwatches and frees the probe session and loop, wipes the key. */
BENCHY_INTERNAL void target_free(target *t);

#endif
