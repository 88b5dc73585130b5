/* Matrix Market coordinate files (NIST MM exchange format, Boisvert et al.
 * 1996). We write "coordinate real general" with 1-based indices and keep the
 * unit ids and the style in comment lines before the size line:
 *   %%MatrixMarket matrix coordinate real general
 *   % spill weights: ids follow, one "% id <id>" line per unit in row order
 *   % style W
 *   % id <the id, verbatim to the end of the line>
 *   n n nnz
 *   i j w
 * A file without "% id" lines (any other tool's) gets ids "1".."n". We read
 * real, integer and pattern fields, general and symmetric storage. */
#include <stdlib.h>
#include <string.h>
#include "spatial/wio.h"

spill_weights *spill__mtx_read(spill_ctx *ctx, const char *path)
{
  spill__text t;
  spill_weights *w = NULL;
  char *tok[5], **ids = NULL;
  int64_t n = 0, nnz = 0, nids = 0, nt = 0, entries = 0, *ti = NULL, *tj = NULL, rows, cols;
  double *tx = NULL;
  size_t ln = 0, *line = NULL;
  int pattern = 0, symmetric = 0;
  char style = SPILL_STYLE_G;
  if (spill__text_read(ctx, path, &t)) return NULL;
  if (t.nlines == 0 || strncmp(t.lines[0], "%%MatrixMarket", 14) != 0) {
    spill__fail(ctx, SPILL_EFORMAT, "%s, line 1: not a Matrix Market file (expected a %%%%MatrixMarket banner)", path);
    goto done;
  }
  {
    char banner[256];
    long got;
    snprintf(banner, sizeof banner, "%s", t.lines[0]);
    for (char *c = banner; *c; c++)
      if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
    got = spill__tokens(banner, tok, 5);
    if (got != 5 || strcmp(tok[1], "matrix") || strcmp(tok[2], "coordinate") ||
        (strcmp(tok[3], "real") && strcmp(tok[3], "integer") && strcmp(tok[3], "pattern")) ||
        (strcmp(tok[4], "general") && strcmp(tok[4], "symmetric"))) {
      spill__fail(ctx, SPILL_EFORMAT,
                  "%s, line 1: only \"matrix coordinate real|integer|pattern general|symmetric\" is read, not \"%s\"",
                  path, t.lines[0]);
      goto done;
    }
    pattern = !strcmp(tok[3], "pattern");
    symmetric = !strcmp(tok[4], "symmetric");
  }
  /* comments: collect our ids and style */
  for (ln = 1; ln < t.nlines && (t.lines[ln][0] == '%' || spill__blank(t.lines[ln])); ln++) {
    const char *c = t.lines[ln];
    if (!strncmp(c, "% id ", 5)) nids++;
    else if (!strncmp(c, "% style ", 8) && c[8] && strchr("BWCUSMG", c[8])) style = c[8];
  }
  if (ln >= t.nlines || spill__tokens(t.lines[ln], tok, 3) != 3 || spill__parse_int64(tok[0], &rows) ||
      spill__parse_int64(tok[1], &cols) || spill__parse_int64(tok[2], &nnz) || rows < 0 || nnz < 0) {
    spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: expected the size line \"rows cols entries\"", path, ln + 1);
    goto done;
  }
  if (rows != cols) {
    spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: the matrix is %lld x %lld; spatial weights must be square", path,
                ln + 1, (long long)rows, (long long)cols);
    goto done;
  }
  n = rows;
  /* every entry takes a line; the units (rows without entries are units
   * without neighbours) must fit in memory: neither sizes an allocation
   * unchecked */
  if ((uint64_t)nnz > t.nlines - ln - 1) {
    spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: the file holds at most %zu of the %lld entries the size line "
                "announces (truncated, or a wrong size line?)", path, ln + 1, t.nlines - ln - 1, (long long)nnz);
    goto done;
  }
  if (spill__mem_request(ctx, 64.0 * (double)n, "the weights of the size line's units",
                         "check the size line \"rows cols entries\"")) goto done;
  if (nids && nids != n) {
    spill__fail(ctx, SPILL_EFORMAT, "%s: %lld \"%% id\" comment lines for a %lld x %lld matrix", path,
                (long long)nids, (long long)n, (long long)n);
    goto done;
  }
  if (nids) {
    int64_t k = 0;
    ids = spill__malloc(ctx, (size_t)n * sizeof *ids);
    if (!ids) goto done;
    for (size_t l = 1; l < ln; l++)
      if (!strncmp(t.lines[l], "% id ", 5)) ids[k++] = t.lines[l] + 5;
  }
  {
    size_t cap = (size_t)(symmetric ? 2 * nnz : nnz) + 1;
    ti = spill__malloc(ctx, cap * sizeof *ti);
    tj = spill__malloc(ctx, cap * sizeof *tj);
    tx = spill__malloc(ctx, cap * sizeof *tx);
    line = spill__malloc(ctx, cap * sizeof *line);
    if (!ti || !tj || !tx || !line) goto done;
  }
  for (ln++; ln < t.nlines; ln++) {
    int64_t i, j;
    double v = 1.0;
    long got;
    if (spill__blank(t.lines[ln]) || t.lines[ln][0] == '%') continue;
    got = spill__tokens(t.lines[ln], tok, 3);
    if (entries == nnz) {
      spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: more entries than the %lld the size line announces", path,
                  ln + 1, (long long)nnz);
      goto done;
    }
    if (got != (pattern ? 2 : 3) || spill__parse_int64(tok[0], &i) || spill__parse_int64(tok[1], &j) ||
        (!pattern && spill__parse_double(tok[2], &v))) {
      spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: expected \"i j%s\"", path, ln + 1, pattern ? "" : " value");
      goto done;
    }
    if (i < 1 || i > n || j < 1 || j > n) {
      spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: index (%lld, %lld) is outside 1..%lld", path, ln + 1,
                  (long long)i, (long long)j, (long long)n);
      goto done;
    }
    if (symmetric && j > i) {
      spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: a symmetric file stores the lower triangle only, found (%lld, %lld)",
                  path, ln + 1, (long long)i, (long long)j);
      goto done;
    }
    entries++;
    ti[nt] = i - 1;
    tj[nt] = j - 1;
    tx[nt] = v;
    line[nt++] = ln + 1;
    if (symmetric && i != j) {
      ti[nt] = j - 1;
      tj[nt] = i - 1;
      tx[nt] = v;
      line[nt++] = ln + 1;
    }
  }
  if (entries != nnz) {
    spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: the file ends after %lld of the %lld entries the size line announces (truncated?)",
                path, t.nlines, (long long)entries, (long long)nnz);
    goto done;
  }
  w = spill__weights_from_unique(ctx, path, n, (const char *const *)ids, nt, ti, tj, tx, line);
  if (w) w->style = style;
done:
  free(ids);
  free(ti);
  free(tj);
  free(tx);
  free(line);
  spill__text_free(&t);
  return w;
}

int spill__mtx_write(spill_ctx *ctx, const spill_weights *w, FILE *f, const char *path)
{
  (void)ctx;
  (void)path;
  fputs("%%MatrixMarket matrix coordinate real general\n", f);
  fputs("% spill weights: ids follow, one \"% id <id>\" line per unit in row order\n", f);
  fprintf(f, "%% style %c\n", w->style ? w->style : SPILL_STYLE_G);
  for (int64_t i = 0; i < w->n; i++) fprintf(f, "%% id %s\n", w->ids[i]);
  fprintf(f, "%lld %lld %lld\n", (long long)w->n, (long long)w->n, (long long)w->p[w->n]);
  for (int64_t i = 0; i < w->n; i++)
    for (int64_t k = w->p[i]; k < w->p[i + 1]; k++)
      fprintf(f, "%lld %lld %.17g\n", (long long)i + 1, (long long)w->j[k] + 1, w->x[k]);
  return SPILL_OK;
}
