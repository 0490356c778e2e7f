/*
 * Keyword arguments to benchy_options, through the one option table: the
 * Python spelling is the table's name with '_' for '-' (options.h matches
 * them alike), so no option is named here.
 */
#include "benchy_py.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  const char *name;
  unsigned command;
} commands[] = {{"bench", BENCHY_CMD_BENCH},
                 {"load", BENCHY_CMD_LOAD},
                 {"run", BENCHY_CMD_RUN},
                 {"compare", BENCHY_CMD_COMPARE},
                 {"report", BENCHY_CMD_REPORT},
                 {"sim", BENCHY_CMD_SIM}};

unsigned bpy_command_from_name(const char *name) {
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(commands[i].name, name) == 0) return commands[i].command;
  return 0;
}

static const char *command_name(unsigned command) {
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (commands[i].command == command) return commands[i].name;
  return "?";
}

static void python_spelling(const char *name, char *out, size_t cap) {
  size_t i = 0;
  for (; name[i] && i + 1 < cap; i++) out[i] = name[i] == '-' ? '_' : name[i];
  out[i] = '\0';
}

static size_t edit_distance(const char *a, const char *b) {
  size_t lb = strlen(b), row[128];
  if (lb >= sizeof row / sizeof row[0]) return (size_t)-1;
  for (size_t j = 0; j <= lb; j++) row[j] = j;
  for (size_t i = 1; a[i - 1]; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      size_t sub = diag + (a[i - 1] != b[j - 1] && !((a[i - 1] == '-' || a[i - 1] == '_') &&
                                                     (b[j - 1] == '-' || b[j - 1] == '_')));
      size_t best = sub < up + 1 ? sub : up + 1;
      row[j] = best < row[j - 1] + 1 ? best : row[j - 1] + 1;
      diag = up;
    }
  }
  return row[lb];
}

/* The option of this command nearest to name, or NULL when none is close. */
static const benchy_option_info *nearest_option(const char *name, unsigned command) {
  const benchy_option_info *best = NULL;
  size_t best_d = (size_t)-1;
  for (size_t i = 0; i < benchy_option_count(); i++) {
    const benchy_option_info *info = benchy_option_at(i);
    if (!(info->commands & command) || (info->flags & BENCHY_OPTF_HIDDEN)) continue;
    size_t d = edit_distance(name, info->name);
    if (d < best_d) best_d = d, best = info;
  }
  size_t len = strlen(name);
  return best && best_d <= (len > 9 ? len / 3 : 3) ? best : NULL;
}

static void raise_unknown(const char *function, const char *name, unsigned command) {
  const benchy_option_info *other = benchy_option_find(name);
  const benchy_option_info *near = nearest_option(name, command);
  if (other && !(other->commands & command)) { /* e.g. prefill_tps given to bench() */
    PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%s': it is an option of %s",
                 function, name,
                 other->commands & BENCHY_CMD_SIM   ? "benchy.Simulator()"
                 : other->commands & BENCHY_CMD_BENCH ? "benchy.bench()"
                 : other->commands & BENCHY_CMD_LOAD  ? "benchy.load()"
                 : other->commands & BENCHY_CMD_RUN   ? "benchy.run_script()"
                 : other->commands & BENCHY_CMD_COMPARE ? "benchy.compare()"
                                                      : "another command");
  } else if (near) {
    char spelled[128];
    python_spelling(near->name, spelled, sizeof spelled);
    PyErr_Format(PyExc_TypeError,
                 "%s() got an unexpected keyword argument '%s'; did you mean '%s'? "
                 "(benchy.options('%s') lists every option)",
                 function, name, spelled, command_name(command));
  } else {
    PyErr_Format(PyExc_TypeError,
                 "%s() got an unexpected keyword argument '%s' (benchy.options('%s') lists "
                 "every option)",
                 function, name, command_name(command));
  }
}

static const char *type_words(int type) {
  switch (type) {
  case BENCHY_OPT_FLAG: return "True or False";
  case BENCHY_OPT_INT: return "an int";
  case BENCHY_OPT_DOUBLE: return "a number";
  case BENCHY_OPT_STRING:
  case BENCHY_OPT_CHOICE: return "a str";
  case BENCHY_OPT_INT_LIST: return "an int or a list of ints";
  case BENCHY_OPT_DOUBLE_LIST: return "a number or a list of numbers";
  default: return "a str or a list of str";
  }
}

