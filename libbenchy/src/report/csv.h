/* csv.h — RFC 4180 field quoting, shared by every CSV renderer. */
#ifndef BENCHY_REPORT_CSV_H
#define BENCHY_REPORT_CSV_H

#include <stdio.h>

#include "../util.h"

/* Writes s as one CSV field, quoted only when it holds , " CR or LF. */
BENCHY_INTERNAL void csv_field(FILE *f, const char *s);

#endif
