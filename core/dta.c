/* Stata .dta in and out through ReadStat (Stata 8-18 files read; version 118,
 * UTF-8, written). Reading gives the same text table as a CSV (core/table.h):
 * numbers as canonical text, a value with a value label as the label's text
 * (the number kept behind it in t->num), missing values as ".". Strings are
 * taken raw from ReadStat and decoded here (core/encoding.c): files from
 * Stata 14 on are UTF-8; older ones are in the writer's code page, UTF-8 or
 * GB18030 detected, or the encoding given. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <readstat.h>
#include "core/internal.h"
#include "core/dta.h"
#include "core/table.h"

typedef struct dta_label {
  char *set;   /* label set name (raw) */
  double value;
  char *text;  /* raw */
} dta_label;

typedef struct dta_reader {
  spill_ctx *ctx;
  const char *path;
  int64_t nobs, nvar, version;
  char **names;     /* nvar raw names */
  char **sets;      /* nvar label set names or NULL */
  unsigned char *is_num;
  char **raw;       /* nobs * nvar raw strings (string variables) */
  double *val;      /* nobs * nvar numbers (numeric variables), NaN missing */
  dta_label *labels;
  size_t nlabels, caplabels;
  int failed;
} dta_reader;

static int on_meta(readstat_metadata_t *m, void *arg)
{
  dta_reader *r = arg;
  r->nobs = m->row_count;
  r->nvar = m->var_count;
  r->version = m->file_format_version;
  if (r->nobs < 0 || r->nvar < 1) {
    r->failed = 1;
    spill__fail(r->ctx, SPILL_EFORMAT, "%s: a .dta file without variables", r->path);
    return READSTAT_HANDLER_ABORT;
  }
  /* every value takes at least one byte of the file: a header announcing
   * more is corrupt, and would otherwise ask for terabytes (found by fuzz_dta) */
  {
    struct stat sb;
    if (stat(r->path, &sb) == 0 && (double)r->nobs * (double)r->nvar > (double)sb.st_size) {
      r->failed = 1;
      spill__fail(r->ctx, SPILL_EFORMAT, "%s: the header announces %lld observations of %lld variables, more than "
                  "the file's %lld bytes can hold (a truncated or corrupt .dta)", r->path, (long long)r->nobs,
                  (long long)r->nvar, (long long)sb.st_size);
      return READSTAT_HANDLER_ABORT;
    }
  }
  r->names = spill__calloc(r->ctx, (size_t)r->nvar, sizeof *r->names);
  r->sets = spill__calloc(r->ctx, (size_t)r->nvar, sizeof *r->sets);
  r->is_num = spill__calloc(r->ctx, (size_t)r->nvar, 1);
  r->raw = spill__calloc(r->ctx, (size_t)(r->nobs * r->nvar) + 1, sizeof *r->raw);
  r->val = spill__malloc(r->ctx, ((size_t)(r->nobs * r->nvar) + 1) * sizeof *r->val);
  if (!r->names || !r->sets || !r->is_num || !r->raw || !r->val) {
    r->failed = 1;
    return READSTAT_HANDLER_ABORT;
  }
  for (int64_t k = 0; k < r->nobs * r->nvar; k++) r->val[k] = NAN;
  return READSTAT_HANDLER_OK;
}

static int on_var(int index, readstat_variable_t *v, const char *val_labels, void *arg)
{
  dta_reader *r = arg;
  const char *name = readstat_variable_get_name(v);
  if (index < 0 || index >= r->nvar) return READSTAT_HANDLER_ABORT;
  if (!name) { /* a corrupt variable table (found by fuzz_dta) */
    r->failed = 1;
    spill__fail(r->ctx, SPILL_EFORMAT, "%s: variable %d has no name (a corrupt .dta)", r->path, index + 1);
    return READSTAT_HANDLER_ABORT;
  }
  r->names[index] = spill__strdup(r->ctx, name);
  if (val_labels && *val_labels) {
    /* ReadStat hands over the raw lbllist entry, unterminated when it is
     * full (found by fuzz_dta): read at most one entry (129, 33 or 9 bytes) */
    size_t lim = r->version >= 118 ? 129 : r->version >= 110 ? 33 : 9, len = strnlen(val_labels, lim);
    if ((r->sets[index] = spill__malloc(r->ctx, len + 1))) {
      memcpy(r->sets[index], val_labels, len);
      r->sets[index][len] = '\0';
    }
  }
  r->is_num[index] = readstat_variable_get_type_class(v) == READSTAT_TYPE_CLASS_NUMERIC;
  if (!r->names[index] || (val_labels && *val_labels && !r->sets[index])) {
    r->failed = 1;
    return READSTAT_HANDLER_ABORT;
  }
  return READSTAT_HANDLER_OK;
}

