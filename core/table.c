/* CSV tables read with libcsv: a header row, then records of text cells.
 * Quoted fields, CRLF line ends and a UTF-8 byte-order mark are handled; the
 * separator (',' ';' tab) and a decimal comma are detected or given, and the
 * text is decoded to UTF-8 first (core/encoding.c). .dta files go to
 * core/dta.c and come back as the same kind of table. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <csv.h>
#include "core/internal.h"
#include "core/table.h"

typedef struct reader {
  spill_ctx *ctx;
  spill__table *t;
  char **row;          /* cells of the record being read */
  size_t nrow, caprow; /* cells in it, capacity */
  size_t cap_cells;    /* capacity of t->cells */
  int failed;
  int sep_detected;    /* 1: the separator was guessed (messages say so) */
} reader;

static const char *sep_name(char sep)
{
  return sep == ',' ? "comma" : sep == ';' ? "semicolon" : sep == '\t' ? "tab" : sep == ' ' ? "blank" : "separator";
}

static void reader_fail(reader *r, int status, const char *fmt, const char *a, size_t line)
{
  if (r->failed) return;
  r->failed = 1;
  spill__fail(r->ctx, status, fmt, a, line);
}

static void on_field(void *data, size_t len, void *arg)
{
  reader *r = arg;
  char *cell;
  if (r->failed) return;
  if (r->nrow == r->caprow) {
    size_t cap = r->caprow ? 2 * r->caprow : 16;
    char **row = realloc(r->row, cap * sizeof *row);
    if (!row) {
      reader_fail(r, SPILL_ENOMEM, "%s: out of memory at line %zu", r->t->path, r->t->nrows + 2);
      return;
    }
    r->row = row;
    r->caprow = cap;
  }
  cell = malloc(len + 1);
  if (!cell) {
    reader_fail(r, SPILL_ENOMEM, "%s: out of memory at line %zu", r->t->path, r->t->nrows + 2);
    return;
  }
  if (len) memcpy(cell, data, len);
  cell[len] = '\0';
  r->row[r->nrow++] = cell;
}

static void drop_row(reader *r)
{
  for (size_t k = 0; k < r->nrow; k++) free(r->row[k]);
  r->nrow = 0;
}

static void on_record(int c, void *arg)
{
  reader *r = arg;
  spill__table *t = r->t;
  (void)c;
  if (r->failed) {
    drop_row(r);
    return;
  }
  if (r->nrow == 1 && r->row[0][0] == '\0') { /* a blank line */
    drop_row(r);
    return;
  }
  if (!t->names) {
    t->names = r->row;
    t->ncols = r->nrow;
    r->row = NULL;
    r->nrow = r->caprow = 0;
    return;
  }
  if (r->nrow != t->ncols) {
    char msg[64], hint[160];
    snprintf(msg, sizeof msg, "%zu fields where the header has %zu", r->nrow, t->ncols);
    if (r->sep_detected)
      snprintf(hint, sizeof hint, "; the separator (%s) was detected from the first lines: give --sep if it is another",
               sep_name(t->sep));
    else
      hint[0] = '\0';
    r->failed = 1;
    spill__fail(r->ctx, SPILL_EFORMAT, "%s, line %zu: %s (a missing or extra %s, or an unquoted %s in a name?)%s",
                t->path, t->nrows + 2, msg, sep_name(t->sep), sep_name(t->sep), hint);
    drop_row(r);
    return;
  }
  if ((t->nrows + 1) * t->ncols > r->cap_cells) {
    size_t cap = r->cap_cells ? 2 * r->cap_cells : 1024;
    while (cap < (t->nrows + 1) * t->ncols) cap *= 2;
    char **cells = realloc(t->cells, cap * sizeof *cells);
    if (!cells) {
      reader_fail(r, SPILL_ENOMEM, "%s: out of memory at line %zu", t->path, t->nrows + 2);
      drop_row(r);
      return;
    }
    t->cells = cells;
    r->cap_cells = cap;
  }
  memcpy(t->cells + t->nrows * t->ncols, r->row, t->ncols * sizeof *r->row);
  t->nrows++;
  r->nrow = 0;
}

/* The separator that splits the first lines of text consistently: for each
 * of ',', ';' and tab, the count outside quotes on the header line must be
 * positive and equal on the next (up to 20) lines; the largest count wins.
 * With none consistent, the one most frequent in the header; with none at
 * all (a single column), ','. */
