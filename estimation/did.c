/* spill_did_estimate: cohorts from an absorbing treatment, the method
 * dispatch, and the comparison with plain TWFE and the SDM-DID. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/staggered.h"

int spill__did_cohorts(spill_ctx *ctx, const spill_panel *p, int64_t *g)
{
  int64_t n = p->n, t = p->t;
  if (!p->d) return spill__fail(ctx, SPILL_EINVAL, "the panel has no treatment: give --treat or --adopt");
  for (int64_t i = 0; i < n; i++) {
    g[i] = 0;
    for (int64_t s = 0; s < t; s++) {
      double d = p->d[s * n + i];
      if (d != 0 && d != 1)
        return spill__fail(ctx, SPILL_EDATA, "treatment of unit %s in period %lld is %g: staggered DID needs 0/1",
                           p->ids[i], (long long)p->times[s], d);
      if (d == 1 && g[i] == 0) g[i] = p->times[s];
      if (d == 0 && g[i] != 0)
        return spill__fail(ctx, SPILL_EDATA,
                           "treatment of unit %s switches off in period %lld after starting in %lld: staggered "
                           "DID needs adoption that stays on (absorbing); code the first adoption with --adopt",
                           p->ids[i], (long long)p->times[s], (long long)g[i]);
    }
  }
  return 0;
}

spill_did_result *spill_did_estimate(spill_ctx *ctx, const spill_panel *p, const spill_did_opts *opts)
{
  spill_did_opts def;
  spill_did_result *r;
  int rc;
  if (!opts) {
    spill_did_opts_init(&def);
    opts = &def;
  }
  if (!p || p->n < 2 || p->t < 2)
    return spill__fail(ctx, SPILL_EDATA, "staggered DID needs a panel of at least 2 units and 2 periods"), NULL;
  if (!(opts->level > 0 && opts->level < 1))
    return spill__fail(ctx, SPILL_EINVAL, "level must lie in (0, 1), got %g", opts->level), NULL;
  if (opts->boot < 0) return spill__fail(ctx, SPILL_EINVAL, "bootstrap draws must be >= 0"), NULL;
  if (opts->exposure && (opts->exposure->n != p->n || opts->exposure->t != p->t))
    return spill__fail(ctx, SPILL_EINVAL, "the exposure was built for another panel"), NULL;
  for (int64_t k = 0; k < p->n * p->t; k++)
    if (!isfinite(p->y[k]))
      return spill__fail(ctx, SPILL_EDATA, "outcome of unit %s in period %lld is missing", p->ids[k % p->n],
                         (long long)p->times[k / p->n]),
             NULL;
  if (!(r = spill__did_result_new(ctx, opts->method, opts))) return NULL;
  switch (opts->method) {
  case SPILL_DID_CS:
    if (opts->exposure) {
      spill_did_result_free(r);
      return spill__fail(ctx, SPILL_EINVAL,
                         "exposure (spillover) categories go with --method imputation or twostage (Butts 2021), "
                         "not with Callaway-Sant'Anna"),
             NULL;
    }
    rc = spill__did_cs(ctx, p, opts, r);
    break;
  case SPILL_DID_IMPUTATION:
  case SPILL_DID_TWOSTAGE: rc = spill__did_impute(ctx, p, opts, r); break;
  case SPILL_DID_TWFE: {
    int64_t *g = spill__malloc(ctx, (size_t)p->n * sizeof *g);
    rc = g ? spill__did_cohorts(ctx, p, g) : SPILL_ENOMEM;
    if (!rc) {
      r->n = p->n;
      r->t = p->t;
      for (int64_t i = 0; i < p->n; i++) {
        if (g[i]) r->n_treated++;
        else r->n_never++;
      }
    }
    free(g);
    if (!rc) rc = spill_did_compare(ctx, r, p, NULL, opts);
    break;
  }
  default: rc = spill__fail(ctx, SPILL_EINVAL, "unknown DID method %d", (int)opts->method);
  }
  if (rc) {
    spill_did_result_free(r);
    return NULL;
  }
  return r;
}

/* TWFE by spill_fit_model (OLS, two-way FE, cluster-robust by unit) of y on
 * d [+ exposure dummies] [+ controls]; W is not used by OLS (an empty W). */
