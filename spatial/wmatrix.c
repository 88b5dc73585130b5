/* Weight matrices as other programs keep them: a header-less n x n matrix
 * (MATLAB, Excel) whose ids come from elsewhere, an id list file, and the
 * dense matrix as a Stata .dta (an id column, then w1..wn, one per unit in
 * row order, each labelled with its unit's id: `spmatrix fromdata W = w*`
 * takes it in Stata once the data are spset on id). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/dta.h"
#include "core/table.h"
#include "spatial/idmap.h"
#include "spatial/wio.h"

/* A whole file decoded to UTF-8 (encoding NULL: detect), or NULL. */
static char *read_utf8(spill_ctx *ctx, const char *path, const char *encoding)
{
  FILE *f = fopen(path, "rb");
  size_t cap = 1 << 16, used = 0, got;
  char *raw, *text = NULL;
  if (!f) {
    spill__fail(ctx, SPILL_EIO, "cannot open %s: %s", path, strerror(errno));
    return NULL;
  }
  raw = spill__malloc(ctx, cap + 1);
  while (raw && (got = fread(raw + used, 1, cap - used, f)) > 0) {
    used += got;
    if (used == cap) {
      char *b = realloc(raw, 2 * cap + 1);
      if (!b) {
        free(raw);
        raw = NULL;
        spill__fail(ctx, SPILL_ENOMEM, "out of memory reading %s", path);
        break;
      }
      raw = b;
      cap *= 2;
    }
  }
  fclose(f);
  if (!raw) return NULL;
  if (spill__to_utf8(ctx, raw, used, encoding, &text, NULL, path)) text = NULL;
  free(raw);
  return text;
}

/* Next line of *s (NUL-terminated in place, CR removed), or NULL at the end. */
static char *next_line(char **s)
{
  char *line = *s, *e;
  size_t l;
  if (!line || !*line) return NULL;
  e = strchr(line, '\n');
  if (e) {
    *e = '\0';
    *s = e + 1;
  } else {
    *s = line + strlen(line);
  }
  l = strlen(line);
  if (l && line[l - 1] == '\r') line[l - 1] = '\0';
  return line;
}

static char *trim(char *s)
{
  size_t l;
  while (*s == ' ' || *s == '\t') s++;
  l = strlen(s);
  while (l && (s[l - 1] == ' ' || s[l - 1] == '\t')) s[--l] = '\0';
  return s;
}

int spill_read_ids(spill_ctx *ctx, const char *path, const char *encoding, char ***ids_out, int64_t *n_out)
{
  char *text = read_utf8(ctx, path, encoding), *s, *line;
  char **ids = NULL;
  int64_t n = 0, cap = 0, lineno = 0;
  spill__idmap *map = NULL;
  int rc = SPILL_ENOMEM;
  *ids_out = NULL;
  *n_out = 0;
  if (!text) return spill_ctx_status(ctx);
  s = text;
  if (!strncmp(s, "\xEF\xBB\xBF", 3)) s += 3;
  while ((line = next_line(&s))) {
    char buf[32], *id = trim(line);
    lineno++;
    if (!*id) continue;
    if (*id == '"' && strlen(id) >= 2 && id[strlen(id) - 1] == '"') {
      id[strlen(id) - 1] = '\0';
      id++;
    }
    if (spill__canonical_id(id, buf)) id = buf;
    if (n == cap) {
      int64_t c = cap ? 2 * cap : 256;
      char **b = realloc(ids, (size_t)c * sizeof *b);
      if (!b) {
        spill__fail(ctx, SPILL_ENOMEM, "out of memory reading %s", path);
        goto done;
      }
      ids = b;
      cap = c;
    }
    if (!(ids[n] = spill__strdup(ctx, id))) goto done;
    n++;
  }
  if (!n) {
    rc = spill__fail(ctx, SPILL_EDATA, "%s holds no ids (one id per line expected)", path);
    goto done;
  }
  if (!(map = spill__idmap_of(ctx, (const char *const *)ids, n, path))) {
    rc = spill_ctx_status(ctx);
    goto done;
  }
  *ids_out = ids;
  *n_out = n;
  ids = NULL;
  rc = SPILL_OK;
done:
  spill__idmap_free(map);
  spill_free_ids(ids, n);
  free(text);
  return rc;
}

/* Split a matrix line into numbers: sep ',' or ';' (then ',' is the decimal
 * mark), or 0 for blanks. Returns the count (at most max stored) or -1 with
 * *bad pointing at a token that is not a number. */
static long numbers_of(char *line, char sep, double *out, long max, char **bad)
{
  long k = 0;
  char *s = line;
  for (;;) {
    char *tok, *end;
    if (sep) {
      end = strchr(s, sep);
      if (end) *end = '\0';
      tok = trim(s);
      s = end ? end + 1 : NULL;
    } else {
      while (*s == ' ' || *s == '\t') s++;
      if (!*s) break;
      tok = s;
      while (*s && *s != ' ' && *s != '\t') s++;
      if (*s) *s++ = '\0';
      else s = NULL;
    }
    if (sep == ';')
      for (char *c = tok; *c; c++)
        if (*c == ',') *c = '.';
    {
      double v;
      if (spill__parse_double(tok, &v)) {
        *bad = tok;
        return -1;
      }
      if (k < max) out[k] = v;
    }
    k++;
    if (!s) break;
  }
  return k;
}

