/*
 * session.c — streaming client sessions and requests over the loop.
 *
 * Provides benchy_session_* and benchy_request_*. Uses loop.c for the
 * transfers, proto/sse.c and proto/openai.c to decode what arrives.
 *
 * curl callbacks only buffer, decode and timestamp. The clock is read once
 * each time curl hands over bytes (on_body), after its recv() returned, and
 * every SSE event decoded from those bytes carries that time: a stamp is
 * never earlier than the data's arrival. (Reading it once per readiness
 * event instead would date bytes that arrived between the wake-up and curl's
 * reads - curl reads a socket repeatedly while it stays readable - before
 * they arrived.) User code runs from on_done after
 * curl has returned; on_chunk runs inline but may only start other requests
 * (those are queued by the loop), stop the loop, or cancel: a cancel made
 * inside the loop only marks the request and queues its on_done for the
 * loop's top (loop_defer), since removing a transfer from within its own
 * read is not allowed (curl) or frees the connection being read (h1).
 * benchy_session_fetch_start lives in fetch.c.
 *
 * A request that fails on a reused connection before any byte of a response
 * arrived is retried once on a fresh connection: servers such as llama-server
 * close the connection after a stream although they advertised keep-alive.
 * The transports avoid that (h1.c checks before reuse, curl likewise), so a
 * retry is the exception the record owns up to.
 * Any other failure is recorded as an error on the request, never dropped.
 *
 * Two transports carry streamed requests: h1.c for http:// (cheaper per
 * read than curl) and curl for https://. They differ only behind
 * transport_ops and the loop_transfer attach hooks; both hand bytes to
 * deliver_body() and end in transfer_done(), so decoding, classification
 * and the retry rule are one code path. BENCHY_TRANSPORT=curl in the
 * environment keeps curl for http:// too (to compare the two).
 */
#include <cJSON.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../proto/openai.h"
#include "../proto/sse.h"
#include "base_url.h"
#include "../scrub.h"
#include "h1.h"
#include "sentence.h"
#include "loop_internal.h"
#include "session_internal.h"

#define ERROR_BODY_MAX (64 * 1024)

struct benchy_session {
  benchy_loop *loop;
  char *base_url;
  char *api_key;
  /* Shared by every request of the session; when an API key is set, the
   * last line is the Authorization line built from it. */
  struct curl_slist *headers;
  int key_line;        /* headers ends with the key's line */
  int explicit_auth;   /* an Authorization header was added: it wins over the key */
  /* The key and every header value: scrubbed from every text the session
   * hands out (errors, records, fetched bodies), since servers echo
   * requests in their error messages. */
  scrubber secrets;
  int64_t timeout_ms;
  int64_t connect_timeout_ms;
  h1_pool *h1;         /* NULL: streamed requests go through curl */
  benchy_request *requests;
  loop_client client;  /* the loop closes the session when freed first */
  session_child *children; /* fetch.c's transfers in flight */
  void *userdata;
  int closing;         /* being freed: nothing new may start */
  char error[256];
};

typedef struct transport_ops transport_ops;

struct benchy_request {
  loop_transfer xfer; /* first: CURLOPT_PRIVATE points here */
  benchy_session *session;
  loop_deferred cancel; /* a cancel waiting for the top of the loop */
  const transport_ops *ops;
  h1_transfer h1;     /* when the session uses h1 */
  int fresh;          /* h1: the next attempt must open a new connection */
  int64_t timeout_ms, connect_timeout_ms; /* as the session had them at creation */
  benchy_request *prev, *next; /* in the session's list */
  char *url;
  char *body;
  char *tag;
  unsigned flags;
  void *userdata;
  benchy_chunk_fn on_chunk;
  void *on_chunk_ud;
  benchy_done_fn on_done;
  void *on_done_ud;

  /* Per attempt. */
  sse_parser sse;
  oai_stream oai;
  benchy_record rec;
  benchy_buf error;       /* record->error */
  benchy_buf error_body;  /* body of an HTTP error response */
  benchy_chunk_event *chunks;
  size_t chunks_cap;
  benchy_tool_call *tool_calls;
  uint32_t last_read_seq;
  sentence_scan sentence; /* where the content's first sentence ends */
  int64_t rx_ns;          /* when the bytes being decoded were handed over */
  int64_t t_attempt;      /* this attempt handed to the transport (a retry's own) */
  int malformed;          /* a chunk could not be decoded */
  int in_flight;
  int cancel_pending;     /* cancelled from a callback: on_done comes from the top */
  char curl_error[CURL_ERROR_SIZE];
};

static void set_error(benchy_request *r, const char *fmt, const char *detail) {
  benchy_buf_clear(&r->error);
  benchy_buf_printf(&r->error, fmt, detail ? detail : "");
}

/* ------------------------------------------------------------ session */

static void session_close(loop_client *c);

int benchy_session_new(benchy_session **out, benchy_loop *loop, const char *base_url) {
  return benchy_session_new_err(out, loop, base_url, NULL, 0);
}

