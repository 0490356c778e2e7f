/*
 * h1.c — plain-HTTP/1.1 streaming transport: response parser, keep-alive
 * connection pool, one request per connection on libevent.
 *
 * Why our own: a streamed event is a few hundred bytes; libcurl spends more
 * per read on its multi state machine and a poll() than we spend decoding.
 * Here one readiness event costs one recv() (more only while the buffer
 * fills), and the parser hands decoded body bytes straight to session.c.
 *
 * Receive times come from the kernel (SO_TIMESTAMPNS on every connection):
 * recvmsg() returns when the newest segment it read reached this host, so
 * a stamp does not grow with whatever kept the client from the socket (a
 * busy loop, a descheduled thread, a slow callback). The realtime stamp is
 * mapped onto CLOCK_MONOTONIC through its age, read off both clocks at once
 * just after the read. Without a stamp (BENCHY_RX_CLOCK=read, or a kernel
 * that gives none) the clock is read after the read returned, as before.
 *
 * Safety rules mirror loop.c's for curl: while bytes are decoded
 * loop->in_curl is raised, so requests started from on_chunk are queued and
 * attached from the top of the loop; on_done runs only after the transport
 * has let go of the connection, so the callee may start, cancel or free.
 */
#include "h1.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loop_internal.h"
#include "proxy.h"

/* A header or chunk-size line longer than this is not a server we talk to. */
#define H1_MAX_LINE (64 * 1024)
/* One reusable receive buffer per loop: large enough to take a burst of
 * coalesced events in one recv(), small enough to stay in cache. */
#define H1_RBUF_SIZE (32 * 1024)

enum {
  S_STATUS,
  S_HEADER,
  S_BODY_LEN,
  S_CHUNK_SIZE,
  S_CHUNK_DATA,
  S_CHUNK_CRLF,
  S_TRAILER,
  S_BODY_CLOSE,
  S_DONE,
  S_ERROR
};

/* ------------------------------------------------------------ parser */

void h1_parser_init(h1_parser *p) {
  memset(p, 0, sizeof *p);
  p->state = S_STATUS;
}

void h1_parser_reset(h1_parser *p) {
  benchy_buf line = p->line;
  memset(p, 0, sizeof *p);
  p->line = line;
  p->line.len = 0;
  p->state = S_STATUS;
}

void h1_parser_free(h1_parser *p) { benchy_buf_free(&p->line); }

static int fail(h1_parser *p, const char *why) {
  snprintf(p->error, sizeof p->error, "%s", why);
  p->state = S_ERROR;
  return H1_ERROR;
}

/* Finds the next line (without CR LF). Returns 1 with *line set, 0 when the
 * input ran out first (the partial line is kept), -1 on a too-long line. A
 * line that arrived whole is used in place, never copied. */
static int next_line(h1_parser *p, const char *data, size_t len, size_t *pos, const char **line,
                     size_t *n) {
  const char *start = data + *pos;
  size_t avail = len - *pos;
  const char *nl = memchr(start, '\n', avail);
  size_t take = nl ? (size_t)(nl - start) + 1 : avail;
  if (!nl || p->line.len) {
    if (p->line.len + take > H1_MAX_LINE || benchy_buf_append(&p->line, start, take) != 0) return -1;
  }
  *pos += take;
  if (!nl) return 0;
  if (p->line.len) {
    *line = p->line.data;
    *n = p->line.len - 1;
  } else {
    *line = start;
    *n = take - 1;
  }
  if (*n && (*line)[*n - 1] == '\r') (*n)--;
  return 1;
}

static int name_is(const char *line, size_t name_len, const char *name) {
  return strlen(name) == name_len && !strncasecmp(line, name, name_len);
}

/* Whether a comma-separated header value lists token (case-insensitive). */
static int has_token(const char *v, size_t n, const char *token) {
  size_t tl = strlen(token);
  size_t i = 0;
  while (i < n) {
    while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
    size_t s = i;
    while (i < n && v[i] != ',') i++;
    size_t e = i;
    while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t')) e--;
    if (e - s == tl && !strncasecmp(v + s, token, tl)) return 1;
  }
  return 0;
}

