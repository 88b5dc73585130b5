/* CSV tables read with libcsv: a header row, then records of text cells.
 * Quoted fields, CRLF line ends and a UTF-8 byte-order mark are handled. */
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
} reader;

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
    char msg[64];
    snprintf(msg, sizeof msg, "%zu fields where the header has %zu", r->nrow, t->ncols);
    r->failed = 1;
    spill__fail(r->ctx, SPILL_EFORMAT, "%s, line %zu: %s (a missing or extra comma, or an unquoted comma in a name?)",
                t->path, t->nrows + 2, msg);
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

spill__table *spill__table_read(spill_ctx *ctx, const char *path)
{
  struct csv_parser p;
  reader r = {0};
  char buf[65536];
  size_t got;
  FILE *f = fopen(path, "rb");
  if (!f) {
    spill__fail(ctx, SPILL_EIO, "cannot open %s: %s", path, strerror(errno));
    return NULL;
  }
  r.ctx = ctx;
  r.t = spill__calloc(ctx, 1, sizeof *r.t);
  if (!r.t || !(r.t->path = spill__strdup(ctx, path)) || csv_init(&p, CSV_APPEND_NULL) != 0) {
    fclose(f);
    spill__table_free(r.t);
    if (!spill_ctx_status(ctx)) spill__fail(ctx, SPILL_ENOMEM, "out of memory reading %s", path);
    return NULL;
  }
  for (int first = 1; !r.failed && (got = fread(buf, 1, sizeof buf, f)) > 0; first = 0) {
    /* a UTF-8 byte-order mark is not data: drop it before libcsv sees it, so a
     * quoted first header cell still parses as quoted */
    size_t skip = first && got >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3) ? 3 : 0;
    if (csv_parse(&p, buf + skip, got - skip, on_field, on_record, &r) != got - skip && !r.failed) {
      r.failed = 1;
      spill__fail(ctx, SPILL_EFORMAT, "%s, near line %zu: %s", path, r.t->nrows + 2,
                  csv_strerror(csv_error(&p)));
    }
  }
  if (!r.failed && ferror(f)) {
    r.failed = 1;
    spill__fail(ctx, SPILL_EIO, "%s: read error", path);
  }
  if (!r.failed) csv_fini(&p, on_field, on_record, &r);
  csv_free(&p);
  fclose(f);
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
  while (*s == ' ' || *s == '\t') s++;
  if (!*s || !spill__strcasecmp(s, "NA") || !strcmp(s, ".") || !spill__strcasecmp(s, "nan"))
    return spill__fail(ctx, SPILL_EDATA, "%s, line %zu, column '%s': missing value", t->path,
                       row + 2, t->names[col]);
  errno = 0;
  *out = strtod(s, &end);
  while (*end == ' ' || *end == '\t') end++;
  /* underflow to a subnormal (which %.17g writes) is a value; overflow is not */
  if (*end || (errno == ERANGE && !isfinite(*out)) || *out != *out || !isfinite(*out))
    return spill__fail(ctx, SPILL_EDATA, "%s, line %zu, column '%s': '%s' is not a number",
                       t->path, row + 2, t->names[col], s);
  return SPILL_OK;
}

int spill__table_is_missing(const spill__table *t, size_t row, size_t col)
{
  const char *s = spill__table_cell(t, row, col);
  while (*s == ' ' || *s == '\t') s++;
  return !*s || !spill__strcasecmp(s, "NA") || !strcmp(s, ".") || !spill__strcasecmp(s, "nan");
}
