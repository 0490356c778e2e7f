/*
 * sse.h — incremental Server-Sent Events parser (WHATWG event-stream rules).
 *
 * Bytes go in with any split; whole events come out through a callback.
 * Handles LF, CRLF and lone CR line ends (a CR at the end of one feed and an
 * LF at the start of the next are one line end), ':' comments, multi-line
 * data (joined with '\n'), event: and id: fields, a UTF-8 BOM at the start,
 * and a final event without a trailing blank line when sse_parser_finish()
 * is called at EOF. A line longer than max_line is an error that stops the
 * parser (the stream is then malformed), never a crash or unbounded growth;
 * an event's data (its data lines joined) is held to the same bound.
 *
 * Allocation: the line/data buffers grow to the largest event seen and are
 * reused, so steady-state parsing allocates nothing.
 */
#ifndef BENCHY_PROTO_SSE_H
#define BENCHY_PROTO_SSE_H

#include <stddef.h>

#include "../util.h"

typedef struct sse_event {
  const char *event; /* "" when no event: field (the default type "message") */
  size_t event_len;
  const char *data;  /* data lines joined by '\n', without the final '\n' */
  size_t data_len;
  const char *id;    /* last id: seen on the stream ("" when none) */
  size_t id_len;
} sse_event;

/* Return non-zero to stop parsing (sse_parser_feed then returns that value;
 * the rest of that feed is dropped). */
typedef int (*sse_event_fn)(void *userdata, const sse_event *ev);

typedef struct sse_parser {
  size_t max_line;
  benchy_buf line;   /* partial line carried between feeds */
  benchy_buf data;   /* data of the event being built */
  benchy_buf event;  /* event: of the event being built */
  benchy_buf id;     /* last id: */
  int have_data;     /* a data: field was seen for this event */
  int saw_cr;        /* last byte of the previous feed was CR */
  int bom_checked;
  int failed;        /* sticky: a line was too long */
  size_t events;     /* events dispatched */
  char error[128];
} sse_parser;

#define SSE_DEFAULT_MAX_LINE (16u * 1024u * 1024u)

BENCHY_INTERNAL void sse_parser_init(sse_parser *p, size_t max_line);
/* Back to the start of a stream, keeping buffers. */
BENCHY_INTERNAL void sse_parser_reset(sse_parser *p);
BENCHY_INTERNAL void sse_parser_free(sse_parser *p);
/* 0 on success; -1 when the stream is malformed (p->error says why); or the
 * callback's non-zero value. */
BENCHY_INTERNAL int sse_parser_feed(sse_parser *p, const char *buf, size_t len, sse_event_fn fn,
                                    void *userdata);
/* At EOF: dispatches a pending event that lacked its blank line. */
BENCHY_INTERNAL int sse_parser_finish(sse_parser *p, sse_event_fn fn, void *userdata);

#endif
