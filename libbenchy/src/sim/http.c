/*
 * http.c — the simulator's minimal HTTP/1.1 server on raw sockets.
 *
 * Requests: one at a time per connection, body by Content-Length (chunked
 * uploads get 411), "Expect: 100-continue" answered, keep-alive by default
 * (HTTP/1.0 or "Connection: close" close after the response). Responses are
 * written with one send() each; only what the socket does not take is
 * copied into the connection's output buffer and finished by a write event,
 * so the usual path allocates nothing. A connection closing frees its
 * stream at once, which returns its slot to the scheduler.
 *
 * Connections closed from inside their own callback are freed when the
 * callback returns (c->in_cb), so no callback touches freed memory.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "sim/sim_internal.h"

#define MAX_HEADER_BYTES (64 * 1024)
#define MAX_BODY_BYTES ((size_t)64 * 1024 * 1024)
#define MAX_PENDING_OUT ((size_t)256 * 1024 * 1024)
#define READ_CHUNK 16384

const char *sim_status_text(int status) {
  switch (status) {
  case 100: return "Continue";
  case 200: return "OK";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 411: return "Length Required";
  case 413: return "Payload Too Large";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 503: return "Service Unavailable";
  default: return "Unknown";
  }
}

static void conn_free(sim_conn *c) {
  sim_t *s = c->sim;
  if (c->prev) c->prev->next = c->next;
  else s->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  s->n_conns--;
  if (c->ev_read) event_free(c->ev_read);
  if (c->ev_write) event_free(c->ev_write);
  if (c->fd >= 0) close(c->fd);
  benchy_buf_free(&c->in);
  benchy_buf_free(&c->out);
  free(c);
}

void sim_conn_close(sim_conn *c) {
  if (c->dead) return;
  c->dead = 1;
  if (c->stream) {
    sim_stream *st = c->stream;
    c->stream = NULL;
    c->sim->http.stream_abandoned(st);
  }
  event_del(c->ev_read);
  event_del(c->ev_write);
  close(c->fd);
  c->fd = -1;
  if (!c->in_cb) conn_free(c);
}

/* Close once everything queued has reached the socket. */
static void close_when_flushed(sim_conn *c) {
  if (c->out_off == c->out.len) sim_conn_close(c);
  else c->close_when_flushed = 1;
}

static void flush_out(sim_conn *c) {
  while (c->out_off < c->out.len) {
    ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
    if (n > 0) {
      c->out_off += (size_t)n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    } else {
      sim_conn_close(c);
      return;
    }
  }
  c->out.len = c->out_off = 0;
  event_del(c->ev_write);
  if (c->close_when_flushed) sim_conn_close(c);
}

int sim_conn_send(sim_conn *c, const char *data, size_t len) {
  if (c->dead) return -1;
  if (c->out_off == c->out.len) {
    ssize_t n;
    do n = send(c->fd, data, len, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)len) return 0;
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        sim_conn_close(c);
        return -1;
      }
      n = 0;
    }
    data += n;
    len -= (size_t)n;
    c->out.len = c->out_off = 0;
    event_add(c->ev_write, NULL);
  }
  /* A client that stops reading must not make the server grow forever. */
  if (c->out.len - c->out_off + len > MAX_PENDING_OUT) {
    sim_conn_close(c);
    return -1;
  }
  if (c->out_off > 0 && c->out_off >= c->out.len / 2) {
    memmove(c->out.data, c->out.data + c->out_off, c->out.len - c->out_off);
    c->out.len -= c->out_off;
    c->out_off = 0;
  }
  if (benchy_buf_append(&c->out, data, len)) {
    sim_conn_close(c);
    return -1;
  }
  return 0;
}

