/*
 * config.c — the simulator's options (the option table's sim rows) decoded
 * and checked into a sim_config, and the names its enums are written as.
 */
#include <stdio.h>
#include <string.h>

#include "sim/sim_internal.h"

const char *const sim_fault_names[SIM_F_COUNT] = {"429",         "500",   "disconnect",  "malformed",
                                                  "error_chunk", "stall", "slow_headers", "bad_tool_args"};

const char *const sim_flavour_names[3] = {"llama", "vllm", "sglang"};

static int parse_tpc(sim_config *cfg, const char *text, char *err, size_t errlen) {
  long long lo, hi;
  char tail;
  if (!text) text = "1";
  snprintf(cfg->tpc_text, sizeof cfg->tpc_text, "%s", text);
  if (sscanf(text, "%lld-%lld%c", &lo, &hi, &tail) == 2) {
  } else if (sscanf(text, "%lld%c", &lo, &tail) == 1) {
    hi = lo;
  } else {
    lo = hi = 0;
  }
  if (lo < 1 || hi < lo || hi > 1000000) {
    if (err && errlen)
      snprintf(err, errlen, "--tokens-per-chunk: '%s' is not N or MIN-MAX with 1 <= MIN <= MAX <= 1000000",
               text);
    return -1;
  }
  cfg->tpc_min = lo;
  cfg->tpc_max = hi;
  return 0;
}

int sim_config_from_options(sim_config *cfg, const benchy_options *o, char *err, size_t errlen) {
  memset(cfg, 0, sizeof *cfg);
  const char *host = benchy_options_str(o, "host");
  const char *model = benchy_options_str(o, "model");
  if (!host || !*host) host = "127.0.0.1";
  if (!model || !*model) model = "sim";
  if (strlen(host) >= sizeof cfg->host || strlen(model) >= sizeof cfg->model) {
    benchy_set_error(err, errlen, "--host or --model is too long (255 bytes at most)");
    return -1;
  }
  strcpy(cfg->host, host);
  strcpy(cfg->model, model);
  const char *key = benchy_options_str(o, "api-key");
  if (key && strlen(key) >= sizeof cfg->api_key) {
    benchy_set_error(err, errlen, "--api-key is too long (%zu bytes at most)", sizeof cfg->api_key - 1);
    return -1;
  }
  snprintf(cfg->api_key, sizeof cfg->api_key, "%s", key ? key : "");
  cfg->port = (int)benchy_options_int(o, "port");
  cfg->seed = (uint64_t)benchy_options_int(o, "seed");
  cfg->prefill_tps = benchy_options_double(o, "prefill-tps");
  cfg->decode_tps = benchy_options_double(o, "decode-tps");
  cfg->overhead_ms = benchy_options_double(o, "overhead-ms");
  cfg->slots = benchy_options_int(o, "slots");
  cfg->batch_slowdown = benchy_options_double(o, "batch-slowdown");
  cfg->jitter = benchy_options_double(o, "jitter");
  cfg->reasoning_tokens = benchy_options_int(o, "reasoning-tokens");
  cfg->sentence_every = benchy_options_int(o, "sentence-every");
  cfg->ctx_size = benchy_options_int(o, "ctx-size");
  cfg->max_tokens = benchy_options_int(o, "max-tokens");
  cfg->prefix_cache = !benchy_options_flag(o, "no-prefix-cache");
  cfg->stamp = !benchy_options_flag(o, "no-stamp");
  static const char *const fault_opts[SIM_F_COUNT] = {
      "fault-429",         "fault-500",   "fault-disconnect",  "fault-malformed",
      "fault-error-chunk", "fault-stall", "fault-slow-headers", "fault-bad-tool-args"};
  for (int k = 0; k < SIM_F_COUNT; k++) cfg->fault_p[k] = benchy_options_double(o, fault_opts[k]);
  cfg->stall_ms = benchy_options_double(o, "stall-ms");
  cfg->slow_headers_ms = benchy_options_double(o, "slow-headers-ms");
  cfg->spin_ns = (int64_t)(benchy_options_double(o, "spin-us") * 1000.0);
  cfg->reuse_port = benchy_options_flag(o, "reuse-port");
  cfg->metrics = benchy_options_flag(o, "metrics");
  const char *fl = benchy_options_str(o, "flavour");
  cfg->flavour = SIM_FLAVOUR_LLAMA;
  for (int i = 0; fl && i < 3; i++)
    if (!strcmp(fl, sim_flavour_names[i])) cfg->flavour = i;
  const char *cas = benchy_options_str(o, "close-after-stream");
  if (!cas) cas = "auto";
  snprintf(cfg->close_text, sizeof cfg->close_text, "%s", cas);
  cfg->close_after_stream = SIM_CLOSE_NO;
  if (!strcmp(cas, "announced"))
    cfg->close_after_stream = SIM_CLOSE_ANNOUNCED;
  else if (!strcmp(cas, "yes") || (!strcmp(cas, "auto") && cfg->flavour == SIM_FLAVOUR_LLAMA))
    cfg->close_after_stream = SIM_CLOSE_SILENT;
  if (cfg->decode_tps <= 0 || cfg->prefill_tps <= 0 || cfg->slots < 1 || cfg->ctx_size < 1 ||
      cfg->max_tokens < 1) {
    benchy_set_error(err, errlen, "--decode-tps, --prefill-tps, --slots, --ctx-size and --max-tokens must be positive");
    return -1;
  }
  return parse_tpc(cfg, benchy_options_str(o, "tokens-per-chunk"), err, errlen);
}
