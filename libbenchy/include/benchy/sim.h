/*
 * benchy sim: a simulated OpenAI-compatible server whose timing is known in
 * advance (docs/simulator.md gives the model). It runs on its own thread
 * with its own event loop, in-process (tests, notebooks) or as `benchy sim`.
 *
 * Options are the BENCHY_CMD_SIM rows of the option table: host, port,
 * model, prefill-tps, decode-tps, overhead-ms, slots, seed, jitter,
 * tokens-per-chunk, reasoning-tokens, flavour, fault-* ...
 */
#ifndef BENCHY_SIM_H
#define BENCHY_SIM_H

#include "benchy/export.h"

#include <stddef.h>
#include <stdint.h>

#include "benchy/options.h"

#ifdef __cplusplus
extern "C" {
#endif


typedef struct benchy_sim benchy_sim;

/* Binds (port 0 picks a free one), then serves on a new thread. On failure
 * *out is NULL and, when errbuf is given, it holds the reason. */
BENCHY_API int benchy_sim_start(benchy_sim **out, const benchy_options *opts, char *errbuf,
                                size_t errbuf_len);
/* Stops serving, joins the thread, frees. NULL is a no-op. */
BENCHY_API void benchy_sim_stop(benchy_sim *sim);
/* A pointer of the caller's, kept with the simulator (NULL until set);
 * read and set on the thread that started it. */
BENCHY_API void benchy_sim_set_userdata(benchy_sim *sim, void *userdata);
BENCHY_API void *benchy_sim_userdata(const benchy_sim *sim);
BENCHY_API int benchy_sim_port(const benchy_sim *sim);
/* "http://127.0.0.1:PORT/v1" */
BENCHY_API const char *benchy_sim_base_url(const benchy_sim *sim);

typedef struct benchy_sim_stats {
  uint32_t struct_size;
  uint64_t requests;           /* requests served (any endpoint) */
  uint64_t streams;            /* streamed completions started */
  uint64_t chunks;             /* chunks written */
  uint64_t faults;             /* faults injected */
  int64_t lateness_p50_ns;     /* actual - scheduled chunk send time */
  int64_t lateness_p99_ns;
  int64_t lateness_max_ns;
} benchy_sim_stats;
BENCHY_API void benchy_sim_get_stats(benchy_sim *sim, benchy_sim_stats *out);

/* The timing model, as documented for `benchy sim --help` (static text). */
BENCHY_API const char *benchy_sim_model_text(void);

/* "URL (model M, flavour F, N slots)": what a person running the simulator
 * wants to know, as `benchy sim` prints it. */
BENCHY_API int benchy_sim_describe(const benchy_sim *sim, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
