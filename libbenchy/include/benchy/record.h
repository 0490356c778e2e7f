/*
 * The per-request record: the contract between the streaming core and
 * everything downstream (statistics, writers, Lua, Python).
 *
 * The library allocates records; callers read them through const pointers
 * that stay valid as documented where they are handed out. Fields are only
 * ever appended (check struct_size before reading a field added later).
 * Times are monotonic nanoseconds (benchy_now_ns()); 0 means "did not
 * happen". Counts of -1 mean "not reported". docs/metrics.md defines each.
 */
#ifndef BENCHY_RECORD_H
#define BENCHY_RECORD_H

#include "benchy/export.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif


/* Record layout version written into JSON results as "record_version". */
#define BENCHY_RECORD_VERSION 1

/* What one SSE chunk carried; several bits may be set. */
typedef enum benchy_chunk_kind {
  BENCHY_CHUNK_ROLE = 1u << 0,      /* role announcement, no tokens */
  BENCHY_CHUNK_CONTENT = 1u << 1,   /* non-empty content / completion text */
  BENCHY_CHUNK_REASONING = 1u << 2, /* non-empty reasoning_content / reasoning */
  BENCHY_CHUNK_TOOL = 1u << 3,      /* a tool-call fragment */
  BENCHY_CHUNK_FINISH = 1u << 4,    /* carries finish_reason */
  BENCHY_CHUNK_USAGE = 1u << 5,     /* carries usage */
  BENCHY_CHUNK_TIMINGS = 1u << 6,   /* carries llama.cpp timings */
  BENCHY_CHUNK_ERROR = 1u << 7,     /* an error object */
  BENCHY_CHUNK_DONE = 1u << 8,      /* the [DONE] sentinel */
  BENCHY_CHUNK_EMPTY = 1u << 9      /* choices present but nothing in them */
} benchy_chunk_kind;

#define BENCHY_CHUNK_TOKENS (BENCHY_CHUNK_CONTENT | BENCHY_CHUNK_REASONING | BENCHY_CHUNK_TOOL)

typedef struct benchy_chunk_event {
  int64_t t_ns;           /* when the socket read that delivered it was seen */
  int64_t server_send_ns; /* send time stamped by benchy sim, 0 when absent */
  int32_t tokens;         /* tokens carried; -1 when the server did not say */
  uint32_t kinds;         /* benchy_chunk_kind bits */
  uint32_t text_bytes;    /* bytes of content + reasoning + tool arguments */
  uint32_t read_seq;      /* index of the socket read, per request: equal
                             values were coalesced into one read */
} benchy_chunk_event;

typedef struct benchy_tool_call {
  int index;
  const char *id;
  const char *name;
  const char *arguments; /* reassembled from every fragment */
} benchy_tool_call;

typedef struct benchy_server_timings {
  int present; /* 1 when the server sent llama.cpp-style timings */
  int64_t cache_n, prompt_n, predicted_n, draft_n, draft_n_accepted; /* -1 unknown */
  double prompt_ms, predicted_ms, prompt_per_second, predicted_per_second;
} benchy_server_timings;

/* Where a request's receive times came from. */
typedef enum benchy_rx_clock {
  BENCHY_RX_CLOCK_NONE = 0,   /* nothing was received */
  /* The kernel's software receive timestamp of the newest segment each
   * read returned (SO_TIMESTAMPNS), mapped onto CLOCK_MONOTONIC: when the
   * bytes reached this host, whatever the client was doing then. */
  BENCHY_RX_CLOCK_KERNEL = 1,
  /* The clock read just after each read returned: also counts the time
   * the client took to get to the socket. https:// (libcurl) and
   * BENCHY_RX_CLOCK=read use it. */
  BENCHY_RX_CLOCK_READ = 2,
  BENCHY_RX_CLOCK_MIXED = 3   /* some reads of each kind */
} benchy_rx_clock;

/* How output_tokens was obtained. */
typedef enum benchy_count_method {
  BENCHY_COUNT_NONE = 0,
  BENCHY_COUNT_USAGE = 1,        /* usage.completion_tokens */
  BENCHY_COUNT_SERVER_CHUNKS = 2,/* per-chunk token counts the server reported */
  BENCHY_COUNT_CHUNKS = 3        /* one per token-carrying chunk (a lower bound) */
} benchy_count_method;

