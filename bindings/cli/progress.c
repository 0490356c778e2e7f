/*
 * progress.c — see progress.h. The formats are those benchy printed before
 * the library stopped printing; scripts and tests read them.
 */
#include "progress.h"

#include <string.h>
#include <unistd.h>

void cli_progress_init(cli_progress *p, const char *command, const benchy_options *opts, FILE *out) {
  memset(p, 0, sizeof *p);
  p->out = out;
  p->command = command;
  p->quiet = benchy_options_flag(opts, "quiet");
  p->tty = isatty(fileno(out));
}

static void clear_line(cli_progress *p) {
  if (!p->line_open) return;
  fputs("\r\033[K", p->out);
  fflush(p->out);
  p->line_open = 0;
}

/* bench: the phase or row being worked on, rewritten in place. */
static void bench_event(cli_progress *p, const benchy_progress *e) {
  if (!p->tty || p->quiet) return;
  if ((e->kind == BENCHY_PROGRESS_PHASE || e->kind == BENCHY_PROGRESS_MESSAGE) && e->message[0]) {
    fprintf(p->out, "\r\033[Kbench: %s", e->message);
    fflush(p->out);
    p->line_open = 1;
  }
}

/* load: a line per phase and message, for logs as much as for terminals. */
static void load_event(cli_progress *p, const benchy_progress *e) {
  if (p->quiet) return;
  if ((e->kind == BENCHY_PROGRESS_PHASE || e->kind == BENCHY_PROGRESS_MESSAGE) && e->message[0])
    fprintf(p->out, "benchy %s: %s\n", p->command, e->message);
}

/* run: phases as lines, and on a terminal a live request counter, rewritten
 * in place (a script's run has no levels or rows to announce). */
static void run_event(cli_progress *p, const benchy_progress *e) {
  if (p->quiet) return;
  if (e->kind == BENCHY_PROGRESS_REQUESTS) {
    if (!p->tty) return;
    fprintf(p->out, "\r\033[Kbenchy run: %llu done, %llu failed, %llu in flight, %.0f s",
            (unsigned long long)e->requests_done, (unsigned long long)e->requests_failed,
            (unsigned long long)e->requests_in_flight, e->elapsed_s);
    fflush(p->out);
    p->line_open = 1;
    return;
  }
  clear_line(p);
  load_event(p, e);
}

void cli_progress_event(const benchy_progress *e, void *userdata) {
  cli_progress *p = userdata;
  if (e->kind == BENCHY_PROGRESS_DONE) {
    clear_line(p);
    return;
  }
  if (e->kind == BENCHY_PROGRESS_WARNING) {
    clear_line(p);
    fprintf(p->out, "benchy %s: warning: %s\n", p->command, e->message);
    return;
  }
  if (!strcmp(p->command, "bench"))
    bench_event(p, e);
  else if (!strcmp(p->command, "run"))
    run_event(p, e);
  else
    load_event(p, e);
}
