/* Stata's spmatrix export text format ([SP] spmatrix export, read back by
 * spmatrix import): blank-separated, the first line the number of units n,
 * then one line per unit: its id (Stata's _ID, an integer) followed by the n
 * weights of its row:
 *   3
 *   1 0 .5 .5
 *   2 1 0 0
 *   7 .5 .5 0
 * Row i and column i are the unit on the i-th data line. We write weights
 * with 17 significant digits, and refuse ids that are not integers (Stata's
 * spmatrix would). */
#include <stdlib.h>
#include <string.h>
#include "spatial/idmap.h"
#include "spatial/wio.h"

spill_weights *spill__stata_read(spill_ctx *ctx, const char *path)
{
  spill__text t;
  spill_weights *w = NULL;
  char *tok[2], **cells = NULL;
  const char **ids = NULL;
  int64_t n = 0, nt = 0, *ti = NULL, *tj = NULL, row = 0;
  double *tx = NULL;
  size_t ln = 0;
  spill__idmap *map = NULL;
  if (spill__text_read(ctx, path, &t)) return NULL;
  while (ln < t.nlines && spill__blank(t.lines[ln])) ln++;
  if (ln >= t.nlines || spill__tokens(t.lines[ln], tok, 2) != 1 || spill__parse_int64(tok[0], &n) || n < 1) {
    spill__fail(ctx, SPILL_EFORMAT,
                "%s, line %zu: expected the number of units n alone on the first line (Stata spmatrix export "
                "format); a header-less matrix needs its ids: --ids FILE or --ids-from MAP",
                path, ln + 1);
    goto done;
  }
  ln++;
  if ((size_t)n > t.nlines) {
    spill__fail(ctx, SPILL_EFORMAT, "%s: the first line says %lld units but the file has %zu lines", path,
                (long long)n, t.nlines);
    goto done;
  }
  ids = spill__malloc(ctx, (size_t)n * sizeof *ids);
  cells = spill__malloc(ctx, ((size_t)n + 2) * sizeof *cells);
  if (!ids || !cells) goto done;
  {
    int64_t cap = 4 * n + 16;
    ti = spill__malloc(ctx, (size_t)cap * sizeof *ti);
    tj = spill__malloc(ctx, (size_t)cap * sizeof *tj);
    tx = spill__malloc(ctx, (size_t)cap * sizeof *tx);
    if (!ti || !tj || !tx) goto done;
    for (; ln < t.nlines; ln++) {
      long got;
      if (spill__blank(t.lines[ln])) continue;
      if (row == n) {
        spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: more than the %lld rows the first line announces", path,
                    ln + 1, (long long)n);
        goto done;
      }
      got = spill__tokens(t.lines[ln], cells, (long)n + 2);
      if (got != n + 1) {
        spill__fail(ctx, SPILL_EFORMAT,
                    "%s, line %zu: %ld fields where an id and %lld weights are needed (the first line says n = %lld)",
                    path, ln + 1, got < 0 ? 0 : got, (long long)n, (long long)n);
        goto done;
      }
      ids[row] = cells[0];
      for (int64_t j = 0; j < n; j++) {
        double v;
        if (spill__parse_double(cells[j + 1], &v)) {
          spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: weight %lld, '%s', is not a number", path, ln + 1,
                      (long long)j + 1, cells[j + 1]);
          goto done;
        }
        if (v == 0.0) continue;
        if (nt == cap) {
          int64_t c = 2 * cap;
          int64_t *a = realloc(ti, (size_t)c * sizeof *a), *b = a ? realloc(tj, (size_t)c * sizeof *b) : NULL;
          double *x = b ? realloc(tx, (size_t)c * sizeof *x) : NULL;
          if (a) ti = a;
          if (b) tj = b;
          if (x) tx = x;
          if (!a || !b || !x) {
            spill__fail(ctx, SPILL_ENOMEM, "out of memory reading %s", path);
            goto done;
          }
          cap = c;
        }
        ti[nt] = row;
        tj[nt] = j;
        tx[nt++] = v;
      }
      row++;
    }
  }
  if (row != n) {
    spill__fail(ctx, SPILL_EFORMAT, "%s: the first line says %lld units but %lld rows follow", path, (long long)n,
                (long long)row);
    goto done;
  }
  if (!(map = spill__idmap_of(ctx, ids, n, path))) goto done;
  w = spill_weights_from_triplets(ctx, n, ids, nt, ti, tj, tx);
  if (w) w->style = SPILL_STYLE_G;
done:
  spill__idmap_free(map);
  spill__text_free(&t);
  free(ids);
  free(cells);
  free(ti);
  free(tj);
  free(tx);
  return w;
}

int spill__stata_write(spill_ctx *ctx, const spill_weights *w, FILE *f, const char *path)
{
  double *row;
  for (int64_t i = 0; i < w->n; i++) {
    char buf[32];
    if (!spill__canonical_id(w->ids[i], buf) || strcmp(buf, w->ids[i]) || strchr(buf, '.') || strchr(buf, 'e'))
      return spill__fail(ctx, SPILL_EDATA,
                         "%s: Stata's spmatrix needs integer ids (_ID); unit %lld's id is '%s'. Build W with an "
                         "integer id field (--id CODE), or write .dta (an id variable and one variable per unit)",
                         path, (long long)i + 1, w->ids[i]);
  }
  row = spill__calloc(ctx, (size_t)w->n + 1, sizeof *row);
  if (!row) return SPILL_ENOMEM;
  fprintf(f, "%lld\n", (long long)w->n);
  for (int64_t i = 0; i < w->n; i++) {
    for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) row[w->j[k]] = w->x[k];
    fputs(w->ids[i], f);
    for (int64_t c = 0; c < w->n; c++) {
      if (row[c] == 0.0) fputs(" 0", f);
      else fprintf(f, " %.17g", row[c]);
    }
    fputc('\n', f);
    for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) row[w->j[k]] = 0.0;
  }
  free(row);
  return SPILL_OK;
}