int benchy_session_new_err(benchy_session **out, benchy_loop *loop, const char *base_url, char *err,
                           size_t errlen) {
  benchy_set_error(err, errlen, "%s", "");
  if (!out || !loop) {
    benchy_set_error(err, errlen, "benchy_session_new: %s is NULL", out ? "loop" : "out");
    return BENCHY_ERR_INVALID;
  }
  *out = NULL;
  if (!base_url_check(base_url, err, errlen)) return BENCHY_ERR_INVALID;
  benchy_session *s = calloc(1, sizeof *s);
  if (!s) {
    benchy_set_error(err, errlen, "%s", "out of memory creating the session");
    return BENCHY_ERR_NOMEM;
  }
  s->loop = loop;
  size_t n = strlen(base_url);
  while (n > 0 && base_url[n - 1] == '/') n--;
  s->base_url = benchy_strndup(base_url, n);
  s->connect_timeout_ms = 10000;
  struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
  if (h) s->headers = h;
  if (h && (h = curl_slist_append(s->headers, "Accept: text/event-stream"))) s->headers = h;
  /* curl would otherwise wait for "100 Continue" on large prompts. */
  if (h && (h = curl_slist_append(s->headers, "Expect:"))) s->headers = h;
  if (!s->base_url || !h) {
    benchy_session_free(s);
    benchy_set_error(err, errlen, "%s", "out of memory creating the session");
    return BENCHY_ERR_NOMEM;
  }
  /* user:password@ in the URL is a credential: every text the session
   * writes (fetch errors name their URL) is scrubbed of it. */
  const char *authority = strstr(s->base_url, "://");
  if (authority) {
    authority += 3;
    size_t end = strcspn(authority, "/?#");
    const char *at = NULL;
    for (const char *p = authority; p < authority + end; p++)
      if (*p == '@') at = p;
    const char *colon = at ? memchr(authority, ':', (size_t)(at - authority)) : NULL;
    if ((at && scrubber_add(&s->secrets, authority, (size_t)(at - authority)) != 0) ||
        (colon && scrubber_add(&s->secrets, colon + 1, (size_t)(at - colon - 1)) != 0)) {
      benchy_session_free(s);
      benchy_set_error(err, errlen, "%s", "out of memory creating the session");
      return BENCHY_ERR_NOMEM;
    }
  }
  const char *transport = getenv("BENCHY_TRANSPORT");
  /* NULL (https://, a URL h1 does not handle, a proxy from the
   * environment): curl carries everything. */
  if (!transport || strcmp(transport, "curl")) s->h1 = h1_pool_new(loop, s->base_url);
  s->client.close = session_close;
  loop_add_client(loop, &s->client);
  *out = s;
  return BENCHY_OK;
}

static void wipe(char *secret) {
  if (!secret) return;
  volatile char *p = secret;
  while (*p) *p++ = 0;
}

static void request_cancel_now(benchy_request *r);

/* Cancels everything in flight, on_done delivered before it returns, and
 * lets go of the loop: from benchy_loop_free (through the loop's client
 * list) or benchy_session_free. The session may be freed afterwards. */
static void session_close(loop_client *c) {
  benchy_session *s = (benchy_session *)((char *)c - offsetof(benchy_session, client));
  if (!s->loop) return;
  s->closing = 1;
  while (s->children) s->children->cancel(s->children, s->loop);
  /* on_done may free requests (any of them): search afresh each time. */
  for (;;) {
    benchy_request *r = s->requests;
    while (r && !r->in_flight) r = r->next;
    if (!r) break;
    request_cancel_now(r);
  }
  /* h1's timers and connections are events on the loop's base. */
  for (benchy_request *r = s->requests; r; r = r->next) h1_transfer_cleanup(&r->h1);
  h1_pool_free(s->h1);
  s->h1 = NULL;
  loop_remove_client(s->loop, &s->client);
  s->loop = NULL;
}

void benchy_session_free(benchy_session *s) {
  if (!s) return;
  session_close(&s->client);
  while (s->requests) benchy_request_free(s->requests);
  curl_slist_free_all(s->headers);
  wipe(s->api_key);
  free(s->api_key);
  scrubber_free(&s->secrets);
  free(s->base_url);
  free(s);
}

const char *benchy_session_base_url(const benchy_session *s) { return s ? s->base_url : NULL; }
void benchy_session_set_userdata(benchy_session *s, void *userdata) {
  if (s) s->userdata = userdata;
}
void *benchy_session_userdata(const benchy_session *s) { return s ? s->userdata : NULL; }
benchy_loop *benchy_session_loop(const benchy_session *s) { return s ? s->loop : NULL; }
const char *benchy_session_error(const benchy_session *s) { return s ? s->error : ""; }

/* Requests in flight on curl read the header list in place, so it may
 * change only between requests. */
static int headers_locked(benchy_session *s) {
  for (benchy_request *r = s->requests; r; r = r->next) {
    if (r->in_flight) {
      snprintf(s->error, sizeof s->error,
               "headers and the API key cannot change while a request is in flight; set them first");
      return 1;
    }
  }
  return 0;
}

static int rebuild_headers(benchy_session *s, const char *extra) {
  /* The Authorization line is re-derived whenever the key changes, so the
   * slist never holds a stale secret. */
  struct curl_slist *fresh = NULL, *h;
  for (struct curl_slist *it = s->headers; it; it = it->next) {
    /* Only the key's own line is replaced; a user's Authorization header
     * (Basic, say) stays. */
    if (s->key_line && !it->next) continue;
    if (!(h = curl_slist_append(fresh, it->data))) goto nomem;
    fresh = h;
  }
  if (extra) {
    if (!(h = curl_slist_append(fresh, extra))) goto nomem;
    fresh = h;
  }
  /* One Authorization header: a server given two may take either (or
   * refuse), so the one the user spelled out wins over the key. */
  if (s->api_key && !s->explicit_auth) {
    size_t n = strlen(s->api_key) + 32;
    char *line = malloc(n);
    if (!line) goto nomem;
    snprintf(line, n, "Authorization: Bearer %s", s->api_key);
    h = curl_slist_append(fresh, line);
    wipe(line);
    free(line);
    if (!h) goto nomem;
    fresh = h;
  }
  for (struct curl_slist *it = s->headers; it; it = it->next)
    if (!strncasecmp(it->data, "Authorization:", 14)) wipe(it->data);
  curl_slist_free_all(s->headers);
  s->headers = fresh;
  s->key_line = s->api_key != NULL && !s->explicit_auth;
  return BENCHY_OK;
nomem:
  curl_slist_free_all(fresh);
  return BENCHY_ERR_NOMEM;
}

int benchy_session_set_api_key(benchy_session *s, const char *key) {
  if (!s) return BENCHY_ERR_INVALID;
  if (headers_locked(s)) return BENCHY_ERR_STATE;
  char *copy = NULL;
  if (key && *key && !(copy = benchy_strdup(key))) return BENCHY_ERR_NOMEM;
  /* A replaced key stays in the scrubber: it is still a secret. */
  if (copy && scrubber_add(&s->secrets, copy, strlen(copy)) != 0) {
    wipe(copy);
    free(copy);
    return BENCHY_ERR_NOMEM;
  }
  wipe(s->api_key);
  free(s->api_key);
  s->api_key = copy;
  return rebuild_headers(s, NULL);
}

