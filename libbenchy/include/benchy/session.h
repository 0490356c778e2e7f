/*
 * Streaming client sessions and requests.
 *
 * A session holds what every request to one server shares: the base URL,
 * the API key (kept in memory only, never written anywhere), extra headers
 * and timeouts. Its connections are reused across requests.
 *
 * A request is one streamed call to /v1/chat/completions or
 * /v1/completions. Starting it never blocks; the loop that owns the session
 * drives it, on the loop's thread, and calls on_done exactly once with the
 * finished record: after the transport is done with the request (never
 * from inside libcurl), or from benchy_request_cancel().
 *
 *   benchy_loop *loop; benchy_loop_new(&loop);
 *   benchy_session *s; benchy_session_new_err(&s, loop, "http://127.0.0.1:8090/v1", err, errlen);
 *   benchy_request *r; benchy_request_new(&r, s, BENCHY_ENDPOINT_CHAT, body_json);
 *   benchy_request_set_on_done(r, done_cb, ctx);
 *   benchy_request_start(r, 0);
 *   benchy_loop_run(loop, BENCHY_RUN_DEFAULT);
 *   benchy_request_free(r); benchy_session_free(s); benchy_loop_free(loop);
 *
 * examples/c/stream_one.c is the complete program (docs/c-api.md).
 */
#ifndef BENCHY_SESSION_H
#define BENCHY_SESSION_H

#include "benchy/export.h"

#include <stddef.h>
#include <stdint.h>

#include "benchy/loop.h"
#include "benchy/record.h"

