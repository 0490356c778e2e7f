/*
 * sim_internal.h — what the simulator's files share: its configuration, the
 * server object, connections, streams and the functions each file offers the
 * others (sim.c: start and stop, on top; routes.c: endpoints; model.c:
 * scheduler and timing; http.c: sockets, which reach routes.c and model.c
 * only through the handlers sim.c gives them; chunks.c: response bodies;
 * out.c: the buffer they are built in; stats.c: counts and /sim/stats;
 * config.c: options; cache.c: prefix cache).
 * Everything runs on the server's one loop thread, except where noted.
 */
#ifndef BENCHY_SIM_INTERNAL_H
#define BENCHY_SIM_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "benchy/benchy.h"
#include "util.h"

struct event;
struct event_base;
struct evconnlistener;
struct cJSON;

enum { SIM_FLAVOUR_LLAMA = 0, SIM_FLAVOUR_VLLM = 1, SIM_FLAVOUR_SGLANG = 2 };
enum { SIM_API_CHAT = 0, SIM_API_COMPLETIONS = 1 };

/* Fault kinds, in the order their draws are taken for each request. */
enum {
  SIM_F_429,
  SIM_F_500,
  SIM_F_DISCONNECT,
  SIM_F_MALFORMED,
  SIM_F_ERROR_CHUNK,
  SIM_F_STALL,
  SIM_F_SLOW_HEADERS,
  /* Drawn from a generator of its own (tool_args_rng), so that adding it
   * left every other draw of a seed as it was. */
  SIM_F_BAD_TOOL_ARGS,
  SIM_F_COUNT
};
/* The faults drawn from the request's generator, in order. */
#define SIM_F_DRAWN (SIM_F_SLOW_HEADERS + 1)
BENCHY_INTERNAL extern const char *const sim_fault_names[SIM_F_COUNT];
BENCHY_INTERNAL extern const char *const sim_flavour_names[3]; /* by SIM_FLAVOUR_* */

/* After a stream: keep the connection; close it although the headers said
 * keep-alive (llama-server); close it and say so (Connection: close). */
enum { SIM_CLOSE_NO = 0, SIM_CLOSE_SILENT = 1, SIM_CLOSE_ANNOUNCED = 2 };

typedef struct sim_config {
  char host[256];
  int port;
  char model[256];
  uint64_t seed;
  double prefill_tps, decode_tps, overhead_ms;
  int64_t slots;
  double batch_slowdown, jitter;
  int64_t tpc_min, tpc_max; /* tokens per chunk */
  char tpc_text[64];
  int64_t reasoning_tokens;
  int64_t sentence_every; /* every Nth output token is "."; 0 none */
  int flavour;
  int64_t ctx_size, max_tokens;
  int prefix_cache, stamp;
  double fault_p[SIM_F_COUNT];
  double stall_ms, slow_headers_ms;
  int64_t spin_ns;        /* poll instead of sleeping when the next chunk is this close */
  int reuse_port;         /* share the port with other simulators (SO_REUSEPORT) */
  int metrics;            /* serve GET /metrics (--metrics) */
  int close_after_stream; /* resolved: SIM_CLOSE_* */
  char close_text[12];    /* as given: auto|yes|no|announced */
  char api_key[512];      /* --api-key; empty: no key required */
} sim_config;

/* Prefix cache: block hashes in an LRU of bounded size (cache.c). */
typedef struct sim_cache {
  struct sim_cache_node *nodes;
  uint32_t *table; /* open addressing, linear probing; UINT32_MAX empty */
  size_t table_mask;
  size_t count, cap, max;
  uint32_t head, tail; /* most / least recently used */
} sim_cache;

BENCHY_INTERNAL void sim_cache_init(sim_cache *c, size_t max_blocks);
BENCHY_INTERNAL void sim_cache_free(sim_cache *c);
/* Number of leading blocks present (they become most recently used). */
BENCHY_INTERNAL size_t sim_cache_lookup(sim_cache *c, const uint64_t *blocks, size_t n);
/* Inserts (or refreshes) every block; the least recently used go first. */
BENCHY_INTERNAL void sim_cache_insert(sim_cache *c, const uint64_t *blocks, size_t n);

