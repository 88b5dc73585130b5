/* Reading an unbalanced panel: unit-periods without a row, or with a
 * missing value in a variable the model uses, become unobserved cells
 * (spill_panel.obs) instead of an error; the FE OLS DID uses the rest. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/table.h"
#include "estimation/estimation.h"

typedef struct row_key {
  const char *id;
  size_t row;
} row_key;

static int cmp_row_key(const void *a, const void *b)
{
  const row_key *x = a, *y = b;
  int c = strcmp(x->id, y->id);
  return c ? c : (x->row > y->row) - (x->row < y->row);
}

static int cmp_i64(const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int whole(spill_ctx *ctx, const spill__table *tb, size_t r, long c, int64_t *out)
{
  double v;
  if (spill__table_number(ctx, tb, r, (size_t)c, &v)) return ctx->status;
  if (v != floor(v) || fabs(v) > 1e15)
    return spill__fail(ctx, SPILL_EDATA, "%s, line %zu, column '%s': '%s' is not a whole number", tb->path,
                       r + 2, tb->names[c], spill__table_cell(tb, r, (size_t)c));
  *out = (int64_t)v;
  return SPILL_OK;
}

spill_panel *spill_panel_read_csv_unbalanced(spill_ctx *ctx, const char *path,
                                             const spill_panel_spec *spec0)
{
  const spill_panel_spec *spec = spec0;
  spill_panel_spec xspec;
  char **xnames = NULL;
  spill__table *tb = NULL;
  spill_panel *p = NULL;
  row_key *keys = NULL;
  char (*canon)[32] = NULL;
  size_t nrows, nunits = 0, *unit_of = NULL, *first = NULL, dropped_rows = 0;
  int64_t *row_time = NULL, *times = NULL, nt = 0, *adopt = NULL;
  long cid, ctime, cy, cd = -1, ca = -1, *cx = NULL;
  const char **uid = NULL;
  int ok = 0;

  if (!spec || !spec->id_col || !spec->time_col || !spec->y_col) {
    spill__fail(ctx, SPILL_EINVAL, "panel spec needs id, time and outcome columns");
    return NULL;
  }
  if (spec->treat_col && spec->adopt_col) {
    spill__fail(ctx, SPILL_EINVAL, "give either a treatment column or an adoption column, not both");
    return NULL;
  }
  if (!(tb = spill__table_read(ctx, path))) return NULL;
  if (spill__panel_x_terms(ctx, tb, spec0, &xspec, &xnames)) goto done; /* interact.c */
  spec = &xspec;
  nrows = tb->nrows;
  if (nrows == 0) {
    spill__fail(ctx, SPILL_EDATA, "%s has no data rows", path);
    goto done;
  }
  if ((cid = spill__table_require_col(ctx, tb, spec->id_col)) < 0 ||
      (ctime = spill__table_require_col(ctx, tb, spec->time_col)) < 0 ||
      (cy = spill__table_require_col(ctx, tb, spec->y_col)) < 0)
    goto done;
  if (spec->treat_col && (cd = spill__table_require_col(ctx, tb, spec->treat_col)) < 0) goto done;
  if (spec->adopt_col && (ca = spill__table_require_col(ctx, tb, spec->adopt_col)) < 0) goto done;
  if (!(cx = spill__calloc(ctx, spec->nx ? spec->nx : 1, sizeof *cx))) goto done;
  for (size_t k = 0; k < spec->nx; k++)
    if ((cx[k] = spill__table_require_col(ctx, tb, spec->x_cols[k])) < 0) goto done;

  keys = spill__malloc(ctx, nrows * sizeof *keys);
  canon = spill__malloc(ctx, nrows * sizeof *canon);
  unit_of = spill__malloc(ctx, nrows * sizeof *unit_of);
  first = spill__malloc(ctx, nrows * sizeof *first);
  row_time = spill__malloc(ctx, nrows * sizeof *row_time);
  times = spill__malloc(ctx, nrows * sizeof *times);
  uid = spill__malloc(ctx, nrows * sizeof *uid);
  if (!keys || !canon || !unit_of || !first || !row_time || !times || !uid) goto done;
  for (size_t r = 0; r < nrows; r++) {
    const char *s = spill__table_cell(tb, r, (size_t)cid);
    if (!*s) {
      spill__fail(ctx, SPILL_EDATA, "%s, line %zu, column '%s': missing unit id", path, r + 2, tb->names[cid]);
      goto done;
    }
    keys[r].id = spill__canonical_id(s, canon[r]) ? canon[r] : s;
    keys[r].row = r;
    if (whole(ctx, tb, r, ctime, &row_time[r])) goto done;
    times[r] = row_time[r];
  }
  /* units in order of first appearance: group equal ids, then rank groups
   * by their first row */
  qsort(keys, nrows, sizeof *keys, cmp_row_key);
  for (size_t a = 0; a < nrows;) {
    size_t b = a;
    while (b < nrows && !strcmp(keys[b].id, keys[a].id)) b++;
    first[nunits] = keys[a].row; /* smallest row: keys sort rows within an id */
    for (size_t q = a; q < b; q++) unit_of[keys[q].row] = nunits;
    nunits++;
    a = b;
  }
  {
    /* renumber units by first row */
    size_t *rank = spill__malloc(ctx, nrows * sizeof *rank), u = 0;
    if (!rank) goto done;
    for (size_t r = 0; r < nrows; r++) rank[r] = (size_t)-1;
    for (size_t g = 0; g < nunits; g++) rank[first[g]] = g;
    for (size_t r = 0; r < nrows; r++)
      if (rank[r] != (size_t)-1) first[rank[r]] = u++; /* group -> new index */
    for (size_t r = 0; r < nrows; r++) unit_of[r] = first[unit_of[r]];
    free(rank);
  }
  {
    size_t *seen_first = spill__malloc(ctx, nunits * sizeof *seen_first);
    if (!seen_first) goto done;
    for (size_t u = 0; u < nunits; u++) seen_first[u] = (size_t)-1;
    for (size_t r = 0; r < nrows; r++)
      if (seen_first[unit_of[r]] == (size_t)-1) {
        seen_first[unit_of[r]] = r;
        uid[unit_of[r]] = spill__canonical_id(spill__table_cell(tb, r, (size_t)cid), canon[r])
                              ? canon[r]
                              : spill__table_cell(tb, r, (size_t)cid);
      }
    free(seen_first);
  }
  qsort(times, nrows, sizeof *times, cmp_i64);
  for (size_t r = 0; r < nrows; r++)
    if (nt == 0 || times[nt - 1] != times[r]) times[nt++] = times[r];

  if (!(p = spill_panel_new(ctx, (int64_t)nunits, nt, uid, times, spec->nx, cd >= 0 || ca >= 0))) goto done;
  if (!(p->obs = spill__calloc(ctx, nunits * (size_t)nt, 1))) goto done;
  free(p->y_name);
  if (!(p->y_name = spill__strdup(ctx, spec->y_col))) goto done;
  if (cd >= 0) {
    free(p->d_name);
    if (!(p->d_name = spill__strdup(ctx, spec->treat_col))) goto done;
  }
  for (size_t k = 0; k < spec->nx; k++) {
    free(p->x_names[k]);
    if (!(p->x_names[k] = spill__strdup(ctx, spec->x_cols[k]))) goto done;
  }
  if (ca >= 0) {
    if (!(adopt = spill__malloc(ctx, nunits * sizeof *adopt))) goto done;
    for (size_t u = 0; u < nunits; u++) adopt[u] = INT64_MIN;
  }
  for (size_t r = 0; r < nrows; r++) {
    int64_t i = (int64_t)unit_of[r], lo = 0, hi = nt - 1, s = 0, at;
    int miss = 0;
    while (lo <= hi) {
      s = (lo + hi) / 2;
      if (times[s] == row_time[r]) break;
      if (times[s] < row_time[r]) lo = s + 1;
      else hi = s - 1;
    }
    at = s * p->n + i;
    if (p->obs[at]) {
      spill__fail(ctx, SPILL_EDATA, "%s, line %zu: unit '%s' appears twice in period %lld", path, r + 2,
                  uid[i], (long long)row_time[r]);
      goto done;
    }
    p->obs[at] = 2; /* has a row; 1 once its values are all present */
    if (ca >= 0) {
      int64_t a = 0;
      const char *c = spill__table_cell(tb, r, (size_t)ca);
      while (*c == ' ') c++;
      if (*c && !spill__table_is_missing(tb, r, (size_t)ca) && whole(ctx, tb, r, ca, &a)) goto done;
      if (adopt[i] != INT64_MIN && adopt[i] != a) {
        spill__fail(ctx, SPILL_EDATA,
                    "%s, line %zu, column '%s': unit '%s' has adoption period %lld here but %lld on an "
                    "earlier line; the adoption period must be the same in every row of a unit",
                    path, r + 2, tb->names[ca], uid[i], (long long)a, (long long)adopt[i]);
        goto done;
      }
      adopt[i] = a;
      p->d[at] = (a != 0 && row_time[r] >= a) ? 1.0 : 0.0;
    }
    miss = spill__table_is_missing(tb, r, (size_t)cy) || (cd >= 0 && spill__table_is_missing(tb, r, (size_t)cd));
    for (size_t k = 0; k < spec->nx && !miss; k++) miss = spill__table_is_missing(tb, r, (size_t)cx[k]);
    if (miss) {
      dropped_rows++;
      continue;
    }
    if (spill__table_number(ctx, tb, r, (size_t)cy, &p->y[at])) goto done;
    if (cd >= 0 && spill__table_number(ctx, tb, r, (size_t)cd, &p->d[at])) goto done;
    for (size_t k = 0; k < spec->nx; k++)
      if (spill__table_number(ctx, tb, r, (size_t)cx[k], &p->x[k * (size_t)(p->n * nt) + (size_t)at]))
        goto done;
    p->obs[at] = 1;
  }
  {
    int64_t cells = p->n * nt, unobserved = 0;
    for (int64_t q = 0; q < cells; q++) {
      if (p->obs[q] != 1) { /* no row, or a missing value: zero everywhere */
        p->y[q] = 0.0;
        if (p->d) p->d[q] = 0.0;
        for (size_t k = 0; k < p->nx; k++) p->x[k * (size_t)cells + (size_t)q] = 0.0;
        p->obs[q] = 0;
        unobserved++;
      }
    }
    if (dropped_rows)
      spill__notice(ctx, "%s: %zu row%s with a missing value in the model's variables left out (as Stata does)",
                    path, dropped_rows, dropped_rows == 1 ? "" : "s");
    if (unobserved == 0) {
      free(p->obs);
      p->obs = NULL;
    } else if (spec->drop_incomplete && spill_panel_drop_incomplete(ctx, p)) {
      goto done;
    }
  }
  ok = 1;
done:
  if (!ok) {
    spill_panel_free(p);
    p = NULL;
  }
  free(keys);
  free(canon);
  free(unit_of);
  free(first);
  free(row_time);
  free(times);
  free(uid);
  free(adopt);
  free(cx);
  if (xnames) spill_free_ids(xnames, (int64_t)xspec.nx);
  spill__table_free(tb);
  return p;
}