static double number_of(readstat_value_t value)
{
  switch (readstat_value_type(value)) {
  case READSTAT_TYPE_INT8: return readstat_int8_value(value);
  case READSTAT_TYPE_INT16: return readstat_int16_value(value);
  case READSTAT_TYPE_INT32: return readstat_int32_value(value);
  case READSTAT_TYPE_FLOAT: return readstat_float_value(value);
  case READSTAT_TYPE_DOUBLE: return readstat_double_value(value);
  default: return NAN;
  }
}

static int on_value(int obs, readstat_variable_t *v, readstat_value_t value, void *arg)
{
  dta_reader *r = arg;
  int var = readstat_variable_get_index(v);
  size_t at;
  if (obs < 0 || obs >= r->nobs || var < 0 || var >= r->nvar) return READSTAT_HANDLER_ABORT;
  at = (size_t)obs * (size_t)r->nvar + (size_t)var;
  if (readstat_value_type_class(value) == READSTAT_TYPE_CLASS_STRING) {
    const char *s = readstat_string_value(value);
    if (!(r->raw[at] = spill__strdup(r->ctx, s ? s : ""))) {
      r->failed = 1;
      return READSTAT_HANDLER_ABORT;
    }
  } else if (!readstat_value_is_missing(value, v)) {
    r->val[at] = number_of(value);
  }
  return READSTAT_HANDLER_OK;
}

static int on_label(const char *set, readstat_value_t value, const char *label, void *arg)
{
  dta_reader *r = arg;
  dta_label *l;
  if (readstat_value_type_class(value) != READSTAT_TYPE_CLASS_NUMERIC || readstat_value_is_system_missing(value) ||
      readstat_value_is_tagged_missing(value))
    return READSTAT_HANDLER_OK;
  if (r->nlabels == r->caplabels) {
    size_t cap = r->caplabels ? 2 * r->caplabels : 64;
    dta_label *b = realloc(r->labels, cap * sizeof *b);
    if (!b) {
      r->failed = 1;
      spill__fail(r->ctx, SPILL_ENOMEM, "out of memory reading %s", r->path);
      return READSTAT_HANDLER_ABORT;
    }
    r->labels = b;
    r->caplabels = cap;
  }
  l = &r->labels[r->nlabels];
  l->set = spill__strdup(r->ctx, set);
  l->text = spill__strdup(r->ctx, label ? label : "");
  l->value = number_of(value);
  if (!l->set || !l->text) {
    free(l->set);
    free(l->text);
    r->failed = 1;
    return READSTAT_HANDLER_ABORT;
  }
  r->nlabels++;
  return READSTAT_HANDLER_OK;
}

static int cmp_label(const void *a, const void *b)
{
  const dta_label *x = a, *y = b;
  int c = strcmp(x->set, y->set);
  if (c) return c;
  return (x->value > y->value) - (x->value < y->value);
}

static const dta_label *find_label(const dta_reader *r, const char *set, double v)
{
  dta_label probe;
  if (!r->nlabels) return NULL;
  probe.set = (char *)set;
  probe.value = v;
  return bsearch(&probe, r->labels, r->nlabels, sizeof *r->labels, cmp_label);
}

/* Raw bytes to UTF-8: the file's own encoding when it says (118+: UTF-8),
 * else as spill__to_utf8 decides; *gb notes a GB18030 fallback. */
static char *decode(dta_reader *r, const char *s, const char *encoding, int *gb)
{
  char *out = NULL;
  size_t len = strlen(s);
  if (r->version >= 118 || (!encoding && spill__utf8_valid(s, len, NULL))) encoding = "UTF-8";
  else if (!encoding) *gb = 1;
  if (spill__to_utf8(r->ctx, s, len, encoding, &out, NULL, r->path)) return NULL;
  return out;
}