int benchy_session_add_header(benchy_session *s, const char *header_line) {
  if (!s || !header_line) return BENCHY_ERR_INVALID;
  const char *colon = strchr(header_line, ':');
  if (!colon || colon == header_line || strpbrk(header_line, "\r\n")) {
    snprintf(s->error, sizeof s->error,
             "header must look like 'Name: value' on one line (got a header of %zu bytes)",
             strlen(header_line));
    return BENCHY_ERR_INVALID;
  }
  if (headers_locked(s)) return BENCHY_ERR_STATE;
  if (scrubber_add_header(&s->secrets, header_line) != 0) return BENCHY_ERR_NOMEM;
  int was_explicit = s->explicit_auth;
  if ((size_t)(colon - header_line) == 13 && !strncasecmp(header_line, "Authorization", 13))
    s->explicit_auth = 1;
  int st = rebuild_headers(s, header_line);
  if (st != BENCHY_OK) s->explicit_auth = was_explicit;
  return st;
}

int benchy_session_key_overridden(const benchy_session *s) {
  return s && s->api_key && s->explicit_auth;
}

int benchy_session_scrub(const benchy_session *s, char *text, size_t cap) {
  if (!s) return 0;
  return scrub_str(&s->secrets, text, cap) < 0 ? BENCHY_ERR_NOMEM : BENCHY_OK;
}

int benchy_session_set_timeout_ms(benchy_session *s, int64_t timeout_ms) {
  if (!s || timeout_ms < 0) return BENCHY_ERR_INVALID;
  s->timeout_ms = timeout_ms;
  return BENCHY_OK;
}

int benchy_session_set_connect_timeout_ms(benchy_session *s, int64_t timeout_ms) {
  if (!s || timeout_ms < 0) return BENCHY_ERR_INVALID;
  s->connect_timeout_ms = timeout_ms;
  return BENCHY_OK;
}

/* ------------------------------------------------------------ decoding */

static void record_chunk(benchy_request *r, const oai_chunk_info *info) {
  benchy_record *rec = &r->rec;
  benchy_loop *loop = r->session->loop;
  int64_t now = r->rx_ns;
  unsigned kinds = info->kinds;
  if (kinds & BENCHY_CHUNK_DONE) return;
  rec->chunks++;
  if (!rec->t_first_chunk) rec->t_first_chunk = now;
  if (r->last_read_seq != loop->read_seq) {
    r->last_read_seq = loop->read_seq;
    rec->socket_reads++;
  }
  if ((kinds & BENCHY_CHUNK_CONTENT) && !rec->t_first_content) rec->t_first_content = now;
  /* A content chunk's text is its content, whatever else it carried. */
  if ((kinds & BENCHY_CHUNK_CONTENT) && info->text)
    rec->t_first_sentence = sentence_feed(&r->sentence, info->text, info->text_len, now);
  if ((kinds & BENCHY_CHUNK_REASONING) && !rec->t_first_reasoning) rec->t_first_reasoning = now;
  if (kinds & BENCHY_CHUNK_TOOL) {
    if (!rec->t_first_tool) rec->t_first_tool = now;
    rec->t_last_tool = now;
  }
  if (kinds & BENCHY_CHUNK_TOKENS) {
    rec->token_chunks++;
    if (!rec->t_first_token) {
      rec->t_first_token = now;
    } else {
      int64_t gap = now - rec->t_last_token;
      rec->itl_count++;
      if (gap > rec->itl_max_ns) rec->itl_max_ns = gap;
    }
    rec->t_last_token = now;
    if (info->tokens >= 0) {
      if (rec->server_chunk_tokens < 0) rec->server_chunk_tokens = 0;
      rec->server_chunk_tokens += info->tokens;
    }
  }
  benchy_chunk_event ev = {now, info->server_send_ns, info->tokens, kinds, info->text_bytes,
                           loop->read_seq};
  if (r->flags & BENCHY_KEEP_CHUNKS) {
    if (r->rec.n_chunk_events == r->chunks_cap) {
      size_t cap = r->chunks_cap ? r->chunks_cap * 2 : 64;
      benchy_chunk_event *grown = realloc(r->chunks, cap * sizeof *grown);
      if (grown) {
        r->chunks = grown;
        r->chunks_cap = cap;
      }
    }
    if (r->rec.n_chunk_events < r->chunks_cap) r->chunks[r->rec.n_chunk_events++] = ev;
  }
  if (r->on_chunk) r->on_chunk(r, &ev, info->text ? info->text : "", info->text_len, r->on_chunk_ud);
}

/* WHATWG dispatches an event whose data is empty ("event: ping" then
 * "data:"); it carries no chunk, whatever its type, so it is a keep-alive
 * rather than a malformed chunk. */
static int blank_data(const sse_event *ev) {
  for (size_t i = 0; i < ev->data_len; i++)
    if (ev->data[i] != ' ' && ev->data[i] != '\t' && ev->data[i] != '\n' && ev->data[i] != '\r') return 0;
  return 1;
}

static int on_sse_event(void *userdata, const sse_event *ev) {
  benchy_request *r = userdata;
  if (blank_data(ev) || r->cancel_pending) return 0; /* cancelled: no more on_chunk */
  oai_chunk_info info;
  if (oai_stream_feed(&r->oai, ev->data, ev->data_len, &info) != 0) {
    if (!r->malformed) set_error(r, "%s", r->oai.error);
    r->malformed = 1;
    return 0; /* keep reading: one bad chunk should not hide the rest */
  }
  r->session->loop->counters.sse_events++;
  record_chunk(r, &info);
  return 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *userdata) {
  benchy_request *r = userdata;
  size_t len = size * n;
  if (!r->rec.t_first_byte) r->rec.t_first_byte = benchy_now_ns();
  /* Status lines (also of a 100 Continue) set the status seen so far. */
  if (len > 9 && !strncmp(data, "HTTP/", 5)) {
    const char *sp = memchr(data, ' ', len);
    if (sp && sp + 4 <= data + len) r->rec.http_status = atoi(sp + 1);
  }
  return len;
}

