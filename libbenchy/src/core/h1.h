/*
 * h1.h — a plain-HTTP/1.1 streaming transport for http:// sessions.
 *
 * Provides an incremental response parser (h1_parser: status line, headers,
 * then a chunked, Content-Length or close-delimited body, fed in pieces of
 * any size) and, on top of it, a per-session keep-alive connection pool that
 * runs one request per connection on the loop's libevent base.
 *
 * It exists because libcurl's per-read overhead (multi state machine, a
 * poll() per read) dominated the client's CPU per streamed event. https://
 * and benchy_session_fetch keep using curl. Results are reported as
 * CURLcodes so that session.c classifies both transports with one rule.
 *
 * No request is written on a connection the server closed or said it will
 * close: Connection: close (or HTTP/1.0) ends reuse, an idle connection is
 * peeked for EOF before reuse, and a server seen closing connections right
 * after their responses (llama-server, despite keep-alive) gets a fresh
 * connection per request from then on (see h1.c for when reuse is trusted).
 */
#ifndef BENCHY_CORE_H1_H
#define BENCHY_CORE_H1_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "benchy/benchy.h"
#include "../util.h"

/* ------------------------------------------------------------ parser */

enum { H1_MORE = 0, H1_DONE = 1, H1_ERROR = -1 };

typedef struct h1_sink {
  /* Every status line, interim (1xx) ones included. */
  void (*on_status)(void *ud, int status);
  /* Decoded body bytes (chunk framing removed). */
  void (*on_body)(void *ud, const char *data, size_t len);
  void *ud;
} h1_sink;

typedef struct h1_parser {
  int state;
  int status;
  int chunked;        /* Transfer-Encoding: chunked */
  int has_length;     /* Content-Length seen */
  int conn_close;     /* Connection: close, or HTTP/1.0 without keep-alive */
  int http10;
  int keep_alive_hdr; /* Connection: keep-alive (matters for HTTP/1.0) */
  int64_t remaining;  /* body or chunk bytes still expected */
  benchy_buf line;    /* a line split across feeds */
  char error[96];
} h1_parser;

BENCHY_INTERNAL void h1_parser_init(h1_parser *p);
/* Ready for the next response on the same connection. */
BENCHY_INTERNAL void h1_parser_reset(h1_parser *p);
BENCHY_INTERNAL void h1_parser_free(h1_parser *p);
/* Consumes up to len bytes; *used says how many (less than len only once the
 * response is complete). Returns H1_MORE, H1_DONE or H1_ERROR (p->error). */
BENCHY_INTERNAL int h1_parser_feed(h1_parser *p, const char *data, size_t len, size_t *used,
                                   const h1_sink *sink);
/* The peer closed: H1_DONE when that ends a close-delimited body, else
 * H1_ERROR (the response was cut short). */
BENCHY_INTERNAL int h1_parser_eof(h1_parser *p);
/* Whether the connection may carry another request after H1_DONE. */
BENCHY_INTERNAL int h1_parser_keep_alive(const h1_parser *p);

/* ------------------------------------------------------------ transport */

typedef struct h1_pool h1_pool;
typedef struct h1_conn h1_conn;

typedef struct h1_callbacks {
  /* rx_ns: when the bytes arrived: the kernel's receive timestamp of the
   * newest segment the read returned, or, without one, when the read
   * returned (h1_transfer.kernel_reads says which). */
  void (*on_first_byte)(void *ud, int64_t rx_ns);
  void (*on_status)(void *ud, int status, int64_t rx_ns);
  void (*on_body)(void *ud, const char *data, size_t len, int64_t rx_ns);
  /* Called once per start, never from inside h1_transfer_start, after the
   * transport is done with the connection: the callee may start, cancel or
   * free transfers. message is empty on success. */
  void (*on_done)(void *ud, CURLcode result, const char *message);
} h1_callbacks;

typedef struct h1_transfer {
  h1_pool *pool;
  h1_conn *conn;
  const h1_callbacks *cb;
  void *ud;
  benchy_buf req;         /* the whole request, written as it goes */
  size_t written;
  struct event *timer;    /* connect / whole-request deadline, deferred failures */
  int64_t t_start;
  int64_t t_sent;         /* request fully written */
  int64_t timeout_ms, connect_timeout_ms;
  int64_t bytes;          /* response bytes received */
  int64_t data_reads;     /* reads that returned bytes */
  int64_t kernel_reads;   /* of those, dated by the kernel's timestamp */
  int64_t last_rx_ns;     /* arrival of the newest bytes read */
  CURLcode pending;       /* a failure found while starting, reported from the timer */
  int connects;           /* connections opened for this start */
  int active;
  char message[CURL_ERROR_SIZE];
} h1_transfer;

/* NULL when base_url is not plain http:// that this transport handles
 * (user info in the URL, for instance), or when the environment names a
 * proxy for its host (proxy.h): the caller then keeps curl. */
BENCHY_INTERNAL h1_pool *h1_pool_new(benchy_loop *loop, const char *base_url);
/* Closes idle connections; transfers must have been aborted first. */
BENCHY_INTERNAL void h1_pool_free(h1_pool *pool);

BENCHY_INTERNAL void h1_transfer_init(h1_transfer *t, h1_pool *pool, const h1_callbacks *cb, void *ud);
/* path: the request target ("/v1/chat/completions"); headers: "Name: value"
 * lines (empty values are skipped, as curl does); fresh: do not reuse an
 * idle connection. Returns BENCHY_OK or BENCHY_ERR_NOMEM; failures to reach
 * the server arrive through on_done. */
BENCHY_INTERNAL int h1_transfer_start(h1_transfer *t, const char *path, const struct curl_slist *headers,
                                      const char *body, size_t body_len, int fresh, int64_t timeout_ms,
                                      int64_t connect_timeout_ms);
/* Stops a transfer in flight without on_done; its connection is closed. */
BENCHY_INTERNAL void h1_transfer_abort(h1_transfer *t);
BENCHY_INTERNAL void h1_transfer_cleanup(h1_transfer *t);

#endif
