/*
 * lua_resume.c — `benchy run SCRIPT.lua --jsonl FILE --resume`: an
 * interrupted script run continues where it stopped.
 *
 * The journal says which iterations finished: each ends with an
 * "iteration" line (user, iteration, scenario, failed). A run that is
 * resumed writes a "resume" line first and numbers its lines with that
 * segment, so a later resume tells each run's lines apart. Read back:
 * records and script errors of finished iterations stand (into their
 * scenario's collector, with load's JSON-to-record reader,
 * workload/load_resume.c, and into the result's records); those of an
 * iteration cut short are dropped, and that iteration runs again. Each user
 * goes on from the iterations it finished (--iterations: per user; --rate:
 * in all), and --duration gets the time the earlier runs did not use.
 * s:check and s:metric figures of restored iterations are not journaled:
 * the result's checks and metrics are this run's (metadata.resume says so).
 */
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_host.h"
#include "options_json.h"
#include "report/jsonl.h"
#include "workload/load_resume.h"

typedef struct seen_iteration {
  uint64_t segment, user, iteration;
} seen_iteration;

typedef struct finished_iteration {
  seen_iteration key;
  char *scenario;
  int failed;
} finished_iteration;

typedef struct held_line {
  seen_iteration key;
  cJSON *line;
} held_line;

struct lh_resume {
  uint64_t segment; /* this run's: 1 + the resumes before it */
  cJSON *config;
  int bad_line;
  finished_iteration *done;
  size_t n_done, cap_done;
  held_line *held;
  size_t n_held, cap_held;
  uint64_t *user_done; /* finished iterations per user (index from 0) */
  size_t n_users;
  int64_t *segment_end_ns; /* the last t_ms.done of each segment */
  size_t n_segments;
  int64_t elapsed_ns;
  uint64_t restored_records, restored_errors, dropped, restored_iterations;
};

static double num(const cJSON *o, const char *key, double dflt) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static seen_iteration key_of(const cJSON *o) {
  seen_iteration k = {(uint64_t)num(o, "segment", 0), (uint64_t)num(o, "user", 0),
                      (uint64_t)num(o, "iteration", 0)};
  return k;
}

static int same(seen_iteration a, seen_iteration b) {
  return a.segment == b.segment && a.user == b.user && a.iteration == b.iteration;
}

static void note_segment_end(struct lh_resume *r, uint64_t segment, int64_t end_ns) {
  if (segment >= r->n_segments) {
    int64_t *grown = realloc(r->segment_end_ns, (segment + 1) * sizeof *grown);
    if (!grown) return;
    for (size_t i = r->n_segments; i <= segment; i++) grown[i] = 0;
    r->segment_end_ns = grown;
    r->n_segments = segment + 1;
  }
  if (end_ns > r->segment_end_ns[segment]) r->segment_end_ns[segment] = end_ns;
}

static void read_line(void *ud, const cJSON *obj) {
  struct lh_resume *r = ud;
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(obj, "type");
  const char *t = cJSON_IsString(type) ? type->valuestring : "";
  if (!strcmp(t, "config")) {
    if (!r->config) r->config = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(obj, "config"), 1);
    return;
  }
  if (!strcmp(t, "resume")) {
    if (num(obj, "segment", 0) >= (double)r->segment) r->segment = (uint64_t)num(obj, "segment", 0) + 1;
    note_segment_end(r, (uint64_t)num(obj, "segment", 0), 0);
    return;
  }
  if (!strcmp(t, "iteration")) {
    finished_iteration *room = benchy_grow(r->done, &r->cap_done, r->n_done + 1, sizeof *room);
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(obj, "scenario");
    char *name = room && cJSON_IsString(sc) ? benchy_strdup(sc->valuestring) : NULL;
    if (!name) {
      r->bad_line = 1;
      return;
    }
    r->done = room;
    r->done[r->n_done].key = key_of(obj);
    r->done[r->n_done].scenario = name;
    r->done[r->n_done].failed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "failed"));
    r->n_done++;
    return;
  }
  if (strcmp(t, "record") && strcmp(t, "script_error")) return;
  if (num(obj, "user", 0) < 1) {
    r->bad_line = 1;
    return;
  }
  const cJSON *tms = cJSON_GetObjectItemCaseSensitive(obj, "t_ms");
  note_segment_end(r, (uint64_t)num(obj, "segment", 0), (int64_t)(num(tms, "done", 0) * 1e6));
  held_line *room = benchy_grow(r->held, &r->cap_held, r->n_held + 1, sizeof *room);
  cJSON *dup = room ? cJSON_Duplicate(obj, 1) : NULL;
  if (!dup) {
    r->bad_line = 1;
    return;
  }
  r->held = room;
  r->held[r->n_held].key = key_of(obj);
  r->held[r->n_held].line = dup;
  r->n_held++;
}