static int parse_status(h1_parser *p, const char *line, size_t n, const h1_sink *sink) {
  /* "HTTP/1.x SSS[ reason]" */
  if (n < 12 || strncmp(line, "HTTP/1.", 7) || (line[7] != '0' && line[7] != '1') || line[8] != ' ')
    return fail(p, "malformed HTTP status line");
  int status = 0;
  for (int i = 9; i < 12; i++) {
    if (line[i] < '0' || line[i] > '9') return fail(p, "malformed HTTP status code");
    status = status * 10 + (line[i] - '0');
  }
  if (n > 12 && line[12] != ' ') return fail(p, "malformed HTTP status line");
  if (status < 100) return fail(p, "malformed HTTP status code");
  p->status = status;
  p->http10 = line[7] == '0';
  p->state = S_HEADER;
  if (sink->on_status) sink->on_status(sink->ud, status);
  return H1_MORE;
}

static int end_of_headers(h1_parser *p) {
  if (p->status >= 100 && p->status < 200) {
    /* Interim response: the real one follows on the same connection. */
    int http10 = p->http10;
    h1_parser_reset(p);
    p->http10 = http10;
    return H1_MORE;
  }
  if (p->http10 && !p->keep_alive_hdr) p->conn_close = 1;
  if (p->status == 204 || p->status == 304) {
    p->state = S_DONE;
  } else if (p->chunked) {
    p->state = S_CHUNK_SIZE;
  } else if (p->has_length) {
    p->state = p->remaining ? S_BODY_LEN : S_DONE;
  } else {
    p->state = S_BODY_CLOSE;
    p->conn_close = 1;
  }
  return p->state == S_DONE ? H1_DONE : H1_MORE;
}

static int parse_header(h1_parser *p, const char *line, size_t n) {
  if (n == 0) return end_of_headers(p);
  if (line[0] == ' ' || line[0] == '\t') return H1_MORE; /* obsolete folding: ignore */
  const char *colon = memchr(line, ':', n);
  if (!colon || colon == line) return fail(p, "malformed HTTP header line");
  size_t name_len = (size_t)(colon - line);
  const char *v = colon + 1;
  size_t vl = n - name_len - 1;
  while (vl && (*v == ' ' || *v == '\t')) v++, vl--;
  while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
  if (name_is(line, name_len, "Content-Length")) {
    if (!vl) return fail(p, "bad Content-Length");
    int64_t len = 0;
    for (size_t i = 0; i < vl; i++) {
      if (v[i] < '0' || v[i] > '9' || len > (INT64_MAX - 9) / 10) return fail(p, "bad Content-Length");
      len = len * 10 + (v[i] - '0');
    }
    if (p->has_length && p->remaining != len) return fail(p, "conflicting Content-Length");
    p->has_length = 1;
    p->remaining = len;
  } else if (name_is(line, name_len, "Transfer-Encoding")) {
    if (has_token(v, vl, "chunked")) p->chunked = 1;
  } else if (name_is(line, name_len, "Connection")) {
    if (has_token(v, vl, "close")) p->conn_close = 1;
    if (has_token(v, vl, "keep-alive")) p->keep_alive_hdr = 1;
  }
  return H1_MORE;
}

static int parse_chunk_size(h1_parser *p, const char *line, size_t n) {
  int64_t size = 0;
  size_t i = 0;
  for (; i < n; i++) {
    int c = line[i], d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else break;
    if (size > (INT64_MAX >> 4)) return fail(p, "chunk size too large");
    size = size * 16 + d;
  }
  /* Extensions (";name=value") and padding after the size are ignored. */
  if (i == 0 || (i < n && line[i] != ';' && line[i] != ' ' && line[i] != '\t'))
    return fail(p, "malformed chunk size");
  p->remaining = size;
  p->state = size ? S_CHUNK_DATA : S_TRAILER;
  return H1_MORE;
}