int sim_conn_send_out(sim_conn *c, sim_out *o, const char *headers, int chunked, int last,
                      int64_t sched_ns) {
  size_t start = SIM_OUT_FRONT, payload = o->b.len - SIM_OUT_FRONT;
  if (chunked && payload > 0) {
    static const char hex[] = "0123456789abcdef";
    char *p = o->b.data + start;
    *--p = '\n';
    *--p = '\r';
    for (size_t v = payload; v; v >>= 4) *--p = hex[v & 15];
    start = (size_t)(p - o->b.data);
    sim_out_mem(o, "\r\n", 2);
  }
  if (chunked && last) sim_out_mem(o, "0\r\n\r\n", 5);
  if (headers) {
    size_t hl = strlen(headers);
    start -= hl;
    memcpy(o->b.data + start, headers, hl);
  }
  if (o->oom) {
    sim_conn_close(c);
    return -1;
  }
  int64_t now = benchy_now_ns();
  for (int i = 0; i < o->n_stamps; i++) {
    char tmp[24], *p = tmp + sizeof tmp;
    uint64_t u = (uint64_t)now;
    do {
      *--p = (char)('0' + u % 10);
      u /= 10;
    } while (u);
    size_t n = (size_t)(tmp + sizeof tmp - p);
    char *dst = o->b.data + o->stamp_at[i];
    memcpy(dst, p, n);
    memset(dst + n, ' ', SIM_STAMP_WIDTH - n);
  }
  /* Recorded before the bytes leave: a client that has read a whole
   * response must find all of it in the statistics. */
  sim_record_write(c->sim, sched_ns, now, o->n_events);
  if (last || !chunked) sim_stats_flush(c->sim);
  return sim_conn_send(c, o->b.data + start, o->b.len - start);
}

int sim_conn_respond(sim_conn *c, int status, const char *body, size_t len, const char *extra) {
  benchy_buf b = {0};
  int rc = benchy_buf_printf(&b,
                             "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                             "Connection: %s\r\nServer: benchy-sim\r\n%s\r\n",
                             status, sim_status_text(status), len,
                             c->want_close ? "close" : "keep-alive", extra ? extra : "");
  if (rc == 0) rc = benchy_buf_append(&b, body, len);
  if (rc != 0) {
    benchy_buf_free(&b);
    sim_conn_close(c);
    return -1;
  }
  rc = sim_conn_send(c, b.data, b.len);
  benchy_buf_free(&b);
  return rc;
}

int sim_conn_error(sim_conn *c, int status, const char *type, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  benchy_buf b = {0};
  int rc = benchy_buf_printf(&b, "{\"error\":{\"code\":%d,\"message\":\"", status);
  rc |= sim_buf_escaped(&b, msg, strlen(msg));
  rc |= benchy_buf_printf(&b, "\",\"type\":\"%s\"}}", type);
  if (rc) {
    benchy_buf_free(&b);
    sim_conn_close(c);
    return -1;
  }
  rc = sim_conn_respond(c, status, b.data, b.len, status == 429 ? "Retry-After: 1\r\n" : NULL);
  benchy_buf_free(&b);
  return rc;
}

/* A protocol error: answer, then close (the stream of bytes is unusable). */
static void fail_request(sim_conn *c, int status, const char *msg) {
  c->want_close = 1;
  if (sim_conn_error(c, status, "invalid_request_error", "%s", msg) == 0) close_when_flushed(c);
}

static int header_is(const char *line, size_t len, const char *name, const char **value,
                     size_t *vlen) {
  size_t n = strlen(name);
  if (len <= n || line[n] != ':' || strncasecmp(line, name, n)) return 0;
  const char *v = line + n + 1, *end = line + len;
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  while (end > v && (end[-1] == ' ' || end[-1] == '\t')) end--;
  *value = v;
  *vlen = (size_t)(end - v);
  return 1;
}

static int contains_token(const char *v, size_t n, const char *token) {
  size_t t = strlen(token);
  for (size_t i = 0; i + t <= n; i++)
    if (!strncasecmp(v + i, token, t)) return 1;
  return 0;
}

/* What a request's header block says, as far as serving it needs. */
typedef struct request_head {
  size_t content_length; /* absent means an empty body */
  int chunked, expect, conn_close, conn_keep;
  const char *auth;
  size_t auth_len;
} request_head;

/* Reads the header lines between the request line's end and the blank
 * line. Returns -1 after answering a header the simulator refuses. */