static PyObject *wrong_type(const char *name, int type, PyObject *value) {
  PyObject *tname = PyObject_GetAttrString((PyObject *)Py_TYPE(value), "__name__");
  PyErr_Format(PyExc_TypeError, "argument '%s' takes %s, not %U", name, type_words(type),
               tname ? tname : Py_None);
  Py_XDECREF(tname);
  return NULL;
}

/* One scalar as the table's text; new reference to a str, or NULL. */
static PyObject *scalar_text(const char *name, int type, PyObject *v) {
  if (PyUnicode_Check(v)) return Py_NewRef(v); /* the CLI's own text: the table checks it */
  switch (type) {
  case BENCHY_OPT_FLAG:
    if (PyBool_Check(v)) return PyUnicode_FromString(v == Py_True ? "true" : "false");
    break;
  case BENCHY_OPT_INT:
  case BENCHY_OPT_INT_LIST:
    if (PyLong_Check(v) && !PyBool_Check(v)) return PyObject_Str(v);
    if (PyFloat_Check(v) && PyFloat_AsDouble(v) > 1e308) return PyUnicode_FromString("inf");
    break;
  case BENCHY_OPT_DOUBLE:
  case BENCHY_OPT_DOUBLE_LIST:
    if ((PyLong_Check(v) && !PyBool_Check(v)) || PyFloat_Check(v)) return PyObject_Str(v);
    break;
  default: {
    PyObject *path = PyOS_FSPath(v); /* pathlib.Path for file options */
    if (path && PyUnicode_Check(path)) return path;
    Py_XDECREF(path);
    PyErr_Clear();
  }
  }
  return wrong_type(name, type, v);
}

static int set_text(benchy_options *o, const char *name, PyObject *text) {
  const char *utf8 = PyUnicode_AsUTF8AndSize(text, NULL);
  if (!utf8) return -1;
  if (benchy_options_set(o, name, utf8) != BENCHY_OK) {
    PyErr_Format(PyExc_ValueError, "argument '%s': %s", name, benchy_options_error(o));
    return -1;
  }
  return 0;
}

static int set_one(benchy_options *o, const char *name, int type, PyObject *value) {
  int is_list = PyList_Check(value) || PyTuple_Check(value);
  if (is_list && type != BENCHY_OPT_INT_LIST && type != BENCHY_OPT_DOUBLE_LIST &&
      type != BENCHY_OPT_STRING_LIST) {
    wrong_type(name, type, value);
    return -1;
  }
  if (!is_list) {
    PyObject *text = scalar_text(name, type, value);
    if (!text) return -1;
    int rc = set_text(o, name, text);
    Py_DECREF(text);
    return rc;
  }
  PyObject *seq = PySequence_List(value);
  if (!seq) return -1;
  Py_ssize_t n = PyList_Size(seq);
  int rc = 0;
  if (type == BENCHY_OPT_STRING_LIST) { /* repeatable: each item is one --name VALUE */
    for (Py_ssize_t i = 0; i < n && rc == 0; i++) {
      PyObject *text = scalar_text(name, type, PyList_GetItem(seq, i));
      rc = text ? set_text(o, name, text) : -1;
      Py_XDECREF(text);
    }
  } else {
    PyObject *parts = PyList_New(0), *joined = NULL;
    for (Py_ssize_t i = 0; parts && i < n && rc == 0; i++) {
      PyObject *item = PyList_GetItem(seq, i);
      PyObject *text = scalar_text(name, type, item);
      rc = text && PyList_Append(parts, text) == 0 ? 0 : -1;
      Py_XDECREF(text);
    }
    if (parts && rc == 0) {
      PyObject *comma = PyUnicode_FromString(",");
      joined = comma ? PyUnicode_Join(comma, parts) : NULL;
      Py_XDECREF(comma);
      rc = joined ? set_text(o, name, joined) : -1;
    }
    if (!parts) rc = -1;
    Py_XDECREF(joined);
    Py_XDECREF(parts);
  }
  Py_DECREF(seq);
  return rc;
}

