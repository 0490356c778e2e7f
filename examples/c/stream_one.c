/*
 * stream_one — stream one chat request, print its text as it arrives, then
 * its TTFT and token count. The worked example of docs/c-api.md.
 *
 *   stream_one                      start the built-in simulator in-process
 *   stream_one http://host:8080/v1  use a running server (model from $MODEL,
 *                                   API key from $OPENAI_API_KEY if set)
 *
 * Build against an installed libbenchy (docs/c-api.md, "Building against it"):
 *   cc stream_one.c $(pkg-config --cflags --libs benchy) \
 *      -Wl,-rpath,"$(pkg-config --variable=libdir benchy)" -o stream_one
 * or with CMake: find_package(benchy) and link benchy::benchy.
 */
#include <stdio.h>
#include <stdlib.h>

#include <benchy/benchy.h>

/* Runs on the loop's thread, once per decoded chunk, while the stream is
 * read. text is only valid during the call: copy what you want to keep. */
static void on_chunk(benchy_request *request, const benchy_chunk_event *ev, const char *text,
                     size_t text_len, void *userdata) {
  (void)request;
  (void)userdata;
  if (ev->kinds & BENCHY_CHUNK_CONTENT) fwrite(text, 1, text_len, stdout);
}

/* Runs on the loop's thread exactly once, whatever the outcome. rec (and the
 * strings it points to) belongs to the request: valid until the request is
 * freed or started again. */
static void on_done(benchy_request *request, const benchy_record *rec, void *userdata) {
  (void)request;
  int *succeeded = userdata;
  if (rec->status != BENCHY_OK) {
    fprintf(stderr, "request failed: %s: %s\n", benchy_status_name(rec->status), rec->error);
    return;
  }
  printf("\nttft_ms=%.3f output_tokens=%lld (from %s) chunks=%lld e2e_ms=%.3f\n",
         benchy_record_ttft_ns(rec) / 1e6, (long long)rec->output_tokens,
         rec->count_method == BENCHY_COUNT_USAGE ? "usage" : "chunks", (long long)rec->chunks,
         benchy_record_e2e_ns(rec) / 1e6);
  *succeeded = 1;
}

/* The in-process simulator: a server whose timing is known in advance. */
static benchy_sim *start_simulator(void) {
  benchy_options *opts = NULL;
  benchy_sim *sim = NULL;
  char err[256] = "";
  if (benchy_options_new(&opts, BENCHY_CMD_SIM) != BENCHY_OK ||
      benchy_options_set(opts, "port", "0") != BENCHY_OK ||
      benchy_options_set(opts, "decode-tps", "500") != BENCHY_OK ||
      benchy_sim_start(&sim, opts, err, sizeof err) != BENCHY_OK)
    fprintf(stderr, "cannot start the simulator: %s\n",
            err[0] ? err : opts ? benchy_options_error(opts) : "out of memory");
  benchy_options_free(opts); /* the simulator keeps a copy */
  return sim;
}

int main(int argc, char **argv) {
  benchy_sim *sim = NULL;
  const char *base_url = argc > 1 ? argv[1] : NULL;
  if (!base_url) {
    if (!(sim = start_simulator())) return 1;
    base_url = benchy_sim_base_url(sim); /* owned by sim, valid until benchy_sim_stop */
  }
  const char *model = getenv("MODEL") ? getenv("MODEL") : "sim";
  const char *api_key = getenv("OPENAI_API_KEY");
  char body[256];
  snprintf(body, sizeof body,
           "{\"model\":\"%s\",\"max_tokens\":32,"
           "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}]}",
           model);

  benchy_loop *loop = NULL;
  benchy_session *session = NULL;
  benchy_request *request = NULL;
  int succeeded = 0;
  char err[512] = "";
  int st = benchy_loop_new(&loop);
  if (st == BENCHY_OK) st = benchy_session_new_err(&session, loop, base_url, err, sizeof err);
  if (st == BENCHY_OK && api_key) st = benchy_session_set_api_key(session, api_key); /* copied */
  /* The body is checked and copied; "stream": true is added. */
  if (st == BENCHY_OK) st = benchy_request_new(&request, session, BENCHY_ENDPOINT_CHAT, body);
  if (st != BENCHY_OK) {
    fprintf(stderr, "setup failed: %s\n",
            err[0] ? err : session ? benchy_session_error(session) : benchy_status_message(st));
  } else {
    benchy_request_set_on_chunk(request, on_chunk, NULL);
    benchy_request_set_on_done(request, on_done, &succeeded);
    st = benchy_request_start(request, 0);       /* never blocks */
    if (st == BENCHY_OK) benchy_loop_run(loop, BENCHY_RUN_DEFAULT); /* until it is done */
  }

  /* Requests before their session, sessions before their loop. */
  benchy_request_free(request);
  benchy_session_free(session);
  benchy_loop_free(loop);
  benchy_sim_stop(sim);
  return succeeded ? 0 : 1;
}
