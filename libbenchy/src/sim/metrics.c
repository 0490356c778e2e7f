/*
 * metrics.c — GET /metrics as llama-server --metrics serves it: Prometheus
 * text, llama-server's names, the simulator's own counts, so that a test
 * knows every figure a client's deltas must show (docs/sim.md).
 */
#include "sim_internal.h"

#include <inttypes.h>

int sim_write_metrics(sim_t *s, benchy_buf *b) {
  pthread_mutex_lock(&s->mu);
  /* llama-server counts the prompt tokens it evaluated: cached ones not. */
  uint64_t prompt = s->prompt_tokens - s->cached_tokens, predicted = s->completion_tokens;
  pthread_mutex_unlock(&s->mu);
  /* The slots and the queue live on the loop thread, which serves this. */
  int64_t busy = s->cfg.slots - s->free_slots;
  return benchy_buf_printf(
      b,
      "# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.\n"
      "# TYPE llamacpp:prompt_tokens_total counter\n"
      "llamacpp:prompt_tokens_total %" PRIu64 "\n"
      "# HELP llamacpp:tokens_predicted_total Number of generation tokens processed.\n"
      "# TYPE llamacpp:tokens_predicted_total counter\n"
      "llamacpp:tokens_predicted_total %" PRIu64 "\n"
      "# HELP llamacpp:requests_processing Number of requests processing.\n"
      "# TYPE llamacpp:requests_processing gauge\n"
      "llamacpp:requests_processing %" PRId64 "\n"
      "# HELP llamacpp:requests_deferred Number of requests deferred.\n"
      "# TYPE llamacpp:requests_deferred gauge\n"
      "llamacpp:requests_deferred %zu\n",
      prompt, predicted, busy, s->q_len);
}