static char detect_sep(const char *text)
{
  static const char cand[3] = {',', ';', '\t'};
  size_t count[21][3] = {{0}};
  int ok[3] = {1, 1, 1}, line = 0, quoted = 0, best = -1;
  const char *s = text;
  for (; *s && line <= 20; s++) {
    if (*s == '"') quoted = !quoted;
    else if (*s == '\n' && !quoted) {
      line++;
      /* blank lines hold nothing to compare */
      while (s[1] == '\n' || (s[1] == '\r' && s[2] == '\n')) s += s[1] == '\r' ? 2 : 1;
    } else if (!quoted)
      for (int c = 0; c < 3; c++) count[line][c] += *s == cand[c];
  }
  if (*s == '\0' && s > text && s[-1] != '\n') line++; /* the last line had no newline */
  for (int c = 0; c < 3; c++) {
    if (!count[0][c]) ok[c] = 0;
    for (int l = 1; l < line && l <= 20; l++)
      if (count[l][c] != count[0][c]) ok[c] = 0;
  }
  for (int c = 0; c < 3; c++)
    if (ok[c] && (best < 0 || count[0][c] > count[0][best])) best = c;
  if (best < 0)
    for (int c = 0; c < 3; c++)
      if (count[0][c] && (best < 0 || count[0][c] > count[0][best])) best = c;
  return best < 0 ? ',' : cand[best];
}

/* "3,25", "-0,5", ",5", "1,5e-3": a number written with a decimal comma. */
static int comma_number(const char *s)
{
  int digits = 0;
  while (*s == ' ' || *s == '\t') s++;
  if (*s == '+' || *s == '-') s++;
  while (*s >= '0' && *s <= '9') s++;
  if (*s++ != ',') return 0;
  while (*s >= '0' && *s <= '9') s++, digits++;
  if (!digits) return 0;
  if (*s == 'e' || *s == 'E') {
    s++;
    if (*s == '+' || *s == '-') s++;
    digits = 0;
    while (*s >= '0' && *s <= '9') s++, digits++;
    if (!digits) return 0;
  }
  while (*s == ' ' || *s == '\t') s++;
  return *s == '\0';
}

/* Parse text (UTF-8, BOM removed) into r->t with libcsv. */
static void parse_text(reader *r, const char *text, size_t len, char sep)
{
  struct csv_parser p;
  spill__table *t = r->t;
  if (csv_init(&p, CSV_APPEND_NULL) != 0) {
    r->failed = 1;
    spill__fail(r->ctx, SPILL_ENOMEM, "out of memory reading %s", t->path);
    return;
  }
  csv_set_delim(&p, (unsigned char)sep);
  if (csv_parse(&p, text, len, on_field, on_record, r) != len && !r->failed) {
    r->failed = 1;
    spill__fail(r->ctx, SPILL_EFORMAT, "%s, near line %zu: %s", t->path, t->nrows + 2,
                csv_strerror(csv_error(&p)));
  }
  if (!r->failed) csv_fini(&p, on_field, on_record, r);
  csv_free(&p);
}

/* The whole file, or NULL with an error. */
static char *slurp(spill_ctx *ctx, const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  size_t cap = 1 << 16, used = 0, got;
  char *buf;
  if (!f) {
    spill__fail(ctx, SPILL_EIO, "cannot open %s: %s", path, strerror(errno));
    return NULL;
  }
  buf = spill__malloc(ctx, cap + 1);
  while (buf && (got = fread(buf + used, 1, cap - used, f)) > 0) {
    used += got;
    if (used == cap) {
      char *b = realloc(buf, 2 * cap + 1);
      if (!b) {
        free(buf);
        buf = NULL;
        spill__fail(ctx, SPILL_ENOMEM, "out of memory reading %s", path);
        break;
      }
      buf = b;
      cap *= 2;
    }
  }
  if (buf && ferror(f)) {
    free(buf);
    buf = NULL;
    spill__fail(ctx, SPILL_EIO, "%s: read error", path);
  }
  fclose(f);
  if (buf) buf[used] = '\0';
  *len = used;
  return buf;
}

spill__table *spill__table_read(spill_ctx *ctx, const char *path)
{
  return spill__table_read_text(ctx, path, ctx->text);
}

