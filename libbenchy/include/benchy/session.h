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
 * from inside libcurl or a read), from the top of the loop after
 * benchy_request_cancel() in a callback, or inside the call that cancelled
 * it when the loop was not running (benchy_request_cancel, session or loop
 * free).
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
 * The session keeps a pointer to loop; freeing the loop first cancels the
 * session's requests and detaches it (see benchy_loop_free). */
BENCHY_API int benchy_session_new(benchy_session **out, benchy_loop *loop, const char *base_url);
/* The same, and on failure err (when not NULL) holds a sentence that names
 * what is wrong with base_url and what a valid one looks like; "" on
 * success. Credentials in the URL are never copied into err. */
BENCHY_API int benchy_session_new_err(benchy_session **out, benchy_loop *loop, const char *base_url,
                                      char *err, size_t errlen);
/* Requests in flight (and fetches) are cancelled first: each on_done runs
 * with BENCHY_ERR_CANCELLED before this returns (the session is going, so
 * it cannot wait for the loop); it may free its request, but nothing may
 * start on the session any more (BENCHY_ERR_STATE). Then every request of
 * the session is freed: each benchy_request * of it is dangling afterwards
 * and must not be freed again. Not from a callback of this session. */
BENCHY_API void benchy_session_free(benchy_session *s);
BENCHY_API const char *benchy_session_base_url(const benchy_session *s);
/* The loop the session runs on; NULL once that loop was freed. */
BENCHY_API benchy_loop *benchy_session_loop(const benchy_session *s);
/* A pointer of the caller's, kept with the session (NULL until set). */
BENCHY_API void benchy_session_set_userdata(benchy_session *s, void *userdata);
BENCHY_API void *benchy_session_userdata(const benchy_session *s);
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
 * requests created after the call (benchy_request_set_timeout_ms overrides
 * it for one request). */
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
/* Frees the request; one still in flight is cancelled without on_done (also
 * one cancelled from a callback whose on_done is still waiting). */
BENCHY_API void benchy_request_free(benchy_request *r);

BENCHY_API int benchy_request_set_flags(benchy_request *r, unsigned flags);
/* Copied; appears as record->tag. */
BENCHY_API int benchy_request_set_tag(benchy_request *r, const char *tag);
BENCHY_API void benchy_request_set_userdata(benchy_request *r, void *userdata);
BENCHY_API void *benchy_request_userdata(const benchy_request *r);

/* Called for each decoded SSE chunk, in order, while the stream runs.
 * text points into a buffer valid only during the call (content, reasoning
 * or tool-argument fragment as decoded, may be empty). The callback may call
 * benchy_request_start() for other requests, cancel any request (its own
 * included: no further on_chunk, on_done from the top of the loop) and
 * stop the loop; it must not free its own request, nor run the loop. */
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
/* Cancels a request in flight; on_done runs once with BENCHY_ERR_CANCELLED.
 * Called from one of the loop's callbacks (on_chunk - of this request or
 * another -, on_done, a timer, a fetch callback), on_done runs from the top
 * of the loop, in the same benchy_loop_run, after the caller returned; no
 * on_chunk of the request runs in between and it counts as in flight until
 * then. Called while the loop is not running, the caller is already at the
 * top: on_done runs before this returns. No-op when not in flight or
 * already cancelled. */
BENCHY_API void benchy_request_cancel(benchy_request *r);
/* Whole-request timeout of this request alone, overriding the session's
 * (0 = none); applies from the next start. BENCHY_ERR_STATE in flight,
 * BENCHY_ERR_INVALID when negative. An expired request ends with
 * BENCHY_ERR_TIMEOUT. */
BENCHY_API int benchy_request_set_timeout_ms(benchy_request *r, int64_t timeout_ms);
BENCHY_API int benchy_request_in_flight(const benchy_request *r);
/* The latest record (complete once on_done ran). */
BENCHY_API const benchy_record *benchy_request_record(const benchy_request *r);

/* Blocking GET/POST of a small JSON document (for /v1/models, /health,
 * /tokenize, ...) on the session's server. path is relative to the server
 * root ("/health") when it starts with '/', else to base_url ("models").
 * On success *body_out is a malloc'd NUL-terminated body (free()). Runs its
 * own transfer; do not call from a loop callback of the same loop (use
 * benchy_session_fetch_start there). Bounded
 * by the session's timeout (default 600 s), and ended early, with
 * BENCHY_ERR_CANCELLED, by benchy_loop_stop() on the session's loop (from a
 * signal handler or another thread; benchy_interrupt() does this during a
 * workload run). Requests in flight on the loop are not driven meanwhile. */
BENCHY_API int benchy_session_fetch(benchy_session *s, const char *method, const char *path,
                                    const char *body_json, int *http_status, char **body_out);

/* The same fetch, driven by the session's loop beside its streams: returns
 * at once, and fn runs once, from the loop (where on_done runs), with the
 * outcome: status as benchy_session_fetch returns it, the HTTP status (0
 * when none came), the body (NUL-terminated, scrubbed, valid only during
 * the call; NULL when none) and error (why it failed, NULL on success;
 * valid during the call). fn may start or cancel requests and fetches. It
 * always goes through libcurl on the loop (whatever carries the streams:
 * a fetch is not a timed measurement). body_json is copied. Freeing the
 * session or its loop first calls fn with BENCHY_ERR_CANCELLED.
 * BENCHY_ERR_STATE when the session's loop was freed. */
typedef void (*benchy_fetch_fn)(benchy_session *s, int status, int http_status, const char *body,
                                size_t body_len, const char *error, void *userdata);
BENCHY_API int benchy_session_fetch_start(benchy_session *s, const char *method, const char *path,
                                          const char *body_json, benchy_fetch_fn fn, void *userdata);

#ifdef __cplusplus
}
#endif
#endif