int bpy_options_from_kwargs(unsigned command, const char *function, PyObject *kwargs,
                            benchy_options **out) {
  benchy_options *o = NULL;
  if (benchy_options_new(&o, command) != BENCHY_OK) {
    PyErr_NoMemory();
    return -1;
  }
  PyObject *key, *value;
  Py_ssize_t pos = 0;
  while (kwargs && PyDict_Next(kwargs, &pos, &key, &value)) {
    const char *name = PyUnicode_AsUTF8AndSize(key, NULL);
    if (!name) goto fail;
    const benchy_option_info *info = benchy_option_find_for(name, command, NULL);
    if (!info || strchr(name, '-')) { /* '-' cannot be a keyword; refuse it in **{...} too */
      raise_unknown(function, name, command);
      goto fail;
    }
    if (info->flags & BENCHY_OPTF_CLI_ONLY) { /* accepted and ignored, it would lose a file */
      PyErr_Format(PyExc_TypeError,
                   "%s() got an unexpected keyword argument '%s': only the benchy command acts "
                   "on it; from Python %s",
                   function, name,
                   command == BENCHY_CMD_COMPARE
                       ? "Comparison.to_markdown() and .to_json() give the text"
                       : "Result.save(path) writes the result, .render(format) gives the text");
      goto fail;
    }
    if (value == Py_None) continue; /* the table's default */
    if (set_one(o, name, info->type, value) < 0) goto fail;
  }
  *out = o;
  return 0;
fail:
  benchy_options_free(o);
  return -1;
}

static PyObject *number_or_none(double v, int has) { return has ? PyFloat_FromDouble(v) : Py_NewRef(Py_None); }

static const char *type_names[] = {"flag",   "int",      "float",       "str",
                                   "choice", "int_list", "float_list", "str_list"};

PyObject *bpy_options_list(PyObject *module, PyObject *command_name) {
  const char *cname = PyUnicode_Check(command_name) ? PyUnicode_AsUTF8AndSize(command_name, NULL) : NULL;
  unsigned command = cname ? bpy_command_from_name(cname) : 0;
  if (!command) {
    if (!PyErr_Occurred())
      PyErr_SetString(PyExc_ValueError,
                      "options() takes \"bench\", \"load\", \"run\", \"compare\" or \"sim\"");
    return NULL;
  }
  PyObject *list = PyList_New(0);
  for (size_t i = 0; list && i < benchy_option_count(); i++) {
    const benchy_option_info *info = benchy_option_at(i);
    if (!(info->commands & command) || (info->flags & BENCHY_OPTF_HIDDEN)) continue;
    char spelled[128], def[512];
    python_spelling(info->name, spelled, sizeof spelled);
    int has_def = benchy_option_default_for(info, command, def, sizeof def);
    int type = info->type >= 0 && info->type <= BENCHY_OPT_STRING_LIST ? info->type : 3;
    PyObject *minv = number_or_none(info->min, info->min <= info->max);
    PyObject *maxv = number_or_none(info->max, info->min <= info->max);
    PyObject *row = Py_BuildValue(
        "{s:s, s:s, s:s, s:z, s:N, s:N, s:z, s:z, s:z, s:z, s:O, s:O, s:z, s:O}", "name", spelled,
        "cli_name", info->name, "type", type_names[type], "default", has_def ? def : NULL, "min",
        minv, "max", maxv, "choices", info->choices, "metavar", info->metavar, "group",
        info->group, "help", info->help, "secret",
        (info->flags & (BENCHY_OPTF_SECRET | BENCHY_OPTF_HEADER_SECRET)) ? Py_True : Py_False,
        "alias", (info->flags & BENCHY_OPTF_ALIAS) ? Py_True : Py_False, "alias_of",
        info->alias_of, "cli_only", (info->flags & BENCHY_OPTF_CLI_ONLY) ? Py_True : Py_False);
    if (!row || PyList_Append(list, row) < 0) Py_CLEAR(list);
    Py_XDECREF(row);
  }
  return list;
}