/* Body bytes from either transport; rx_ns is when they were received. */
static void deliver_body(benchy_request *r, const char *data, size_t len, int64_t rx_ns) {
  r->rec.bytes_received += (int64_t)len;
  r->rx_ns = rx_ns;
  if (!r->rec.t_first_byte) r->rec.t_first_byte = r->rx_ns;
  if (r->rec.http_status >= 300) {
    size_t room = ERROR_BODY_MAX - r->error_body.len;
    benchy_buf_append(&r->error_body, data, len < room ? len : room);
    return;
  }
  if (r->sse.failed) return;
  if (sse_parser_feed(&r->sse, data, len, on_sse_event, r) < 0 && !r->malformed) {
    set_error(r, "%s", r->sse.error);
    r->malformed = 1;
  }
}

static size_t on_body(char *data, size_t size, size_t n, void *userdata) {
  /* curl hands bytes over right after its recv() returned. */
  benchy_request *r = userdata;
  r->session->loop->counters.data_reads++;
  deliver_body(r, data, size * n, benchy_now_ns());
  return size * n;
}

/* ------------------------------------------------------------ transports */

/* What transfer_done needs to know of the transport an attempt ran on. */
struct transport_ops {
  void (*set_fresh)(benchy_request *r, int fresh); /* next attempt on a new connection */
  long (*connects)(benchy_request *r);             /* connections the attempt opened */
  int64_t (*sent_at)(benchy_request *r);           /* request written, 0 unknown */
  int (*rx_clock)(benchy_request *r);              /* benchy_rx_clock of the attempt */
  int64_t (*received_at)(benchy_request *r);       /* arrival of the last bytes, 0 unknown */
};

static void curl_set_fresh(benchy_request *r, int fresh) {
  curl_easy_setopt(r->xfer.easy, CURLOPT_FRESH_CONNECT, (long)fresh);
}

static long curl_connects(benchy_request *r) {
  long new_connects = -1;
  curl_easy_getinfo(r->xfer.easy, CURLINFO_NUM_CONNECTS, &new_connects);
  return new_connects;
}

static int64_t curl_sent_at(benchy_request *r) {
  curl_off_t pretransfer_us = 0;
  if (curl_easy_getinfo(r->xfer.easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us) == CURLE_OK &&
      pretransfer_us > 0)
    return r->t_attempt + (int64_t)pretransfer_us * 1000; /* curl times each attempt */
  return 0;
}

static int curl_rx_clock(benchy_request *r) {
  return r->rec.bytes_received ? BENCHY_RX_CLOCK_READ : BENCHY_RX_CLOCK_NONE;
}

static int64_t curl_received_at(benchy_request *r) { return 0; }

static const transport_ops curl_ops = {curl_set_fresh, curl_connects, curl_sent_at, curl_rx_clock,
                                       curl_received_at};

static void h1_set_fresh(benchy_request *r, int fresh) { r->fresh = fresh; }
static long h1_connects(benchy_request *r) { return r->h1.connects; }
static int64_t h1_sent_at(benchy_request *r) { return r->h1.t_sent; }

static int h1_rx_clock(benchy_request *r) { return benchy_rx_clock_of(r->h1.data_reads, r->h1.kernel_reads); }

static int64_t h1_received_at(benchy_request *r) { return r->h1.last_rx_ns; }

static const transport_ops h1_ops = {h1_set_fresh, h1_connects, h1_sent_at, h1_rx_clock, h1_received_at};

static void h1_on_first_byte(void *ud, int64_t rx_ns) {
  benchy_request *r = ud;
  if (!r->rec.t_first_byte) r->rec.t_first_byte = rx_ns;
}

static void h1_on_status(void *ud, int status, int64_t rx_ns) {
  benchy_request *r = ud;
  if (!r->rec.t_first_byte) r->rec.t_first_byte = rx_ns;
  r->rec.http_status = status;
}

static void h1_on_body(void *ud, const char *data, size_t len, int64_t rx_ns) {
  deliver_body(ud, data, len, rx_ns);
}

static void h1_on_done(void *ud, CURLcode result, const char *message) {
  benchy_request *r = ud;
  snprintf(r->curl_error, sizeof r->curl_error, "%s", message);
  loop_finish_transfer(r->session->loop, &r->xfer, result);
}

static const h1_callbacks h1_cbs = {h1_on_first_byte, h1_on_status, h1_on_body, h1_on_done};

static int h1_attach(loop_transfer *t) {
  benchy_request *r = (benchy_request *)t;
  /* r->url is base_url + endpoint path, so a '/' follows the authority. */
  const char *path = strchr(r->url + 7, '/');
  return h1_transfer_start(&r->h1, path, r->session->headers, r->body, strlen(r->body), r->fresh,
                           r->timeout_ms, r->connect_timeout_ms);
}

static void h1_detach(loop_transfer *t) { h1_transfer_abort(&((benchy_request *)t)->h1); }

/* ------------------------------------------------------------ requests */

static void request_reset_attempt(benchy_request *r, int keep_schedule) {
  benchy_record keep = r->rec;
  memset(&r->rec, 0, sizeof r->rec);
  r->rec.struct_size = sizeof r->rec;
  r->rec.usage_prompt_tokens = r->rec.usage_completion_tokens = -1;
  r->rec.usage_cached_tokens = r->rec.usage_reasoning_tokens = -1;
  r->rec.server_chunk_tokens = -1;
  r->rec.tag = r->tag;
  if (keep_schedule) {
    r->rec.id = keep.id;
    r->rec.t_scheduled = keep.t_scheduled;
    r->rec.t_dispatched = keep.t_dispatched;
    r->rec.retries = keep.retries;
  }
  sse_parser_reset(&r->sse);
  oai_stream_reset(&r->oai);
  benchy_buf_clear(&r->error);
  benchy_buf_clear(&r->error_body);
  r->malformed = 0;
  r->sentence = (sentence_scan){0, 0};
  r->last_read_seq = 0;
  r->curl_error[0] = '\0';
}

static const char *endpoint_path(benchy_endpoint e) {
  return e == BENCHY_ENDPOINT_COMPLETIONS ? "/completions" : "/chat/completions";
}

/* Adds "stream": true and stream_options.include_usage unless the caller
 * chose otherwise; checks that the body is a JSON object. */
