/* record.c — figures derived from a benchy_record (docs/metrics.md). */
#include "benchy/benchy.h"

#include <stddef.h>

static int64_t span(int64_t from, int64_t to) { return from && to && to >= from ? to - from : -1; }

int64_t benchy_record_ttft_ns(const benchy_record *r) {
  return r ? span(r->t_dispatched, r->t_first_token) : -1;
}
int64_t benchy_record_ttfr_ns(const benchy_record *r) {
  return r ? span(r->t_dispatched, r->t_first_chunk) : -1;
}
int64_t benchy_record_e2e_ns(const benchy_record *r) { return r ? span(r->t_dispatched, r->t_done) : -1; }
int64_t benchy_record_queue_ns(const benchy_record *r) {
  return r ? span(r->t_scheduled, r->t_dispatched) : -1;
}
int64_t benchy_record_ttfs_ns(const benchy_record *r) {
  /* A record from before the field existed has no first sentence. */
  if (!r || r->struct_size < offsetof(benchy_record, t_first_sentence) + sizeof r->t_first_sentence)
    return -1;
  return span(r->t_dispatched, r->t_first_sentence);
}
int64_t benchy_record_tpot_ns(const benchy_record *r) {
  if (!r || r->output_tokens < 2) return -1;
  int64_t decode = span(r->t_first_token, r->t_done);
  return decode < 0 ? -1 : decode / (r->output_tokens - 1);
}

int benchy_rx_clock_of(uint64_t data_reads, uint64_t kernel_stamped_reads) {
  if (!data_reads) return BENCHY_RX_CLOCK_NONE;
  if (kernel_stamped_reads == data_reads) return BENCHY_RX_CLOCK_KERNEL;
  return kernel_stamped_reads ? BENCHY_RX_CLOCK_MIXED : BENCHY_RX_CLOCK_READ;
}

const char *benchy_rx_clock_name(int rx_clock) {
  switch (rx_clock) {
  case BENCHY_RX_CLOCK_KERNEL:
    return "kernel";
  case BENCHY_RX_CLOCK_READ:
    return "read";
  case BENCHY_RX_CLOCK_MIXED:
    return "mixed";
  default:
    return "none";
  }
}
