/*
 * options_help.c — benchy_options_write_help: the option table as a
 * command's --help, read through the public table API.
 */
#include <stdio.h>
#include <string.h>

#include "benchy/benchy.h"

static void write_wrapped(FILE *f, const char *text, int indent, int width) {
  int col = indent;
  const char *p = text;
  while (*p) {
    const char *sp = strchr(p, ' ');
    int len = sp ? (int)(sp - p) : (int)strlen(p);
    if (col > indent && col + 1 + len > width) {
      fprintf(f, "\n%*s", indent, "");
      col = indent;
    } else if (col > indent) {
      fputc(' ', f);
      col++;
    }
    fwrite(p, 1, (size_t)len, f);
    col += len;
    p += len;
    while (*p == ' ') p++;
  }
  fputc('\n', f);
}

/* The heading a row is listed under when helping command: a group named
 * after another command (--concurrency is in "bench", shared with load)
 * belongs under this command's own heading. */
static const char *help_group(const benchy_option_info *info, unsigned command) {
  static const struct {
    unsigned bit;
    const char *name;
  } commands[] = {{BENCHY_CMD_SIM, "sim"},
                  {BENCHY_CMD_BENCH, "bench"},
                  {BENCHY_CMD_LOAD, "load"},
                  {BENCHY_CMD_RUN, "run"},
                  {BENCHY_CMD_COMPARE, "compare"},
                  {BENCHY_CMD_TABLE, "table"},
                  {BENCHY_CMD_META, "meta"},
                  {BENCHY_CMD_MATRIX, "matrix"},
                  {BENCHY_CMD_REPORT, "report"}};
  const char *own = NULL;
  int names_command = 0;
  for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++) {
    if (command & commands[c].bit) own = commands[c].name;
    if (!strcmp(info->group, commands[c].name)) names_command = 1;
  }
  return names_command && own ? own : info->group;
}

/* "md, json, csv" from "md|json|csv"; for an alias's map, the given side. */
static void choices_text(const char *choices, char *out, size_t outlen) {
  size_t at = 0;
  out[0] = '\0';
  for (const char *p = choices; p && *p && at < outlen;) {
    const char *bar = strchr(p, '|');
    size_t n = bar ? (size_t)(bar - p) : strlen(p);
    const char *eq = memchr(p, '=', n);
    size_t key = eq ? (size_t)(eq - p) : n;
    int w = snprintf(out + at, outlen - at, "%s%.*s", at ? ", " : "", (int)key, p);
    if (w < 0) break;
    at += (size_t)w;
    p = bar ? bar + 1 : NULL;
  }
}

void benchy_options_write_help(unsigned command, void *file, int width) {
  FILE *f = file;
  const char *groups[32];
  size_t n_groups = 0;
  if (width < 60) width = 60;
  for (size_t i = 0; i < benchy_option_count(); i++) {
    const benchy_option_info *info = benchy_option_at(i);
    if (!(info->commands & command)) continue;
    const char *group = help_group(info, command);
    size_t g = 0;
    while (g < n_groups && strcmp(groups[g], group)) g++;
    if (g == n_groups && n_groups < 32) groups[n_groups++] = group;
  }
  for (size_t g = 0; g < n_groups; g++) {
    fprintf(f, "\n%s options:\n", groups[g]);
    for (size_t i = 0; i < benchy_option_count(); i++) {
      const benchy_option_info *info = benchy_option_at(i);
      if (!(info->commands & command) || strcmp(help_group(info, command), groups[g])) continue;
      if (info->flags & BENCHY_OPTF_HIDDEN) continue;
      char head[96];
      const char *dashes = strlen(info->name) == 1 ? "-" : "--";
      const char *metavar = info->metavar ? info->metavar : (info->choices ? info->choices : "VALUE");
      if (info->type == BENCHY_OPT_FLAG)
        snprintf(head, sizeof head, "  %s%s", dashes, info->name);
      else if (info->flags & BENCHY_OPTF_OPTIONAL_VALUE)
        snprintf(head, sizeof head, "  %s%s [%s]", dashes, info->name, metavar);
      else
        snprintf(head, sizeof head, "  %s%s %s", dashes, info->name, metavar);
      fputs(head, f);
      int col = (int)strlen(head);
      const int indent = 30;
      if (col >= indent - 1) {
        fprintf(f, "\n%*s", indent, "");
      } else {
        fprintf(f, "%*s", indent - col, "");
      }
      char text[1536], choices[512] = "";
      if (info->choices) {
        char list[400];
        choices_text(info->choices, list, sizeof list);
        snprintf(choices, sizeof choices, " [choices: %s]", list);
      }
      char def[256];
      if (info->type != BENCHY_OPT_FLAG && benchy_option_default_for(info, command, def, sizeof def))
        snprintf(text, sizeof text, "%s%s [default: %s]", info->help, choices, def);
      else
        snprintf(text, sizeof text, "%s%s", info->help, choices);
      write_wrapped(f, text, indent, width);
    }
  }
}