static int prepare_body(const char *json, unsigned flags, char **out, char *err, size_t errlen) {
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithOpts(json, &end, 1);
  if (!root || !cJSON_IsObject(root)) {
    size_t at = root ? 0 : (size_t)(cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - json : 0);
    snprintf(err, errlen, "request body is not a JSON object (error near byte %zu)", at);
    cJSON_Delete(root);
    return BENCHY_ERR_INVALID;
  }
  if (!cJSON_GetObjectItemCaseSensitive(root, "stream")) cJSON_AddTrueToObject(root, "stream");
  cJSON *stream = cJSON_GetObjectItemCaseSensitive(root, "stream");
  if (cJSON_IsTrue(stream) && !(flags & BENCHY_NO_STREAM_OPTIONS) &&
      !cJSON_GetObjectItemCaseSensitive(root, "stream_options")) {
    cJSON *so = cJSON_AddObjectToObject(root, "stream_options");
    if (so) cJSON_AddTrueToObject(so, "include_usage");
  }
  *out = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  return *out ? BENCHY_OK : BENCHY_ERR_NOMEM;
}

static void transfer_done(loop_transfer *t, CURLcode result);
static void request_cancel_deferred(loop_deferred *d);

static int configure_easy(benchy_request *r) {
  benchy_session *s = r->session;
  CURL *e = r->xfer.easy;
  curl_easy_setopt(e, CURLOPT_URL, r->url);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(r->body));
  /* Headers are handed over at start: the list may change until then. */
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)&r->xfer);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->curl_error);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)s->timeout_ms);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)s->connect_timeout_ms);
  /* curl's own retry of a dead reused connection must not hide the retry
   * from the record: we do it ourselves (see transfer_done). */
  return BENCHY_OK;
}

int benchy_request_new(benchy_request **out, benchy_session *s, benchy_endpoint endpoint,
                       const char *body_json) {
  if (!out) return BENCHY_ERR_INVALID;
  *out = NULL;
  if (!s || !body_json || (endpoint != BENCHY_ENDPOINT_CHAT && endpoint != BENCHY_ENDPOINT_COMPLETIONS))
    return BENCHY_ERR_INVALID;
  if (!s->loop) {
    snprintf(s->error, sizeof s->error, "the session's loop was freed; create a new loop and session");
    return BENCHY_ERR_STATE;
  }
  benchy_request *r = calloc(1, sizeof *r);
  if (!r) return BENCHY_ERR_NOMEM;
  r->session = s;
  r->xfer.on_done = transfer_done;
  r->cancel.run = request_cancel_deferred;
  r->ops = &curl_ops;
  r->timeout_ms = s->timeout_ms;
  r->connect_timeout_ms = s->connect_timeout_ms;
  if (s->h1) {
    r->ops = &h1_ops;
    r->xfer.attach = h1_attach;
    r->xfer.detach = h1_detach;
    h1_transfer_init(&r->h1, s->h1, &h1_cbs, r);
  }
  sse_parser_init(&r->sse, SSE_DEFAULT_MAX_LINE);
  oai_stream_init(&r->oai, endpoint == BENCHY_ENDPOINT_COMPLETIONS ? OAI_COMPLETIONS : OAI_CHAT, 0);
  int st = prepare_body(body_json, 0, &r->body, s->error, sizeof s->error);
  if (st != BENCHY_OK) {
    sse_parser_free(&r->sse);
    oai_stream_free(&r->oai);
    free(r);
    return st;
  }
  size_t n = strlen(s->base_url) + strlen(endpoint_path(endpoint)) + 1;
  r->url = malloc(n);
  /* A curl handle is ~5.5 KB: requests that h1 carries do without one. */
  if (!s->h1) r->xfer.easy = curl_easy_init();
  if (!r->url || (!s->h1 && !r->xfer.easy)) {
    r->next = NULL;
    sse_parser_free(&r->sse);
    oai_stream_free(&r->oai);
    if (r->xfer.easy) curl_easy_cleanup(r->xfer.easy);
    free(r->url);
    free(r->body);
    free(r);
    return BENCHY_ERR_NOMEM;
  }
  snprintf(r->url, n, "%s%s", s->base_url, endpoint_path(endpoint));
  if (r->xfer.easy) configure_easy(r);
  request_reset_attempt(r, 0);
  r->next = s->requests;
  if (s->requests) s->requests->prev = r;
  s->requests = r;
  *out = r;
  return BENCHY_OK;
}

void benchy_request_free(benchy_request *r) {
  if (!r) return;
  benchy_session *s = r->session;
  if (r->in_flight && s->loop) {
    loop_undefer(s->loop, &r->cancel);
    loop_remove_transfer(s->loop, &r->xfer);
  }
  r->in_flight = 0;
  r->cancel_pending = 0;
  if (r->prev)
    r->prev->next = r->next;
  else
    s->requests = r->next;
  if (r->next) r->next->prev = r->prev;
  if (r->xfer.easy) curl_easy_cleanup(r->xfer.easy);
  h1_transfer_cleanup(&r->h1);
  sse_parser_free(&r->sse);
  oai_stream_free(&r->oai);
  benchy_buf_free(&r->error);
  benchy_buf_free(&r->error_body);
  free(r->chunks);
  free(r->tool_calls);
  free(r->url);
  free(r->body);
  free(r->tag);
  free(r);
}

int benchy_request_set_flags(benchy_request *r, unsigned flags) {
  if (!r || r->in_flight) return r ? BENCHY_ERR_STATE : BENCHY_ERR_INVALID;
  if ((flags & BENCHY_NO_STREAM_OPTIONS) != (r->flags & BENCHY_NO_STREAM_OPTIONS)) {
    /* The body was prepared with the old choice: undo what we added. */
    cJSON *root = cJSON_Parse(r->body);
    if (!root) return BENCHY_ERR_NOMEM;
    if (flags & BENCHY_NO_STREAM_OPTIONS) cJSON_DeleteItemFromObjectCaseSensitive(root, "stream_options");
    char *body = NULL;
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text) return BENCHY_ERR_NOMEM;
    int st = prepare_body(text, flags, &body, r->session->error, sizeof r->session->error);
    cJSON_free(text);
    if (st != BENCHY_OK) return st;
    free(r->body);
    r->body = body;
    if (r->xfer.easy) {
      curl_easy_setopt(r->xfer.easy, CURLOPT_POSTFIELDS, r->body);
      curl_easy_setopt(r->xfer.easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(r->body));
    }
  }
  r->flags = flags;
  r->oai.keep_text = (flags & BENCHY_KEEP_TEXT) != 0;
  return BENCHY_OK;
}

