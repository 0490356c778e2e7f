/*
 * sse.c — the incremental event-stream parser of sse.h.
 *
 * Lines wholly inside one feed are parsed in place; only a line cut by the
 * end of a feed is copied into p->line to wait for the rest. Field values
 * are copied into the event's buffers, which keep their capacity across
 * events and resets. Both the carried line and an event's data are capped at
 * max_line bytes, so a hostile or broken stream fails instead of growing
 * memory without bound.
 */
#include "sse.h"

#include <stdio.h>
#include <string.h>

static const char utf8_bom[3] = {'\xEF', '\xBB', '\xBF'};

/* Matching a BOM byte by byte lets it be split across feeds too; the
 * matched count lives in bom_checked (3 or more: decided). */
#define BOM_DONE 4

void sse_parser_init(sse_parser *p, size_t max_line) {
  memset(p, 0, sizeof *p);
  p->max_line = max_line ? max_line : SSE_DEFAULT_MAX_LINE;
}

void sse_parser_reset(sse_parser *p) {
  benchy_buf_clear(&p->line);
  benchy_buf_clear(&p->data);
  benchy_buf_clear(&p->event);
  benchy_buf_clear(&p->id);
  p->have_data = 0;
  p->saw_cr = 0;
  p->bom_checked = 0;
  p->failed = 0;
  p->events = 0;
  p->error[0] = '\0';
}

void sse_parser_free(sse_parser *p) {
  benchy_buf_free(&p->line);
  benchy_buf_free(&p->data);
  benchy_buf_free(&p->event);
  benchy_buf_free(&p->id);
  p->have_data = 0;
}

static int fail(sse_parser *p, const char *fmt, size_t n) {
  p->failed = 1;
  snprintf(p->error, sizeof p->error, fmt, n);
  return -1;
}

static int dispatch(sse_parser *p, sse_event_fn fn, void *userdata) {
  int had = p->have_data;
  p->have_data = 0;
  if (!had) {
    /* WHATWG: an event without data is dropped, and its type with it. */
    benchy_buf_clear(&p->event);
    return 0;
  }
  if (benchy_buf_terminate(&p->data) != 0) return fail(p, "out of memory (%zu bytes)", p->data.len);
  sse_event ev;
  ev.event = p->event.len ? p->event.data : "";
  ev.event_len = p->event.len;
  ev.data = p->data.data;
  ev.data_len = p->data.len;
  ev.id = p->id.len ? p->id.data : "";
  ev.id_len = p->id.len;
  p->events++;
  int r = fn ? fn(userdata, &ev) : 0;
  benchy_buf_clear(&p->data);
  benchy_buf_clear(&p->event);
  return r;
}

static int set_field(sse_parser *p, benchy_buf *b, const char *v, size_t n) {
  benchy_buf_clear(b);
  if (benchy_buf_append(b, v, n) != 0) return fail(p, "out of memory (%zu bytes)", n);
  return 0;
}

/* One complete line, without its terminator. */
static int process_line(sse_parser *p, const char *s, size_t n, sse_event_fn fn, void *userdata) {
  if (n == 0) return dispatch(p, fn, userdata);
  if (s[0] == ':') return 0; /* comment: servers use these as keep-alives */
  const char *colon = memchr(s, ':', n);
  size_t flen = colon ? (size_t)(colon - s) : n;
  const char *v = colon ? colon + 1 : s + n;
  size_t vlen = (size_t)(s + n - v);
  if (vlen && v[0] == ' ') {
    v++;
    vlen--;
  }
  if (flen == 4 && memcmp(s, "data", 4) == 0) {
    size_t sep = p->have_data ? 1 : 0;
    if (p->data.len + sep + vlen > p->max_line)
      return fail(p, "SSE event data longer than %zu bytes", p->max_line);
    if (benchy_buf_reserve(&p->data, sep + vlen) != 0)
      return fail(p, "out of memory (%zu bytes)", p->data.len + sep + vlen);
    if (sep) p->data.data[p->data.len++] = '\n';
    memcpy(p->data.data + p->data.len, v, vlen);
    p->data.len += vlen;
    p->have_data = 1;
    return 0;
  }
  if (flen == 5 && memcmp(s, "event", 5) == 0) return set_field(p, &p->event, v, vlen);
  if (flen == 2 && memcmp(s, "id", 2) == 0) {
    if (memchr(v, '\0', vlen)) return 0; /* WHATWG: such an id is ignored */
    return set_field(p, &p->id, v, vlen);
  }
  return 0; /* retry: and unknown fields */
}