#define SIM_CACHE_BLOCK 16
#define SIM_CACHE_MAX_BLOCKS ((size_t)1 << 20)

typedef struct sim_conn sim_conn;
typedef struct sim_stream sim_stream;
typedef struct benchy_sim sim_t;

/* What a connection hands up: a complete request, and the stream of a
 * connection that closed under it (to be unhooked from the scheduler). The
 * server above gives them, so the socket layer calls no endpoint itself. */
typedef struct sim_request sim_request;
typedef struct sim_http_handlers {
  void (*request)(sim_conn *c, const sim_request *r);
  void (*stream_abandoned)(sim_stream *st);
} sim_http_handlers;

typedef struct sim_heap_ent {
  int64_t key;
  uint64_t seq; /* FIFO among equal keys */
  sim_stream *st;
} sim_heap_ent;

#define SIM_PENDING_LATE 256

/*
 * An output under construction: the payload is built from SIM_OUT_FRONT on,
 * leaving room in front for the chunk-size line and response headers, so a
 * whole write is one contiguous buffer and one send(). Stamp placeholders
 * are patched with the clock right before that send.
 */
#define SIM_OUT_FRONT 1024
#define SIM_STAMP_WIDTH 20
#define SIM_OUT_MAX_STAMPS 16
typedef struct sim_out {
  benchy_buf b;
  size_t stamp_at[SIM_OUT_MAX_STAMPS];
  int n_stamps;
  int n_events; /* SSE events in it, for the chunk count */
  int oom;      /* an append failed: the out must not be sent */
} sim_out;

BENCHY_INTERNAL int sim_out_begin(sim_out *o);
/* Fast appends into an out (memory is reserved up front by the callers). */
BENCHY_INTERNAL void sim_out_mem(sim_out *o, const void *p, size_t n);
BENCHY_INTERNAL void sim_out_str(sim_out *o, const char *s);
BENCHY_INTERNAL void sim_out_i64(sim_out *o, int64_t v);
BENCHY_INTERNAL void sim_out_double(sim_out *o, double v);
/* Appends s JSON-escaped (no quotes); bytes that are not UTF-8 become U+FFFD. */
BENCHY_INTERNAL void sim_out_escaped(sim_out *o, const char *s, size_t n);
/* ,"x_benchy":{"send_ns":<patched>,"sched_ns":S,"tokens":k} (nothing with --no-stamp). */
BENCHY_INTERNAL void sim_out_stamp(sim_t *s, sim_out *o, int64_t sched_ns, int64_t tokens);
/* Makes sure n more bytes fit. -1 out of memory. */
BENCHY_INTERNAL int sim_out_reserve(sim_out *o, size_t n);

/* Length of the valid UTF-8 sequence at s (1..4), 0 when not valid (tokenizer.c). */
BENCHY_INTERNAL size_t sim_utf8_seq(const unsigned char *s, size_t avail, uint32_t *cp);
/* Same as sim_out_escaped, for a benchy_buf (non-hot paths). */
BENCHY_INTERNAL int sim_buf_escaped(benchy_buf *b, const char *s, size_t n);

enum {
  SIM_ST_HOLD = 0, /* slow-headers fault: sits before joining the queue */
  SIM_ST_QUEUED,   /* waiting for a slot */
  SIM_ST_START,    /* has a slot; event at the slot start time */
  SIM_ST_TOKEN,    /* event at the next token's time */
};

/* Which part of the output a completion token belongs to. */
enum { SIM_PH_REASON, SIM_PH_CONTENT, SIM_PH_TOOL_HEAD, SIM_PH_TOOL_ARGS };

struct sim_stream {
  sim_t *sim;
  sim_conn *conn;
  int state;
  /* Scheduler position: the time of the pending event, FIFO links. */
  int64_t key;
  int in_heap, zombie; /* zombie: cancelled while in the heap */
  sim_stream *qprev, *qnext;
  int in_queue;
  int slot_held, decoding;

