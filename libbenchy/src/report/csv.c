/* csv.c — see csv.h. */
#include "csv.h"

#include <string.h>

void csv_field(FILE *f, const char *s) {
  if (!strpbrk(s, ",\"\n\r")) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f); /* a quote is written twice inside quotes */
    fputc(*s, f);
  }
  fputc('"', f);
}