static int parse_headers(sim_conn *c, char *p, char *eoh, request_head *h) {
  while (p < eoh) {
    char *e = memmem(p, (size_t)(eoh + 2 - p), "\r\n", 2);
    size_t len = (size_t)(e - p);
    const char *v;
    size_t vl;
    if (header_is(p, len, "Content-Length", &v, &vl)) {
      char tmp[32];
      char *end;
      /* Empty, or longer than any length we could take: not a number we
       * accept (copying a fixed 31 bytes here read past the value). */
      if (vl == 0 || vl >= sizeof tmp) {
        fail_request(c, 400, "Content-Length is not a number");
        return -1;
      }
      memcpy(tmp, v, vl);
      tmp[vl] = '\0';
      errno = 0;
      unsigned long long n = strtoull(tmp, &end, 10);
      if (errno || end == tmp || *end || tmp[0] == '-') {
        fail_request(c, 400, "Content-Length is not a number");
        return -1;
      }
      h->content_length = (size_t)n;
      if (n > MAX_BODY_BYTES) {
        fail_request(c, 413, "request body is larger than 64 MiB");
        return -1;
      }
    } else if (header_is(p, len, "Transfer-Encoding", &v, &vl)) {
      h->chunked = 1;
    } else if (header_is(p, len, "Expect", &v, &vl)) {
      h->expect = contains_token(v, vl, "100-continue");
    } else if (header_is(p, len, "Authorization", &v, &vl)) {
      h->auth = v;
      h->auth_len = vl;
    } else if (header_is(p, len, "Connection", &v, &vl)) {
      if (contains_token(v, vl, "close")) h->conn_close = 1;
      if (contains_token(v, vl, "keep-alive")) h->conn_keep = 1;
    }
    p = e + 2;
  }
  return 0;
}

/* Parses and serves complete requests from c->in until one is incomplete or
 * a response is in progress. */
static void process_input(sim_conn *c) {
  while (!c->dead && !c->stream && !c->close_when_flushed && c->in.len > 0) {
    char *data = c->in.data;
    char *eoh = memmem(data, c->in.len, "\r\n\r\n", 4);
    if (!eoh) {
      if (c->in.len > MAX_HEADER_BYTES) fail_request(c, 431, "request headers are larger than 64 KiB");
      return;
    }
    size_t head_len = (size_t)(eoh - data) + 4;
    char *line_end = memmem(data, head_len, "\r\n", 2);
    char *sp1 = memchr(data, ' ', (size_t)(line_end - data));
    char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(line_end - sp1 - 1)) : NULL;
    if (!sp1 || !sp2 || line_end - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.", 7)) {
      fail_request(c, 400, "malformed HTTP request line; expected 'METHOD /path HTTP/1.1'");
      return;
    }
    int http10 = sp2[8] == '0';
    request_head h = {.conn_close = http10};
    if (parse_headers(c, line_end + 2, eoh, &h) != 0) return;
    if (h.chunked) {
      fail_request(c, 411, "chunked request bodies are not supported; send the body with Content-Length");
      return;
    }
    if (c->in.len - head_len < h.content_length) {
      if (h.expect && !c->sent_continue) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        c->sent_continue = 1;
        if (sim_conn_send(c, cont, sizeof cont - 1)) return;
      }
      if (benchy_buf_reserve(&c->in, head_len + h.content_length - c->in.len)) sim_conn_close(c);
      return;
    }
    c->sent_continue = 0;
    c->want_close = http10 ? !h.conn_keep : h.conn_close;
    char *path = sp1 + 1;
    size_t path_len = (size_t)(sp2 - path);
    char *q = memchr(path, '?', path_len);
    if (q) path_len = (size_t)(q - path);
    sim_request r = {data, path, data + head_len, (size_t)(sp1 - data), path_len, h.content_length, h.auth,
                     h.auth_len};
    c->sim->http.request(c, &r);
    if (c->dead) return;
    size_t used = head_len + h.content_length;
    memmove(c->in.data, c->in.data + used, c->in.len - used);
    c->in.len -= used;
    if (!c->stream && c->want_close) {
      close_when_flushed(c);
      return;
    }
  }
}