typedef struct benchy_record {
  uint32_t struct_size;
  uint64_t id;          /* per loop, increasing */
  const char *tag;      /* the caller's label, or NULL */
  int status;           /* benchy_status */
  int http_status;      /* 0 when no response arrived */
  const char *error;    /* what went wrong, for people; NULL on success */
  int retries;          /* fresh-connection retries before anything was sent */

  /* Timestamps (monotonic ns). */
  int64_t t_scheduled;       /* when the workload meant to send it */
  int64_t t_dispatched;      /* handed to the transport */
  int64_t t_sent;            /* request written (connection ready) */
  int64_t t_first_byte;      /* first byte of the response */
  int64_t t_first_chunk;     /* first SSE data event of any kind (vLLM's TTFT) */
  int64_t t_first_reasoning; /* first non-empty reasoning token */
  int64_t t_first_content;   /* first non-empty content token */
  int64_t t_first_tool;      /* first tool-call fragment */
  int64_t t_first_token;     /* first of reasoning/content/tool: our TTFT */
  int64_t t_last_token;      /* last token-carrying chunk */
  int64_t t_done;            /* transfer complete */

  /* Counts. */
  int64_t usage_prompt_tokens;
  int64_t usage_completion_tokens;
  int64_t usage_cached_tokens;    /* prompt_tokens_details.cached_tokens */
  int64_t usage_reasoning_tokens; /* completion_tokens_details.reasoning_tokens */
  int64_t chunks;                 /* SSE data events (excluding [DONE]) */
  int64_t token_chunks;           /* chunks with content, reasoning or tool tokens */
  int64_t server_chunk_tokens;    /* sum of server-reported per-chunk tokens, -1 none */
  int64_t output_tokens;          /* best count, see count_method */
  int count_method;               /* benchy_count_method */
  int64_t bytes_received;
  int64_t socket_reads;           /* distinct socket reads that carried events */
  const char *finish_reason;      /* "stop", "length", "tool_calls", ... or NULL */
  benchy_server_timings timings;

  size_t n_tool_calls;
  const benchy_tool_call *tool_calls;

  /* Only with BENCHY_KEEP_TEXT. NUL-terminated; NULL otherwise. */
  const char *content;
  const char *reasoning;

  /* Only with BENCHY_KEEP_CHUNKS: every chunk in order. */
  size_t n_chunk_events;
  const benchy_chunk_event *chunk_events;

  /* Intervals between token-carrying chunks, summarised while streaming so
   * that nothing per chunk needs to be kept (ns). */
  int64_t itl_count;
  int64_t itl_max_ns;

  int rx_clock; /* benchy_rx_clock */

  /* The last tool-call fragment: the arguments were complete then (the
   * first is t_first_tool). 0 without tool calls. */
  int64_t t_last_tool;

  /* The content chunk that ended the answer's first sentence: a '.', '!'
   * or '?' followed by whitespace or the stream's end (reasoning text does
   * not count; docs/metrics.md, "Time to first sentence"). 0 when the
   * content has none. */
  int64_t t_first_sentence;
} benchy_record;

/* Derived figures, in ns, or -1 when the record lacks what they need. */
BENCHY_API int64_t benchy_record_ttft_ns(const benchy_record *r);       /* t_first_token - t_dispatched */
BENCHY_API int64_t benchy_record_ttfr_ns(const benchy_record *r);       /* t_first_chunk - t_dispatched */
BENCHY_API int64_t benchy_record_e2e_ns(const benchy_record *r);        /* t_done - t_dispatched */
BENCHY_API int64_t benchy_record_queue_ns(const benchy_record *r);      /* t_dispatched - t_scheduled: client-side queueing */
BENCHY_API int64_t benchy_record_ttfs_ns(const benchy_record *r);       /* t_first_sentence - t_dispatched */
/* "kernel", "read", "mixed" or "none" (benchy_rx_clock). */
BENCHY_API const char *benchy_rx_clock_name(int rx_clock);
/* The clock of a set of reads (a request's, or a loop's counters): kernel
 * when every read carried a kernel stamp, read when none did, mixed
 * otherwise, none without reads. */
BENCHY_API int benchy_rx_clock_of(uint64_t data_reads, uint64_t kernel_stamped_reads);
/* (t_done - t_first_token) / (output_tokens - 1): vLLM's and SGLang's TPOT */
BENCHY_API int64_t benchy_record_tpot_ns(const benchy_record *r);

/* The record as JSON text, exactly as benchy's result files and --jsonl
 * journals write it (docs/results.md, "The per-request record"): times as
 * ms relative to t0_ns (the run's start, benchy_now_ns() then), numbers
 * printed so they read back as the same doubles; with with_chunks and a
 * record that kept its chunks (BENCHY_KEEP_CHUNKS), "chunks_raw" too. The
 * workloads add their own fields (load: level, index; bench: test, run)
 * and the journal a "type"; those are not part of the record. malloc'd,
 * the caller free()s it; NULL when out of memory. Any thread. */
BENCHY_API char *benchy_record_to_json(const benchy_record *r, int64_t t0_ns, int with_chunks, int pretty);

#ifdef __cplusplus
}
#endif
#endif
