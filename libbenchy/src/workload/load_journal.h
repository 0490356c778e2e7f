/*
 * load_journal.h — the --jsonl file of a `benchy load` run: its config
 * line, each level's start and end lines (records are written by the
 * level as they complete), and reading it back for --resume (load_resume.h
 * turns a level's lines into what the level continues from).
 */
#ifndef BENCHY_WORKLOAD_LOAD_JOURNAL_H
#define BENCHY_WORKLOAD_LOAD_JOURNAL_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "load_plan.h"
#include "load_resume.h"

/* What --resume read from the file, level by level. */
typedef struct resume_state {
  cJSON *config;
  resumed_level *levels;
  size_t n_levels;
  int bad_level; /* a line named a level this run does not have */
  int64_t bad_records; /* record lines that could not be read back */
  int64_t max_records; /* held per level, as a fresh level holds them */
} resume_state;

/* Opens p->jsonl_path (nothing without --jsonl): with --resume, reads it
 * into rs first, refusing a file written by another configuration; then
 * writes the config line (config: the run's options, as in the result). */
BENCHY_INTERNAL int load_journal_open(load_plan *p, const cJSON *config, resume_state *rs, char *err,
                                      size_t errlen);
BENCHY_INTERNAL void load_journal_free(resume_state *rs);

/* A level begins ("level_start") or goes on from the file
 * ("level_continue", which keeps the records before it). No-op without
 * --jsonl. */
BENCHY_INTERNAL void load_journal_level_start(const load_plan *p, const load_level *lv, int continued);
/* A level ended with every record in the file: its aggregates, from which
 * --resume restores it. No-op without --jsonl. */
BENCHY_INTERNAL void load_journal_level_end(const load_plan *p, const load_level *lv,
                                            const cJSON *level_obj);

#endif