int benchy_request_set_tag(benchy_request *r, const char *tag) {
  if (!r) return BENCHY_ERR_INVALID;
  char *copy = NULL;
  if (tag && !(copy = benchy_strdup(tag))) return BENCHY_ERR_NOMEM;
  free(r->tag);
  r->tag = copy;
  r->rec.tag = copy;
  return BENCHY_OK;
}

void benchy_request_set_userdata(benchy_request *r, void *userdata) {
  if (r) r->userdata = userdata;
}
void *benchy_request_userdata(const benchy_request *r) { return r ? r->userdata : NULL; }

void benchy_request_set_on_chunk(benchy_request *r, benchy_chunk_fn fn, void *userdata) {
  if (!r) return;
  r->on_chunk = fn;
  r->on_chunk_ud = userdata;
}

void benchy_request_set_on_done(benchy_request *r, benchy_done_fn fn, void *userdata) {
  if (!r) return;
  r->on_done = fn;
  r->on_done_ud = userdata;
}

int benchy_request_in_flight(const benchy_request *r) { return r ? r->in_flight : 0; }
const benchy_record *benchy_request_record(const benchy_request *r) { return r ? &r->rec : NULL; }

int benchy_request_start(benchy_request *r, int64_t scheduled_ns) {
  if (!r) return BENCHY_ERR_INVALID;
  if (r->in_flight) return BENCHY_ERR_STATE;
  benchy_loop *loop = r->session->loop;
  if (!loop || loop->closing || r->session->closing) return BENCHY_ERR_STATE; /* being freed */
  request_reset_attempt(r, 0);
  r->ops->set_fresh(r, 0);
  int64_t now = benchy_now_ns();
  r->rec.id = ++loop->next_request_id;
  /* The session's list as it is now (it may have changed since creation). */
  if (r->xfer.easy) {
    curl_easy_setopt(r->xfer.easy, CURLOPT_HTTPHEADER, r->session->headers);
    curl_easy_setopt(r->xfer.easy, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
  }
  r->rec.t_scheduled = scheduled_ns ? scheduled_ns : now;
  r->rec.t_dispatched = r->t_attempt = now;
  int st = loop_add_transfer(loop, &r->xfer);
  if (st != BENCHY_OK) return st;
  r->in_flight = 1;
  return BENCHY_OK;
}

/* ------------------------------------------------------------ completion */

static void finish_counts(benchy_request *r) {
  benchy_record *rec = &r->rec;
  oai_stream *o = &r->oai;
  rec->usage_prompt_tokens = o->usage_prompt_tokens;
  rec->usage_completion_tokens = o->usage_completion_tokens;
  rec->usage_cached_tokens = o->usage_cached_tokens;
  rec->usage_reasoning_tokens = o->usage_reasoning_tokens;
  rec->timings = o->timings;
  rec->finish_reason = o->finish_reason[0] ? o->finish_reason : NULL;
  if (o->usage_completion_tokens >= 0) {
    rec->output_tokens = o->usage_completion_tokens;
    rec->count_method = BENCHY_COUNT_USAGE;
  } else if (rec->server_chunk_tokens >= 0) {
    rec->output_tokens = rec->server_chunk_tokens;
    rec->count_method = BENCHY_COUNT_SERVER_CHUNKS;
  } else if (rec->token_chunks > 0) {
    rec->output_tokens = rec->token_chunks;
    rec->count_method = BENCHY_COUNT_CHUNKS;
  }
  free(r->tool_calls);
  r->tool_calls = NULL;
  rec->n_tool_calls = 0;
  if (o->n_tool_calls && (r->tool_calls = calloc(o->n_tool_calls, sizeof *r->tool_calls))) {
    for (size_t i = 0; i < o->n_tool_calls; i++) {
      oai_tool_call *c = &o->tool_calls[i];
      benchy_buf_terminate(&c->id);
      benchy_buf_terminate(&c->name);
      benchy_buf_terminate(&c->arguments);
      r->tool_calls[i] = (benchy_tool_call){c->index, c->id.data ? c->id.data : "",
                                            c->name.data ? c->name.data : "",
                                            c->arguments.data ? c->arguments.data : ""};
    }
    rec->n_tool_calls = o->n_tool_calls;
  }
  rec->tool_calls = r->tool_calls;
  if (r->flags & BENCHY_KEEP_TEXT) {
    benchy_buf_terminate(&o->content);
    benchy_buf_terminate(&o->reasoning);
    rec->content = o->content.data ? o->content.data : "";
    rec->reasoning = o->reasoning.data ? o->reasoning.data : "";
  }
  rec->chunk_events = (r->flags & BENCHY_KEEP_CHUNKS) ? r->chunks : NULL;
}

static int classify_curl_error(CURLcode result) {
  switch (result) {
  case CURLE_OPERATION_TIMEDOUT:
    return BENCHY_ERR_TIMEOUT;
  case CURLE_COULDNT_CONNECT:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
    return BENCHY_ERR_CONNECT;
  case CURLE_PARTIAL_FILE:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_SEND_ERROR:
    return BENCHY_ERR_DISCONNECT;
  case CURLE_OUT_OF_MEMORY:
    return BENCHY_ERR_NOMEM;
  default:
    return BENCHY_ERR_TRANSPORT;
  }
}

/* A dead reused connection shows as nothing received at all, on an
 * attempt that opened no connection of its own. */
static int should_retry(benchy_request *r, CURLcode result, long connects) {
  if (r->rec.retries >= 1 || r->rec.bytes_received > 0 || r->rec.http_status != 0) return 0;
  if (result != CURLE_SEND_ERROR && result != CURLE_RECV_ERROR && result != CURLE_GOT_NOTHING)
    return 0;
  return connects == 0;
}

static void transfer_done(loop_transfer *t, CURLcode result) {
  benchy_request *r = (benchy_request *)t;
  benchy_loop *loop = r->session->loop;
  benchy_record *rec = &r->rec;
  long connects = r->ops->connects(r);
  if (connects > 0) loop->counters.connections += (uint64_t)connects;
  if (r->cancel_pending) {
    /* Ended on its own (or would retry) before the top of the loop came:
     * still cancelled, as the caller was told. */
    request_cancel_now(r);
    return;
  }
  if (result != CURLE_OK && should_retry(r, result, connects)) {
    request_reset_attempt(r, 1); /* keeps the schedule and the retry count */
    rec->retries++;
    loop->counters.retries++;
    r->ops->set_fresh(r, 1);
    r->t_attempt = benchy_now_ns();
    if (loop_add_transfer(loop, t) == BENCHY_OK) return;
  }
  r->in_flight = 0;
  rec->t_done = benchy_now_ns();
  /* A complete response ends when its last bytes arrived, on the same
   * clock as the chunks; anything else ends when we gave up on it. */
  int64_t received = r->ops->received_at(r);
  if (result == CURLE_OK && received > 0 && received < rec->t_done) rec->t_done = received;
  rec->rx_clock = r->ops->rx_clock(r);
  int64_t sent = r->ops->sent_at(r);
  if (sent > 0) {
    rec->t_sent = sent;
    if (rec->t_first_byte && rec->t_sent > rec->t_first_byte) rec->t_sent = rec->t_first_byte;
  }
  if (result == CURLE_OK && !r->oai.done && !r->sse.failed)
    sse_parser_finish(&r->sse, on_sse_event, r);
  finish_counts(r);

  int status = BENCHY_OK;
  if (rec->http_status >= 400) {
    status = rec->http_status == 429 ? BENCHY_ERR_RATE_LIMITED : BENCHY_ERR_HTTP;
    benchy_buf msg = {0};
    oai_error_from_body(r->error_body.data ? r->error_body.data : "", r->error_body.len, &msg);
    benchy_buf_clear(&r->error);
    benchy_buf_printf(&r->error, "HTTP %d: %s", rec->http_status, msg.data ? msg.data : "");
    benchy_buf_free(&msg);
  } else if (result != CURLE_OK) {
    status = classify_curl_error(result);
    benchy_buf_clear(&r->error);
    benchy_buf_printf(&r->error, "%s (after %lld bytes, %lld chunks)",
                      r->curl_error[0] ? r->curl_error : curl_easy_strerror(result),
                      (long long)rec->bytes_received, (long long)rec->chunks);
  } else if (r->oai.has_error) {
    status = BENCHY_ERR_SERVER;
    benchy_buf_terminate(&r->oai.error_message);
    set_error(r, "server error in stream: %s", r->oai.error_message.data);
  } else if (r->malformed) {
    status = BENCHY_ERR_MALFORMED;
  } else if (rec->http_status < 200 || rec->http_status >= 300) {
    status = BENCHY_ERR_HTTP;
    char code[16];
    snprintf(code, sizeof code, "%d", rec->http_status);
    set_error(r, "unexpected HTTP status %s", code);
  } else if (!r->oai.done) {
    status = BENCHY_ERR_DISCONNECT;
    char detail[64];
    snprintf(detail, sizeof detail, "%lld chunks", (long long)rec->chunks);
    set_error(r, "stream ended without [DONE] after %s", detail);
  }
  rec->status = status;
  /* Only a stream that ended as it should confirms a mark at its very end. */
  if (status == BENCHY_OK) rec->t_first_sentence = sentence_finish(&r->sentence);
  benchy_buf_terminate(&r->error);
  scrub_buf(&r->session->secrets, &r->error);
  rec->error = status == BENCHY_OK ? NULL : r->error.data;
  loop->counters.requests_done++;
  if (r->on_done) r->on_done(r, rec, r->on_done_ud);
}

/* Ends the request as cancelled and calls on_done; only where user code
 * may run (the loop's top, or outside the loop). */
static void request_cancel_now(benchy_request *r) {
  benchy_loop *loop = r->session->loop;
  r->cancel_pending = 0;
  loop_undefer(loop, &r->cancel);
  /* Already detached when the transport finished it (transfer_done). */
  loop_remove_transfer(loop, &r->xfer);
  r->in_flight = 0;
  r->rec.t_done = benchy_now_ns();
  r->rec.rx_clock = r->ops->rx_clock(r);
  finish_counts(r);
  r->rec.status = BENCHY_ERR_CANCELLED;
  set_error(r, "%s", "cancelled before completion");
  benchy_buf_terminate(&r->error);
  r->rec.error = r->error.data;
  if (r->on_done) r->on_done(r, &r->rec, r->on_done_ud);
}

static void request_cancel_deferred(loop_deferred *d) {
  benchy_request *r = (benchy_request *)((char *)d - offsetof(benchy_request, cancel));
  if (r->cancel_pending) request_cancel_now(r);
}

void benchy_request_cancel(benchy_request *r) {
  if (!r || !r->in_flight || r->cancel_pending) return;
  benchy_loop *loop = r->session->loop;
  /* Inside the loop the caller is some callback - maybe this request's own
   * on_chunk, deep in a transport read: on_done waits for the top of the
   * loop, where no transport frame is below it. Outside the loop the caller
   * is already at the top, and a next run may never come. */
  if (loop_running(loop)) {
    r->cancel_pending = 1;
    loop_defer(loop, &r->cancel);
    return;
  }
  request_cancel_now(r);
}

int benchy_request_set_timeout_ms(benchy_request *r, int64_t timeout_ms) {
  if (!r || timeout_ms < 0) return BENCHY_ERR_INVALID;
  if (r->in_flight) return BENCHY_ERR_STATE;
  r->timeout_ms = timeout_ms;
  return BENCHY_OK;
}

/* ------------------------------------------------------------ fetch */

static size_t fetch_body(char *data, size_t size, size_t n, void *userdata) {
  benchy_buf *b = userdata;
  size_t len = size * n;
  if (b->len + len > 64u * 1024u * 1024u) return 0; /* a JSON document, not a stream */
  return benchy_buf_append(b, data, len) == 0 ? len : 0;
}

/* curl_easy_perform, but benchy_loop_stop() on the session's loop (a
 * Ctrl-C, through benchy_interrupt) ends it within one wake-up instead of
 * at the transfer's timeout: the wait covers the loop's stop descriptor as
 * well as the transfer's sockets. */
static CURLcode perform_stoppable(benchy_loop *loop, CURL *e, int *stopped) {
  *stopped = 0;
  CURLM *m = curl_multi_init();
  if (!m) return CURLE_OUT_OF_MEMORY;
  if (curl_multi_add_handle(m, e) != CURLM_OK) {
    curl_multi_cleanup(m);
    return CURLE_OUT_OF_MEMORY;
  }
  CURLcode res = CURLE_OK;
  int running = 1;
  for (;;) {
    if (loop_take_stop(loop)) {
      *stopped = 1;
      break;
    }
    if (curl_multi_perform(m, &running) != CURLM_OK) {
      res = CURLE_OUT_OF_MEMORY;
      break;
    }
    if (!running) {
      CURLMsg *msg;
      int left;
      while ((msg = curl_multi_info_read(m, &left)))
        if (msg->msg == CURLMSG_DONE) res = msg->data.result;
      break;
    }
    /* curl shortens the wait to its own timeouts; the bound only caps how
     * long a lost wake-up could go unnoticed. */
    struct curl_waitfd stop = {loop_stop_fd(loop), CURL_WAIT_POLLIN, 0};
    if (curl_multi_poll(m, &stop, 1, 1000, NULL) != CURLM_OK) {
      res = CURLE_RECV_ERROR;
      break;
    }
  }
  curl_multi_remove_handle(m, e);
  curl_multi_cleanup(m);
  return res;
}

int session_fetch_url(const benchy_session *s, const char *path, benchy_buf *url) {
  if (path[0] == '/') {
    /* Relative to the server root: strip the path of base_url. */
    const char *scheme_end = strstr(s->base_url, "://");
    const char *root_end = scheme_end ? strchr(scheme_end + 3, '/') : NULL;
    size_t root_len = root_end ? (size_t)(root_end - s->base_url) : strlen(s->base_url);
    benchy_buf_append(url, s->base_url, root_len);
    benchy_buf_append_str(url, path);
  } else {
    benchy_buf_printf(url, "%s/%s", s->base_url, path);
  }
  return url->data ? BENCHY_OK : BENCHY_ERR_NOMEM;
}

static int64_t session_fetch_limit_ms(const benchy_session *s) {
  return s->timeout_ms ? s->timeout_ms : 600000;
}

CURL *session_fetch_easy(const benchy_session *s, const char *method, const char *url,
                         const char *body_json, benchy_buf *body, char *errbuf) {
  CURL *e = curl_easy_init();
  if (!e) return NULL;
  errbuf[0] = '\0';
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fetch_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, body);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)s->connect_timeout_ms);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)session_fetch_limit_ms(s));
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
  if (body_json) curl_easy_setopt(e, CURLOPT_POSTFIELDS, body_json);
  return e;
}

