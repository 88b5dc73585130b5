/* The exact fixed-effects within transform of an unbalanced panel: the
 * residual of the least-squares projection on unit and time dummies over the
 * observed cells (what reghdfe and fixest compute by alternating projections
 * to a tolerance; here by the exact normal equations). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/estimation.h"

extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a,
                    const int *lda, double *b, const int *ldb, int *info);

struct spill__wplan {
  int64_t n, t;
  spill_fe fe;
  const unsigned char *obs; /* n*t, time-major (borrowed) */
  double *ti, *ns;          /* observed periods per unit, units per period */
  double *chol;             /* t x t Cholesky factor of L + sum_c 1_c 1_c' (two-way) */
  double *ubar, *g;         /* work: n, t */
  int64_t units, periods, components, nobs;
};

static int64_t find_root(int64_t *parent, int64_t a)
{
  while (parent[a] != a) a = parent[a] = parent[parent[a]];
  return a;
}

void spill__wplan_free(spill__wplan *pl)
{
  if (!pl) return;
  free(pl->ti);
  free(pl->ns);
  free(pl->chol);
  free(pl->ubar);
  free(pl->g);
  free(pl);
}

/* Two-way normal equations (Searle 1987, ch. 4: the unbalanced two-way
 * classification without interaction): with alpha_i eliminated,
 * L gamma = b, L_st = N_s [s=t] - sum_i o_is o_it / T_i,
 * b_s = sum_i o_is (v_is - vbar_i). L is singular along the indicator of
 * each connected component of the unit-period graph, and b is orthogonal to
 * those, so adding their outer products makes the system definite without
 * changing the fitted effects. */
spill__wplan *spill__wplan_new(spill_ctx *ctx, int64_t n, int64_t t, spill_fe fe,
                               const unsigned char *obs)
{
  spill__wplan *pl = spill__calloc(ctx, 1, sizeof *pl);
  int64_t *parent = NULL;
  int ok = 0;
  if (!pl) return NULL;
  pl->n = n;
  pl->t = t;
  pl->fe = fe;
  pl->obs = obs;
  pl->ti = spill__calloc(ctx, (size_t)n, sizeof *pl->ti);
  pl->ns = spill__calloc(ctx, (size_t)t, sizeof *pl->ns);
  pl->ubar = spill__malloc(ctx, (size_t)n * sizeof *pl->ubar);
  pl->g = spill__malloc(ctx, (size_t)t * sizeof *pl->g);
  parent = spill__malloc(ctx, (size_t)(n + t) * sizeof *parent);
  if (!pl->ti || !pl->ns || !pl->ubar || !pl->g || !parent) goto done;
  for (int64_t a = 0; a < n + t; a++) parent[a] = a;
  for (int64_t s = 0; s < t; s++)
    for (int64_t i = 0; i < n; i++)
      if (!obs || obs[s * n + i]) {
        int64_t ra = find_root(parent, i), rb = find_root(parent, n + s);
        pl->ti[i] += 1.0;
        pl->ns[s] += 1.0;
        pl->nobs++;
        if (ra != rb) parent[ra] = rb;
      }
  for (int64_t i = 0; i < n; i++) pl->units += pl->ti[i] > 0;
  for (int64_t s = 0; s < t; s++) pl->periods += pl->ns[s] > 0;
  for (int64_t a = 0; a < n + t; a++)
    if (find_root(parent, a) == a && (a < n ? pl->ti[a] > 0 : pl->ns[a - n] > 0)) pl->components++;
  if (fe == SPILL_FE_TWOWAYS) {
    int tt = (int)t, info = 0;
    double *l = pl->chol = spill__calloc(ctx, (size_t)(t * t), sizeof *l);
    if (!l) goto done;
    for (int64_t s = 0; s < t; s++) l[s * t + s] = pl->ns[s];
    for (int64_t i = 0; i < n; i++) {
      if (pl->ti[i] == 0) continue;
      for (int64_t s = 0; s < t; s++) {
        if (obs && !obs[s * n + i]) continue;
        for (int64_t r = 0; r < t; r++)
          if (!obs || obs[r * n + i]) l[s * t + r] -= 1.0 / pl->ti[i];
      }
    }
    for (int64_t s = 0; s < t; s++)
      for (int64_t r = 0; r < t; r++)
        if (find_root(parent, n + s) == find_root(parent, n + r)) l[s * t + r] += 1.0;
    dpotrf_("U", &tt, l, &tt, &info);
    if (info) {
      spill__fail(ctx, SPILL_ENUM, "the two-way fixed effects of the unbalanced panel could not be "
                  "solved (normal equations not definite at period %d)", info);
      goto done;
    }
  }
  ok = 1;
done:
  free(parent);
  if (!ok) {
    spill__wplan_free(pl);
    return NULL;
  }
  return pl;
}

int64_t spill__wplan_absorbed(const spill__wplan *pl)
{
  switch (pl->fe) {
  case SPILL_FE_TWOWAYS: return pl->units + pl->periods - pl->components;
  case SPILL_FE_UNIT: return pl->units;
  case SPILL_FE_TIME: return pl->periods;
  default: return 0;
  }
}

int64_t spill__wplan_nobs(const spill__wplan *pl) { return pl->nobs; }
int64_t spill__wplan_units(const spill__wplan *pl) { return pl->units; }

void spill__wplan_apply(spill__wplan *pl, const double *v, double *out)
{
  int64_t n = pl->n, t = pl->t;
  const unsigned char *obs = pl->obs;
  int unit = pl->fe == SPILL_FE_UNIT || pl->fe == SPILL_FE_TWOWAYS;
  int time = pl->fe == SPILL_FE_TIME || pl->fe == SPILL_FE_TWOWAYS;
#define OBS(s, i) (!obs || obs[(s) * n + (i)])
  for (int64_t i = 0; i < n; i++) pl->ubar[i] = 0.0;
  for (int64_t s = 0; s < t; s++) pl->g[s] = 0.0;
  if (unit) {
    for (int64_t s = 0; s < t; s++)
      for (int64_t i = 0; i < n; i++)
        if (OBS(s, i)) pl->ubar[i] += v[s * n + i];
    for (int64_t i = 0; i < n; i++)
      if (pl->ti[i] > 0) pl->ubar[i] /= pl->ti[i];
  }
  if (time) {
    for (int64_t s = 0; s < t; s++)
      for (int64_t i = 0; i < n; i++)
        if (OBS(s, i)) pl->g[s] += v[s * n + i] - pl->ubar[i];
    if (unit) {
      int tt = (int)t, one = 1, info = 0;
      dpotrs_("U", &tt, &one, pl->chol, &tt, pl->g, &tt, &info);
      /* alpha_i = vbar_i - mean of gamma over unit i's periods */
      for (int64_t i = 0; i < n; i++) {
        double a = 0.0;
        if (pl->ti[i] == 0) continue;
        for (int64_t s = 0; s < t; s++)
          if (OBS(s, i)) a += pl->g[s];
        pl->ubar[i] -= a / pl->ti[i];
      }
    } else {
      for (int64_t s = 0; s < t; s++)
        if (pl->ns[s] > 0) pl->g[s] /= pl->ns[s];
    }
  }
  for (int64_t s = 0; s < t; s++)
    for (int64_t i = 0; i < n; i++)
      out[s * n + i] = OBS(s, i) ? v[s * n + i] - pl->ubar[i] - pl->g[s] : 0.0;
#undef OBS
}
