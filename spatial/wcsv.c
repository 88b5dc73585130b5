/* Weights as CSV (read with libcsv through core/table.h).
 * Triplets: a header (id_i,id_j,w or any three names), then one link per
 *   record; a unit with an empty row is written "id,id,0" (a zero self-link,
 *   read back, when the unit has no other link, as "this unit exists", no
 *   entry), so islands and the unit order survive. Units are ordered by first appearance as id_i, then as id_j.
 * Dense: an id header row whose first cell is empty or "id" (any name is
 *   accepted when the header ids match the row ids), then n rows "id,w_i1..w_in"
 *   - what Stata's spmatrix import, xsmle and MATLAB users load. Zeros are not
 *   stored. Rows may come in any order; the header gives the unit order.
 * Line numbers in messages count the header as line 1. */
#include <stdlib.h>
#include <string.h>
#include "core/table.h"
#include "spatial/idmap.h"
#include "spatial/wio.h"

/* Dense files larger than this many units are refused on writing. */
#define DENSE_MAX_N 20000

/* A numeric cell; errors name the file, line and column. */
static int cell_number(spill_ctx *ctx, const spill__table *t, size_t row, size_t col, double *out)
{
  if (spill__table_is_missing(t, row, col))
    return spill__fail(ctx, SPILL_EDATA, "%s, line %zu, column '%s': missing value (write 0 for no link)", t->path,
                       row + 2, t->names[col]);
  return spill__table_number(ctx, t, row, col, out);
}

/* 1 when the header ids (after the first cell) are the row ids, in order. */
static int labels_match(const spill__table *t)
{
  if (t->ncols < 2 || t->nrows != t->ncols - 1) return 0;
  for (size_t r = 0; r < t->nrows; r++)
    if (strcmp(spill__table_cell(t, r, 0), t->names[r + 1])) return 0;
  return 1;
}

static spill_weights *read_dense(spill_ctx *ctx, const spill__table *t)
{
  spill_weights *w = NULL;
  spill__idmap *map = NULL;
  int64_t n = (int64_t)t->ncols - 1, nt = 0, *ti = NULL, *tj = NULL, *rowof = NULL;
  double *tx = NULL;
  if (n < 1) {
    spill__fail(ctx, SPILL_EFORMAT, "%s, line 1: a dense weights file needs an id header row (\"id,a,b,...\")", t->path);
    return NULL;
  }
  if ((int64_t)t->nrows != n) {
    spill__fail(ctx, SPILL_EFORMAT,
                "%s: not square: the header names %lld units but there are %zu rows (line %zu is the last)", t->path,
                (long long)n, t->nrows, t->nrows + 1);
    return NULL;
  }
  map = spill__idmap_new(ctx, (size_t)n);
  rowof = spill__malloc(ctx, (size_t)n * sizeof *rowof);
  if (!map || !rowof) goto done;
  for (int64_t i = 0; i < n; i++) {
    int64_t got = spill__idmap_put(ctx, map, t->names[i + 1], i);
    if (got == -2) goto done;
    if (got != i) {
      spill__fail(ctx, SPILL_EFORMAT, "%s, line 1: unit id '%s' appears twice in the header", t->path, t->names[i + 1]);
      goto done;
    }
    rowof[i] = -1;
  }
  /* count non-zeros first so the triplets fit exactly */
  for (size_t r = 0; r < t->nrows; r++) {
    const char *id = spill__table_cell(t, r, 0);
    int64_t i = spill__idmap_find(map, id);
    if (i < 0) {
      spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: row id '%s' is not among the header ids", t->path, r + 2, id);
      goto done;
    }
    if (rowof[i] >= 0) {
      spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: row id '%s' appears a second time (first on line %lld)", t->path,
                  r + 2, id, (long long)rowof[i] + 2);
      goto done;
    }
    rowof[i] = (int64_t)r;
    for (size_t c = 1; c < t->ncols; c++) {
      double v;
      if (cell_number(ctx, t, r, c, &v)) goto done;
      nt += v != 0.0;
    }
  }
  ti = spill__malloc(ctx, (size_t)(nt + 1) * sizeof *ti);
  tj = spill__malloc(ctx, (size_t)(nt + 1) * sizeof *tj);
  tx = spill__malloc(ctx, (size_t)(nt + 1) * sizeof *tx);
  if (!ti || !tj || !tx) goto done;
  nt = 0;
  for (int64_t i = 0; i < n; i++)
    for (size_t c = 1; c < t->ncols; c++) {
      double v;
      cell_number(ctx, t, (size_t)rowof[i], c, &v);
      if (v == 0.0) continue;
      ti[nt] = i;
      tj[nt] = (int64_t)c - 1;
      tx[nt++] = v;
    }
  w = spill_weights_from_triplets(ctx, n, (const char *const *)t->names + 1, nt, ti, tj, tx);
done:
  spill__idmap_free(map);
  free(rowof);
  free(ti);
  free(tj);
  free(tx);
  return w;
}

