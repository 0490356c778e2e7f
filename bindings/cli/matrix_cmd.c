/*
 * matrix_cmd.c — `benchy matrix`. The matrix's own options (--vary,
 * --expect-log-for, --workload) are set apart first; every other word is an
 * option of the workload it runs (bench or load), parsed by the table as for
 * that command. Each combination is a copy of those options with its
 * server command, environment and log patterns added, run through the run
 * handle, saved as DIR/<combination>.json; one whose file exists is not run
 * again, which makes an interrupted matrix resumable.
 */
#include "matrix_cmd.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <benchy/benchy.h>

#include "args.h"
#include "interrupts.h"
#include "progress.h"
#include "result_path.h"

#define MAX_DIMS 16
#define MAX_VALUES 64

typedef struct dimension {
  char *name;           /* "VLLM_ATTENTION_BACKEND" or "--decode-tps" */
  int is_env;
  char *values[MAX_VALUES];
  size_t n;
} dimension;

static const char usage_text[] =
    "usage: benchy matrix --server-cmd 'COMMAND' --vary NAME=V1,V2 [--vary ...] --result-dir DIR\n"
    "                     [--expect-log-for VALUE=REGEX] [--workload bench|load] [OPTIONS]\n\n"
    "Runs every combination of the --vary values: starts the server with it, runs the workload,\n"
    "saves DIR/<combination>.json (an existing one is kept and not run again), and prints one\n"
    "table with each run's validity. Every option of the workload (benchy bench --help, benchy\n"
    "load --help) applies to each run.\n";

