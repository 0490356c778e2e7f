/*
 * html_page.c — the report page around its data: style, the data as JSON
 * in a script element, Chart.js and its licence, our script. Everything
 * from a result reaches the page through the JSON (the script writes it as
 * text, never as markup), so the JSON is the one place to escape: '<', '>'
 * and '&' become \u escapes, which JSON.parse reads back unchanged and
 * which no "</script>" in a model name can survive.
 */
#include "html_report.h"

#include <stdlib.h>
#include <string.h>

extern const unsigned char benchy_embed_chartjs[];
extern const size_t benchy_embed_chartjs_len;
extern const unsigned char benchy_embed_chartjs_license[];
extern const size_t benchy_embed_chartjs_license_len;
extern const unsigned char benchy_embed_report_js[];
extern const size_t benchy_embed_report_js_len;
extern const unsigned char benchy_embed_report_css[];
extern const size_t benchy_embed_report_css_len;

static void write_json_for_script(const char *json, FILE *f) {
  for (const char *p = json; *p; p++) {
    switch (*p) {
    case '<': fputs("\\u003c", f); break;
    case '>': fputs("\\u003e", f); break;
    case '&': fputs("\\u0026", f); break;
    default: fputc(*p, f);
    }
  }
}

/* Text (the licence) as HTML character data. */
static void write_html_text(const unsigned char *text, size_t len, FILE *f) {
  for (size_t i = 0; i < len; i++) {
    switch (text[i]) {
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '&': fputs("&amp;", f); break;
    default: fputc(text[i], f);
    }
  }
}

int html_page_write(const cJSON *data, FILE *f) {
  char *json = cJSON_PrintUnformatted(data);
  if (!json) return BENCHY_ERR_NOMEM;
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        /* Offline by construction: the browser refuses any load from elsewhere. */
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<title>benchy report</title>\n<style>\n", f);
  fwrite(benchy_embed_report_css, 1, benchy_embed_report_css_len, f);
  fputs("</style>\n</head>\n<body>\n<main id=\"report\"></main>\n"
        "<pre id=\"benchy-selfcheck\" hidden></pre>\n"
        "<script type=\"application/json\" id=\"benchy-data\">", f);
  write_json_for_script(json, f);
  free(json);
  fputs("</script>\n<script>\n", f);
  fwrite(benchy_embed_report_js, 1, benchy_embed_report_js_len, f);
  /* Chart.js after our error catcher (the script's first lines) and before
   * the drawing, which starts on DOMContentLoaded. */
  fputs("\n</script>\n<script>\n", f);
  fwrite(benchy_embed_chartjs, 1, benchy_embed_chartjs_len, f);
  fputs("\n</script>\n<footer><details><summary>Chart.js 3.9.1 (Debian libjs-chart.js), "
        "embedded under its licence</summary><pre>", f);
  write_html_text(benchy_embed_chartjs_license, benchy_embed_chartjs_license_len, f);
  fputs("</pre></details></footer>\n</body>\n</html>\n", f);
  return ferror(f) ? BENCHY_ERR_IO : BENCHY_OK;
}