static int twfe(spill_ctx *ctx, const spill_panel *p, const spill_exposure *ex, int use_x, spill_did_table *t,
                double level, const char *label)
{
  int64_t n = p->n, nt = p->n * p->t;
  size_t nr = ex ? (size_t)ex->rings : 0, nx = nr + (use_x ? p->nx : 0);
  spill_panel *q = spill_panel_new(ctx, n, p->t, (const char *const *)p->ids, p->times, nx, 1);
  spill_weights *w0 = NULL;
  spill_fit *f = NULL;
  spill_fit_opts fo;
  int rc = SPILL_ENOMEM;
  char name[160];
  if (!q) return SPILL_ENOMEM;
  memcpy(q->y, p->y, (size_t)nt * sizeof *q->y);
  memcpy(q->d, p->d, (size_t)nt * sizeof *q->d);
  for (size_t k = 0; k < nr; k++) {
    for (int64_t j = 0; j < nt; j++) q->x[k * (size_t)nt + j] = ex->ring[j] == (int)k + 1;
    free(q->x_names[k]);
    snprintf(name, sizeof name, "exposed %s", ex->labels[k]);
    if (!(q->x_names[k] = spill__strdup(ctx, name))) goto done;
  }
  for (size_t k = nr; k < nx; k++) memcpy(q->x + k * (size_t)nt, p->x + (k - nr) * (size_t)nt, (size_t)nt * sizeof *q->x);
  if (!(w0 = spill_weights_new(ctx, n, (const char *const *)p->ids, 0))) goto done;
  w0->style = 'B';
  spill_fit_opts_init(&fo);
  fo.model = SPILL_MODEL_OLS;
  if (!(f = spill_fit_model(ctx, q, w0, &fo))) {
    rc = spill_ctx_status(ctx);
    goto done;
  }
  rc = 0;
  for (size_t j = 0; j < f->k; j++) {
    if ((long)j == f->treat) snprintf(name, sizeof name, "%s: treated", label);
    else if (!strncmp(f->names[j], "exposed ", 8)) snprintf(name, sizeof name, "%s: %s", label, f->names[j]);
    else continue;
    if (!spill__did_row_add(ctx, t, name, INT64_MIN, INT64_MIN, INT64_MIN, f->coef[j], f->se[j], level, 0)) {
      rc = SPILL_ENOMEM;
      break;
    }
  }
done:
  spill_fit_free(f);
  spill_weights_free(w0);
  spill_panel_free(q);
  return rc;
}

int spill_did_compare(spill_ctx *ctx, spill_did_result *r, const spill_panel *p, const spill_weights *w,
                      const spill_did_opts *opts)
{
  spill_did_opts def;
  spill_did_table *t;
  int rc;
  if (!opts) {
    spill_did_opts_init(&def);
    opts = &def;
  }
  /* a second call (after --method twfe) only adds what is missing */
  t = (spill_did_table *)spill_did_find(r, "comparison");
  if (!t) {
    if (!(t = spill__did_table_add(ctx, r, "comparison"))) return SPILL_ENOMEM;
    if ((rc = twfe(ctx, p, NULL, opts->use_x, t, opts->level, "TWFE"))) return rc;
    if (opts->exposure && (rc = twfe(ctx, p, opts->exposure, opts->use_x, t, opts->level, "TWFE with exposure")))
      return rc;
  } else
    rc = 0;
  if (w) {
    spill_fit_opts fo;
    spill_fit *f;
    spill_effects_opts eo;
    spill_effects *e = NULL;
    const spill_effect *ef;
    spill_fit_opts_init(&fo);
    fo.model = SPILL_MODEL_SDM;
    if (!opts->use_x) {
      spill_panel q = *p;
      q.nx = 0;
      f = spill_fit_model(ctx, &q, w, &fo);
    } else
      f = spill_fit_model(ctx, p, w, &fo);
    if (!f) return spill_ctx_status(ctx);
    spill_effects_opts_init(&eo);
    eo.draws = 0;
    e = spill_effects_compute(ctx, f, w, NULL, &eo);
    if (!e) {
      spill_fit_free(f);
      return spill_ctx_status(ctx);
    }
    ef = f->treat >= 0 ? spill_effects_find(e, f->names[f->treat]) : NULL;
    if (ef &&
        (!spill__did_row_add(ctx, t, "SDM-DID: direct", INT64_MIN, INT64_MIN, INT64_MIN, ef->direct.estimate,
                             ef->direct.se_delta, opts->level, 0) ||
         !spill__did_row_add(ctx, t, "SDM-DID: indirect (spillover)", INT64_MIN, INT64_MIN, INT64_MIN,
                             ef->indirect.estimate, ef->indirect.se_delta, opts->level, 0) ||
         !spill__did_row_add(ctx, t, "SDM-DID: total", INT64_MIN, INT64_MIN, INT64_MIN, ef->total.estimate,
                             ef->total.se_delta, opts->level, 0) ||
         !spill__did_row_add(ctx, t, "SDM-DID: rho", INT64_MIN, INT64_MIN, INT64_MIN, f->rho, f->rho_se,
                             opts->level, 0)))
      rc = SPILL_ENOMEM;
    spill_effects_free(e);
    spill_fit_free(f);
  }
  return rc;
}