static int finished(const struct lh_resume *r, seen_iteration k) {
  for (size_t i = r->n_done; i-- > 0;)
    if (same(r->done[i].key, k)) return 1;
  return 0;
}

static lh_scenario *scenario_named(lh_host *h, const cJSON *o) {
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "scenario");
  for (size_t i = 0; cJSON_IsString(name) && i < h->n_sc; i++)
    if (!strcmp(h->sc[i].name, name->valuestring)) return &h->sc[i];
  return NULL;
}

/* Where a segment's clock starts on this run's clock: the earlier segments
 * laid end to end, the first at base. */
static int64_t segment_start(const struct lh_resume *r, int64_t base, uint64_t segment) {
  for (uint64_t k = 0; k < segment && k < r->n_segments; k++) base += r->segment_end_ns[k];
  return base;
}

/* A record line back into its scenario's collector, on this run's clock:
 * the earlier runs end just before this one starts. */
static int restore_record(lh_host *h, lh_scenario *sc, cJSON *line, int64_t base_ns) {
  resumed_level lv;
  memset(&lv, 0, sizeof lv);
  cJSON_AddNumberToObject(line, "index", 0); /* what load's reader keys on */
  int rc = resumed_level_add(&lv, line, 0);
  cJSON_DeleteItemFromObjectCaseSensitive(line, "index");
  if (rc != 0) {
    resumed_level_free(&lv);
    return -1;
  }
  benchy_record rec;
  benchy_chunk_event *events = lv.reqs[0].rec.n_chunk_events
                                   ? calloc(lv.reqs[0].rec.n_chunk_events, sizeof *events)
                                   : NULL;
  /* Out of memory for the chunk times: the record comes back without them
   * (its latencies are whole), rather than written through NULL. */
  if (!events) lv.reqs[0].rec.n_chunk_events = 0;
  resumed_request_rebase(&lv.reqs[0], base_ns, &rec, events);
  benchy_collector_add(sc->coll, &rec);
  h->done++;
  if (rec.status != BENCHY_OK) h->failed++;
  free(events);
  resumed_level_free(&lv);
  return 0;
}

static void resume_free(struct lh_resume *r) {
  if (!r) return;
  cJSON_Delete(r->config);
  for (size_t i = 0; i < r->n_done; i++) free(r->done[i].scenario);
  free(r->done);
  for (size_t i = 0; i < r->n_held; i++) cJSON_Delete(r->held[i].line);
  free(r->held);
  free(r->user_done);
  free(r->segment_end_ns);
  free(r);
}

void lh_resume_free(lh_host *h) {
  resume_free(h->resume);
  h->resume = NULL;
}

