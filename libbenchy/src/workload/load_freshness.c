/*
 * load_freshness.c — see load_freshness.h.
 */
#include "load_freshness.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t load_fresh_nonce(void) {
  uint64_t x = 0;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (read(fd, &x, sizeof x) != (ssize_t)sizeof x) x = 0;
    close(fd);
  }
  /* Without /dev/urandom the clock and the process still differ per run. */
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  x ^= benchy_mix64((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) ^
       benchy_mix64((uint64_t)getpid() << 20);
  x %= LOAD_NONCE_MAX - 1;
  return x + 1;
}

uint64_t load_text_seed(uint64_t seed, uint64_t nonce) {
  return nonce ? seed ^ benchy_mix64(nonce ^ 0x6E6F6E6365ull) : seed;
}

void load_cache_count(load_cache_tally *t, int64_t cached, int64_t input_tokens,
                      int64_t expected_cached) {
  if (cached < 0) return;
  t->reporting++;
  if (input_tokens > 0) t->input_tokens += input_tokens;
  t->cached_tokens += cached;
  if (expected_cached < 0) return; /* repeats asked for: any hit is expected */
  /* Slack as bench allows it: a few template tokens that any prompt shares
   * (llama.cpp reuses a common prefix token by token), and an eighth of the
   * new part, so that only a real reuse of the text counts. */
  int64_t fresh = input_tokens > expected_cached ? input_tokens - expected_cached : 0;
  int64_t allowed = expected_cached + 16 + fresh / 8;
  if (cached > allowed) {
    t->unexpected_requests++;
    t->unexpected_tokens += cached - expected_cached;
  }
}

void load_cache_merge(load_cache_tally *into, const load_cache_tally *from) {
  into->reporting += from->reporting;
  into->input_tokens += from->input_tokens;
  into->cached_tokens += from->cached_tokens;
  into->unexpected_requests += from->unexpected_requests;
  into->unexpected_tokens += from->unexpected_tokens;
}

const char *load_repeats_name(load_repeats r) {
  switch (r) {
  case LOAD_REPEATS_PREFIX:
    return "shared-prefix";
  case LOAD_REPEATS_ASKED:
    return "repeat-prompts";
  case LOAD_REPEATS_FILE:
    return "dataset-file";
  default:
    return "none";
  }
}

const char *load_cache_report(const load_cache_tally *t, load_repeats repeats, cJSON *level_obj) {
  cJSON *pc = cJSON_AddObjectToObject(level_obj, "prompt_cache");
  if (!pc) return NULL;
  cJSON_AddNumberToObject(pc, "cached_tokens", (double)t->cached_tokens);
  cJSON_AddNumberToObject(pc, "input_tokens", (double)t->input_tokens);
  if (t->reporting && t->input_tokens > 0)
    cJSON_AddNumberToObject(pc, "cached_share", (double)t->cached_tokens / (double)t->input_tokens);
  else
    cJSON_AddNullToObject(pc, "cached_share");
  cJSON_AddNumberToObject(pc, "reported_by", (double)t->reporting);
  cJSON_AddStringToObject(pc, "expected", load_repeats_name(repeats));
  cJSON_AddNumberToObject(pc, "unexpected_requests", (double)t->unexpected_requests);
  cJSON_AddNumberToObject(pc, "unexpected_cached_tokens", (double)t->unexpected_tokens);
  if (!t->unexpected_requests) {
    cJSON_AddNullToObject(pc, "warning");
    return NULL;
  }
  char msg[768];
  double share = t->input_tokens > 0 ? 100.0 * (double)t->unexpected_tokens / (double)t->input_tokens : 0;
  snprintf(msg, sizeof msg,
           "%lld of %lld requests were served from the server's prompt cache although their %s "
           "meant to be new to it (%.1f%% of the level's prompt tokens): their TTFT and the "
           "throughput measure the cache, not prefill. The server had seen these prompts (an "
           "earlier run with the same --prompt-nonce, or another client sending the same text); "
           "run again without --prompt-nonce, clear the server's cache (restart it), or give "
           "--no-cache",
           (long long)t->unexpected_requests, (long long)t->reporting,
           repeats == LOAD_REPEATS_PREFIX ? "unique parts (after the shared prefix) were"
                                          : "prompts were",
           share);
  cJSON *w = cJSON_AddStringToObject(pc, "warning", msg);
  cJSON *list = cJSON_GetObjectItemCaseSensitive(level_obj, "warnings");
  if (!list) list = cJSON_AddArrayToObject(level_obj, "warnings");
  if (list) cJSON_AddItemToArray(list, cJSON_CreateString(msg));
  return w ? w->valuestring : NULL;
}
