/*
 * progress.h — what `benchy bench` and `benchy load` show on stderr while
 * they run, drawn from the run handle's progress callback (the library
 * itself never prints).
 *
 *   bench: one line rewritten in place, only when stderr is a terminal and
 *          --quiet is off; cleared when the run ends.
 *   load:  a "benchy load: ..." line per phase and message unless --quiet.
 *   both:  warnings always, even with --quiet ("benchy load: warning: ...").
 */
#ifndef BENCHY_CLI_PROGRESS_H
#define BENCHY_CLI_PROGRESS_H

#include <stdio.h>

#include <benchy/benchy.h>

typedef struct cli_progress {
  FILE *out;
  const char *command; /* "bench", "load" */
  int quiet;
  int tty;
  int line_open; /* bench's in-place line is on screen */
} cli_progress;

void cli_progress_init(cli_progress *p, const char *command, const benchy_options *opts, FILE *out);
/* A benchy_progress_fn; userdata is the cli_progress. */
void cli_progress_event(const benchy_progress *event, void *userdata);

#endif