int session_fetch_outcome(const benchy_session *s, const char *method, const char *url, CURLcode res,
                          long code, const char *errbuf, benchy_buf *body, char *err, size_t errlen) {
  int status = BENCHY_OK;
  err[0] = '\0';
  if (res != CURLE_OK) {
    status = classify_curl_error(res);
    if (res == CURLE_OPERATION_TIMEDOUT && !strncmp(errbuf, "Operation", 9))
      /* Connected, sent, and nothing (or not all) came back in time. */
      snprintf(err, errlen, "%s %.160s: no answer within %g s", method, url,
               (double)session_fetch_limit_ms(s) / 1000.0);
    else
      snprintf(err, errlen, "%s %.160s: %.80s", method, url,
               errbuf[0] ? errbuf : curl_easy_strerror(res));
    benchy_buf_free(body);
  } else {
    if (benchy_buf_terminate(body) != 0) status = BENCHY_ERR_NOMEM;
    /* Callers quote bodies (an error's message) in what they print. */
    if (scrub_buf(&s->secrets, body) < 0) status = BENCHY_ERR_NOMEM;
    if (code >= 400) {
      status = code == 429 ? BENCHY_ERR_RATE_LIMITED : BENCHY_ERR_HTTP;
      snprintf(err, errlen, "%s %s: HTTP %ld", method, url, code);
    }
  }
  scrub_str(&s->secrets, err, errlen);
  return status;
}

