/* Machinery shared by the DID diagnostics: adoption periods from the
 * treatment, panels with extra columns, Wald tests, orthogonal projections
 * off fixed controls (Frisch-Waugh-Lovell) and JSON output. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/did.h"

int spill__adoption(spill_ctx *ctx, const spill_panel *p, int64_t *adopt, size_t *always)
{
  int64_t n = p->n, t = p->t;
  size_t na = 0;
  if (!p->d)
    return spill__fail(ctx, SPILL_EINVAL, "the panel has no treatment: give --treat or --adopt");
  for (int64_t i = 0; i < n; i++) {
    int on = 0;
    adopt[i] = 0;
    for (int64_t s = 0; s < t; s++) {
      double v = p->d[s * n + i];
      if (v != 0 && v != 1)
        return spill__fail(ctx, SPILL_EDATA, "unit %s, period %lld: the treatment is %g; it must be 0 or 1",
                           p->ids[i], (long long)p->times[s], v);
      if (v == 1 && !on) {
        on = 1;
        adopt[i] = p->times[s];
        if (s == 0) na++;
      } else if (v == 0 && on)
        return spill__fail(ctx, SPILL_EDATA,
                           "unit %s: the treatment switches off in %lld after starting in %lld; "
                           "staggered designs need a treatment that stays on (adoption)",
                           p->ids[i], (long long)p->times[s], (long long)adopt[i]);
    }
  }
  if (always) *always = na;
  return SPILL_OK;
}

spill_panel *spill__panel_with(spill_ctx *ctx, const spill_panel *p, const double *d,
                               const char *d_name, const double *cols, size_t m,
                               const char *const *names, int drop_x)
{
  size_t nx = m + (drop_x ? 0 : p->nx), nt = (size_t)(p->n * p->t);
  spill_panel *q = spill_panel_new(ctx, p->n, p->t, (const char *const *)p->ids, p->times, nx, d != NULL);
  if (!q) return NULL;
  memcpy(q->y, p->y, nt * sizeof *q->y);
  free(q->y_name);
  q->y_name = spill__strdup(ctx, p->y_name ? p->y_name : "y");
  if (d) {
    memcpy(q->d, d, nt * sizeof *q->d);
    free(q->d_name);
    q->d_name = spill__strdup(ctx, d_name ? d_name : "did");
  }
  for (size_t k = 0; k < nx; k++) {
    const char *nm = k < m ? names[k] : p->x_names[k - m];
    const double *src = k < m ? cols + k * nt : p->x + (k - m) * nt;
    memcpy(q->x + k * nt, src, nt * sizeof *q->x);
    free(q->x_names[k]);
    q->x_names[k] = spill__strdup(ctx, nm);
    if (!q->x_names[k]) break;
  }
  if (!q->y_name || (d && !q->d_name)) {
    spill_panel_free(q);
    return NULL;
  }
  for (size_t k = 0; k < nx; k++)
    if (!q->x_names[k]) {
      spill_panel_free(q);
      return NULL;
    }
  return q;
}

int spill__wald_vec(spill_ctx *ctx, const double *b, const double *v, size_t m, double *stat,
                    double *p)
{
  double *a = spill__malloc(ctx, (m ? m * m : 1) * sizeof *a), s = 0;
  if (!a) return SPILL_ENOMEM;
  memcpy(a, v, m * m * sizeof *a);
  if (m == 0 || spill__inverse(a, m)) {
    free(a);
    *stat = *p = NAN;
    return m ? spill__fail(ctx, SPILL_ENUM, "Wald test: the covariance of the tested terms is singular")
             : SPILL_OK;
  }
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < m; j++) s += b[i] * a[i * m + j] * b[j];
  free(a);
  *stat = s;
  *p = spill__chi2_sf(s, (double)m);
  return SPILL_OK;
}

int spill__wald_idx(spill_ctx *ctx, const spill_fit *f, const long *idx, size_t m, double *stat,
                    double *p)
{
  double *b = spill__malloc(ctx, (m ? m : 1) * sizeof *b), *v = spill__malloc(ctx, (m ? m * m : 1) * sizeof *v);
  int rc;
  if (!b || !v) {
    free(b);
    free(v);
    return SPILL_ENOMEM;
  }
  for (size_t i = 0; i < m; i++) {
    b[i] = f->coef[idx[i]];
    for (size_t j = 0; j < m; j++) v[i * m + j] = f->vcov[(size_t)idx[i] * f->nv + (size_t)idx[j]];
  }
  rc = spill__wald_vec(ctx, b, v, m, stat, p);
  free(b);
  free(v);
  return rc;
}

double *spill__orth_basis(spill_ctx *ctx, const double *a, int64_t nt, size_t ka, size_t *kq)
{
  double *q = spill__malloc(ctx, (ka ? ka : 1) * (size_t)nt * sizeof *q);
  size_t k = 0;
  if (!q) return NULL;
  for (size_t j = 0; j < ka; j++) {
    double *c = q + k * (size_t)nt, n0 = 0, n1 = 0;
    memcpy(c, a + j * (size_t)nt, (size_t)nt * sizeof *c);
    for (int64_t i = 0; i < nt; i++) n0 += c[i] * c[i];
    for (int pass = 0; pass < 2; pass++) /* twice is enough (Giraud et al. 2005) */
      spill__orth_resid(q, k, nt, c);
    for (int64_t i = 0; i < nt; i++) n1 += c[i] * c[i];
    if (!(n1 > 1e-18 * n0) || n0 == 0) continue;
    n1 = 1.0 / sqrt(n1);
    for (int64_t i = 0; i < nt; i++) c[i] *= n1;
    k++;
  }
  *kq = k;
  return q;
}

void spill__orth_resid(const double *q, size_t kq, int64_t nt, double *v)
{
  for (size_t j = 0; j < kq; j++) {
    const double *c = q + j * (size_t)nt;
    double s = 0;
    for (int64_t i = 0; i < nt; i++) s += c[i] * v[i];
    for (int64_t i = 0; i < nt; i++) v[i] -= s * c[i];
  }
}

spill_fit *spill__fit_did(spill_ctx *ctx, const spill_panel *q, const spill_weights *w, spill_model model,
                          spill_logdet logdet)
{
  spill_fit_opts fo;
  spill_weights *empty = NULL;
  spill_fit *f;
  spill_fit_opts_init(&fo);
  fo.model = model;
  fo.fe = SPILL_FE_TWOWAYS;
  fo.logdet = logdet;
  if (!w) {
    if (model != SPILL_MODEL_OLS) {
      spill__fail(ctx, SPILL_EINVAL, "the SDM needs a weights matrix");
      return NULL;
    }
    if (!(empty = spill_weights_new(ctx, q->n, (const char *const *)q->ids, 0))) return NULL;
    w = empty;
  }
  f = spill_fit_model(ctx, q, w, &fo);
  spill_weights_free(empty);
  return f;
}

long spill__coef_index(const spill_fit *f, const char *name)
{
  for (size_t j = 0; j < f->k; j++)
    if (!strcmp(f->names[j], name)) return (long)j;
  return -1;
}

json_t *spill__jnum(double v)
{
  return isfinite(v) ? json_real(v) : json_null();
}

int spill__jdump(spill_ctx *ctx, json_t *root, FILE *out)
{
  int rc;
  if (!root) return spill__fail(ctx, SPILL_ENOMEM, "out of memory writing JSON");
  rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_REAL_PRECISION(17) | JSON_PRESERVE_ORDER);
  json_decref(root);
  if (rc) return spill__fail(ctx, SPILL_EIO, "cannot write the JSON output");
  return SPILL_OK;
}
