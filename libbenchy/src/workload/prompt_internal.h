/*
 * prompt_internal.h — the prompt generator's state (prompt.h is its
 * interface), shared by prompt.c, which makes it (the counting method and
 * its calibration), and prompt_fit.c, which sizes prompts with it. Both
 * build on prompt_words.h (the text) and prompt_server.h (the counting
 * calls).
 */
#ifndef BENCHY_WORKLOAD_PROMPT_INTERNAL_H
#define BENCHY_WORKLOAD_PROMPT_INTERNAL_H

#include <math.h>

#include "prompt.h"
#include "prompt_server.h"
#include "prompt_words.h"

/* The user message of a context-fill request (see prompt_context_only). */
static const char fill_user[] = "Ready?";

struct prompt_gen {
  prompt_config cfg;
  char *model;
  int method;
  int probes_ok;        /* the server answered a generation probe */
  int64_t ov_user;      /* template tokens around a lone user message */
  int64_t ov_system;    /* around system + user */
  int64_t tail;         /* after the user text; -1 unknown */
  int64_t adjust;       /* server's usage count minus our tokenize count */
  int64_t fill_plain;   /* tokens of fill_user on its own (vLLM split) */
  double tpw;           /* tokens per unit */
  prompt_counter srv;   /* the server calls, and how many were made */
  char notes[768];
};

/* Units of a predicted (not counted) method. */
static inline int64_t prompt_predict(const prompt_gen *g, int64_t units) {
  return (int64_t)llround(g->tpw * (double)units);
}

#endif