int lh_resume_load(lh_host *h, const cJSON *config, char *err, size_t errlen) {
  if (!benchy_options_flag(h->opts, "resume")) return BENCHY_OK;
  const char *path = benchy_options_str(h->opts, "jsonl");
  struct lh_resume *r = calloc(1, sizeof *r);
  if (!r) return BENCHY_ERR_NOMEM;
  h->resume = r;
  r->segment = 1;
  char rerr[256] = "";
  if (jsonl_read(path, read_line, r, rerr, sizeof rerr) < 0) {
    snprintf(err, errlen, "--resume: %s", rerr);
    return BENCHY_ERR_IO;
  }
  if (r->config) {
    cJSON *a = options_identity_of_config(r->config, BENCHY_CMD_RUN);
    cJSON *b = options_identity_of_config(config, BENCHY_CMD_RUN);
    int differs = !a || !b || !cJSON_Compare(a, b, 1);
    cJSON_Delete(a);
    cJSON_Delete(b);
    if (differs) {
      snprintf(err, errlen, "--resume: %s was written by a run with other options (or another "
                            "script); run with the same ones, or give another --jsonl path to start "
                            "afresh", path);
      return BENCHY_ERR_INVALID;
    }
  }
  if (r->bad_line) {
    snprintf(err, errlen, "--resume: %s holds record lines this benchy cannot read back (no user); "
                          "give another --jsonl path to start afresh", path);
    return BENCHY_ERR_INVALID;
  }
  for (size_t i = 0; i < r->n_segments; i++) r->elapsed_ns += r->segment_end_ns[i];
  r->n_users = h->rate > 0 ? 0 : h->n_users;
  if (r->n_users && !(r->user_done = calloc(r->n_users, sizeof *r->user_done))) return BENCHY_ERR_NOMEM;
  for (size_t i = 0; i < r->n_done; i++) {
    r->restored_iterations++;
    uint64_t u = r->done[i].key.user;
    if (u >= 1 && u <= r->n_users) r->user_done[u - 1]++;
    for (size_t k = 0; k < h->n_sc; k++)
      if (!strcmp(h->sc[k].name, r->done[i].scenario)) {
        h->sc[k].iterations++;
        h->sc[k].iterations_failed += r->done[i].failed != 0;
      }
  }
  if (h->deadline_ns) {
    h->deadline_ns -= r->elapsed_ns;
    if (h->deadline_ns <= 0) h->deadline_ns = 1; /* the time is used up: only what was restored */
  }
  int64_t base = benchy_now_ns() - r->elapsed_ns;
  for (size_t i = 0; i < r->n_held; i++) {
    cJSON *line = r->held[i].line;
    if (!finished(r, r->held[i].key)) {
      r->dropped++;
      continue;
    }
    lh_scenario *sc = scenario_named(h, line);
    if (!sc) {
      const cJSON *name = cJSON_GetObjectItemCaseSensitive(line, "scenario");
      snprintf(err, errlen, "--resume: %s names scenario '%s', which %s does not define; resume "
                            "with the script that wrote it", path,
               cJSON_IsString(name) ? name->valuestring : "?", h->script);
      return BENCHY_ERR_INVALID;
    }
    int is_error = !strcmp(cJSON_GetObjectItemCaseSensitive(line, "type")->valuestring, "script_error");
    if (is_error) {
      h->script_errors++;
      r->restored_errors++;
    } else if (restore_record(h, sc, line, segment_start(r, base, r->held[i].key.segment)) != 0) {
      snprintf(err, errlen, "--resume: a record of %s does not read back", path);
      return BENCHY_ERR_INVALID;
    } else {
      r->restored_records++;
    }
    if (!is_error) cJSON_DeleteItemFromObjectCaseSensitive(line, "type");
    if (h->records_kept < LH_MAX_RECORDS) {
      cJSON_AddItemToArray(h->records, line);
      h->records_kept++;
      r->held[i].line = NULL;
    } else {
      h->records_omitted++;
    }
  }
  return BENCHY_OK;
}

void lh_resume_users(lh_host *h) {
  struct lh_resume *r = h->resume;
  if (!r) return;
  if (h->rate > 0) {
    h->arrivals = r->restored_iterations < h->n_user_slots ? r->restored_iterations : h->n_user_slots;
    return;
  }
  for (size_t i = 0; i < r->n_users && i < h->n_user_slots; i++) h->users[i].iteration = r->user_done[i];
}


void lh_resume_mark(lh_host *h, cJSON *line) {
  if (h->resume) cJSON_AddNumberToObject(line, "segment", (double)h->resume->segment);
}

void lh_resume_begin(lh_host *h) {
  if (!h->resume || !h->jsonl) return;
  cJSON *line = cJSON_CreateObject();
  if (!line) return;
  cJSON_AddStringToObject(line, "type", "resume");
  cJSON_AddNumberToObject(line, "segment", (double)h->resume->segment);
  cJSON_AddNumberToObject(line, "restored_iterations", (double)h->resume->restored_iterations);
  jsonl_append(h->jsonl, line);
}

void lh_journal_iteration(lh_user *u, int failed) {
  lh_host *h = u->host;
  if (!h->jsonl || !u->sc) return;
  cJSON *line = cJSON_CreateObject();
  if (!line) return;
  cJSON_AddStringToObject(line, "type", "iteration");
  cJSON_AddStringToObject(line, "scenario", u->sc->name);
  cJSON_AddNumberToObject(line, "user", (double)u->index + 1);
  cJSON_AddNumberToObject(line, "iteration", (double)u->iteration);
  cJSON_AddBoolToObject(line, "failed", failed);
  lh_resume_mark(h, line);
  jsonl_append(h->jsonl, line);
}

cJSON *lh_resume_metadata(const lh_host *h) {
  const struct lh_resume *r = h->resume;
  if (!r) return NULL;
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddNumberToObject(o, "segment", (double)r->segment);
  cJSON_AddNumberToObject(o, "restored_iterations", (double)r->restored_iterations);
  cJSON_AddNumberToObject(o, "restored_records", (double)r->restored_records);
  cJSON_AddNumberToObject(o, "restored_script_errors", (double)r->restored_errors);
  cJSON_AddNumberToObject(o, "dropped_partial_records", (double)r->dropped);
  cJSON_AddNumberToObject(o, "prior_elapsed_s", (double)r->elapsed_ns / 1e9);
  cJSON_AddStringToObject(o, "checks_and_metrics", "this run only: s:check and s:metric of restored "
                                                   "iterations are not journaled");
  return o;
}