static void read_cb(evutil_socket_t fd, short what, void *arg) {
  sim_conn *c = arg;
  c->in_cb++;
  for (;;) {
    if (benchy_buf_reserve(&c->in, READ_CHUNK)) {
      sim_conn_close(c);
      break;
    }
    size_t room = c->in.cap - c->in.len - 1;
    ssize_t n = recv(c->fd, c->in.data + c->in.len, room, 0);
    if (n > 0) {
      c->in.len += (size_t)n;
      if (c->in.len > MAX_HEADER_BYTES + MAX_BODY_BYTES) {
        sim_conn_close(c);
        break;
      }
      if ((size_t)n < room) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    sim_conn_close(c); /* EOF or error: the client is gone */
    break;
  }
  if (!c->dead) process_input(c);
  if (--c->in_cb == 0 && c->dead) conn_free(c);
}

static void write_cb(evutil_socket_t fd, short what, void *arg) {
  sim_conn *c = arg;
  c->in_cb++;
  flush_out(c);
  if (--c->in_cb == 0 && c->dead) conn_free(c);
}

void sim_conn_response_done(sim_conn *c, int close) {
  if (c->dead) return;
  if (close || c->want_close) {
    close_when_flushed(c);
    return;
  }
  /* A request may already wait in the buffer: serve it from the read
   * callback, not from inside whatever callback finished this one. */
  if (c->in.len > 0) event_active(c->ev_read, EV_READ, 0);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *addr,
                      int addrlen, void *arg) {
  sim_t *s = arg;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sim_conn *c = calloc(1, sizeof *c);
  if (!c) {
    close(fd);
    return;
  }
  c->sim = s;
  c->fd = fd;
  c->ev_read = event_new(s->base, fd, EV_READ | EV_PERSIST, read_cb, c);
  c->ev_write = event_new(s->base, fd, EV_WRITE | EV_PERSIST, write_cb, c);
  if (!c->ev_read || !c->ev_write || event_add(c->ev_read, NULL) != 0) {
    if (c->ev_read) event_free(c->ev_read);
    if (c->ev_write) event_free(c->ev_write);
    close(fd);
    free(c);
    return;
  }
  c->next = s->conns;
  if (s->conns) s->conns->prev = c;
  s->conns = c;
  s->n_conns++;
}

static void accept_resume_cb(evutil_socket_t fd, short what, void *arg) {
  sim_t *s = arg;
  if (s->listener) evconnlistener_enable(s->listener);
}

static void accept_error_cb(struct evconnlistener *l, void *arg) {
  sim_t *s = arg;
  int err = errno;
  pthread_mutex_lock(&s->mu);
  s->accept_errors++;
  pthread_mutex_unlock(&s->mu);
  /* Out of descriptors (or memory), the pending connection stays readable:
   * without a pause the loop would spin on it. Retry in 100 ms. */
  if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
    struct timeval tv = {0, 100000};
    evconnlistener_disable(l);
    event_add(s->ev_accept_pause, &tv);
  }
}

int sim_http_listen(sim_t *s, const sim_http_handlers *handlers, char *err, size_t errlen) {
  s->http = *handlers;
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  char port[16];
  snprintf(port, sizeof port, "%d", s->cfg.port);
  int gai = getaddrinfo(s->cfg.host, port, &hints, &res);
  if (gai != 0) {
    snprintf(err, errlen, "cannot resolve --host '%s': %s", s->cfg.host, gai_strerror(gai));
    return -1;
  }
  int fd = -1, saved = 0;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      saved = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (s->cfg.reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      saved = errno;
      close(fd);
      fd = -1;
      continue;
    }
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 4096) == 0) break;
    saved = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) {
    snprintf(err, errlen, "cannot listen on %s:%d: %s", s->cfg.host, s->cfg.port, strerror(saved));
    return -1;
  }
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  getsockname(fd, (struct sockaddr *)&ss, &sl);
  s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                           : ((struct sockaddr_in *)&ss)->sin_port);
  s->listener = evconnlistener_new(s->base, accept_cb, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
                                   0, fd);
  if (!s->listener) {
    close(fd);
    snprintf(err, errlen, "cannot listen on %s:%d: event loop refused the socket", s->cfg.host,
             s->cfg.port);
    return -1;
  }
  s->ev_accept_pause = event_new(s->base, -1, 0, accept_resume_cb, s);
  if (!s->ev_accept_pause) {
    snprintf(err, errlen, "cannot create the event loop");
    return -1;
  }
  evconnlistener_set_error_cb(s->listener, accept_error_cb);
  /* The URL clients should use: a wildcard address is reached on loopback. */
  const char *host = s->cfg.host;
  int v6 = ss.ss_family == AF_INET6;
  if (!strcmp(host, "0.0.0.0") || !*host) host = "127.0.0.1";
  else if (!strcmp(host, "::")) host = "::1";
  snprintf(s->base_url, sizeof s->base_url, v6 ? "http://[%s]:%d/v1" : "http://%s:%d/v1", host, s->port);
  return 0;
}

void sim_http_close_all(sim_t *s) {
  while (s->conns) sim_conn_close(s->conns);
  if (s->listener) evconnlistener_free(s->listener);
  s->listener = NULL;
  if (s->ev_accept_pause) event_free(s->ev_accept_pause);
  s->ev_accept_pause = NULL;
}