int h1_parser_feed(h1_parser *p, const char *data, size_t len, size_t *used, const h1_sink *sink) {
  size_t pos = 0;
  int st = p->state == S_ERROR ? H1_ERROR : p->state == S_DONE ? H1_DONE : H1_MORE;
  while (st == H1_MORE && pos < len) {
    switch (p->state) {
    case S_BODY_LEN:
    case S_CHUNK_DATA:
    case S_BODY_CLOSE: {
      size_t take = len - pos;
      if (p->state != S_BODY_CLOSE && (int64_t)take > p->remaining) take = (size_t)p->remaining;
      if (sink->on_body) sink->on_body(sink->ud, data + pos, take);
      pos += take;
      if (p->state == S_BODY_CLOSE) break;
      p->remaining -= (int64_t)take;
      if (p->remaining == 0) {
        p->state = p->state == S_BODY_LEN ? S_DONE : S_CHUNK_CRLF;
        if (p->state == S_DONE) st = H1_DONE;
      }
      break;
    }
    default: {
      const char *line;
      size_t n;
      int got = next_line(p, data, len, &pos, &line, &n);
      if (got < 0) {
        st = fail(p, "HTTP header or chunk line too long");
        break;
      }
      if (!got) break;
      switch (p->state) {
      case S_STATUS:
        st = parse_status(p, line, n, sink);
        break;
      case S_HEADER:
        st = parse_header(p, line, n);
        break;
      case S_CHUNK_SIZE:
        st = parse_chunk_size(p, line, n);
        break;
      case S_CHUNK_CRLF:
        if (n) st = fail(p, "chunk data not followed by CRLF");
        else p->state = S_CHUNK_SIZE;
        break;
      case S_TRAILER:
        if (!n) {
          p->state = S_DONE;
          st = H1_DONE;
        }
        break;
      }
      p->line.len = 0;
      break;
    }
    }
  }
  *used = pos;
  return st;
}

int h1_parser_eof(h1_parser *p) {
  if (p->state == S_BODY_CLOSE || p->state == S_DONE) {
    p->state = S_DONE;
    return H1_DONE;
  }
  if (p->state != S_ERROR) fail(p, "connection closed before the response was complete");
  return H1_ERROR;
}

int h1_parser_keep_alive(const h1_parser *p) { return p->state == S_DONE && !p->conn_close; }

/* ------------------------------------------------------------ connections */

enum { C_CONNECTING, C_ACTIVE, C_IDLE };

struct h1_conn {
  h1_pool *pool;
  h1_conn *prev, *next; /* in the idle list */
  h1_transfer *t;
  struct event *ev;
  const struct addrinfo *ai; /* address being tried */
  short events;
  int fd;
  int state;
  int keep;               /* may be reused once the response is complete */
  int reused;             /* carries a request after an earlier response */
  int64_t idle_since;     /* when its last response completed */
  uint64_t idle_epoch;    /* the pool's response count then */
  int64_t rx_ns;          /* when the bytes being parsed were received */
  h1_parser parser;
};

struct h1_pool {
  benchy_loop *loop;
  int kernel_stamps;      /* ask each connection for kernel receive times */
  char *host, *port, *authority;
  struct addrinfo *addrs;
  int resolved;
  /* The server closes connections right after a response although it
   * advertised keep-alive (llama-server does): learned once, then no
   * connection is kept, so no request is sent on one the server is closing
   * (which would cost a failed send and a retry on a fresh connection). */
  int closes_after_response;
  /* The server answered a request sent on a reused connection: it keeps
   * connections (one that closes after each response never answers there). */
  int reuse_proven;
  uint64_t responses;     /* completed on any of its connections */
  h1_conn *idle;
};

/* A close this soon after a response is the server's habit; later ones are
 * idle timeouts (seconds at least), which a check before reuse catches. */
#define H1_CLOSE_AFTER_RESPONSE_NS (1000 * 1000000LL)
/* Until the server has shown that it keeps connections, one is reused only
 * once the server has had time to close it if that is its habit: it has
 * finished another response since, or this long has passed. Otherwise the
 * next request of a sequential run would be written before the server's FIN
 * arrived, fail, and be retried. The price on a keep-alive server is one
 * extra connection per session, and while the rule holds, a stream's next
 * request goes out on another stream's older connection instead of its own.
 * So the rule ends as early as the proof allows: at the first byte the
 * server sends back on a reused connection, not at the end of that
 * response, which at max rate (long streams, all reused) came only after
 * every stream had finished twice and slowed all of those rounds. */
#define H1_UNPROVEN_IDLE_NS (50 * 1000000LL)

static int old_enough_to_tell(const h1_conn *c) {
  return c->pool->reuse_proven || c->pool->responses > c->idle_epoch ||
         benchy_now_ns() - c->idle_since >= H1_UNPROVEN_IDLE_NS;
}

static void note_server_close(h1_conn *c) {
  if (benchy_now_ns() - c->idle_since < H1_CLOSE_AFTER_RESPONSE_NS) c->pool->closes_after_response = 1;
}

