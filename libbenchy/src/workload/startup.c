/* startup.c — see startup.h. */
#include "startup.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int64_t startup_probe_timeout_ms(const benchy_options *opts) {
  int64_t probe = (int64_t)llround(benchy_options_double(opts, "probe-timeout") * 1000.0);
  int64_t whole = (int64_t)llround(benchy_options_double(opts, "timeout") * 1000.0);
  if (probe <= 0) return whole > 0 ? whole : 0;
  return whole > 0 && whole < probe ? whole : probe;
}

void startup_explain_timeout(char *err, size_t errlen, int status, const benchy_options *opts) {
  if (status != BENCHY_ERR_TIMEOUT || !err || !errlen) return;
  size_t used = strlen(err);
  if (used + 1 >= errlen) return;
  double probe = benchy_options_double(opts, "probe-timeout");
  double whole = benchy_options_double(opts, "timeout");
  /* Whichever of the two set the limit is the one worth raising. */
  int by_whole = whole > 0 && (probe <= 0 || whole < probe);
  snprintf(err + used, errlen - used,
           ". If the server is only slow (busy, or still loading its model), raise %s (now %g s)",
           by_whole ? "--timeout" : "--probe-timeout", by_whole ? whole : probe);
}

void startup_interrupted(char *err, size_t errlen, const char *phase, const char *jsonl_path) {
  if (!err || !errlen) return;
  if (jsonl_path)
    snprintf(err, errlen,
             "interrupted while %s, before any request was measured; %s keeps the records it "
             "already held",
             phase, jsonl_path);
  else
    snprintf(err, errlen, "interrupted while %s, before any request was measured: no results to keep",
             phase);
}