  /* Request. */
  int api, streaming, include_usage, use_cache, vllm_role_sent;
  int64_t n;        /* completion tokens to produce */
  int64_t n_reason; /* of which reasoning (chat) */
  int tool;         /* the output is one tool call */
  char *tool_name;
  char *args;       /* the call's whole arguments text (tool_args.c), not escaped */
  size_t args_len;
  int64_t prompt_tokens, cached;
  uint64_t *blocks;
  size_t n_blocks;
  unsigned faults; /* 1u << SIM_F_* */
  int64_t fault_tok; /* token index where mid-stream faults strike */

  /* Timeline (CLOCK_MONOTONIC ns; all scheduled, i.e. model times). */
  int64_t t0, t_admit, ts, t_first, t_last;
  int64_t next_tok, chunk_start, chunk_end;
  uint64_t rng, word_seed;
  int64_t sentence_every; /* the config's, for the text generator */
  int headers_sent;

  /* Pre-rendered pieces of every token chunk (head + delta + tail + stamp). */
  benchy_buf head, tail, meta;
  char id[48], tool_id[40];
  int64_t created;
};

struct sim_conn {
  sim_t *sim;
  int fd;
  struct event *ev_read, *ev_write;
  benchy_buf in, out;
  size_t out_off;
  sim_stream *stream; /* the response in progress, if any */
  int want_close;     /* client asked (Connection: close, HTTP/1.0) */
  int close_when_flushed, dead, in_cb, sent_continue;
  sim_conn *prev, *next;
};

struct benchy_sim {
  sim_config cfg;
  benchy_options *opts;
  struct event_base *base;
  struct evconnlistener *listener;
  struct event *ev_stop, *ev_timer, *ev_accept_pause;
  volatile int stop_requested; /* set on the loop thread by the stop event */
  pthread_t thread;
  int thread_started;
  int port;
  char base_url[300];
  int64_t started_ns;
  void *userdata;             /* the embedder's (benchy_sim_set_userdata) */
  sim_conn *conns;
  size_t n_conns;
  sim_http_handlers http; /* given to sim_http_listen */

  /* Scheduler (model.c). */
  sim_heap_ent *heap;
  size_t heap_len, heap_cap;
  uint64_t seq;
  int timer_armed;
  int64_t timer_at;
  int64_t free_slots;
  sim_stream *q_head, *q_tail;
  size_t q_len;
  int64_t n_decoding;
  uint64_t next_index;
  sim_cache cache;
  sim_out out; /* scratch for every write */
  int64_t created_base;

  /* Statistics: written on the loop thread, read from any (mu). */
  pthread_mutex_t mu;
  uint64_t requests, streams, chunks, faults, fault_by[SIM_F_COUNT], active_streams;
  uint64_t prompt_tokens, cached_tokens, completion_tokens, accept_errors;
  benchy_hist *lateness;
  /* Loop-thread batch of the above, folded in by sim_stats_flush(). */
  uint64_t pending_chunks;
  int64_t pending_late[SIM_PENDING_LATE];
  size_t n_pending_late;
};

/* http.c */
BENCHY_INTERNAL int sim_http_listen(sim_t *s, const sim_http_handlers *handlers, char *err,
                                    size_t errlen);
BENCHY_INTERNAL void sim_http_close_all(sim_t *s);
/* Sends bytes in order (buffering what the socket does not take). -1 when
 * the connection died: it is closed and its stream freed. */
BENCHY_INTERNAL int sim_conn_send(sim_conn *c, const char *data, size_t len);
/* Sends o: prepends headers (may be NULL), frames as an HTTP chunk when
 * chunked, appends the last-chunk marker when last, stamps, records the
 * lateness against sched_ns (when >= 0). -1 as for sim_conn_send. */
BENCHY_INTERNAL int sim_conn_send_out(sim_conn *c, sim_out *o, const char *headers, int chunked,
                                      int last, int64_t sched_ns);
/* A complete JSON response. extra: more header lines ("Name: v\r\n"). */
BENCHY_INTERNAL int sim_conn_respond(sim_conn *c, int status, const char *body, size_t len,
                                     const char *extra);