static spill_weights *read_triplets(spill_ctx *ctx, const spill__table *t)
{
  spill_weights *w = NULL;
  spill__idmap *map = NULL;
  const char **ids = NULL;
  int64_t m = 0, nt = 0, *ti = NULL, *tj = NULL;
  double *tx = NULL;
  size_t *line = NULL, nr = t->nrows;
  unsigned char *other = NULL;
  if (t->ncols != 3) {
    spill__fail(ctx, SPILL_EFORMAT, "%s, line 1: a triplet weights file has three columns (id_i,id_j,w), this header has %zu",
                t->path, t->ncols);
    return NULL;
  }
  map = spill__idmap_new(ctx, nr);
  ids = spill__malloc(ctx, (2 * nr + 1) * sizeof *ids);
  ti = spill__malloc(ctx, (nr + 1) * sizeof *ti);
  tj = spill__malloc(ctx, (nr + 1) * sizeof *tj);
  tx = spill__malloc(ctx, (nr + 1) * sizeof *tx);
  line = spill__malloc(ctx, (nr + 1) * sizeof *line);
  if (!map || !ids || !ti || !tj || !tx || !line) goto done;
  for (int pass = 0; pass < 2; pass++)
    for (size_t r = 0; r < nr; r++) {
      const char *id = spill__table_cell(t, r, (size_t)pass);
      int64_t got = spill__idmap_put(ctx, map, id, m);
      if (got == -2) goto done;
      if (got == m) ids[m++] = id;
    }
  for (size_t r = 0; r < nr; r++) {
    int64_t i = spill__idmap_find(map, spill__table_cell(t, r, 0));
    int64_t j = spill__idmap_find(map, spill__table_cell(t, r, 1));
    double v;
    if (cell_number(ctx, t, r, 2, &v)) goto done;
    ti[r] = i;
    tj[r] = j;
    tx[r] = v;
  }
  if (!(other = spill__calloc(ctx, (size_t)m + 1, 1))) goto done;
  for (size_t r = 0; r < nr; r++)
    if (ti[r] != tj[r] || tx[r] != 0.0) other[ti[r]] = 1;
  for (size_t r = 0; r < nr; r++) {
    int64_t i = ti[r], j = tj[r];
    double v = tx[r];
    if (i == j && v == 0.0 && !other[i]) continue; /* the marker of a unit without links */
    ti[nt] = i;
    tj[nt] = j;
    tx[nt] = v;
    line[nt++] = r + 2;
  }
  w = spill__weights_from_unique(ctx, t->path, m, ids, nt, ti, tj, tx, line);
done:
  spill__idmap_free(map);
  free(ids);
  free(ti);
  free(tj);
  free(tx);
  free(line);
  free(other);
  return w;
}

spill_weights *spill__csv_read(spill_ctx *ctx, const char *path, spill_wformat fmt)
{
  spill_weights *w = NULL;
  spill__table *t = spill__table_read(ctx, path);
  if (!t) return NULL;
  if (fmt == SPILL_WFMT_AUTO) {
    const char *first = t->names[0];
    if (labels_match(t)) fmt = SPILL_WFMT_DENSE;
    else if (t->ncols == 3 && *first && spill__strcasecmp(first, "id")) fmt = SPILL_WFMT_CSV;
    else if (!*first || !spill__strcasecmp(first, "id")) fmt = SPILL_WFMT_DENSE;
    else {
      spill__fail(ctx, SPILL_EFORMAT,
                  "%s, line 1: neither a triplet file (3 columns id_i,id_j,w) nor a dense matrix (an id header row "
                  "whose first cell is empty or \"id\", matching the row ids)", path);
      goto done;
    }
  }
  w = fmt == SPILL_WFMT_DENSE ? read_dense(ctx, t) : read_triplets(ctx, t);
done:
  spill__table_free(t);
  return w;
}

int spill__csv_write(spill_ctx *ctx, const spill_weights *w, FILE *f, const char *path)
{
  (void)ctx;
  (void)path;
  fputs("id_i,id_j,w\n", f);
  for (int64_t i = 0; i < w->n; i++) {
    if (w->p[i] == w->p[i + 1]) {
      spill__put_csv(f, w->ids[i]);
      fputc(',', f);
      spill__put_csv(f, w->ids[i]);
      fputs(",0\n", f);
      continue;
    }
    for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) {
      spill__put_csv(f, w->ids[i]);
      fputc(',', f);
      spill__put_csv(f, w->ids[w->j[k]]);
      fprintf(f, ",%.17g\n", w->x[k]);
    }
  }
  return SPILL_OK;
}

int spill__dense_write(spill_ctx *ctx, const spill_weights *w, FILE *f, const char *path)
{
  double *row;
  if (w->n > DENSE_MAX_N)
    return spill__fail(ctx, SPILL_EINVAL,
                       "%s: a dense file of %lld units would hold %.3g cells; write .mtx, .gwt or triplet .csv instead",
                       path, (long long)w->n, (double)w->n * (double)w->n);
  row = spill__calloc(ctx, (size_t)w->n + 1, sizeof *row);
  if (!row) return SPILL_ENOMEM;
  fputs("id", f);
  for (int64_t i = 0; i < w->n; i++) {
    fputc(',', f);
    spill__put_csv(f, w->ids[i]);
  }
  fputc('\n', f);
  for (int64_t i = 0; i < w->n; i++) {
    for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) row[w->j[k]] = w->x[k];
    spill__put_csv(f, w->ids[i]);
    for (int64_t c = 0; c < w->n; c++) {
      if (row[c] == 0.0) fputs(",0", f);
      else fprintf(f, ",%.17g", row[c]);
    }
    fputc('\n', f);
    for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) row[w->j[k]] = 0.0;
  }
  free(row);
  return SPILL_OK;
}