spill__table *spill__table_read_text(spill_ctx *ctx, const char *path, const spill_text_opts *opts)
{
  static const spill_text_opts detect = {0, 0, NULL};
  reader r = {0};
  char *raw = NULL, *text = NULL, ext[16];
  size_t len = 0, skip;
  char sep, dec;
  if (!opts) opts = &detect;
  spill__extension(path, ext);
  if (!strcmp(ext, "dta")) return spill__dta_read_table(ctx, path, opts->encoding);
  if (opts->sep && opts->sep == opts->decimal) {
    spill__fail(ctx, SPILL_EINVAL, "the separator and the decimal mark cannot both be '%c'", opts->sep);
    return NULL;
  }
  if (opts->decimal && opts->decimal != '.' && opts->decimal != ',') {
    spill__fail(ctx, SPILL_EINVAL, "the decimal mark is '.' or ',', not '%c'", opts->decimal);
    return NULL;
  }
  if (!(raw = slurp(ctx, path, &len))) return NULL;
  if (len >= 4 && (!memcmp(raw, "PK\x03\x04", 4) || !memcmp(raw, "\xD0\xCF\x11\xE0", 4))) {
    spill__fail(ctx, SPILL_EFORMAT, "%s is a spreadsheet (Excel .xlsx/.xls), not text: save it as CSV", path);
    free(raw);
    return NULL;
  }
  if (spill__to_utf8(ctx, raw, len, opts->encoding, &text, &len, path)) {
    free(raw);
    return NULL;
  }
  free(raw);
  r.ctx = ctx;
  r.t = spill__calloc(ctx, 1, sizeof *r.t);
  if (!r.t || !(r.t->path = spill__strdup(ctx, path))) {
    free(text);
    spill__table_free(r.t);
    return NULL;
  }
  /* a UTF-8 byte-order mark is not data: drop it before libcsv sees it, so a
   * quoted first header cell still parses as quoted */
  skip = len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3) ? 3 : 0;
  sep = opts->sep ? opts->sep : !strcmp(ext, "tsv") ? '\t' : detect_sep(text + skip);
  if (sep == opts->decimal) sep = ';'; /* decimal comma: the separator can't be ',' */
  r.t->sep = sep;
  r.sep_detected = !opts->sep;
  parse_text(&r, text + skip, len - skip, sep);
  free(text);
  drop_row(&r);
  free(r.row);
  if (!r.failed && !r.t->names) {
    r.failed = 1;
    spill__fail(ctx, SPILL_EFORMAT, "%s is empty: expected a header row with column names", path);
  }
  if (r.failed) {
    spill__table_free(r.t);
    return NULL;
  }
  /* the decimal mark: given, or ',' in a ';'-separated file with "3,25" cells */
  dec = opts->decimal;
  if (!dec) {
    size_t cells = r.t->nrows * r.t->ncols, k = 0;
    dec = '.';
    if (sep == ';')
      for (; k < cells; k++)
        if (comma_number(r.t->cells[k])) {
          dec = ',';
          spill__notice(ctx, "%s: ';'-separated with numbers like '%s': read ',' as the decimal mark "
                             "(give --decimal . if that is wrong)", path, r.t->cells[k]);
          break;
        }
  }
  r.t->decimal = dec;
  if (dec == ',')
    for (size_t k = 0; k < r.t->nrows * r.t->ncols; k++)
      if (comma_number(r.t->cells[k])) *strchr(r.t->cells[k], ',') = '.';
  return r.t;
}

void spill__table_free(spill__table *t)
{
  if (!t) return;
  if (t->cells)
    for (size_t k = 0; k < t->nrows * t->ncols; k++) free(t->cells[k]);
  if (t->names)
    for (size_t k = 0; k < t->ncols; k++) free(t->names[k]);
  free(t->cells);
  free(t->num);
  free(t->lines);
  free(t->names);
  free(t->path);
  free(t);
}

long spill__table_col(const spill__table *t, const char *name)
{
  for (size_t k = 0; k < t->ncols; k++)
    if (!strcmp(t->names[k], name)) return (long)k;
  for (size_t k = 0; k < t->ncols; k++)
    if (!spill__strcasecmp(t->names[k], name)) return (long)k;
  return -1;
}

long spill__table_require_col(spill_ctx *ctx, const spill__table *t, const char *name)
{
  long c = spill__table_col(t, name);
  if (c < 0) {
    char cols[512];
    size_t used = 0;
    cols[0] = '\0';
    for (size_t k = 0; k < t->ncols && used + 4 < sizeof cols; k++)
      used += (size_t)snprintf(cols + used, sizeof cols - used, "%s%s", k ? ", " : "", t->names[k]);
    spill__fail(ctx, SPILL_EDATA, "%s has no column '%s' (columns: %s)", t->path, name, cols);
  }
  return c;
}

int spill__table_number(spill_ctx *ctx, const spill__table *t, size_t row, size_t col, double *out)
{
  const char *s = spill__table_cell(t, row, col);
  char *end;
  if (t->num && !isnan(t->num[row * t->ncols + col])) {
    *out = t->num[row * t->ncols + col];
    return SPILL_OK;
  }
  while (*s == ' ' || *s == '\t') s++;
  if (!*s || !spill__strcasecmp(s, "NA") || !strcmp(s, ".") || !spill__strcasecmp(s, "nan"))
    return spill__fail(ctx, SPILL_EDATA, "%s, line %zu, column '%s': missing value", t->path,
                       spill__table_line(t, row), t->names[col]);
  errno = 0;
  *out = strtod(s, &end);
  while (*end == ' ' || *end == '\t') end++;
  /* underflow to a subnormal (which %.17g writes) is a value; overflow is not */
  if (*end || (errno == ERANGE && !isfinite(*out)) || *out != *out || !isfinite(*out))
    return spill__fail(ctx, SPILL_EDATA, "%s, line %zu, column '%s': '%s' is not a number",
                       t->path, spill__table_line(t, row), t->names[col], s);
  return SPILL_OK;
}

int spill__table_is_missing(const spill__table *t, size_t row, size_t col)
{
  const char *s = spill__table_cell(t, row, col);
  if (t->num && !isnan(t->num[row * t->ncols + col])) return 0;
  while (*s == ' ' || *s == '\t') s++;
  return !*s || !spill__strcasecmp(s, "NA") || !strcmp(s, ".") || !spill__strcasecmp(s, "nan");
}