static void reader_clear(dta_reader *r)
{
  if (r->names)
    for (int64_t k = 0; k < r->nvar; k++) free(r->names[k]);
  if (r->sets)
    for (int64_t k = 0; k < r->nvar; k++) free(r->sets[k]);
  if (r->raw)
    for (int64_t k = 0; k < r->nobs * r->nvar; k++) free(r->raw[k]);
  for (size_t k = 0; k < r->nlabels; k++) {
    free(r->labels[k].set);
    free(r->labels[k].text);
  }
  free(r->names);
  free(r->sets);
  free(r->is_num);
  free(r->raw);
  free(r->val);
  free(r->labels);
}

spill__table *spill__dta_read_table(spill_ctx *ctx, const char *path, const char *encoding)
{
  dta_reader r = {0};
  spill__table *t = NULL;
  readstat_parser_t *parser = readstat_parser_init();
  readstat_error_t err;
  int gb = 0, labelled = 0;
  size_t cells;
  FILE *probe = fopen(path, "rb");
  if (!probe) {
    spill__fail(ctx, SPILL_EIO, "cannot open %s: %s", path, strerror(errno));
    readstat_parser_free(parser);
    return NULL;
  }
  fclose(probe);
  if (!parser) {
    spill__fail(ctx, SPILL_ENOMEM, "out of memory reading %s", path);
    return NULL;
  }
  r.ctx = ctx;
  r.path = path;
  readstat_set_metadata_handler(parser, on_meta);
  readstat_set_variable_handler(parser, on_var);
  readstat_set_value_handler(parser, on_value);
  readstat_set_value_label_handler(parser, on_label);
  readstat_set_handler_character_encoding(parser, NULL); /* raw bytes: decoded below */
  err = readstat_parse_dta(parser, path, &r);
  readstat_parser_free(parser);
  if (err != READSTAT_OK || r.failed) {
    if (!spill_ctx_status(ctx) || !r.failed)
      spill__fail(ctx, SPILL_EFORMAT, "%s: not a readable Stata .dta file (ReadStat: %s)", path,
                  readstat_error_message(err));
    goto fail;
  }
  if (r.nlabels) qsort(r.labels, r.nlabels, sizeof *r.labels, cmp_label);
  t = spill__calloc(ctx, 1, sizeof *t);
  if (!t || !(t->path = spill__strdup(ctx, path))) goto fail;
  t->ncols = (size_t)r.nvar;
  t->nrows = (size_t)r.nobs;
  t->decimal = '.';
  cells = t->nrows * t->ncols;
  t->names = spill__calloc(ctx, t->ncols, sizeof *t->names);
  t->cells = spill__calloc(ctx, cells + 1, sizeof *t->cells);
  if (!t->names || !t->cells) goto fail;
  for (size_t c = 0; c < t->ncols; c++)
    if (!(t->names[c] = decode(&r, r.names[c] ? r.names[c] : "", encoding, &gb))) goto fail;
  for (size_t row = 0; row < t->nrows; row++)
    for (size_t c = 0; c < t->ncols; c++) {
      size_t at = row * t->ncols + c;
      char buf[32];
      if (!r.is_num[c]) {
        if (!(t->cells[at] = decode(&r, r.raw[at] ? r.raw[at] : "", encoding, &gb))) goto fail;
        continue;
      }
      if (isnan(r.val[at])) {
        if (!(t->cells[at] = spill__strdup(ctx, "."))) goto fail;
        continue;
      }
      if (r.sets[c]) {
        const dta_label *l = find_label(&r, r.sets[c], r.val[at]);
        if (l) {
          if (!(t->cells[at] = decode(&r, l->text, encoding, &gb))) goto fail;
          if (!t->num) {
            if (!(t->num = spill__malloc(ctx, (cells + 1) * sizeof *t->num))) goto fail;
            for (size_t k = 0; k < cells; k++) t->num[k] = NAN;
          }
          t->num[at] = r.val[at];
          labelled = 1;
          continue;
        }
      }
      spill__format_id(r.val[at], buf);
      if (!(t->cells[at] = spill__strdup(ctx, buf))) goto fail;
    }
  if (gb) spill__notice(ctx, "%s: text is not UTF-8: read as GB18030 (GBK); give --encoding NAME if that is wrong", path);
  (void)labelled;
  reader_clear(&r);
  return t;
fail:
  reader_clear(&r);
  spill__table_free(t);
  return NULL;
}

/* ---- writing ---- */

