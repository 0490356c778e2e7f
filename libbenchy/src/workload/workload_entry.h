/*
 * workload_entry.h — the workloads' own entry points, executed by a run
 * handle (run.c) on the run's thread, with its cancel token and progress
 * sink current. Same contract as benchy_bench_run / benchy_load_run.
 */
#ifndef BENCHY_WORKLOAD_ENTRY_H
#define BENCHY_WORKLOAD_ENTRY_H

#include <stddef.h>

#include "benchy/options.h"
#include "benchy/result.h"
#include "../util.h"

BENCHY_INTERNAL int bench_execute(const benchy_options *opts, benchy_result **out, char *err,
                                  size_t errlen);
BENCHY_INTERNAL int load_execute(const benchy_options *opts, benchy_result **out, char *err,
                                 size_t errlen);

/* `benchy run SCRIPT.lua`: the Lua host (bindings/lua/lua_host.c). */
BENCHY_INTERNAL int script_execute(const benchy_options *opts, benchy_result **out, char *err,
                                   size_t errlen);

#endif