/* An idle connection may carry a request only while the server has neither
 * closed it nor sent anything: peeking costs one syscall and saves a send
 * on a dead connection, a failure and a retry. */
static int idle_conn_usable(h1_conn *c) {
  char byte;
  ssize_t n;
  do n = recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1;
  if (n == 0) note_server_close(c);
  return 0;
}

static void conn_cb(evutil_socket_t fd, short what, void *arg);

h1_pool *h1_pool_new(benchy_loop *loop, const char *base_url) {
  if (strncmp(base_url, "http://", 7)) return NULL;
  const char *a = base_url + 7;
  size_t alen = strcspn(a, "/?#");
  if (!alen || memchr(a, '@', alen)) return NULL;
  const char *host = a, *port = NULL;
  size_t hlen, plen = 0;
  if (a[0] == '[') {
    const char *close = memchr(a, ']', alen);
    if (!close) return NULL;
    host = a + 1;
    hlen = (size_t)(close - host);
    if (close + 1 < a + alen) {
      if (close[1] != ':') return NULL;
      port = close + 2;
    }
  } else {
    const char *colon = memchr(a, ':', alen);
    hlen = colon ? (size_t)(colon - a) : alen;
    if (colon) port = colon + 1;
  }
  if (port) {
    plen = (size_t)(a + alen - port);
    if (!plen || plen > 5 || strspn(port, "0123456789") < plen) return NULL;
  }
  if (!hlen) return NULL;
  char host_z[256];
  if (hlen >= sizeof host_z) return NULL;
  memcpy(host_z, host, hlen);
  host_z[hlen] = '\0';
  if (proxy_applies_http(host_z)) return NULL;
  h1_pool *pool = calloc(1, sizeof *pool);
  if (!pool) return NULL;
  pool->loop = loop;
  const char *clock = getenv("BENCHY_RX_CLOCK");
  pool->kernel_stamps = !clock || strcmp(clock, "read") != 0;
  pool->host = benchy_strndup(host, hlen);
  pool->port = port ? benchy_strndup(port, plen) : benchy_strdup("80");
  pool->authority = benchy_strndup(a, alen);
  if (!pool->host || !pool->port || !pool->authority) {
    h1_pool_free(pool);
    return NULL;
  }
  return pool;
}

static void conn_close(h1_conn *c) {
  h1_pool *pool = c->pool;
  if (c->state == C_IDLE) {
    if (c->prev) c->prev->next = c->next;
    else pool->idle = c->next;
    if (c->next) c->next->prev = c->prev;
  }
  if (c->ev) event_free(c->ev);
  if (c->fd >= 0) close(c->fd);
  h1_parser_free(&c->parser);
  free(c);
}

void h1_pool_free(h1_pool *pool) {
  if (!pool) return;
  while (pool->idle) conn_close(pool->idle);
  if (pool->addrs) freeaddrinfo(pool->addrs);
  free(pool->host);
  free(pool->port);
  free(pool->authority);
  free(pool);
}

static void conn_set_events(h1_conn *c, short events) {
  if (c->events == events) return;
  event_del(c->ev);
  event_assign(c->ev, c->pool->loop->base, c->fd, events | EV_PERSIST, conn_cb, c);
  event_add(c->ev, NULL);
  c->events = events;
}

/* Starts a non-blocking connect to c->ai or, when that fails at once, the
 * addresses after it. Returns 0 when one is under way, -1 when none is
 * left (t->message says why). */