#ifdef __cplusplus
extern "C" {
#endif


typedef struct benchy_session benchy_session;
typedef struct benchy_request benchy_request;

/* base_url includes the API prefix, as users type it: http://host:8090/v1.
 * It must be http:// or https://, name a host, and carry no query or
 * fragment; a port, when given, is 1-65535. A URL that is not is
 * BENCHY_ERR_INVALID before anything is sent. Trailing slashes are dropped.
 * The session keeps a pointer to loop: free the session before the loop. */
BENCHY_API int benchy_session_new(benchy_session **out, benchy_loop *loop, const char *base_url);
/* The same, and on failure err (when not NULL) holds a sentence that names
 * what is wrong with base_url and what a valid one looks like; "" on
 * success. Credentials in the URL are never copied into err. */
BENCHY_API int benchy_session_new_err(benchy_session **out, benchy_loop *loop, const char *base_url,
                                      char *err, size_t errlen);
/* NOT YET AS PROMISED: the intended contract is that requests still
 * attached are cancelled first. Today they are freed, in flight or not,
 * without on_done: every benchy_request * of this session is dangling
 * afterwards and must not be freed again. */
BENCHY_API void benchy_session_free(benchy_session *s);
BENCHY_API const char *benchy_session_base_url(const benchy_session *s);
/* Sent as "Authorization: Bearer <key>"; copied, wiped on free. NULL clears.
 * An Authorization header given to benchy_session_add_header wins: only one
 * Authorization header is ever sent. */
BENCHY_API int benchy_session_set_api_key(benchy_session *s, const char *key);
/* "Name: value"; for headers that carry secrets use the API key instead:
 * header values are never written to results, but names are. */
BENCHY_API int benchy_session_add_header(benchy_session *s, const char *header_line);
/* 1 when an API key is set but an added Authorization header replaces it. */
BENCHY_API int benchy_session_key_overridden(const benchy_session *s);

/* Secrets. The session scrubs every value it knows to be secret (each API
 * key it was given, every header value of 4 bytes or more, and the
 * credentials of an Authorization header) from the text it hands out:
 * record errors, benchy_session_error(), fetched bodies. Each run of secret
 * bytes becomes "[redacted]". These apply the same rule to other text:
 * benchy_session_scrub with the session's secrets; benchy_options_scrub
 * with those that options name (the --api-key-env variable's value and
 * --header values), for a run's error text. Both work in place on a
 * NUL-terminated string in cap bytes (cutting it if the marker makes it
 * longer) and return BENCHY_OK, or BENCHY_ERR_NOMEM (text is then emptied). */
BENCHY_API int benchy_session_scrub(const benchy_session *s, char *text, size_t cap);
struct benchy_options;
BENCHY_API int benchy_options_scrub(const struct benchy_options *o, char *text, size_t cap);
/* 1 when the options name both an API key (set in the environment) and an
 * --header 'Authorization: ...': the header is the one sent. */
BENCHY_API int benchy_options_key_overridden(const struct benchy_options *o);
/* Whole-request timeout; 0 = none (default). Both timeouts apply to
 * requests created after the call. */
BENCHY_API int benchy_session_set_timeout_ms(benchy_session *s, int64_t timeout_ms);
/* Connect timeout (default 10 s). */
BENCHY_API int benchy_session_set_connect_timeout_ms(benchy_session *s, int64_t timeout_ms);
/* What the last failing call on this session (add_header, set_api_key,
 * request_new, request_set_flags, fetch) had to say; owned by the session.
 * Failures of a streamed request are in its record->error instead. */
BENCHY_API const char *benchy_session_error(const benchy_session *s);

typedef enum benchy_endpoint {
  BENCHY_ENDPOINT_CHAT = 0,       /* POST {base}/chat/completions */
  BENCHY_ENDPOINT_COMPLETIONS = 1 /* POST {base}/completions */
} benchy_endpoint;

typedef enum benchy_request_flag {
  BENCHY_KEEP_TEXT = 1u << 0,   /* keep content and reasoning text in the record */
  BENCHY_KEEP_CHUNKS = 1u << 1, /* keep every chunk's benchy_chunk_event */
  BENCHY_NO_STREAM_OPTIONS = 1u << 2 /* do not add stream_options.include_usage */
} benchy_request_flag;

/* body_json is the OpenAI request body; "stream": true and
 * "stream_options": {"include_usage": true} are added when absent. It is
 * validated (a parse error is BENCHY_ERR_INVALID with the position) and
 * copied. */
BENCHY_API int benchy_request_new(benchy_request **out, benchy_session *s, benchy_endpoint endpoint,
                                  const char *body_json);
/* Frees the request; one still in flight is cancelled without on_done. */
BENCHY_API void benchy_request_free(benchy_request *r);

BENCHY_API int benchy_request_set_flags(benchy_request *r, unsigned flags);
/* Copied; appears as record->tag. */
BENCHY_API int benchy_request_set_tag(benchy_request *r, const char *tag);
BENCHY_API void benchy_request_set_userdata(benchy_request *r, void *userdata);
BENCHY_API void *benchy_request_userdata(const benchy_request *r);

/* Called for each decoded SSE chunk, in order, while the stream runs.
 * text points into a buffer valid only during the call (content, reasoning
 * or tool-argument fragment as decoded, may be empty). The callback may call
 * benchy_request_start() for other requests and may stop the loop; it must
 * not free or cancel its own request, nor run the loop. */
typedef void (*benchy_chunk_fn)(benchy_request *r, const benchy_chunk_event *ev, const char *text,
                                size_t text_len, void *userdata);
BENCHY_API void benchy_request_set_on_chunk(benchy_request *r, benchy_chunk_fn fn, void *userdata);

/* Called once when the request completes, whatever the outcome. The record
 * and every string it points to live until the request is freed or
 * restarted; the callback may free or restart the request. */
typedef void (*benchy_done_fn)(benchy_request *r, const benchy_record *rec, void *userdata);
BENCHY_API void benchy_request_set_on_done(benchy_request *r, benchy_done_fn fn, void *userdata);

/* Starts the request; never blocks. scheduled_ns is the time the workload
 * meant it to go (0 = now): it is recorded as t_scheduled so that client-side
 * queueing shows up in from-schedule latencies. A finished request may be
 * started again; its previous record is discarded. */
BENCHY_API int benchy_request_start(benchy_request *r, int64_t scheduled_ns);
/* Cancels a request in flight; on_done runs with BENCHY_ERR_CANCELLED
 * before this returns, on the caller's thread. No-op when not in flight. */
BENCHY_API void benchy_request_cancel(benchy_request *r);
BENCHY_API int benchy_request_in_flight(const benchy_request *r);
/* The latest record (complete once on_done ran). */
BENCHY_API const benchy_record *benchy_request_record(const benchy_request *r);

/* Blocking GET/POST of a small JSON document (for /v1/models, /health,
 * /tokenize, ...) on the session's server. path is relative to the server
 * root ("/health") when it starts with '/', else to base_url ("models").
 * On success *body_out is a malloc'd NUL-terminated body (free()). Runs its
 * own transfer; do not call from a loop callback of the same loop. Bounded
 * by the session's timeout (default 600 s), and ended early, with
 * BENCHY_ERR_CANCELLED, by benchy_loop_stop() on the session's loop (from a
 * signal handler or another thread; benchy_interrupt() does this during a
 * workload run). Requests in flight on the loop are not driven meanwhile. */
BENCHY_API int benchy_session_fetch(benchy_session *s, const char *method, const char *path,
                                    const char *body_json, int *http_status, char **body_out);

#ifdef __cplusplus
}
#endif
#endif