spill_weights *spill_weights_read_matrix(spill_ctx *ctx, const char *path, const char *const *ids, int64_t n)
{
  char *text = read_utf8(ctx, path, NULL), *s, **lines = NULL, sep = 0;
  size_t nl = 0, *lineno = NULL, count = 0;
  int64_t nt = 0, *ti = NULL, *tj = NULL;
  double *tx = NULL, *row = NULL;
  spill_weights *w = NULL;
  spill__idmap *map = NULL;
  if (!text) return NULL;
  if (n < 1) {
    spill__fail(ctx, SPILL_EINVAL, "%s: no ids given for the matrix's units", path);
    goto done;
  }
  if (!(map = spill__idmap_of(ctx, ids, n, "the ids list"))) goto done;
  for (const char *c = text; *c; c++) count += *c == '\n';
  lines = spill__malloc(ctx, (count + 2) * sizeof *lines);
  lineno = spill__malloc(ctx, (count + 2) * sizeof *lineno);
  row = spill__malloc(ctx, ((size_t)n + 1) * sizeof *row);
  if (!lines || !lineno || !row) goto done;
  s = text;
  if (!strncmp(s, "\xEF\xBB\xBF", 3)) s += 3;
  {
    char *line;
    size_t at = 0;
    while ((line = next_line(&s))) {
      at++;
      if (spill__blank(line)) continue;
      lineno[nl] = at;
      lines[nl++] = line;
    }
  }
  if (!nl) {
    spill__fail(ctx, SPILL_EFORMAT, "%s is empty: expected an n x n matrix of numbers", path);
    goto done;
  }
  sep = strchr(lines[0], ';') ? ';' : strchr(lines[0], ',') ? ',' : 0;
  {
    /* the first row's length says whether the matrix is square */
    char *copy = spill__strdup(ctx, lines[0]), *bad = NULL;
    long cols;
    if (!copy) goto done;
    cols = numbers_of(copy, sep, row, 0, &bad);
    free(copy);
    if (cols >= 0 && (size_t)cols != nl) {
      spill__fail(ctx, SPILL_EFORMAT, "%s: not a square matrix: %zu rows, but %ld numbers in the first row (line %zu)",
                  path, nl, cols, lineno[0]);
      goto done;
    }
    if (cols >= 0 && (int64_t)cols != n) {
      spill__fail(ctx, SPILL_EDATA,
                  "%s: the matrix is %zu x %zu but %lld ids were given; the ids must name the matrix's units, "
                  "one per row, in row order",
                  path, nl, nl, (long long)n);
      goto done;
    }
  }
  ti = spill__malloc(ctx, 1024 * sizeof *ti);
  tj = spill__malloc(ctx, 1024 * sizeof *tj);
  tx = spill__malloc(ctx, 1024 * sizeof *tx);
  if (!ti || !tj || !tx) goto done;
  {
    int64_t cap = 1024;
    for (size_t i = 0; i < nl; i++) {
      char *bad = NULL;
      long k = numbers_of(lines[i], sep, row, (long)n, &bad);
      if (k < 0) {
        spill__fail(ctx, SPILL_EFORMAT,
                    "%s, line %zu: '%s' is not a number (a header-less matrix holds numbers only; a matrix with "
                    "an id header row and column is read as a dense CSV, without --ids)",
                    path, lineno[i], bad);
        goto done;
      }
      if ((int64_t)k != n) {
        spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: %ld numbers where the %lld x %lld matrix needs %lld", path,
                    lineno[i], k, (long long)n, (long long)n, (long long)n);
        goto done;
      }
      for (int64_t j = 0; j < n; j++) {
        if (row[j] == 0.0) continue;
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
        ti[nt] = (int64_t)i;
        tj[nt] = j;
        tx[nt++] = row[j];
      }
    }
  }
  w = spill_weights_from_triplets(ctx, n, ids, nt, ti, tj, tx);
  if (w) w->style = SPILL_STYLE_G;
done:
  spill__idmap_free(map);
  free(text);
  free(lines);
  free(lineno);
  free(row);
  free(ti);
  free(tj);
  free(tx);
  return w;
}

/* ---- the dense matrix as a .dta ---- */