static int conn_connect(h1_conn *c) {
  h1_transfer *t = c->t;
  int err = 0;
  for (; c->ai; c->ai = c->ai->ai_next) {
    if (c->fd >= 0) close(c->fd);
    c->fd = socket(c->ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
      err = errno;
      continue;
    }
    int one = 1;
    /* Small requests must leave at once, not wait for Nagle. */
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Best effort: a read without a stamp falls back to the clock. */
    if (c->pool->kernel_stamps) setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    if (connect(c->fd, c->ai->ai_addr, c->ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
      if (c->ev) event_free(c->ev);
      c->events = EV_WRITE;
      c->ev = event_new(c->pool->loop->base, c->fd, EV_WRITE | EV_PERSIST, conn_cb, c);
      if (!c->ev || event_add(c->ev, NULL) != 0) {
        err = ENOMEM;
        continue;
      }
      t->connects++;
      return 0;
    }
    err = errno;
  }
  snprintf(t->message, sizeof t->message, "Failed to connect to %s port %s: %s", c->pool->host,
           c->pool->port, strerror(err ? err : ECONNREFUSED));
  return -1;
}

static int pool_resolve(h1_pool *pool, h1_transfer *t) {
  if (pool->resolved) return pool->addrs ? 0 : -1;
  struct addrinfo hints = {0};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  int rc = getaddrinfo(pool->host, pool->port, &hints, &pool->addrs);
  if (rc != 0) {
    pool->addrs = NULL;
    snprintf(t->message, sizeof t->message, "Could not resolve host: %s (%s)", pool->host,
             gai_strerror(rc));
    /* A failed look-up is retried by the next request, as curl would. */
    return -1;
  }
  pool->resolved = 1;
  return 0;
}

static void arm_deadline(h1_transfer *t) {
  int64_t deadline_ms = -1;
  if (t->conn && t->conn->state == C_CONNECTING && t->connect_timeout_ms > 0)
    deadline_ms = t->connect_timeout_ms;
  if (t->timeout_ms > 0 && (deadline_ms < 0 || t->timeout_ms < deadline_ms)) deadline_ms = t->timeout_ms;
  if (deadline_ms < 0) {
    evtimer_del(t->timer);
    return;
  }
  int64_t left = t->t_start + deadline_ms * 1000000 - benchy_now_ns();
  if (left < 0) left = 0;
  struct timeval tv = {(time_t)(left / 1000000000), (suseconds_t)((left % 1000000000) / 1000)};
  evtimer_add(t->timer, &tv);
}

static void wipe_request(h1_transfer *t) {
  /* The request carries the Authorization header. */
  if (t->req.data) memset(t->req.data, 0, t->req.len);
  t->req.len = 0;
}

/* Lets go of the connection, then reports. Nothing of t or its connection
 * is touched after on_done. */
static void transfer_finish(h1_transfer *t, CURLcode result) {
  h1_conn *c = t->conn;
  t->conn = NULL;
  t->active = 0;
  evtimer_del(t->timer);
  if (c) {
    c->t = NULL;
    /* Nothing came back on a connection reused soon after its last
     * response: the server had closed it. */
    if (c->reused && t->bytes == 0 &&
        (result == CURLE_SEND_ERROR || result == CURLE_RECV_ERROR || result == CURLE_GOT_NOTHING))
      note_server_close(c);
    if (result == CURLE_OK) c->pool->responses++;
    if (result == CURLE_OK && c->keep && h1_parser_keep_alive(&c->parser) &&
        !c->pool->closes_after_response) {
      h1_parser_reset(&c->parser);
      c->idle_since = benchy_now_ns();
      c->idle_epoch = c->pool->responses;
      c->state = C_IDLE;
      /* Readable while idle means the server closed it (or misbehaves). */
      conn_set_events(c, EV_READ);
      c->prev = NULL;
      c->next = c->pool->idle;
      if (c->next) c->next->prev = c;
      c->pool->idle = c;
    } else {
      conn_close(c);
    }
  }
  wipe_request(t);
  t->cb->on_done(t->ud, result, t->message);
}

static void transfer_fail_later(h1_transfer *t, CURLcode result) {
  t->pending = result;
  evtimer_del(t->timer);
  event_active(t->timer, EV_TIMEOUT, 1);
}

static void sink_status(void *ud, int status) {
  h1_conn *c = ud;
  c->t->cb->on_status(c->t->ud, status, c->rx_ns);
}

static void sink_body(void *ud, const char *data, size_t len) {
  h1_conn *c = ud;
  c->t->cb->on_body(c->t->ud, data, len, c->rx_ns);
}

/* Writes what the socket takes. Returns -1 on a send failure. */
static int conn_write(h1_conn *c) {
  h1_transfer *t = c->t;
  while (t->written < t->req.len) {
    ssize_t n = send(c->fd, t->req.data + t->written, t->req.len - t->written, MSG_NOSIGNAL);
    if (n > 0) {
      t->written += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      conn_set_events(c, EV_READ | EV_WRITE);
      return 0;
    }
    snprintf(t->message, sizeof t->message, "Send failure: %s", strerror(n < 0 ? errno : EPIPE));
    return -1;
  }
  t->t_sent = benchy_now_ns();
  conn_set_events(c, EV_READ);
  return 0;
}

static benchy_loop *loop_of(h1_conn *c) { return c->pool->loop; }

static char *rbuf(benchy_loop *loop) {
  if (!loop->h1_rbuf) loop->h1_rbuf = malloc(H1_RBUF_SIZE);
  return loop->h1_rbuf;
}

/* When the bytes a recvmsg() returned arrived (monotonic ns), and whether
 * the kernel said so (*kernel) or the clock had to stand in. */
static int64_t arrival_ns(struct msghdr *msg, int *kernel) {
  *kernel = 0;
  const struct timespec *stamp = NULL;
  if (!(msg->msg_flags & MSG_CTRUNC))
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm))
      if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS)
        stamp = (const struct timespec *)CMSG_DATA(cm);
  struct timespec real;
  /* The realtime clock is read before the monotonic one: whatever passes
   * between the two readings makes the result later, never earlier, than
   * the arrival (a stamp must not precede the bytes it dates). */
  int have_real = stamp && clock_gettime(CLOCK_REALTIME, &real) == 0;
  int64_t now = benchy_now_ns();
  if (!have_real) return now;
  struct timespec at;
  memcpy(&at, stamp, sizeof at);
  int64_t age = (int64_t)(real.tv_sec - at.tv_sec) * 1000000000 + (real.tv_nsec - at.tv_nsec);
  /* A negative age means the realtime clock was stepped back between the
   * kernel's reading and ours: the arrival was at most now. */
  if (age < 0) age = 0;
  *kernel = 1;
  return now - age;
}

