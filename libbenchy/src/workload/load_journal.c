/*
 * load_journal.c — see load_journal.h. A resumed run must be the run that
 * wrote the file: its options are compared, less those that change only
 * where output goes (the table's BENCHY_OPTF_OUTPUT_ONLY).
 */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load_journal.h"
#include "../options_json.h"

void load_journal_free(resume_state *rs) {
  cJSON_Delete(rs->config);
  for (size_t i = 0; rs->levels && i < rs->n_levels; i++) resumed_level_free(&rs->levels[i]);
  free(rs->levels);
  memset(rs, 0, sizeof *rs);
}

static resumed_level *resume_level_of(resume_state *rs, const cJSON *obj) {
  const cJSON *lv = cJSON_GetObjectItemCaseSensitive(obj, "level");
  if (!cJSON_IsNumber(lv) || lv->valuedouble < 0) return NULL;
  size_t i = (size_t)lv->valuedouble;
  if (i >= rs->n_levels) {
    rs->bad_level = 1;
    return NULL;
  }
  return &rs->levels[i];
}

static void resume_line(void *ud, const cJSON *obj) {
  resume_state *rs = ud;
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(obj, "type");
  if (!cJSON_IsString(type)) return;
  const char *t = type->valuestring;
  if (!strcmp(t, "config")) {
    if (!rs->config) rs->config = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(obj, "config"), 1);
    return;
  }
  resumed_level *lv = resume_level_of(rs, obj);
  if (!lv) return;
  if (!strcmp(t, "level_start") || !strcmp(t, "level_continue")) {
    /* A level begun again: what an earlier attempt wrote is void. A level
     * continued (--resume) or retried keeps its records; either way its old
     * aggregates no longer describe it. */
    if (!strcmp(t, "level_start")) resumed_level_reset(lv);
    cJSON_Delete(lv->aggregates);
    lv->aggregates = NULL;
    lv->done = 0;
  } else if (!strcmp(t, "record")) {
    /* Held like a fresh level's: at most --max-records as JSON, without the
     * per-chunk rows (they stay in the file); every one as figures. */
    if (resumed_level_add(lv, obj, rs->max_records) != 0) rs->bad_records++;
  } else if (!strcmp(t, "level_end")) {
    cJSON_Delete(lv->aggregates);
    lv->aggregates = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(obj, "aggregates"), 1);
    lv->done = lv->aggregates != NULL;
  }
}

/* Names the first option whose value differs, for the error message. */
static const char *first_difference(const cJSON *a, const cJSON *b) {
  const cJSON *item;
  cJSON_ArrayForEach(item, a) {
    const cJSON *other = cJSON_GetObjectItemCaseSensitive(b, item->string);
    if (!other || !cJSON_Compare(item, other, 1)) return item->string;
  }
  cJSON_ArrayForEach(item, b) {
    if (!cJSON_GetObjectItemCaseSensitive(a, item->string)) return item->string;
  }
  return NULL;
}

int load_journal_open(load_plan *p, const cJSON *config, resume_state *rs, char *err, size_t errlen) {
  if (!p->jsonl_path) return BENCHY_OK;
  if (p->resume) {
    rs->n_levels = p->n_levels;
    rs->max_records = p->max_records;
    rs->levels = calloc(p->n_levels, sizeof *rs->levels);
    if (!rs->levels) return BENCHY_ERR_NOMEM;
    char rerr[256] = "";
    if (jsonl_read(p->jsonl_path, resume_line, rs, rerr, sizeof rerr) < 0) {
      benchy_set_error(err, errlen, "--resume: %s", rerr);
      return BENCHY_ERR_IO;
    }
    for (size_t i = 0; i < rs->n_levels; i++) resumed_level_settle(&rs->levels[i]);
    if (rs->config) {
      cJSON *a = options_identity_of_config(rs->config, BENCHY_CMD_LOAD);
      cJSON *b = options_identity_of_config(config, BENCHY_CMD_LOAD);
      const char *diff = a && b ? first_difference(a, b) : NULL;
      int same = a && b && !diff;
      char name[96] = "";
      if (diff) snprintf(name, sizeof name, "%s", diff);
      cJSON_Delete(a);
      cJSON_Delete(b);
      if (!same || rs->bad_level) {
        benchy_set_error(err, errlen, "--resume: %s was written by a different configuration (--%s "
                "differs); run with the same options, or give another --jsonl path to start afresh",
                p->jsonl_path, name[0] ? name : "levels");
        return BENCHY_ERR_INVALID;
      }
    }
  }
  cJSON *head = cJSON_CreateObject();
  if (!head) return BENCHY_ERR_NOMEM;
  cJSON_AddStringToObject(head, "type", "config");
  cJSON_AddStringToObject(head, "kind", "load");
  cJSON_AddNumberToObject(head, "result_version", BENCHY_RESULT_VERSION);
  cJSON_AddItemToObject(head, "config", cJSON_Duplicate(config, 1));
  int st = jsonl_open(&p->jsonl, p->jsonl_path, p->resume, head, NULL, err, errlen);
  cJSON_Delete(head);
  return st;
}

void load_journal_level_start(const load_plan *p, const load_level *lv, int continued) {
  if (!p->jsonl) return;
  cJSON *line = cJSON_CreateObject();
  if (line) {
    /* level_continue keeps the records before it (load_resume.h). */
    cJSON_AddStringToObject(line, "type", continued ? "level_continue" : "level_start");
    cJSON_AddNumberToObject(line, "level", (double)lv->number);
    cJSON_AddStringToObject(line, "label", lv->label);
    jsonl_append(p->jsonl, line);
  }
}

void load_journal_level_end(const load_plan *p, const load_level *lv, const cJSON *level_obj) {
  if (!p->jsonl) return;
  cJSON *line = cJSON_CreateObject();
  cJSON *agg = cJSON_Duplicate(level_obj, 1);
  if (line && agg) {
    cJSON_AddStringToObject(line, "type", "level_end");
    cJSON_AddNumberToObject(line, "level", (double)lv->number);
    cJSON_AddItemToObject(line, "aggregates", agg);
    jsonl_append(p->jsonl, line);
  } else {
    cJSON_Delete(line);
    cJSON_Delete(agg);
  }
}