BENCHY_INTERNAL int sim_conn_error(sim_conn *c, int status, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The async response on c is over: close, or go on with the next request. */
BENCHY_INTERNAL void sim_conn_response_done(sim_conn *c, int close);
BENCHY_INTERNAL void sim_conn_close(sim_conn *c);
BENCHY_INTERNAL const char *sim_status_text(int status);

/* routes.c */
struct sim_request {
  const char *method, *path, *body;
  size_t method_len, path_len, body_len;
  const char *authorization; /* the header's value, NULL when absent */
  size_t authorization_len;
};
BENCHY_INTERNAL void sim_route(sim_conn *c, const sim_request *r);

/* model.c */
BENCHY_INTERNAL int sim_sched_init(sim_t *s);
BENCHY_INTERNAL void sim_sched_free(sim_t *s);
/* Serves every event now due (for at most a couple of milliseconds);
 * returns the ns until the next one, INT64_MAX when none is pending. */
BENCHY_INTERNAL int64_t sim_sched_run(sim_t *s);
/* Arms the loop's timer for the earliest pending event. */
BENCHY_INTERNAL void sim_sched_arm(sim_t *s);
/* Takes a parsed completion request into the scheduler (its t0 set).
 * -1 out of memory (st untouched, still the caller's). */
BENCHY_INTERNAL int sim_stream_submit(sim_stream *st);
/* The client went away: unhook and free. */
BENCHY_INTERNAL void sim_stream_cancel(sim_stream *st);
BENCHY_INTERNAL void sim_stream_free(sim_stream *st);

/* stats.c: counted on the loop thread; writes are batched until flushed. */
BENCHY_INTERNAL void sim_record_write(sim_t *s, int64_t sched_ns, int64_t send_ns, int events);
BENCHY_INTERNAL void sim_stats_flush(sim_t *s);
BENCHY_INTERNAL void sim_count_fault(sim_t *s, int kind);

/* chunks.c */
/* The SIM_PH_* of token tok, and the token where that phase ends. */
BENCHY_INTERNAL int sim_phase_of(const sim_stream *st, int64_t tok);
BENCHY_INTERNAL int64_t sim_phase_end(const sim_stream *st, int64_t tok);
BENCHY_INTERNAL int sim_render_prepare(sim_stream *st);
BENCHY_INTERNAL int sim_render_role(sim_stream *st, sim_out *o, int64_t sched);
BENCHY_INTERNAL int sim_render_tokens(sim_stream *st, sim_out *o, int64_t from, int64_t to,
                                      int64_t sched, int malformed);
BENCHY_INTERNAL int sim_render_finish(sim_stream *st, sim_out *o, int64_t sched);
BENCHY_INTERNAL int sim_render_error_event(sim_stream *st, sim_out *o);
BENCHY_INTERNAL int sim_render_body(sim_stream *st, sim_out *o, int64_t sched, int malformed);
BENCHY_INTERNAL const char *sim_stream_headers(const sim_conn *c);

/* tool_args.c: what --fault-bad-tool-args makes of a call's arguments. */
enum { SIM_BAD_ARGS_NONE, SIM_BAD_ARGS_WRONG_TYPE, SIM_BAD_ARGS_MISSING, SIM_BAD_ARGS_INVALID_JSON };
/* Appends to out (NUL-terminated) arguments that follow params, the tool's
 * parameters schema (NULL: {}), drawn from seed; the first free-text string
 * gets `words` words, so the text grows with the call's tokens. bad: a
 * SIM_BAD_ARGS_* to break them that way; *made says what was made (a wrong
 * type or a missing field falls back to invalid JSON when the schema has no
 * typed property or no required one). -1 out of memory. */
BENCHY_INTERNAL int sim_tool_args(const struct cJSON *params, uint64_t seed, int64_t words, int bad,
                                  benchy_buf *out, int *made);

/* config.c: the options into cfg; -1 with err set when one is out of range. */
BENCHY_INTERNAL int sim_config_from_options(sim_config *cfg, const benchy_options *o, char *err,
                                            size_t errlen);

/* stats.c: GET /sim/stats (called on the loop thread). */
BENCHY_INTERNAL int sim_write_stats_json(sim_t *s, benchy_buf *b);
/* metrics.c: GET /metrics (--metrics), Prometheus text in llama-server's
 * names; called on the loop thread. */
BENCHY_INTERNAL int sim_write_metrics(sim_t *s, benchy_buf *b);

#endif