/* Dates the bytes a recvmsg() returned and counts the read. */
static void note_data_read(h1_conn *c, struct msghdr *msg) {
  h1_transfer *t = c->t;
  benchy_loop *loop = loop_of(c);
  int kernel;
  c->rx_ns = arrival_ns(msg, &kernel);
  /* A realtime step between the kernel's stamp and our reading, or a
   * preemption between our two clock reads, can date these bytes before
   * the request went out or before the previous read's: never let time run
   * backwards within a transfer. */
  if (c->rx_ns < t->last_rx_ns) c->rx_ns = t->last_rx_ns;
  if (c->rx_ns < t->t_sent) c->rx_ns = t->t_sent;
  t->data_reads++;
  t->last_rx_ns = c->rx_ns;
  t->kernel_reads += kernel;
  loop->counters.data_reads++;
  loop->counters.kernel_stamped_reads += (uint64_t)kernel;
  loop->read_seq++;
}

/* The server closed the connection: whether that ended the response. */
static CURLcode conn_eof(h1_conn *c) {
  h1_transfer *t = c->t;
  c->keep = 0;
  if (h1_parser_eof(&c->parser) == H1_DONE) return CURLE_OK;
  if (t->bytes == 0) {
    snprintf(t->message, sizeof t->message, "Empty reply from server");
    return CURLE_GOT_NOTHING;
  }
  snprintf(t->message, sizeof t->message, "transfer closed with outstanding read data remaining");
  return CURLE_PARTIAL_FILE;
}

/* Feeds n received bytes to the parser. Returns 1 when the transfer ended
 * (*result says how), 0 when more is to come. */
static int conn_feed(h1_conn *c, const char *buf, size_t n, CURLcode *result) {
  h1_transfer *t = c->t;
  h1_sink sink = {sink_status, sink_body, c};
  if (!t->bytes) {
    if (c->reused) c->pool->reuse_proven = 1;
    t->cb->on_first_byte(t->ud, c->rx_ns);
  }
  t->bytes += (int64_t)n;
  size_t used = 0;
  int st = h1_parser_feed(&c->parser, buf, n, &used, &sink);
  if (st == H1_DONE) {
    /* Bytes after the response, or a request not fully written: the
     * connection's state is unknown, so it is not reused. */
    c->keep = used == n && t->written == t->req.len;
    return 1;
  }
  if (st == H1_ERROR) {
    snprintf(t->message, sizeof t->message, "%s", c->parser.error);
    *result = CURLE_WEIRD_SERVER_REPLY;
    return 1;
  }
  return 0;
}

