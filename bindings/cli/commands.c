/*
 * commands.c — every command of `benchy` in the order --help lists them;
 * each command's code lives in its own file.
 */
#include "commands.h"

#include <string.h>

#include "compare_cmd.h"
#include "matrix_cmd.h"
#include "meta_cmd.h"
#include "report_cmd.h"
#include "sim_foreground.h"
#include "workload_cmd.h"

static const cli_command command_table[] = {
    {"bench", "llama-bench-style pp/tg table over HTTP", BENCHY_CMD_BENCH, cli_bench, NULL},
    {"load", "serving load test: arrivals, concurrency, latency percentiles", BENCHY_CMD_LOAD, cli_load, NULL},
    {"run", "run a Lua workload script: users, scenarios, checks, thresholds", BENCHY_CMD_RUN, cli_run, NULL},
    {"meta", "print the reproducibility metadata a result records, as JSON", BENCHY_CMD_META, cli_meta, NULL},
    {"sim", "simulated OpenAI-compatible server with a known timing model", BENCHY_CMD_SIM, cli_sim, NULL},
    {"compare", "two saved results: differences, significance, regression gates", 0, NULL, cli_compare},
    {"table", "one table across saved results", 0, NULL, cli_table},
    {"report", "saved results as one HTML page of plots (opens offline)", 0, NULL, cli_report},
    {"matrix", "every combination of server settings, one run each, one table", 0, NULL, cli_matrix},
};

size_t cli_command_count(void) { return sizeof command_table / sizeof command_table[0]; }

const cli_command *cli_command_at(size_t i) { return i < cli_command_count() ? &command_table[i] : NULL; }

const cli_command *cli_command_find(const char *name) {
  for (size_t i = 0; i < cli_command_count(); i++)
    if (!strcmp(command_table[i].name, name)) return &command_table[i];
  return NULL;
}
