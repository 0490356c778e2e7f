/* option_suggest.c — see option_suggest.h. */
#include "option_suggest.h"

#include <string.h>

#include "benchy/benchy.h"

/* Levenshtein distance, '-' and '_' alike, for "did you mean". */
static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 127 || lb > 127) return (size_t)-1;
  size_t prev[128], cur[128];
  for (size_t j = 0; j <= lb; j++) prev[j] = j;
  for (size_t i = 1; i <= la; i++) {
    cur[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      char ca = a[i - 1] == '_' ? '-' : a[i - 1], cb = b[j - 1] == '_' ? '-' : b[j - 1];
      size_t best = prev[j - 1] + (ca != cb);
      if (prev[j] + 1 < best) best = prev[j] + 1;
      if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
      cur[j] = best;
    }
    memcpy(prev, cur, (lb + 1) * sizeof *prev);
  }
  return prev[lb];
}

const char *option_nearest_name(const char *name, unsigned command, const benchy_option_info *table,
                                size_t n_options) {
  size_t len = strlen(name);
  size_t limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
  const char *best = NULL;
  size_t best_d = limit + 1;
  for (size_t i = 0; i < n_options; i++) {
    const benchy_option_info *info = &table[i];
    if (!(info->commands & command)) continue;
    size_t d = edit_distance(name, info->name);
    if (d < best_d && d < len && d < strlen(info->name)) {
      best_d = d;
      best = info->name;
    }
  }
  return best;
}