static void conn_read(h1_conn *c) {
  h1_transfer *t = c->t;
  benchy_loop *loop = loop_of(c);
  char *buf = rbuf(loop);
  if (!buf) {
    snprintf(t->message, sizeof t->message, "out of memory");
    transfer_finish(t, CURLE_OUT_OF_MEMORY);
    return;
  }
  CURLcode result = CURLE_OK;
  int done = 0;
  loop->in_curl++; /* requests started from on_chunk are queued */
  for (;;) {
    union {
      char buf[CMSG_SPACE(sizeof(struct timespec)) * 2];
      struct cmsghdr align;
    } control;
    struct iovec iov = {buf, H1_RBUF_SIZE};
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    ssize_t n = recvmsg(c->fd, &msg, 0);
    if (n > 0) {
      note_data_read(c, &msg);
      if ((done = conn_feed(c, buf, (size_t)n, &result))) break;
      /* A short read emptied the socket: epoll is level-triggered and wakes
       * us for what comes next, so a second recv() would only say EAGAIN. */
      if ((size_t)n < H1_RBUF_SIZE) break;
      continue;
    }
    if (n == 0) {
      done = 1;
      result = conn_eof(c);
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    result = CURLE_RECV_ERROR;
    snprintf(t->message, sizeof t->message, "Recv failure: %s", strerror(errno));
    done = 1;
    break;
  }
  loop->in_curl--;
  if (done) transfer_finish(t, result);
}

static void conn_cb(evutil_socket_t fd, short what, void *arg) {
  h1_conn *c = arg;
  if (c->state == C_IDLE) {
    idle_conn_usable(c); /* learns from a close */
    conn_close(c); /* closed by the server, or bytes nobody asked for */
    return;
  }
  h1_transfer *t = c->t;
  loop_of(c)->counters.socket_reads++;
  if (c->state == C_CONNECTING) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err) {
      c->ai = c->ai->ai_next;
      if (conn_connect(c) != 0) transfer_finish(t, CURLE_COULDNT_CONNECT);
      return;
    }
    c->state = C_ACTIVE;
    arm_deadline(t);
    what |= EV_WRITE;
  }
  if ((what & EV_WRITE) && t->written < t->req.len && conn_write(c) != 0) {
    transfer_finish(t, CURLE_SEND_ERROR);
    return;
  }
  if (what & EV_READ) conn_read(c);
}

static void transfer_timer(evutil_socket_t fd, short what, void *arg) {
  h1_transfer *t = arg;
  if (t->pending != CURLE_OK) {
    transfer_finish(t, t->pending);
    return;
  }
  int64_t ms = (benchy_now_ns() - t->t_start) / 1000000;
  if (t->conn && t->conn->state == C_CONNECTING)
    snprintf(t->message, sizeof t->message, "Connection timed out after %lld milliseconds", (long long)ms);
  else
    snprintf(t->message, sizeof t->message,
             "Operation timed out after %lld milliseconds with %lld bytes received", (long long)ms,
             (long long)t->bytes);
  transfer_finish(t, CURLE_OPERATION_TIMEDOUT);
}

/* ------------------------------------------------------------ transfers */

void h1_transfer_init(h1_transfer *t, h1_pool *pool, const h1_callbacks *cb, void *ud) {
  memset(t, 0, sizeof *t);
  t->pool = pool;
  t->cb = cb;
  t->ud = ud;
}

static int build_request(h1_transfer *t, const char *path, const struct curl_slist *headers,
                         const char *body, size_t body_len) {
  benchy_buf *b = &t->req;
  int bad = benchy_buf_printf(b, "POST %s HTTP/1.1\r\nHost: %s\r\n", path, t->pool->authority);
  for (const struct curl_slist *h = headers; h && !bad; h = h->next) {
    const char *colon = strchr(h->data, ':');
    if (!colon) continue;
    /* "Name:" with nothing after it removes a header in curl's convention. */
    if (colon[1 + strspn(colon + 1, " \t")] == '\0') continue;
    bad = benchy_buf_append_str(b, h->data) || benchy_buf_append(b, "\r\n", 2);
  }
  if (!bad) bad = benchy_buf_printf(b, "Content-Length: %zu\r\n\r\n", body_len);
  if (!bad) bad = benchy_buf_append(b, body, body_len);
  return bad ? BENCHY_ERR_NOMEM : BENCHY_OK;
}