spill_weights *spill__dta_wread(spill_ctx *ctx, const char *path)
{
  spill__table *t = spill__dta_read_table(ctx, path, NULL);
  spill_weights *w = NULL;
  const char **ids = NULL;
  int64_t n, nt = 0, *ti = NULL, *tj = NULL;
  double *tx = NULL;
  spill__idmap *map = NULL;
  if (!t) return NULL;
  n = (int64_t)t->nrows;
  if (t->ncols != t->nrows + 1 || n < 1) {
    spill__fail(ctx, SPILL_EFORMAT,
                "%s: a weights .dta holds an id variable and one variable per unit (n observations, n + 1 "
                "variables); this one has %zu observations and %zu variables",
                path, t->nrows, t->ncols);
    goto done;
  }
  ids = spill__malloc(ctx, (size_t)n * sizeof *ids);
  if (!ids) goto done;
  for (int64_t i = 0; i < n; i++) ids[i] = spill__table_cell(t, (size_t)i, 0);
  if (!(map = spill__idmap_of(ctx, ids, n, path))) goto done;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++) {
      double v;
      if (spill__table_number(ctx, t, (size_t)i, (size_t)j + 1, &v)) goto done;
      nt += v != 0.0;
    }
  ti = spill__malloc(ctx, (size_t)(nt + 1) * sizeof *ti);
  tj = spill__malloc(ctx, (size_t)(nt + 1) * sizeof *tj);
  tx = spill__malloc(ctx, (size_t)(nt + 1) * sizeof *tx);
  if (!ti || !tj || !tx) goto done;
  nt = 0;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++) {
      double v;
      if (spill__table_number(ctx, t, (size_t)i, (size_t)j + 1, &v)) goto done;
      if (v == 0.0) continue;
      ti[nt] = i;
      tj[nt] = j;
      tx[nt++] = v;
    }
  w = spill_weights_from_triplets(ctx, n, ids, nt, ti, tj, tx);
  if (w) w->style = SPILL_STYLE_G;
done:
  spill__idmap_free(map);
  free(ids);
  free(ti);
  free(tj);
  free(tx);
  spill__table_free(t);
  return w;
}

typedef struct dense_src {
  const spill_weights *w;
  double *row;       /* the current row, dense */
  int64_t at;        /* which row `row` holds, or -1 */
  char **names;
} dense_src;

static double dense_num(void *user, size_t r, size_t c)
{
  dense_src *d = user;
  if (c == 0) return strtod(d->w->ids[r], NULL);
  if ((int64_t)r != d->at) {
    if (d->at >= 0)
      for (int64_t k = d->w->p[d->at]; k < d->w->p[d->at + 1]; k++) d->row[d->w->j[k]] = 0.0;
    for (int64_t k = d->w->p[r]; k < d->w->p[r + 1]; k++) d->row[d->w->j[k]] = d->w->x[k];
    d->at = (int64_t)r;
  }
  return d->row[c - 1];
}

static const char *dense_text(void *user, size_t r, size_t c)
{
  (void)c;
  return ((dense_src *)user)->w->ids[r];
}

int spill__dta_wwrite(spill_ctx *ctx, const spill_weights *w, const char *path)
{
  dense_src d = {w, NULL, -1, NULL};
  spill__dta_spec spec;
  const char **labels = NULL;
  unsigned char *is_text = NULL;
  int numeric = 1, rc = SPILL_ENOMEM;
  if (w->n + 1 > 32767)
    return spill__fail(ctx, SPILL_EINVAL,
                       "%s: a .dta holds at most 32767 variables; %lld units need one each: write .mtx or .gwt",
                       path, (long long)w->n);
  for (int64_t i = 0; i < w->n && numeric; i++) {
    char buf[32];
    numeric = spill__canonical_id(w->ids[i], buf) && !strcmp(buf, w->ids[i]);
  }
  d.row = spill__calloc(ctx, (size_t)w->n + 1, sizeof *d.row);
  d.names = spill__calloc(ctx, (size_t)w->n + 1, sizeof *d.names);
  labels = spill__calloc(ctx, (size_t)w->n + 1, sizeof *labels);
  is_text = spill__calloc(ctx, (size_t)w->n + 1, 1);
  if (!d.row || !d.names || !labels || !is_text) goto done;
  if (!(d.names[0] = spill__strdup(ctx, "id"))) goto done;
  labels[0] = "unit id";
  is_text[0] = (unsigned char)!numeric;
  for (int64_t j = 0; j < w->n; j++) {
    char buf[32];
    snprintf(buf, sizeof buf, "w%lld", (long long)j + 1);
    if (!(d.names[j + 1] = spill__strdup(ctx, buf))) goto done;
    labels[j + 1] = w->ids[j];
  }
  memset(&spec, 0, sizeof spec);
  spec.ncols = (size_t)w->n + 1;
  spec.nrows = (size_t)w->n;
  spec.names = (const char *const *)d.names;
  spec.labels = labels;
  spec.is_text = is_text;
  spec.num = dense_num;
  spec.text = dense_text;
  spec.user = &d;
  spec.file_label = "spatial weights: row i = observation i, column j = variable w<j>";
  rc = spill__dta_write(ctx, path, &spec);
done:
  if (d.names)
    for (int64_t j = 0; j <= w->n; j++) free(d.names[j]);
  free(d.names);
  free(d.row);
  free(labels);
  free(is_text);
  return rc;
}
