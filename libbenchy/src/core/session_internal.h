/* session_internal.h — what other modules of the library may ask a session. */
#ifndef BENCHY_CORE_SESSION_INTERNAL_H
#define BENCHY_CORE_SESSION_INTERNAL_H

#include <curl/curl.h>

#include "benchy/benchy.h"
#include "../util.h"
#include "loop_internal.h"

/* Any request still attached to the session, or NULL: lets a runner cancel
 * what is left in flight without tracking requests twice. */
BENCHY_INTERNAL benchy_request *session_first_request(benchy_session *s);

/* What a session has in flight beside its requests (fetch.c's transfers),
 * listed on it so that freeing the session (or its loop) ends each with its
 * callback, as the loop closes its sessions through loop_client: cancel
 * delivers the callback and removes the child. loop is the session's, given
 * because session_loop_of() says NULL once the session is closing. */
typedef struct session_child {
  struct session_child *prev, *next;
  void (*cancel)(struct session_child *c, benchy_loop *loop);
} session_child;
BENCHY_INTERNAL void session_add_child(benchy_session *s, session_child *c);
BENCHY_INTERNAL void session_remove_child(benchy_session *s, session_child *c);
BENCHY_INTERNAL benchy_loop *session_loop_of(const benchy_session *s);

/* What the blocking and the loop-driven fetch share: the URL of path (see
 * benchy_session_fetch), an easy handle with the session's headers and
 * timeouts writing into body, and the status and error text of a finished
 * transfer (body scrubbed and terminated, or freed on failure). */
BENCHY_INTERNAL int session_fetch_url(const benchy_session *s, const char *path, benchy_buf *url);
BENCHY_INTERNAL CURL *session_fetch_easy(const benchy_session *s, const char *method, const char *url,
                                         const char *body_json, benchy_buf *body, char *errbuf);
BENCHY_INTERNAL int session_fetch_outcome(const benchy_session *s, const char *method, const char *url,
                                          CURLcode res, long code, const char *errbuf, benchy_buf *body,
                                          char *err, size_t errlen);

#endif