static ssize_t write_bytes(const void *data, size_t len, void *arg)
{
  return fwrite(data, 1, len, (FILE *)arg) == len ? (ssize_t)len : -1;
}

int spill__dta_name_ok(const char *name)
{
  size_t n = strlen(name);
  if (!n || n > 32) return 0;
  if (!((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z') || name[0] == '_')) return 0;
  for (size_t k = 1; k < n; k++) {
    char c = name[k];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return 0;
  }
  return 1;
}

int spill__dta_write(spill_ctx *ctx, const char *path, const spill__dta_spec *spec)
{
  readstat_writer_t *w = NULL;
  readstat_variable_t **vars = NULL;
  readstat_error_t err = READSTAT_OK;
  char *tmp = NULL;
  FILE *f = NULL;
  int rc = SPILL_ENOMEM;
  if (spec->nrows > 2147483647u || spec->ncols > 32767)
    return spill__fail(ctx, SPILL_EINVAL, "%s: %zu variables and %zu observations exceed what a .dta holds", path,
                       spec->ncols, spec->nrows);
  for (size_t c = 0; c < spec->ncols; c++)
    if (!spill__dta_name_ok(spec->names[c]))
      return spill__fail(ctx, SPILL_EINVAL, "%s: '%s' is not a Stata variable name", path, spec->names[c]);
  vars = spill__calloc(ctx, spec->ncols + 1, sizeof *vars);
  if (!vars) return SPILL_ENOMEM;
  if (!(w = readstat_writer_init())) {
    rc = spill__fail(ctx, SPILL_ENOMEM, "out of memory writing %s", path);
    goto done;
  }
  readstat_set_data_writer(w, write_bytes);
  readstat_writer_set_file_format_version(w, 118);
  if (spec->file_label) readstat_writer_set_file_label(w, spec->file_label);
  for (size_t c = 0; c < spec->ncols; c++) {
    if (spec->is_text && spec->is_text[c]) {
      size_t width = 1;
      for (size_t row = 0; row < spec->nrows; row++) {
        size_t l = strlen(spec->text(spec->user, row, c));
        if (l > width) width = l;
      }
      if (width > 2045) {
        rc = spill__fail(ctx, SPILL_EINVAL, "%s: text in '%s' is longer than Stata's 2045 bytes", path,
                         spec->names[c]);
        goto done;
      }
      vars[c] = readstat_add_variable(w, spec->names[c], READSTAT_TYPE_STRING, width);
    } else {
      vars[c] = readstat_add_variable(w, spec->names[c], READSTAT_TYPE_DOUBLE, 0);
      if (vars[c]) readstat_variable_set_format(vars[c], "%10.0g");
    }
    if (!vars[c]) {
      rc = spill__fail(ctx, SPILL_ENOMEM, "out of memory writing %s", path);
      goto done;
    }
    if (spec->labels && spec->labels[c]) {
      char lab[81]; /* Stata variable labels hold 80 bytes */
      snprintf(lab, sizeof lab, "%s", spec->labels[c]);
      readstat_variable_set_label(vars[c], lab);
    }
  }
  if (!(f = spill__atomic_open(ctx, path, &tmp))) {
    rc = spill_ctx_status(ctx);
    goto done;
  }
  err = readstat_begin_writing_dta(w, f, (long)spec->nrows);
  for (size_t row = 0; row < spec->nrows && err == READSTAT_OK; row++) {
    err = readstat_begin_row(w);
    for (size_t c = 0; c < spec->ncols && err == READSTAT_OK; c++) {
      if (spec->is_text && spec->is_text[c]) {
        err = readstat_insert_string_value(w, vars[c], spec->text(spec->user, row, c));
      } else {
        double v = spec->num(spec->user, row, c);
        err = isfinite(v) ? readstat_insert_double_value(w, vars[c], v) : readstat_insert_missing_value(w, vars[c]);
      }
    }
    if (err == READSTAT_OK) err = readstat_end_row(w);
  }
  if (err == READSTAT_OK) err = readstat_end_writing(w);
  if (err != READSTAT_OK) {
    spill__atomic_abort(f, tmp);
    rc = spill__fail(ctx, SPILL_EIO, "%s: writing the .dta failed (ReadStat: %s)", path, readstat_error_message(err));
    goto done;
  }
  rc = spill__atomic_commit(ctx, f, tmp, path);
done:
  if (w) readstat_writer_free(w);
  free(vars);
  return rc;
}
