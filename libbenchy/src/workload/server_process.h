/*
 * server_process.h — a server command run by benchy for the length of a
 * benchmark: started through `sh -c` in a session (so a process group) of
 * its own with its output in a log file, its CPU time and peak RSS sampled
 * from /proc across the whole group, and stopped as a group (SIGTERM, then
 * SIGKILL after a grace period) so that nothing it spawned outlives it.
 *
 * Nothing here knows about options or results: lifecycle.c does.
 */
#ifndef BENCHY_WORKLOAD_SERVER_PROCESS_H
#define BENCHY_WORKLOAD_SERVER_PROCESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../util.h"

typedef struct server_process server_process;

typedef struct server_spec {
  const char *command;         /* given to /bin/sh -c */
  const char *const *env;      /* "NAME=VALUE" set on top of benchy's environment */
  size_t n_env;
  const char *cwd;             /* NULL: benchy's */
  const char *log_path;        /* created, never replaced: an existing file is an error */
} server_spec;

/* Starts it; 0, or -1 with err saying why (the log file exists, cannot be
 * created, the directory does not exist, fork failed). */
BENCHY_INTERNAL int server_process_start(server_process **out, const server_spec *spec, char *err,
                                         size_t errlen);
BENCHY_INTERNAL pid_t server_process_pid(const server_process *p);
/* 1 when the group's leader has exited (reaped now if it just did). */
BENCHY_INTERNAL int server_process_exited(server_process *p);
/* Adds the group's current CPU time and resident memory to the record. */
BENCHY_INTERNAL void server_process_sample(server_process *p);
BENCHY_INTERNAL double server_process_cpu_s(const server_process *p);
BENCHY_INTERNAL uint64_t server_process_peak_rss(const server_process *p);
/* SIGTERM to the group, SIGKILL to what is left after grace_s; returns once
 * no process of the group exists (0), or -1 if even SIGKILL left one after
 * several seconds (err says so). Stopping a stopped process is a no-op. */
BENCHY_INTERNAL int server_process_stop(server_process *p, double grace_s, char *err,
                                        size_t errlen);
/* How it ended: "exited with status 0", "killed by SIGTERM", ...; "running"
 * before it did. */
BENCHY_INTERNAL const char *server_process_exit_text(const server_process *p);
/* Exited on its own before server_process_stop() asked it to. */
BENCHY_INTERNAL int server_process_died_early(const server_process *p);
/* Stops it (grace 0) when still running, then frees it. */
BENCHY_INTERNAL void server_process_free(server_process *p);

/* The last `lines` lines of a text file into out ("" when unreadable). */
BENCHY_INTERNAL void log_tail(const char *path, size_t lines, char *out, size_t cap);

#endif
