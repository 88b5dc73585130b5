/* Simulated SDM-DID panels with staggered pilot adoption and known effects:
 * y_t = (I - rho W)^-1 (beta d_t + theta W d_t + X_t gamma + W X_t delta
 *                       + mu + alpha_t + e_t)   (DESIGN.md, the model). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"

void spill_sim_opts_init(spill_sim_opts *o)
{
  static const int years[] = {2013, 2014, 2017};
  static const double shares[] = {0.12, 0.10, 0.08};
  memset(o, 0, sizeof *o);
  o->t = 12;
  o->first_time = 2011;
  o->n_batches = 3;
  for (int b = 0; b < 3; b++) {
    o->batch_time[b] = years[b];
    o->batch_share[b] = shares[b];
  }
  o->rho = 0.35;
  o->beta = 0.08;
  o->theta = 0.05;
  o->nx = 3;
  o->gamma[0] = 0.5, o->gamma[1] = -0.3, o->gamma[2] = 0.2;
  o->delta[0] = 0.2, o->delta[1] = 0.1, o->delta[2] = -0.1;
  o->sigma = 0.05;
  o->fe_sd = 0.5;
  o->seed = 20130101;
}

/* Solve (I - rho W) y = r by the fixed point y <- r + rho W y, which converges
 * geometrically when |rho| * ||W||_inf < 1 (row sums at most 1 and |rho| < 1). */
static int solve_lag(spill_ctx *ctx, const spill_weights *w, double rho, const double *r,
                     double *y, double *tmp)
{
  int64_t n = w->n;
  memcpy(y, r, (size_t)n * sizeof *y);
  for (int it = 0; it < 20000; it++) {
    double change = 0.0, scale = 0.0;
    for (int64_t i = 0; i < n; i++) {
      double s = 0.0;
      for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) s += w->x[k] * y[w->j[k]];
      tmp[i] = r[i] + rho * s;
    }
    for (int64_t i = 0; i < n; i++) {
      change = fmax(change, fabs(tmp[i] - y[i]));
      scale = fmax(scale, fabs(tmp[i]));
    }
    memcpy(y, tmp, (size_t)n * sizeof *y);
    if (change <= 1e-15 * fmax(scale, 1e-300)) return SPILL_OK;
  }
  return spill__fail(ctx, SPILL_ENUM,
                     "simulation: (I - rho W) y = r did not converge (is |rho| * max row sum < 1?)");
}

static void lag(const spill_weights *w, const double *v, double *out)
{
  for (int64_t i = 0; i < w->n; i++) {
    double s = 0.0;
    for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) s += w->x[k] * v[w->j[k]];
    out[i] = s;
  }
}

/* Adoption period per unit (0: never), the batches drawn without replacement. */
static void draw_adoption(const spill_sim_opts *o, int64_t n, spill_rng *rng, int64_t *adopt)
{
  int64_t *perm = malloc((size_t)n * sizeof *perm);
  int64_t next = 0;
  for (int64_t i = 0; i < n; i++) {
    perm[i] = i;
    adopt[i] = 0;
  }
  for (int64_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
    int64_t k = (int64_t)(spill_rng_uniform(rng) * (double)(i + 1));
    int64_t t = perm[i];
    perm[i] = perm[k];
    perm[k] = t;
  }
  for (int b = 0; b < o->n_batches; b++) {
    int64_t m = (int64_t)floor(o->batch_share[b] * (double)n + 0.5);
    for (int64_t q = 0; q < m && next < n; q++) adopt[perm[next++]] = o->batch_time[b];
  }
  free(perm);
}

spill_panel *spill_simulate_did(spill_ctx *ctx, const spill_weights *w, const spill_sim_opts *o,
                                int64_t *adopt)
{
  int64_t n = w->n, t = o->t;
  spill_panel *p = NULL;
  int64_t *times = NULL, *adopt_local = NULL;
  double *mu = NULL, *r = NULL, *wv = NULL, *tmp = NULL;
  spill_rng rng;
  if (t < 1 || o->nx > SPILL_SIM_MAXX || o->n_batches > SPILL_SIM_MAXBATCH || n < 2) {
    spill__fail(ctx, SPILL_EINVAL, "simulation: need n >= 2, t >= 1, at most %d controls and %d batches",
                SPILL_SIM_MAXX, SPILL_SIM_MAXBATCH);
    return NULL;
  }
  spill_rng_seed(&rng, o->seed);
  times = spill__malloc(ctx, (size_t)t * sizeof *times);
  adopt_local = spill__malloc(ctx, (size_t)n * sizeof *adopt_local);
  mu = spill__malloc(ctx, (size_t)n * sizeof *mu);
  r = spill__malloc(ctx, (size_t)n * sizeof *r);
  wv = spill__malloc(ctx, (size_t)n * sizeof *wv);
  tmp = spill__malloc(ctx, (size_t)n * sizeof *tmp);
  if (!times || !adopt_local || !mu || !r || !wv || !tmp) goto fail;
  for (int64_t s = 0; s < t; s++) times[s] = o->first_time + s;
  p = spill_panel_new(ctx, n, t, (const char *const *)w->ids, times, o->nx, 1);
  if (!p) goto fail;
  draw_adoption(o, n, &rng, adopt_local);
  for (int64_t i = 0; i < n; i++) mu[i] = o->fe_sd * spill_rng_normal(&rng);
  for (int64_t s = 0; s < t; s++) {
    double alpha = 0.03 * (double)s + 0.05 * spill_rng_normal(&rng); /* a trend plus shocks */
    double *d = p->d + s * n, *y = p->y + s * n;
    for (int64_t i = 0; i < n; i++) d[i] = adopt_local[i] && times[s] >= adopt_local[i] ? 1.0 : 0.0;
    /* controls correlated with the unit effect, so FE matter */
    for (size_t k = 0; k < o->nx; k++) {
      double *xk = p->x + k * (size_t)(n * t) + s * n;
      for (int64_t i = 0; i < n; i++) xk[i] = 0.5 * mu[i] + spill_rng_normal(&rng);
    }
    lag(w, d, wv);
    for (int64_t i = 0; i < n; i++)
      r[i] = o->beta * d[i] + o->theta * wv[i] + mu[i] + alpha + o->sigma * spill_rng_normal(&rng);
    for (size_t k = 0; k < o->nx; k++) {
      const double *xk = p->x + k * (size_t)(n * t) + s * n;
      lag(w, xk, wv);
      for (int64_t i = 0; i < n; i++) r[i] += o->gamma[k] * xk[i] + o->delta[k] * wv[i];
    }
    if (solve_lag(ctx, w, o->rho, r, y, tmp)) goto fail;
  }
  if (adopt) memcpy(adopt, adopt_local, (size_t)n * sizeof *adopt);
  free(times), free(adopt_local), free(mu), free(r), free(wv), free(tmp);
  return p;
fail:
  spill_panel_free(p);
  free(times), free(adopt_local), free(mu), free(r), free(wv), free(tmp);
  return NULL;
}
