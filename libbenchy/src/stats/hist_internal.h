/* hist_internal.h — what serialising a benchy_hist needs beyond its public
 * API: the exact sum, min and max kept beside the buckets. */
#ifndef BENCHY_STATS_HIST_INTERNAL_H
#define BENCHY_STATS_HIST_INTERNAL_H

#include "benchy/benchy.h"
#include "../util.h"

BENCHY_INTERNAL void hist_exact_state(const benchy_hist *h, uint64_t *sum_lo, uint64_t *sum_hi);
/* After the buckets were added back (at each bucket's low value). */
BENCHY_INTERNAL void hist_restore_exact(benchy_hist *h, int64_t min, int64_t max,
                                        uint64_t sum_lo, uint64_t sum_hi);
#endif
