/*
 * fetch.c — benchy_session_fetch_start: a small JSON fetch (/tokenize,
 * /v1/models, /metrics) driven by the session's loop beside its streams.
 *
 * It always goes through libcurl on the loop's multi handle, whatever
 * transport carries the session's streams: a fetch is not a timed
 * measurement, so it needs none of h1.c's receive timestamps, and curl
 * already speaks every scheme and proxy a session may use. Its callback
 * runs from the loop's completion pass (after curl returned), where user
 * code may start requests and fetches or cancel them, like on_done.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "loop_internal.h"
#include "session_internal.h"

typedef struct session_fetch {
  loop_transfer xfer; /* first: CURLOPT_PRIVATE points here */
  session_child child; /* on its session, which cancels it when closed */
  benchy_session *session;
  char *method, *url, *body_json;
  benchy_buf body;
  benchy_fetch_fn fn;
  void *userdata;
  char errbuf[CURL_ERROR_SIZE];
} session_fetch;

static void fetch_free(session_fetch *f) {
  if (f->xfer.easy) curl_easy_cleanup(f->xfer.easy);
  benchy_buf_free(&f->body);
  free(f->method);
  free(f->url);
  free(f->body_json);
  free(f);
}

/* Unlinked before the callback, freed after: the callback may start other
 * fetches or free the session's requests. */
static void fetch_finish(session_fetch *f, int status, long code, const char *error) {
  session_remove_child(f->session, &f->child);
  if (f->fn)
    f->fn(f->session, status, (int)code, f->body.data ? f->body.data : NULL, f->body.len,
          error && error[0] ? error : NULL, f->userdata);
  fetch_free(f);
}

static void fetch_done(loop_transfer *t, CURLcode result) {
  session_fetch *f = (session_fetch *)t;
  long code = 0;
  curl_easy_getinfo(f->xfer.easy, CURLINFO_RESPONSE_CODE, &code);
  char err[256];
  int status = session_fetch_outcome(f->session, f->method, f->url, result, code, f->errbuf,
                                     &f->body, err, sizeof err);
  fetch_finish(f, status, code, err);
}

/* The session or its loop is being freed. */
static void fetch_cancel(session_child *c, benchy_loop *loop) {
  session_fetch *f = (session_fetch *)((char *)c - offsetof(session_fetch, child));
  loop_remove_transfer(loop, &f->xfer);
  benchy_buf_free(&f->body);
  fetch_finish(f, BENCHY_ERR_CANCELLED, 0, "cancelled: the session or its loop was freed");
}

int benchy_session_fetch_start(benchy_session *s, const char *method, const char *path,
                               const char *body_json, benchy_fetch_fn fn, void *userdata) {
  if (!s || !method || !path || !fn) return BENCHY_ERR_INVALID;
  benchy_loop *loop = session_loop_of(s);
  if (!loop || loop->closing) return BENCHY_ERR_STATE;
  session_fetch *f = calloc(1, sizeof *f);
  if (!f) return BENCHY_ERR_NOMEM;
  f->session = s;
  f->fn = fn;
  f->userdata = userdata;
  f->xfer.on_done = fetch_done;
  benchy_buf url = {0};
  int st = session_fetch_url(s, path, &url);
  f->url = url.data;
  f->method = benchy_strdup(method);
  /* curl reads POSTFIELDS in place, after the caller's string is gone. */
  if (body_json) f->body_json = benchy_strdup(body_json);
  if (st != BENCHY_OK || !f->method || (body_json && !f->body_json) ||
      !(f->xfer.easy = session_fetch_easy(s, f->method, f->url, f->body_json, &f->body, f->errbuf))) {
    fetch_free(f);
    return BENCHY_ERR_NOMEM;
  }
  curl_easy_setopt(f->xfer.easy, CURLOPT_PRIVATE, (char *)&f->xfer);
  st = loop_add_transfer(loop, &f->xfer);
  if (st != BENCHY_OK) {
    fetch_free(f);
    return st;
  }
  f->child.cancel = fetch_cancel;
  session_add_child(s, &f->child);
  return BENCHY_OK;
}