/* Puts back BOM-prefix bytes that turned out to be text, within the line
 * bound like any other text. */
static int restore_bom(sse_parser *p, size_t n) {
  if (n == 0) return 0;
  if (n > p->max_line) return fail(p, "SSE line longer than %zu bytes", p->max_line);
  if (benchy_buf_append(&p->line, utf8_bom, n) != 0) return fail(p, "out of memory (%zu bytes)", n);
  return 0;
}

/* Feeds the bytes that may still be part of a BOM; returns how many of
 * buf were consumed by it. When the start turns out not to be a BOM the
 * bytes matched so far (from earlier feeds) are put back as line text. */
static size_t check_bom(sse_parser *p, const char *buf, size_t len) {
  size_t i = 0;
  while (p->bom_checked < 3 && i < len) {
    if (buf[i] != utf8_bom[p->bom_checked]) {
      /* Only earlier feeds' bytes need restoring: this feed's are re-read. */
      size_t carried = (size_t)p->bom_checked - i;
      p->bom_checked = BOM_DONE;
      restore_bom(p, carried);
      return 0;
    }
    p->bom_checked++;
    i++;
  }
  if (p->bom_checked == 3) p->bom_checked = BOM_DONE;
  return i;
}

int sse_parser_feed(sse_parser *p, const char *buf, size_t len, sse_event_fn fn, void *userdata) {
  if (p->failed) return -1;
  if (len == 0) return 0;
  size_t i = 0;
  if (p->bom_checked < BOM_DONE) {
    size_t before = (size_t)p->bom_checked;
    size_t used = check_bom(p, buf, len);
    if (p->failed) return -1;
    if (p->bom_checked < BOM_DONE) return 0; /* all of buf matched a BOM prefix */
    /* A mismatch re-reads this feed from its start; a full BOM skips it. */
    i = (before + used == 3) ? used : 0;
  }
  if (p->saw_cr) {
    p->saw_cr = 0;
    if (i < len && buf[i] == '\n') i++; /* the LF of a CRLF split across feeds */
  }
  /* memchr is vectorised. The next LF is remembered until passed, and the
   * CR search covers only the span before it, so lines ended by lone CRs do
   * not rescan the rest of the buffer each time (that would be quadratic). */
  size_t lf_pos = 0;
  int lf_known = 0;
  while (i < len) {
    if (!lf_known || lf_pos < i) {
      const char *lf = memchr(buf + i, '\n', len - i);
      lf_pos = lf ? (size_t)(lf - buf) : len;
      lf_known = 1;
    }
    size_t j = lf_pos;
    const char *cr = memchr(buf + i, '\r', j - i);
    if (cr) j = (size_t)(cr - buf);
    if (j == len) {
      /* Incomplete line: carry it, within bounds. */
      size_t add = len - i;
      if (p->line.len + add > p->max_line) return fail(p, "SSE line longer than %zu bytes", p->max_line);
      if (benchy_buf_append(&p->line, buf + i, add) != 0)
        return fail(p, "out of memory (%zu bytes)", p->line.len + add);
      return 0;
    }
    int r;
    if (p->line.len) {
      size_t add = j - i;
      if (p->line.len + add > p->max_line) return fail(p, "SSE line longer than %zu bytes", p->max_line);
      if (benchy_buf_append(&p->line, buf + i, add) != 0)
        return fail(p, "out of memory (%zu bytes)", p->line.len + add);
      r = process_line(p, p->line.data, p->line.len, fn, userdata);
      benchy_buf_clear(&p->line);
    } else {
      if (j - i > p->max_line) return fail(p, "SSE line longer than %zu bytes", p->max_line);
      r = process_line(p, buf + i, j - i, fn, userdata);
    }
    if (buf[j] == '\r') {
      if (j + 1 < len) {
        if (buf[j + 1] == '\n') j++;
      } else {
        p->saw_cr = 1;
      }
    }
    i = j + 1;
    if (r != 0) return r;
  }
  return 0;
}

int sse_parser_finish(sse_parser *p, sse_event_fn fn, void *userdata) {
  if (p->failed) return -1;
  if (p->bom_checked < BOM_DONE) {
    /* A stream that ended inside what looked like a BOM: those bytes were text. */
    size_t carried = (size_t)p->bom_checked;
    p->bom_checked = BOM_DONE;
    if (restore_bom(p, carried) != 0) return -1;
  }
  p->saw_cr = 0;
  if (p->line.len) {
    int r = process_line(p, p->line.data, p->line.len, fn, userdata);
    benchy_buf_clear(&p->line);
    if (r != 0) return r;
  }
  return dispatch(p, fn, userdata);
}
