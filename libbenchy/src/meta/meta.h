/*
 * meta.h — reproducibility metadata: what a result needs to be rerun and
 * trusted (benchy's build, the command line, host, GPUs, the server as it
 * describes itself, named source trees, chosen environment variables and
 * command outputs), one file per source (docs/metadata.md). Every string
 * that reaches the metadata goes through redact.c last.
 */
#ifndef BENCHY_META_META_H
#define BENCHY_META_META_H

#include <cJSON.h>

#include "benchy/benchy.h"
#include "../util.h"

/* Adds the reproducibility fields to metadata (a result's "metadata"
 * object, or benchy meta's document). server (may be NULL: nothing is
 * asked of the server) is a session whose blocking fetch is bounded by the
 * probe timeout. Fields that cannot be read say why; nothing fails the
 * run. BENCHY_OK, or BENCHY_ERR_NOMEM. */
BENCHY_INTERNAL int meta_collect(const benchy_options *opts, benchy_session *server, cJSON *metadata);

/* Each source adds its own object; none fails. */
BENCHY_INTERNAL void meta_build(cJSON *metadata);
BENCHY_INTERNAL void meta_host(cJSON *metadata);
/* "gpus": NVML (BENCHY_NVML_LIBRARY, default libnvidia-ml.so.1), else
 * nvidia-smi, else {"error": "no GPU information: ..."}. */
BENCHY_INTERNAL void meta_gpus(cJSON *metadata, double timeout_s);
BENCHY_INTERNAL void meta_server(cJSON *metadata, benchy_session *server);
/* The server as it describes itself, asked once while it is known to be up
 * (a run's startup) and redacted: what a result's metadata carries as
 * "server_reported". NULL: no session, or out of memory. */
BENCHY_INTERNAL cJSON *meta_server_reported(const benchy_options *opts, benchy_session *server);
BENCHY_INTERNAL void meta_git(cJSON *metadata, const benchy_options *opts, double timeout_s);
BENCHY_INTERNAL void meta_env(cJSON *metadata, const benchy_options *opts);
BENCHY_INTERNAL void meta_cmd(cJSON *metadata, const benchy_options *opts, double timeout_s);
/* NVML alone: the "gpus" object, or NULL with why in err. */
BENCHY_INTERNAL cJSON *meta_gpus_nvml(const char *library, char *err, size_t errlen);
/* nvidia-smi alone (found on PATH): the "gpus" object, or NULL with why. */
BENCHY_INTERNAL cJSON *meta_gpus_smi(double timeout_s, char *err, size_t errlen);

/* ---- running a command (proc.c) ---- */
typedef struct meta_proc_result {
  benchy_buf out;   /* stdout, at most the cap given, NUL-terminated */
  int exit_status;  /* exit code; 128+N when killed by signal N; -1 not run */
  int timed_out;    /* killed after the timeout */
  int truncated;    /* more output than the cap (the rest was read and dropped) */
  int not_found;    /* the program could not be executed (exit 127 from exec) */
} meta_proc_result;

/* Runs argv (argv[0] searched on PATH) with stdin from /dev/null and stderr
 * discarded, in its own process group, killed (the whole group) after
 * timeout_s. 0, or -1 when it could not start (err says why). */
BENCHY_INTERNAL int meta_proc_run(char *const argv[], double timeout_s, size_t cap,
                                  meta_proc_result *r, char *err, size_t errlen);
BENCHY_INTERNAL void meta_proc_free(meta_proc_result *r);

/* ---- redaction (redact.c) ---- */
/* 1 when a name says its value is a credential: it contains KEY, TOKEN,
 * SECRET, PASSWORD, AUTH or CREDENTIAL, in any case. */
BENCHY_INTERNAL int meta_secret_name(const char *name, size_t len);
/* 1 when a header's value may be written (an allow-list: Content-Type,
 * Accept, User-Agent, ...); every other header keeps only its name. */
BENCHY_INTERNAL int meta_header_value_safe(const char *name, size_t len);
/* text with secret-looking parts replaced by [redacted]: URL credentials,
 * key-shaped values (sk-..., hf_..., ghp_...), the token after Bearer or
 * Basic, the value after a secret-looking NAME= or NAME:. Malloc'd; NULL
 * when out of memory. */
BENCHY_INTERNAL char *meta_redact_text(const char *text);
/* Length of a key-shaped token (sk-..., hf_..., ghp_..., AKIA...) starting
 * at p inside text, 0 when p starts none. */
BENCHY_INTERNAL size_t meta_key_shaped(const char *text, const char *p);
/* Walks a JSON tree: every string goes through meta_redact_text and the
 * known secrets of opts (API key, --header values: scrub.h), and a string
 * under a secret-looking key becomes [redacted]. -1 when out of memory
 * (the tree is then emptied: better nothing than a secret). */
BENCHY_INTERNAL int meta_redact_tree(cJSON *tree, const benchy_options *opts);
/* The command line, word by word, redacted: the value of a secret option
 * (--api-key K), a --header's value unless allowed, then the text rules. */
BENCHY_INTERNAL cJSON *meta_redact_argv(const benchy_options *opts);

#endif
