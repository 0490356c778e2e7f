/*
 * meta_cmd.c — benchy meta: to check what a run will record before running it.
 */
#include "meta_cmd.h"

#include <stdio.h>
#include <stdlib.h>

int cli_meta(benchy_options *opts) {
  char err[1024] = "";
  char *json = benchy_meta_json(opts, err, sizeof err);
  if (!json) {
    benchy_options_scrub(opts, err, sizeof err);
    fprintf(stderr, "benchy meta: %s\n", err);
    return 2;
  }
  printf("%s\n", json);
  free(json);
  return fflush(stdout) == 0 ? 0 : 1;
}
