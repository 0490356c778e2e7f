/*
 * stream_one — stream one chat request and print its TTFT and token count.
 *
 *   stream_one                      start the built-in simulator in-process
 *   stream_one http://host:8080/v1  use a running server (model from $MODEL)
 *
 * Build against an installed libbenchy:
 *   cc stream_one.c $(pkg-config --cflags --libs benchy) -o stream_one
 * or with CMake: find_package(benchy) and link benchy::benchy.
 */
#include <stdio.h>
#include <stdlib.h>

#include <benchy/benchy.h>

static void on_done(benchy_request *request, const benchy_record *rec, void *userdata) {
  (void)request;
  if (rec->status != BENCHY_OK) {
    fprintf(stderr, "request failed: %s: %s\n", benchy_status_name(rec->status), rec->error);
    return;
  }
  printf("ttft_ms=%.3f output_tokens=%lld (from %s) chunks=%lld e2e_ms=%.3f\n",
         benchy_record_ttft_ns(rec) / 1e6, (long long)rec->output_tokens,
         rec->count_method == BENCHY_COUNT_USAGE ? "usage" : "chunks", (long long)rec->chunks,
         benchy_record_e2e_ns(rec) / 1e6);
  *(int *)userdata = 1;
}

int main(int argc, char **argv) {
  benchy_sim *sim = NULL;
  const char *base_url = argc > 1 ? argv[1] : NULL;
  if (!base_url) {
    benchy_options *opts = NULL;
    char err[256];
    benchy_options_new(&opts, BENCHY_CMD_SIM);
    benchy_options_set(opts, "port", "0");
    benchy_options_set(opts, "decode-tps", "500");
    if (benchy_sim_start(&sim, opts, err, sizeof err) != BENCHY_OK) {
      fprintf(stderr, "cannot start the simulator: %s\n", err);
      return 1;
    }
    benchy_options_free(opts);
    base_url = benchy_sim_base_url(sim);
  }
  const char *model = getenv("MODEL") ? getenv("MODEL") : "sim";
  char body[256];
  snprintf(body, sizeof body,
           "{\"model\":\"%s\",\"max_tokens\":32,"
           "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}]}",
           model);

  benchy_loop *loop = NULL;
  benchy_session *session = NULL;
  benchy_request *request = NULL;
  int ok = 0;
  if (benchy_loop_new(&loop) != BENCHY_OK || benchy_session_new(&session, loop, base_url) != BENCHY_OK ||
      benchy_request_new(&request, session, BENCHY_ENDPOINT_CHAT, body) != BENCHY_OK) {
    fprintf(stderr, "setup failed\n");
    return 1;
  }
  benchy_request_set_on_done(request, on_done, &ok);
  benchy_request_start(request, 0);
  benchy_loop_run(loop, BENCHY_RUN_DEFAULT);

  benchy_request_free(request);
  benchy_session_free(session);
  benchy_loop_free(loop);
  benchy_sim_stop(sim);
  return ok ? 0 : 1;
}
