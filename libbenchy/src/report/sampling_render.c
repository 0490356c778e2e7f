/* sampling_render.c — see sampling_render.h. */
#include "sampling_render.h"

#include <math.h>
#include <string.h>

static double sub(const cJSON *o, const char *a, const char *b) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, a), b);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void gib(FILE *f, double bytes) {
  if (isnan(bytes))
    fprintf(f, "n/a");
  else
    fprintf(f, "%.2f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
}

void sampling_render_md(FILE *f, const cJSON *obj, const char *prefix) {
  const cJSON *gpus = cJSON_GetObjectItemCaseSensitive(obj, "gpu");
  if (cJSON_GetArraySize(gpus) > 0) {
    fprintf(f, "%sGPU memory peak", prefix);
    const cJSON *g;
    int first = 1;
    cJSON_ArrayForEach(g, gpus) {
      const cJSON *index = cJSON_GetObjectItemCaseSensitive(g, "gpu");
      fprintf(f, "%s gpu%d ", first ? "" : ";", cJSON_IsNumber(index) ? index->valueint : 0);
      gib(f, sub(g, "mem_used_bytes", "peak"));
      fprintf(f, " (mean ");
      gib(f, sub(g, "mem_used_bytes", "mean"));
      fprintf(f, ")");
      double util = sub(g, "util_pct", "mean"), power = sub(g, "power_w", "max");
      if (!isnan(util)) fprintf(f, ", util %.0f%%", util);
      if (!isnan(power)) fprintf(f, ", %.0f W max", power);
      first = 0;
    }
    fprintf(f, "\n");
  }
  const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(obj, "client_cpu");
  const cJSON *busy = cJSON_GetObjectItemCaseSensitive(cpu, "busy_pct");
  if (cJSON_IsNumber(busy))
    fprintf(f, "%sclient CPU %.0f%% of its cores%s\n", prefix, busy->valuedouble,
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cpu, "saturated")) ? " (saturated)" : "");
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "server_metrics");
  if (m) {
    const cJSON *source = cJSON_GetObjectItemCaseSensitive(m, "source");
    fprintf(f, "%sserver /metrics (%s):", prefix, cJSON_IsString(source) ? source->valuestring : "?");
    const cJSON *v;
    int first = 1;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(m, "deltas")) {
      if (cJSON_IsNumber(v))
        fprintf(f, "%s %s +%.15g", first ? "" : ",", v->string, v->valuedouble);
      else
        fprintf(f, "%s %s reset", first ? "" : ",", v->string);
      first = 0;
    }
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(m, "gauges_after")) {
      if (cJSON_IsNumber(v)) fprintf(f, "%s %s %.15g after", first ? "" : ",", v->string, v->valuedouble);
      first = 0;
    }
    fprintf(f, "\n");
  }
}
