/* Economic-distance weights from a per-unit variable, and the per-unit means
 * of a panel column they are usually built from.
 *  inverse difference: w_ij = 1/|xbar_i - xbar_j| (Case, Rosen and Hines 1993,
 *    J. Public Econ. 52:285-307); equal values give no link (notice).
 *  nested economic-geographic: W = W_d diag(xbar_j / mean xbar), W_d the
 *    inverse geographic distance 1/d_ij (Lin, Long and Wu 2005, China
 *    Economic Quarterly 4(S1), eq. for W*). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/table.h"
#include "spatial/idmap.h"
#include "spatial/points.h"

void spill_free_ids(char **ids, int64_t n)
{
  if (!ids) return;
  for (int64_t i = 0; i < n; i++) free(ids[i]);
  free(ids);
}

static spill_weights *inv_diff(spill_ctx *ctx, const char *const *ids, const double *xbar, int64_t n)
{
  spill_weights *w;
  int64_t equal = 0, at = 0;
  if (spill__check_memory(ctx, spill__dense_bytes(n), "a dense economic-distance matrix")) return NULL;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = i + 1; j < n; j++) equal += xbar[i] == xbar[j];
  w = spill_weights_new(ctx, n, ids, n * (n - 1) - 2 * equal);
  if (!w) return NULL;
  for (int64_t i = 0; i < n; i++) {
    for (int64_t j = 0; j < n; j++) {
      if (j == i || xbar[i] == xbar[j]) continue;
      w->j[at] = j;
      w->x[at++] = 1.0 / fabs(xbar[i] - xbar[j]);
    }
    w->p[i + 1] = at;
  }
  if (equal)
    spill__notice(ctx, "economic distance: %lld pair%s of units with equal values get no link (1/|x_i - x_j| is "
                       "infinite for them)", (long long)equal, equal > 1 ? "s" : "");
  return w;
}

static spill_weights *nested(spill_ctx *ctx, const char *const *ids, const double *xbar, int64_t n,
                             const spill_points *geo)
{
  spill_weights *w;
  double mean = 0.0;
  for (int64_t i = 0; i < n; i++) {
    if (!(xbar[i] > 0)) {
      spill__fail(ctx, SPILL_EDATA, "economic-geographic weights: unit '%s' has value %g; the economic size must be positive",
                  ids[i], xbar[i]);
      return NULL;
    }
    mean += xbar[i];
  }
  mean /= (double)n;
  w = spill_weights_idw(ctx, geo, 1.0, 0.0);
  if (!w) return NULL;
  for (int64_t i = 0; i < n; i++)
    for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) w->x[k] *= xbar[w->j[k]] / mean;
  return w;
}

spill_weights *spill_weights_econ(spill_ctx *ctx, const char *const *ids, const double *xbar, int64_t n,
                                  spill_econ_kind kind, const spill_points *geo)
{
  spill__idmap *map;
  if (n < 2) {
    spill__fail(ctx, SPILL_EINVAL, "economic weights need at least two units");
    return NULL;
  }
  map = spill__idmap_of(ctx, ids, n, "economic weights");
  if (!map) return NULL;
  spill__idmap_free(map);
  for (int64_t i = 0; i < n; i++)
    if (!isfinite(xbar[i])) {
      spill__fail(ctx, SPILL_EDATA, "economic weights: unit '%s' has a missing value; fill it or drop the unit",
                  ids[i]);
      return NULL;
    }
  if (kind == SPILL_ECON_INVDIFF) return inv_diff(ctx, ids, xbar, n);
  if (kind != SPILL_ECON_GEO) {
    spill__fail(ctx, SPILL_EINVAL, "economic weights: unknown kind %d", (int)kind);
    return NULL;
  }
  if (!geo || geo->n != n) {
    spill__fail(ctx, SPILL_EINVAL, "economic-geographic weights need the locations of the same %lld units",
                (long long)n);
    return NULL;
  }
  for (int64_t i = 0; i < n; i++)
    if (strcmp(ids[i], geo->ids[i])) {
      spill__fail(ctx, SPILL_EDATA,
                  "economic-geographic weights: unit %lld is '%s' in the variable but '%s' in the locations; the "
                  "ids must match, in the same order",
                  (long long)i + 1, ids[i], geo->ids[i]);
      return NULL;
    }
  return nested(ctx, ids, xbar, n, geo);
}

int spill_panel_means(spill_ctx *ctx, const char *path, const char *id_col, const char *time_col,
                      const char *var_col, long from, long to, char ***ids_out, double **xbar_out, int64_t *n_out)
{
  spill__table *t = spill__table_read(ctx, path);
  spill__idmap *map = NULL;
  char **ids = NULL;
  double *sum = NULL;
  int64_t *cnt = NULL, n = 0;
  long ci, ct, cv;
  int rc = SPILL_OK;
  *ids_out = NULL;
  *xbar_out = NULL;
  *n_out = 0;
  if (!t) return spill_ctx_status(ctx);
  if ((ci = spill__table_require_col(ctx, t, id_col)) < 0 || (ct = spill__table_require_col(ctx, t, time_col)) < 0 ||
      (cv = spill__table_require_col(ctx, t, var_col)) < 0) {
    rc = SPILL_EDATA;
    goto done;
  }
  map = spill__idmap_new(ctx, t->nrows);
  ids = spill__calloc(ctx, t->nrows + 1, sizeof *ids);
  sum = spill__calloc(ctx, t->nrows + 1, sizeof *sum);
  cnt = spill__calloc(ctx, t->nrows + 1, sizeof *cnt);
  if (!map || !ids || !sum || !cnt) {
    rc = SPILL_ENOMEM;
    goto done;
  }
  for (size_t r = 0; r < t->nrows; r++) {
    const char *id = spill__table_cell(t, r, (size_t)ci);
    double year, v;
    int64_t u = spill__idmap_put(ctx, map, id, n);
    if (u == -2) {
      rc = SPILL_ENOMEM;
      goto done;
    }
    if (u == n) {
      if (!(ids[n] = spill__strdup(ctx, id))) {
        rc = SPILL_ENOMEM;
        goto done;
      }
      n++;
    }
    if ((rc = spill__table_number(ctx, t, r, (size_t)ct, &year))) goto done;
    if (from <= to && (year < (double)from || year > (double)to)) continue;
    if ((rc = spill__table_number(ctx, t, r, (size_t)cv, &v))) goto done;
    sum[u] += v;
    cnt[u]++;
  }
  for (int64_t u = 0; u < n; u++) {
    if (!cnt[u]) {
      rc = spill__fail(ctx, SPILL_EDATA, "%s: unit '%s' has no value of '%s' in %ld-%ld", path, ids[u], var_col,
                       from, to);
      goto done;
    }
    sum[u] /= (double)cnt[u];
  }
  *ids_out = ids;
  *xbar_out = sum;
  *n_out = n;
  ids = NULL;
  sum = NULL;
done:
  spill_free_ids(ids, n);
  free(sum);
  free(cnt);
  spill__idmap_free(map);
  spill__table_free(t);
  return rc;
}