int benchy_session_fetch(benchy_session *s, const char *method, const char *path,
                         const char *body_json, int *http_status, char **body_out) {
  if (http_status) *http_status = 0;
  if (body_out) *body_out = NULL;
  if (!s || !path || !method) return BENCHY_ERR_INVALID;
  if (!s->loop) {
    snprintf(s->error, sizeof s->error, "the session's loop was freed; create a new loop and session");
    return BENCHY_ERR_STATE;
  }
  benchy_buf url = {0}, body = {0};
  char errbuf[CURL_ERROR_SIZE];
  CURL *e = NULL;
  if (session_fetch_url(s, path, &url) != BENCHY_OK ||
      !(e = session_fetch_easy(s, method, url.data, body_json, &body, errbuf))) {
    benchy_buf_free(&url);
    return BENCHY_ERR_NOMEM;
  }
  int stopped = 0;
  CURLcode res = perform_stoppable(s->loop, e, &stopped);
  long code = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(e);
  int status;
  if (stopped) {
    status = BENCHY_ERR_CANCELLED;
    code = 0;
    snprintf(s->error, sizeof s->error, "%s %.160s: stopped before the server answered", method,
             url.data);
    scrub_str(&s->secrets, s->error, sizeof s->error);
    benchy_buf_free(&body);
  } else {
    char err[sizeof s->error];
    status = session_fetch_outcome(s, method, url.data, res, code, errbuf, &body, err, sizeof err);
    if (err[0]) memcpy(s->error, err, sizeof err);
    if (body_out)
      *body_out = body.data;
    else
      benchy_buf_free(&body);
  }
  if (http_status) *http_status = (int)code;
  benchy_buf_free(&url);
  return status;
}

void session_add_child(benchy_session *s, session_child *c) {
  c->prev = NULL;
  c->next = s->children;
  if (s->children) s->children->prev = c;
  s->children = c;
}

void session_remove_child(benchy_session *s, session_child *c) {
  if (c->prev)
    c->prev->next = c->next;
  else if (s->children == c)
    s->children = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = NULL;
}

benchy_loop *session_loop_of(const benchy_session *s) { return s->closing ? NULL : s->loop; }

benchy_request *session_first_request(benchy_session *s) { return s ? s->requests : NULL; }
