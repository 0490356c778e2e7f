/*
 * openai.h — decodes the data payloads of an OpenAI-style stream
 * (/v1/chat/completions and /v1/completions chunks) into what the record
 * needs, without building a JSON tree per chunk: a small zero-allocation
 * scanner (json_scan.h) walks each payload once and picks out the fields.
 *
 * Per chunk it reports what the chunk carried (oai_chunk_info); across the
 * stream it accumulates usage, llama.cpp timings, finish_reason, tool calls
 * reassembled from their fragments, an error object, and (when asked) the
 * content and reasoning text.
 *
 * Fields read: choices[0].delta.{role, content, reasoning_content,
 * reasoning, tool_calls[].{index, id, type, function.{name, arguments}}},
 * choices[0].text (completions), choices[0].finish_reason, usage.{
 * prompt_tokens, completion_tokens, prompt_tokens_details.cached_tokens,
 * completion_tokens_details.reasoning_tokens}, timings.{cache_n, prompt_n,
 * prompt_ms, prompt_per_second, predicted_n, predicted_ms,
 * predicted_per_second, draft_n, draft_n_accepted}, error.{message, type,
 * code} (also a top-level {"error": "text"}), and benchy sim's stamp
 * x_benchy.{send_ns, tokens}. "[DONE]" ends the stream.
 *
 * Tokens per chunk: x_benchy.tokens when present; else the increase of
 * timings.predicted_n when a chunk carries it (llama-server with
 * timings_per_token); else -1 (unknown).
 */
#ifndef BENCHY_PROTO_OPENAI_H
#define BENCHY_PROTO_OPENAI_H

#include <stddef.h>
#include <stdint.h>

#include "benchy/record.h"
#include "../util.h"

typedef enum oai_api { OAI_CHAT = 0, OAI_COMPLETIONS = 1 } oai_api;

typedef struct oai_chunk_info {
  unsigned kinds;          /* benchy_chunk_kind bits */
  int32_t tokens;          /* tokens this chunk carried, -1 unknown */
  int64_t server_send_ns;  /* x_benchy.send_ns, 0 when absent */
  uint32_t text_bytes;     /* decoded bytes of content + reasoning + tool args */
  /* The chunk's decoded text (content, else reasoning, else tool-argument
   * fragment); valid until the next oai_stream_feed(). */
  const char *text;
  size_t text_len;
} oai_chunk_info;

typedef struct oai_tool_call {
  int index;
  benchy_buf id, name, arguments;
} oai_tool_call;

typedef struct oai_stream {
  oai_api api;
  int keep_text;
  /* Accumulated over the stream. */
  int64_t usage_prompt_tokens, usage_completion_tokens;   /* -1 unknown */
  int64_t usage_cached_tokens, usage_reasoning_tokens;    /* -1 unknown */
  benchy_server_timings timings;
  char finish_reason[32];  /* "" when none */
  int done;                /* [DONE] seen */
  int has_error;           /* an error object was seen */
  benchy_buf error_message;/* "type: message" as the server gave it */
  size_t n_tool_calls;
  oai_tool_call *tool_calls;
  benchy_buf content, reasoning; /* only with keep_text */
  int64_t last_predicted_n;      /* for per-chunk tokens from timings */
  benchy_buf scratch;            /* decoded text of the current chunk */
  char error[160];               /* why the last feed failed */
  /* Storage kept across resets so a warm stream allocates nothing. */
  size_t tool_calls_cap;         /* oai_tool_call slots allocated (>= n_tool_calls) */
  size_t last_tool;              /* slot of the call the last fragment went to */
  struct oai_frag *frags;        /* tool-call fragments of the chunk being decoded */
  size_t frags_cap;
} oai_stream;

BENCHY_INTERNAL void oai_stream_init(oai_stream *s, oai_api api, int keep_text);
/* Back to a fresh stream, keeping allocated buffers. */
BENCHY_INTERNAL void oai_stream_reset(oai_stream *s);
BENCHY_INTERNAL void oai_stream_free(oai_stream *s);

/* Decodes one SSE data payload (not NUL-terminated). Returns 0, or -1 when
 * the payload is not valid JSON of the expected shape (s->error says what;
 * info->kinds is then 0). An error object is not a decode failure: it sets
 * BENCHY_CHUNK_ERROR, has_error and error_message. */
BENCHY_INTERNAL int oai_stream_feed(oai_stream *s, const char *data, size_t len,
                                    oai_chunk_info *info);

/* Reads the error message out of a whole (non-streamed) error body such as
 * {"error":{"code":400,"message":"...","type":"exceed_context_size_error"}}
 * into out ("type: message"); falls back to the first bytes of the body
 * when it is not JSON. */
BENCHY_INTERNAL void oai_error_from_body(const char *body, size_t len, benchy_buf *out);
/* The same into a fixed buffer, from a NUL-terminated body ("" for none). */
BENCHY_INTERNAL void oai_error_message(const char *body, char *out, size_t outlen);

#endif