static int is_env_name(const char *s) {
  if (!*s || isdigit((unsigned char)*s)) return 0;
  for (; *s; s++)
    if (!isupper((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_') return 0;
  return 1;
}

static int parse_dimension(const char *spec, dimension *d) {
  const char *eq = strchr(spec, '=');
  memset(d, 0, sizeof *d);
  if (!eq || eq == spec) {
    fprintf(stderr, "benchy matrix: --vary '%s' is not NAME=V1,V2; give e.g. "
                    "--vary VLLM_ATTENTION_BACKEND=FLASHINFER,FLASH_ATTN\n", spec);
    return -1;
  }
  d->name = strndup(spec, (size_t)(eq - spec));
  if (!d->name) return -1;
  d->is_env = is_env_name(d->name);
  if (!d->is_env && strncmp(d->name, "--", 2)) {
    fprintf(stderr, "benchy matrix: --vary %s: the name is neither an UPPER_CASE environment "
                    "variable nor a --flag of the server command\n", d->name);
    return -1;
  }
  for (const char *p = eq + 1;;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    if (d->n == MAX_VALUES) {
      fprintf(stderr, "benchy matrix: --vary %s: more than %d values\n", d->name, MAX_VALUES);
      return -1;
    }
    if (!(d->values[d->n++] = strndup(p, len))) return -1;
    if (!comma) break;
    p = comma + 1;
  }
  return 0;
}

static void free_dimension(dimension *d) {
  free(d->name);
  for (size_t i = 0; i < d->n; i++) free(d->values[i]);
}

/* value quoted for sh -c. */
static void append_quoted(char **cmd, size_t *cap, const char *flag, const char *value) {
  size_t need = strlen(*cmd) + strlen(flag) + 4 * strlen(value) + 8;
  if (need > *cap) {
    char *grown = realloc(*cmd, need);
    if (!grown) return;
    *cmd = grown;
    *cap = need;
  }
  char *end = *cmd + strlen(*cmd);
  end += sprintf(end, " %s='", flag);
  for (const char *v = value; *v; v++) {
    if (*v == '\'') {
      strcpy(end, "'\\''");
      end += 4;
    } else {
      *end++ = *v;
    }
  }
  strcpy(end, "'");
}

/* "decode-tps=50_prefill-tps=1000": safe as a file name. */
static void combination_name(const dimension *dims, size_t n_dims, const size_t *pick, char *out,
                             size_t cap) {
  size_t used = 0;
  out[0] = '\0';
  for (size_t d = 0; d < n_dims; d++) {
    const char *name = dims[d].name;
    while (*name == '-') name++;
    const char *v = dims[d].values[pick[d]];
    used += (size_t)snprintf(out + used, used < cap ? cap - used : 0, "%s%s%s%s", d ? "_" : "",
                             *v ? "" : "no-", name, *v ? "=" : "");
    for (; *v && used + 1 < cap; v++)
      out[used++] = isalnum((unsigned char)*v) || strchr(".-+", *v) ? *v : '_';
    if (used < cap) out[used] = '\0';
  }
}

/* Options for one combination; NULL after saying why. */
static benchy_options *combination_options(const benchy_options *base, const benchy_options *m,
                                           const dimension *dims, size_t n_dims,
                                           const size_t *pick, const char *file) {
  benchy_options *o = NULL;
  if (benchy_options_copy(&o, base) != BENCHY_OK) return NULL;
  size_t cap = strlen(benchy_options_str(base, "server-cmd")) + 1;
  char *cmd = malloc(cap);
  if (!cmd) goto fail;
  strcpy(cmd, benchy_options_str(base, "server-cmd"));
  for (size_t d = 0; d < n_dims; d++) {
    const char *v = dims[d].values[pick[d]];
    if (dims[d].is_env) {
      char kv[1024];
      snprintf(kv, sizeof kv, "%s=%s", dims[d].name, v);
      if (benchy_options_set(o, "server-env", kv) != BENCHY_OK) goto fail_said;
    } else if (*v) {
      append_quoted(&cmd, &cap, dims[d].name, v);
    }
  }
  size_t n_for = benchy_options_is_set(m, "expect-log-for") ? benchy_options_list_len(m, "expect-log-for") : 0;
  for (size_t i = 0; i < n_for; i++) {
    const char *spec = benchy_options_list_str(m, "expect-log-for", i);
    const char *eq = strchr(spec, '=');
    for (size_t d = 0; eq && d < n_dims; d++)
      if (strlen(dims[d].values[pick[d]]) == (size_t)(eq - spec) &&
          !strncmp(dims[d].values[pick[d]], spec, (size_t)(eq - spec))) {
        if (benchy_options_set(o, "expect-log", eq + 1) != BENCHY_OK) goto fail_said;
        break;
      }
  }
  if (benchy_options_set(o, "server-cmd", cmd) != BENCHY_OK ||
      benchy_options_set(o, "result-filename", file) != BENCHY_OK)
    goto fail_said;
  free(cmd);
  return o;
fail_said:
  fprintf(stderr, "benchy matrix: %s\n", benchy_options_error(o));
fail:
  free(cmd);
  benchy_options_free(o);
  return NULL;
}

static int file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* Runs one combination and saves its result; the exit status it earns. */
static int run_one(benchy_options *o, const char *command, const char *path) {
  benchy_run *run = NULL;
  if (benchy_run_new(&run, o) != BENCHY_OK) return 2;
  cli_progress progress;
  cli_progress_init(&progress, command, o, stderr);
  benchy_run_set_progress(run, cli_progress_event, &progress);
  int st = benchy_run_execute(run);
  char err[1024];
  snprintf(err, sizeof err, "%s", benchy_run_error(run));
  benchy_options_scrub(o, err, sizeof err);
  const benchy_result *result = benchy_run_result(run);
  int rc = 0;
  if (st == BENCHY_ERR_CANCELLED || (result && benchy_result_status(result) == BENCHY_ERR_CANCELLED)) {
    /* Not saved: a partial result would be taken for a finished one on resume. */
    fprintf(stderr, "benchy matrix: interrupted; %s not saved, rerun to resume\n", path);
    rc = 130;
  } else {
    if (st != BENCHY_OK) fprintf(stderr, "benchy matrix: %s\n", err[0] ? err : benchy_status_message(st));
    if (result && cli_save_result(result, o, path) != 0) rc = 2;
    if (!rc) rc = st == BENCHY_OK ? 0 : result ? 1 : 2;
  }
  benchy_run_free(run);
  return rc;
}

static int print_table(char **paths, char **labels, size_t n) {
  benchy_result **results = calloc(n ? n : 1, sizeof *results);
  const char **names = calloc(n ? n : 1, sizeof *names);
  size_t k = 0;
  for (size_t i = 0; results && names && i < n; i++) {
    char err[512];
    if (!file_exists(paths[i])) continue;
    if (benchy_result_load(&results[k], paths[i], err, sizeof err) != BENCHY_OK) {
      fprintf(stderr, "benchy matrix: %s\n", err);
      continue;
    }
    names[k++] = labels[i];
  }
  int rc = 0;
  if (k) rc = benchy_results_table_write((const benchy_result *const *)results, names, k, "md",
                                         stdout) == BENCHY_OK ? 0 : 2;
  for (size_t i = 0; i < k; i++) benchy_result_free(results[i]);
  free(results);
  free(names);
  return rc;
}

int cli_matrix(int argc, char **argv, int first) {
  char **mine = calloc((size_t)argc + 1, sizeof *mine);
  char **rest = calloc((size_t)argc + 1, sizeof *rest);
  benchy_options *m = NULL, *base = NULL;
  dimension dims[MAX_DIMS];
  size_t n_dims = 0, n_combos = 1;
  char **paths = NULL, **labels = NULL;
  int rc = 2;
  if (!mine || !rest || benchy_options_new(&m, BENCHY_CMD_MATRIX) != BENCHY_OK) goto done;
  int n_mine = 1, n_rest = 1;
  mine[0] = rest[0] = argv[0];
  for (int i = first; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      printf("%s", usage_text);
      benchy_options_write_help(BENCHY_CMD_MATRIX, stdout, 100);
      rc = 0;
      goto done;
    }
    const char *w = argv[i];
    char name[64] = "";
    if (!strncmp(w, "--", 2)) snprintf(name, sizeof name, "%.*s", (int)strcspn(w + 2, "="), w + 2);
    const benchy_option_info *info = name[0] ? benchy_option_find_for(name, BENCHY_CMD_MATRIX, NULL) : NULL;
    if (!info || (info->commands & (BENCHY_CMD_BENCH | BENCHY_CMD_LOAD))) {
      rest[n_rest++] = argv[i];
      continue;
    }
    /* The value of --vary may itself start with "--": it is the next word. */
    mine[n_mine++] = argv[i];
    if (!strchr(w, '=') && info->type != BENCHY_OPT_FLAG && i + 1 < argc) mine[n_mine++] = argv[++i];
  }
  if (cli_parse_options(m, n_mine, mine, 1, "matrix") != 0) goto done;
  const char *workload = benchy_options_str(m, "workload");
  unsigned command = !strcmp(workload, "load") ? BENCHY_CMD_LOAD : BENCHY_CMD_BENCH;
  if (benchy_options_new(&base, command) != BENCHY_OK) goto done;
  if (cli_parse_options(base, n_rest, rest, 1, workload) != 0) goto done;
  const char *cmd = benchy_options_str(base, "server-cmd");
  const char *dir = benchy_options_str(base, "result-dir");
  size_t n_vary = benchy_options_is_set(m, "vary") ? benchy_options_list_len(m, "vary") : 0;
  if (!cmd || !*cmd || !dir || !*dir || !n_vary) {
    fprintf(stderr, "benchy matrix: give --server-cmd, at least one --vary and --result-dir; "
                    "'benchy matrix --help'\n");
    goto done;
  }
  if (benchy_options_is_set(base, "server-log")) {
    fprintf(stderr, "benchy matrix: --server-log names one file, and each combination has its own "
                    "log (DIR/<combination>.server.log); leave it out\n");
    goto done;
  }
  if (n_vary > MAX_DIMS) {
    fprintf(stderr, "benchy matrix: at most %d --vary\n", MAX_DIMS);
    goto done;
  }
  for (size_t i = 0; i < n_vary; i++) {
    if (parse_dimension(benchy_options_list_str(m, "vary", i), &dims[n_dims++]) != 0) goto done;
    n_combos *= dims[i].n;
  }
  paths = calloc(n_combos, sizeof *paths);
  labels = calloc(n_combos, sizeof *labels);
  if (!paths || !labels) goto done;
  cli_catch_interrupts();
  size_t pick[MAX_DIMS] = {0};
  int worst = 0, interrupted = 0;
  for (size_t c = 0; c < n_combos && !interrupted; c++) {
    for (size_t d = 0, rem = c; d < n_dims; d++) {
      pick[n_dims - 1 - d] = rem % dims[n_dims - 1 - d].n;
      rem /= dims[n_dims - 1 - d].n;
    }
    char label[512], file[600], path[1200];
    combination_name(dims, n_dims, pick, label, sizeof label);
    snprintf(file, sizeof file, "%s.json", label);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    labels[c] = strdup(label);
    paths[c] = strdup(path);
    if (file_exists(path)) {
      fprintf(stderr, "benchy matrix: [%zu/%zu] %s: done already (%s), skipped\n", c + 1, n_combos,
              label, path);
      continue;
    }
    fprintf(stderr, "benchy matrix: [%zu/%zu] %s\n", c + 1, n_combos, label);
    benchy_options *o = combination_options(base, m, dims, n_dims, pick, file);
    if (!o) goto done;
    /* Creates --result-dir, and refuses now what could not be saved later. */
    char *save_path = NULL;
    int one = cli_result_path(o, workload, &save_path) != 0 || !save_path ? 2
                                                                          : run_one(o, workload, save_path);
    free(save_path);
    benchy_options_free(o);
    if (one == 130) interrupted = 1;
    else if (one > worst) worst = one;
  }
  cli_release_interrupts();
  int table = print_table(paths, labels, n_combos);
  rc = interrupted ? 130 : worst ? worst : table;
done:
  for (size_t i = 0; i < n_dims; i++) free_dimension(&dims[i]);
  for (size_t i = 0; paths && i < n_combos; i++) free(paths[i]);
  for (size_t i = 0; labels && i < n_combos; i++) free(labels[i]);
  free(paths);
  free(labels);
  benchy_options_free(m);
  benchy_options_free(base);
  free(mine);
  free(rest);
  return rc;
}