/* Clears what the previous start left, for a transfer starting now. */
static void transfer_reset(h1_transfer *t, int64_t timeout_ms, int64_t connect_timeout_ms) {
  t->written = 0;
  t->t_sent = 0;
  t->bytes = 0;
  t->data_reads = t->kernel_reads = 0;
  t->last_rx_ns = 0;
  t->pending = CURLE_OK;
  t->connects = 0;
  t->message[0] = '\0';
  t->t_start = benchy_now_ns();
  t->timeout_ms = timeout_ms;
  t->connect_timeout_ms = connect_timeout_ms;
  t->active = 1;
}

/* Takes an idle connection that may carry the next request off the idle
 * list (most recently used first), closing those found dead on the way;
 * NULL when there is none or the caller wants a fresh one. */
static h1_conn *pool_take_idle(h1_pool *pool, int fresh) {
  h1_conn *c = NULL;
  for (h1_conn *it = fresh ? NULL : pool->idle, *next; it && !pool->closes_after_response; it = next) {
    next = it->next;
    if (!old_enough_to_tell(it)) continue;
    if (idle_conn_usable(it)) {
      c = it;
      break;
    }
    conn_close(it);
  }
  /* Its other connections will have been closed the same way. */
  if (pool->closes_after_response)
    while (pool->idle) conn_close(pool->idle);
  if (!c) return NULL;
  if (c->prev) c->prev->next = c->next;
  else pool->idle = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = NULL;
  return c;
}

static void transfer_start_reused(h1_transfer *t, h1_conn *c) {
  c->state = C_ACTIVE;
  c->reused = 1;
  c->t = t;
  t->conn = c;
  arm_deadline(t);
  /* The socket is almost always writable: send now rather than after
   * another trip through epoll. A failure is reported from the loop. */
  if (conn_write(c) != 0) {
    t->conn = NULL;
    c->t = NULL;
    note_server_close(c);
    conn_close(c);
    transfer_fail_later(t, CURLE_SEND_ERROR);
  }
}

/* BENCHY_ERR_NOMEM, else BENCHY_OK (a failed connect arrives by on_done). */
static int transfer_start_connecting(h1_transfer *t) {
  h1_pool *pool = t->pool;
  h1_conn *c = calloc(1, sizeof *c);
  if (!c) {
    t->active = 0;
    wipe_request(t);
    return BENCHY_ERR_NOMEM;
  }
  c->pool = pool;
  c->fd = -1;
  c->state = C_CONNECTING;
  c->ai = pool->addrs;
  c->t = t;
  h1_parser_init(&c->parser);
  if (conn_connect(c) != 0) {
    conn_close(c);
    transfer_fail_later(t, CURLE_COULDNT_CONNECT);
    return BENCHY_OK;
  }
  t->conn = c;
  arm_deadline(t);
  return BENCHY_OK;
}

int h1_transfer_start(h1_transfer *t, const char *path, const struct curl_slist *headers, const char *body,
                      size_t body_len, int fresh, int64_t timeout_ms, int64_t connect_timeout_ms) {
  h1_pool *pool = t->pool;
  if (t->active) return BENCHY_ERR_STATE;
  if (!t->timer && !(t->timer = evtimer_new(pool->loop->base, transfer_timer, t))) return BENCHY_ERR_NOMEM;
  wipe_request(t);
  if (build_request(t, path, headers, body, body_len) != BENCHY_OK) {
    wipe_request(t);
    return BENCHY_ERR_NOMEM;
  }
  transfer_reset(t, timeout_ms, connect_timeout_ms);
  if (pool_resolve(pool, t) != 0) {
    transfer_fail_later(t, CURLE_COULDNT_RESOLVE_HOST);
    return BENCHY_OK;
  }
  h1_conn *c = pool_take_idle(pool, fresh);
  if (!c) return transfer_start_connecting(t);
  transfer_start_reused(t, c);
  return BENCHY_OK;
}

void h1_transfer_abort(h1_transfer *t) {
  if (!t->active) return;
  t->active = 0;
  if (t->timer) evtimer_del(t->timer);
  if (t->conn) {
    t->conn->t = NULL;
    conn_close(t->conn);
    t->conn = NULL;
  }
  wipe_request(t);
}

void h1_transfer_cleanup(h1_transfer *t) {
  h1_transfer_abort(t);
  if (t->timer) event_free(t->timer);
  t->timer = NULL;
  benchy_buf_free(&t->req);
}
