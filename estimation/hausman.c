/* The spatial Hausman test of fixed against random unit effects (Mutl and
 * Pfaffermayr 2011, Econometrics J. 14; as R splm's sphtest(method = "ML")):
 * both fits of the same spatial model, H = |d'(V_re - V_fe)^-1 d| with d the
 * difference of the slopes, chi-square with as many degrees of freedom. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/estimation.h"

int spill_hausman(spill_ctx *ctx, const spill_panel *panel, const spill_weights *w, spill_model model,
                  spill_hausman_result *res)
{
  spill_fit_opts o;
  spill_fit *fe = NULL, *re = NULL;
  double *d = NULL, *v = NULL;
  long *map = NULL;
  size_t q = 0;
  int rc = SPILL_ENOMEM;
  if (!ctx || !panel || !w || !res) return SPILL_EINVAL;
  memset(res, 0, sizeof *res);
  res->stat = res->p = NAN;
  res->model = model;
  if (model != SPILL_MODEL_SAR && model != SPILL_MODEL_SDM && model != SPILL_MODEL_SEM)
    return spill__fail(ctx, SPILL_EINVAL, "the spatial Hausman test takes a SAR, SDM or SEM (got %s)",
                       spill__model_name(model));
  spill_fit_opts_init(&o);
  o.model = model;
  o.fe = SPILL_FE_UNIT;
  if (!(fe = spill_fit_model(ctx, panel, w, &o))) goto fail;
  o.fe = SPILL_FE_RANDOM;
  if (!(re = spill_fit_model(ctx, panel, w, &o))) goto fail;
  d = spill__malloc(ctx, fe->k * sizeof *d);
  v = spill__malloc(ctx, fe->k * fe->k * sizeof *v);
  map = spill__malloc(ctx, fe->k * 2 * sizeof *map);
  if (!d || !v || !map) goto fail;
  /* the slopes present in both fits, by name */
  for (size_t a = 0; a < fe->k; a++)
    for (size_t b = 0; b < re->k; b++)
      if (!strcmp(fe->names[a], re->names[b])) {
        map[2 * q] = (long)a;
        map[2 * q + 1] = (long)b;
        q++;
        break;
      }
  if (q == 0) {
    rc = spill__fail(ctx, SPILL_EDATA, "Hausman test: no slope is estimated under both fixed and random effects");
    goto fail;
  }
  for (size_t a = 0; a < q; a++) {
    size_t fa = (size_t)map[2 * a], ra = (size_t)map[2 * a + 1];
    d[a] = fe->coef[fa] - re->coef[ra];
    for (size_t b = 0; b < q; b++) {
      size_t fb = (size_t)map[2 * b], rb = (size_t)map[2 * b + 1];
      v[a * q + b] = re->vcov[ra * re->nv + rb] - fe->vcov[fa * fe->nv + fb];
    }
  }
  if (spill__inverse(v, q)) {
    rc = spill__fail(ctx, SPILL_ENUM, "Hausman test: V_re - V_fe is singular");
    goto fail;
  }
  res->stat = 0.0;
  for (size_t a = 0; a < q; a++)
    for (size_t b = 0; b < q; b++) res->stat += d[a] * v[a * q + b] * d[b];
  res->stat = fabs(res->stat);
  res->df = (int)q;
  res->p = spill__chi2_sf(res->stat, (double)q);
  res->rho_fe = fe->rho;
  res->rho_re = re->rho;
  res->phi = re->phi;
  rc = SPILL_OK;
fail:
  if (rc == SPILL_ENOMEM && ctx->status) rc = ctx->status;
  spill_fit_free(fe);
  spill_fit_free(re);
  free(d);
  free(v);
  free(map);
  return rc;
}
