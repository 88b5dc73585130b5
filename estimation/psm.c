/* PSM-DID: logit propensity score by Newton-Raphson, nearest-neighbour and
 * kernel matching, the pstest balance table, and the two-way FE DID on the
 * matched sample with frequency weights and a unit-clustered sandwich. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/estimation.h"

extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);

void spill_psm_opts_init(spill_psm_opts *o)
{
  memset(o, 0, sizeof *o);
  o->method = SPILL_PSM_NEAREST;
  o->k = 1;
  o->replace = 1;
  o->bandwidth = 0.06;
  o->did_controls = 1;
  o->max_iter = 50;
}

void spill_psm_result_free(spill_psm_result *r)
{
  if (!r) return;
  for (size_t j = 0; r->cov_names && j < r->n_cov; j++) free(r->cov_names[j]);
  free(r->cov_names);
  for (size_t j = 0; r->balance && j < r->n_cov; j++) free(r->balance[j].name);
  free(r->balance);
  for (size_t j = 0; r->did_names && j < r->did_k; j++) free(r->did_names[j]);
  free(r->did_names);
  free(r->logit_coef);
  free(r->logit_se);
  free(r->pscore);
  free(r->treated);
  free(r->on_support);
  free(r->weight);
  free(r->match);
  free(r->did_coef);
  free(r->did_se);
  free(r);
}

static int spd_inv(double *a, size_t k)
{
  int n = (int)k, info = 0;
  dpotrf_("U", &n, a, &n, &info);
  if (info) return -1;
  dpotri_("U", &n, a, &n, &info);
  if (info) return -1;
  for (size_t j = 0; j < k; j++)
    for (size_t i = j + 1; i < k; i++) a[i + j * k] = a[j + i * k];
  return 0;
}

/* Logit by Newton-Raphson (Hosmer and Lemeshow 2000, sec. 1.3):
 * b <- b + (X'WX)^-1 X'(d - p), W = diag(p(1-p)), from b = 0, until the
 * largest step is below 1e-12 (relative). X is n x q column-major. */
static int logit(spill_ctx *ctx, const double *X, const double *d, size_t n, size_t q, int max_iter, double *b,
                 double *se, double *ll, int *iters)
{
  double *h = spill__malloc(ctx, q * q * sizeof *h), *g = spill__malloc(ctx, q * sizeof *g);
  double *step = spill__malloc(ctx, q * sizeof *step);
  int rc = SPILL_ENOMEM, it;
  if (!h || !g || !step) goto done;
  memset(b, 0, q * sizeof *b);
  for (it = 1; it <= max_iter; it++) {
    double big = 0.0;
    memset(h, 0, q * q * sizeof *h);
    memset(g, 0, q * sizeof *g);
    for (size_t i = 0; i < n; i++) {
      double eta = 0.0, pr, w;
      for (size_t j = 0; j < q; j++) eta += X[j * n + i] * b[j];
      pr = 1.0 / (1.0 + exp(-eta));
      w = pr * (1.0 - pr);
      for (size_t j = 0; j < q; j++) {
        g[j] += X[j * n + i] * (d[i] - pr);
        for (size_t l = 0; l <= j; l++) h[j + l * q] += w * X[j * n + i] * X[l * n + i];
      }
    }
    for (size_t j = 0; j < q; j++)
      for (size_t l = 0; l < j; l++) h[l + j * q] = h[j + l * q];
    if (spd_inv(h, q)) {
      rc = spill__fail(ctx, SPILL_ENUM,
                       "the propensity-score logit has a singular information matrix at iteration %d: the "
                       "covariates are collinear or perfectly separate treated from control units; drop or "
                       "recode a covariate",
                       it);
      goto done;
    }
    for (size_t j = 0; j < q; j++) {
      step[j] = 0.0;
      for (size_t l = 0; l < q; l++) step[j] += h[j + l * q] * g[l];
      b[j] += step[j];
      if (fabs(step[j]) / (1.0 + fabs(b[j])) > big) big = fabs(step[j]) / (1.0 + fabs(b[j]));
    }
    if (big < 1e-12) break;
  }
  *iters = it;
  /* separation: fitted probabilities at 0 or 1, or no convergence */
  {
    double l = 0.0, pmin = 1.0, pmax = 0.0;
    for (size_t i = 0; i < n; i++) {
      double eta = 0.0, pr;
      for (size_t j = 0; j < q; j++) eta += X[j * n + i] * b[j];
      pr = 1.0 / (1.0 + exp(-eta));
      if (pr < pmin) pmin = pr;
      if (pr > pmax) pmax = pr;
      l += d[i] > 0 ? -log1p(exp(-eta)) : -log1p(exp(eta));
    }
    *ll = l;
    if (it > max_iter || pmin < 1e-10 || pmax > 1.0 - 1e-10) {
      rc = spill__fail(ctx, SPILL_ENUM,
                       "the propensity-score logit did not converge (%d iterations; fitted scores from %.3g to "
                       "%.3g): the covariates (nearly) perfectly separate treated from control units; drop the "
                       "separating covariate or use fewer covariates",
                       it > max_iter ? max_iter : it, pmin, pmax);
      goto done;
    }
  }
  for (size_t j = 0; j < q; j++) se[j] = sqrt(h[j + j * q]);
  rc = SPILL_OK;
done:
  free(h);
  free(g);
  free(step);
  return rc;
}

/* pstest's standardised bias (Rosenbaum and Rubin 1985):
 * 100 (mean_T - mean_C) / sqrt((V_T + V_C) / 2), V the unmatched variances. */
static double std_bias(double mt, double mc, double vt, double vc)
{
  double s = sqrt((vt + vc) / 2.0);
  return s > 0 ? 100.0 * (mt - mc) / s : NAN;
}

typedef struct { double dist; int64_t j; } cand;

static int cmp_cand(const void *a, const void *b)
{
  const cand *x = a, *y = b;
  if (x->dist != y->dist) return x->dist < y->dist ? -1 : 1;
  return x->j < y->j ? -1 : x->j > y->j; /* ties: the control first in the data */
}

static const double *pscore_sort_key;
static int cmp_desc_ps(const void *a, const void *b)
{
  int64_t i = *(const int64_t *)a, j = *(const int64_t *)b;
  double x = pscore_sort_key[i], y = pscore_sort_key[j];
  if (x != y) return x > y ? -1 : 1;
  return i < j ? -1 : i > j;
}

/* The weighted two-way FE DID on the units with w_i > 0 of a balanced panel.
 * Weighted within transform (unit-constant weights, balanced): the exact
 * residual of the weighted projection on unit and time dummies,
 * v_it - vbar_i - sum_j w_j (v_jt - vbar_j) / sum_j w_j. */
static int psm_did(spill_ctx *ctx, const spill_panel *p, const spill_psm_opts *o, spill_psm_result *r)
{
  int64_t n = p->n, t = p->t;
  size_t nt = (size_t)(n * t), k = 1 + (o->did_controls ? o->n_cov : 0);
  double *X = spill__malloc(ctx, nt * k * sizeof *X), *y = spill__malloc(ctx, nt * sizeof *y);
  double *xx = spill__calloc(ctx, k * k, sizeof *xx), *xy = spill__calloc(ctx, k, sizeof *xy);
  double *meat = spill__calloc(ctx, k * k, sizeof *meat), *s = spill__malloc(ctx, k * sizeof *s);
  double W = 0.0, N, c, tmp;
  int64_t G = 0;
  int rc = SPILL_ENOMEM;
  r->did_k = k;
  r->did_names = spill__calloc(ctx, k, sizeof *r->did_names);
  r->did_coef = spill__malloc(ctx, k * sizeof *r->did_coef);
  r->did_se = spill__malloc(ctx, k * sizeof *r->did_se);
  if (!X || !y || !xx || !xy || !meat || !s || !r->did_names || !r->did_coef || !r->did_se) goto done;
  for (int64_t i = 0; i < n; i++)
    if (r->weight[i] > 0) {
      W += r->weight[i];
      G++;
    }
  if (G < 2) {
    rc = spill__fail(ctx, SPILL_EDATA, "the matched sample has %lld unit(s): no DID can be fitted", (long long)G);
    goto done;
  }
  for (size_t j = 0; j < k; j++)
    if (!(r->did_names[j] = spill__strdup(ctx, j == 0 ? (p->d_name ? p->d_name : "did") : p->x_names[o->cov[j - 1]])))
      goto done;
  for (size_t j = 0; j <= k; j++) {
    const double *v = j == k ? p->y : j == 0 ? p->d : p->x + o->cov[j - 1] * nt;
    double *out = j == k ? y : X + j * nt;
    for (int64_t i = 0; i < n; i++) {
      double m = 0.0;
      for (int64_t q = 0; q < t; q++) m += v[q * n + i];
      m /= (double)t;
      for (int64_t q = 0; q < t; q++) out[q * n + i] = v[q * n + i] - m;
    }
    for (int64_t q = 0; q < t; q++) {
      double g = 0.0;
      for (int64_t i = 0; i < n; i++) g += r->weight[i] * out[q * n + i];
      g /= W;
      for (int64_t i = 0; i < n; i++) out[q * n + i] -= g;
    }
  }
  /* controls with no variation left after the fixed effects (time-invariant
   * covariates, nested in the unit effects) are dropped with a notice */
  {
    size_t kept = 1;
    for (size_t j = 1; j < k; j++) {
      const double *v = p->x + o->cov[j - 1] * nt;
      double ss = 0.0, raw = 0.0;
      for (size_t q = 0; q < nt; q++) {
        double w = r->weight[q % (size_t)n];
        ss += w * X[j * nt + q] * X[j * nt + q];
        raw += w * v[q] * v[q];
      }
      if (!(ss > 1e-10 * (raw > 0 ? raw : 1.0))) {
        spill__notice(ctx, "PSM-DID: control %s does not vary within units and periods of the matched sample "
                      "(absorbed by the fixed effects); left out of the DID", r->did_names[j]);
        free(r->did_names[j]);
        continue;
      }
      if (kept != j) {
        memmove(X + kept * nt, X + j * nt, nt * sizeof *X);
        r->did_names[kept] = r->did_names[j];
      }
      kept++;
    }
    for (size_t j = kept; j < k; j++) r->did_names[j] = NULL;
    k = r->did_k = kept;
  }
  for (size_t q = 0; q < nt; q++) {
    double w = r->weight[q % (size_t)n];
    if (w <= 0) continue;
    for (size_t a = 0; a < k; a++) {
      xy[a] += w * X[a * nt + q] * y[q];
      for (size_t b = 0; b < k; b++) xx[a + b * k] += w * X[a * nt + q] * X[b * nt + q];
    }
  }
  if (spd_inv(xx, k)) {
    rc = spill__fail(ctx, SPILL_EDATA,
                     "the DID on the matched sample is singular: the treatment or a control does not vary "
                     "within the matched units after the fixed effects");
    goto done;
  }
  for (size_t a = 0; a < k; a++) {
    r->did_coef[a] = 0.0;
    for (size_t b = 0; b < k; b++) r->did_coef[a] += xx[a + b * k] * xy[b];
  }
  for (int64_t i = 0; i < n; i++) {
    double w = r->weight[i];
    if (w <= 0) continue;
    memset(s, 0, k * sizeof *s);
    for (int64_t q = 0; q < t; q++) {
      size_t c0 = (size_t)(q * n + i);
      double e = y[c0];
      for (size_t a = 0; a < k; a++) e -= X[a * nt + c0] * r->did_coef[a];
      for (size_t a = 0; a < k; a++) s[a] += w * X[a * nt + c0] * e;
    }
    for (size_t a = 0; a < k; a++)
      for (size_t b = 0; b < k; b++) meat[a + b * k] += s[a] * s[b];
  }
  /* c = G/(G-1) (N-1)/(N-K), N = sum of frequency weights x T, K = k + 1 + (T-1) (unit FE nested) */
  N = W * (double)t;
  c = ((double)G / (double)(G - 1)) * ((N - 1.0) / (N - (double)k - (double)t));
  for (size_t a = 0; a < k; a++) {
    tmp = 0.0;
    for (size_t b = 0; b < k; b++)
      for (size_t l = 0; l < k; l++) tmp += xx[a + b * k] * meat[b + l * k] * xx[l + a * k];
    r->did_se[a] = sqrt(c * tmp);
  }
  r->did_nobs = G * t;
  r->did_units = G;
  r->did_weight_sum = W;
  rc = SPILL_OK;
done:
  free(X);
  free(y);
  free(xx);
  free(xy);
  free(meat);
  free(s);
  return rc;
}

spill_psm_result *spill_psm_run(spill_ctx *ctx, const spill_panel *p, const spill_psm_opts *o)
{
  int64_t n = p->n, t = p->t;
  size_t nt = (size_t)(n * t), q = o->n_cov + 1, kk = o->k > 0 ? (size_t)o->k : 1;
  spill_psm_result *r = NULL;
  double *X = NULL, *dv = NULL;
  int64_t *order = NULL, n_outside = 0; /* treated outside the controls' score range (--common) */
  cand *cs = NULL;
  unsigned char *used = NULL;
  int ok = 0;
  if (!p->d) {
    spill__fail(ctx, SPILL_EINVAL, "PSM needs a treatment (--treat or --adopt)");
    return NULL;
  }
  if (p->obs) {
    spill__fail(ctx, SPILL_EDATA, "PSM-DID needs a balanced panel; use --drop-incomplete");
    return NULL;
  }
  if (o->n_cov == 0) {
    spill__fail(ctx, SPILL_EINVAL, "PSM needs covariates for the propensity score (--cov A,B)");
    return NULL;
  }
  for (size_t j = 0; j < o->n_cov; j++)
    if (o->cov[j] >= p->nx) {
      spill__fail(ctx, SPILL_EINVAL, "PSM covariate %zu is not in the panel", j + 1);
      return NULL;
    }
  if (o->method == SPILL_PSM_KERNEL && !(o->bandwidth > 0)) {
    spill__fail(ctx, SPILL_EINVAL, "the kernel bandwidth must be positive");
    return NULL;
  }
  r = spill__calloc(ctx, 1, sizeof *r);
  if (!r) return NULL;
  r->n = n;
  r->t = t;
  r->ids = p->ids;
  r->n_cov = o->n_cov;
  r->k = (int)kk;
  r->cov_names = spill__calloc(ctx, o->n_cov, sizeof *r->cov_names);
  r->balance = spill__calloc(ctx, o->n_cov, sizeof *r->balance);
  r->logit_coef = spill__malloc(ctx, q * sizeof *r->logit_coef);
  r->logit_se = spill__malloc(ctx, q * sizeof *r->logit_se);
  r->pscore = spill__malloc(ctx, (size_t)n * sizeof *r->pscore);
  r->treated = spill__calloc(ctx, (size_t)n, 1);
  r->on_support = spill__calloc(ctx, (size_t)n, 1);
  r->weight = spill__calloc(ctx, (size_t)n, sizeof *r->weight);
  r->match = spill__malloc(ctx, (size_t)n * kk * sizeof *r->match);
  X = spill__malloc(ctx, (size_t)n * q * sizeof *X);
  dv = spill__malloc(ctx, (size_t)n * sizeof *dv);
  order = spill__malloc(ctx, (size_t)n * sizeof *order);
  cs = spill__malloc(ctx, (size_t)n * sizeof *cs);
  used = spill__calloc(ctx, (size_t)n, 1);
  if (!r->cov_names || !r->balance || !r->logit_coef || !r->logit_se || !r->pscore || !r->treated ||
      !r->on_support || !r->weight || !r->match || !X || !dv || !order || !cs || !used)
    goto done;
  for (size_t q2 = 0; q2 < (size_t)n * kk; q2++) r->match[q2] = -1;
  /* unit-level data: ever treated; covariates at the first period or means */
  for (int64_t i = 0; i < n; i++) {
    double dm = 0.0;
    for (int64_t s = 0; s < t; s++)
      if (p->d[s * n + i] > dm) dm = p->d[s * n + i];
    r->treated[i] = dm > 0;
    dv[i] = r->treated[i];
    X[i] = 1.0;
    for (size_t j = 0; j < o->n_cov; j++) {
      const double *v = p->x + o->cov[j] * nt;
      double m = 0.0;
      if (o->unit_means) {
        for (int64_t s = 0; s < t; s++) m += v[s * n + i];
        m /= (double)t;
      } else m = v[i];
      X[(j + 1) * (size_t)n + i] = m;
    }
    if (r->treated[i]) r->n_treated++;
    else r->n_control++;
  }
  for (size_t j = 0; j < o->n_cov; j++)
    if (!(r->cov_names[j] = spill__strdup(ctx, p->x_names[o->cov[j]])) ||
        !(r->balance[j].name = spill__strdup(ctx, p->x_names[o->cov[j]])))
      goto done;
  if (r->n_treated < 1 || r->n_control < 1) {
    spill__fail(ctx, SPILL_EDATA, "PSM needs treated and control units (%lld treated, %lld never treated)",
                (long long)r->n_treated, (long long)r->n_control);
    goto done;
  }
  if (logit(ctx, X, dv, (size_t)n, q, o->max_iter > 0 ? o->max_iter : 50, r->logit_coef, r->logit_se, &r->logit_ll,
            &r->logit_iter))
    goto done;
  for (int64_t i = 0; i < n; i++) {
    double eta = 0.0;
    for (size_t j = 0; j < q; j++) eta += X[j * (size_t)n + i] * r->logit_coef[j];
    r->pscore[i] = 1.0 / (1.0 + exp(-eta));
  }
  /* common support (psmatch2 common): treated within [min, max] of the controls' scores */
  {
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < n; i++)
      if (!r->treated[i]) {
        if (r->pscore[i] < lo) lo = r->pscore[i];
        if (r->pscore[i] > hi) hi = r->pscore[i];
      }
    for (int64_t i = 0; i < n; i++)
      if (r->treated[i]) r->on_support[i] = !o->common || (r->pscore[i] >= lo && r->pscore[i] <= hi);
  }
  /* treated in descending order of the score (MatchIt m.order = "largest"), ties by data order */
  {
    int64_t nt_ = 0;
    for (int64_t i = 0; i < n; i++)
      if (r->treated[i] && r->on_support[i]) order[nt_++] = i;
      else if (r->treated[i]) n_outside++;
    pscore_sort_key = r->pscore;
    qsort(order, (size_t)nt_, sizeof *order, cmp_desc_ps);
    for (int64_t a = 0; a < nt_; a++) {
      int64_t i = order[a], nc = 0, got = 0;
      if (o->method == SPILL_PSM_KERNEL) {
        double sk = 0.0;
        for (int64_t j = 0; j < n; j++) {
          double u;
          if (r->treated[j]) continue;
          u = (r->pscore[j] - r->pscore[i]) / o->bandwidth;
          if (fabs(u) < 1.0) sk += 0.75 * (1.0 - u * u); /* Epanechnikov */
        }
        if (sk <= 0) {
          r->on_support[i] = 0;
          continue;
        }
        for (int64_t j = 0; j < n; j++) {
          double u;
          if (r->treated[j]) continue;
          u = (r->pscore[j] - r->pscore[i]) / o->bandwidth;
          if (fabs(u) < 1.0) r->weight[j] += 0.75 * (1.0 - u * u) / sk;
        }
        r->weight[i] = 1.0;
        continue;
      }
      if (!o->replace) continue; /* without replacement: in rounds, below */
      for (int64_t j = 0; j < n; j++) {
        double dist;
        if (r->treated[j]) continue;
        dist = fabs(r->pscore[j] - r->pscore[i]);
        if (o->caliper > 0 && dist > o->caliper) continue;
        cs[nc].dist = dist;
        cs[nc++].j = j;
      }
      qsort(cs, (size_t)nc, sizeof *cs, cmp_cand);
      got = nc < (int64_t)kk ? nc : (int64_t)kk;
      for (int64_t m = 0; m < got; m++) r->match[(size_t)i * kk + (size_t)m] = cs[m].j;
    }
    /* without replacement, as MatchIt with ratio > 1: in rounds, every
     * treated unit (in the order above) takes its nearest unused control
     * before any takes a second; a unit left without a match stops */
    if (o->method == SPILL_PSM_NEAREST && !o->replace)
      for (size_t m = 0; m < kk; m++)
        for (int64_t a = 0; a < nt_; a++) {
          int64_t i = order[a], best = -1;
          double bd = 0.0;
          if (m > 0 && r->match[(size_t)i * kk + m - 1] < 0) continue;
          for (int64_t j = 0; j < n; j++) {
            double dist;
            if (r->treated[j] || used[j]) continue;
            dist = fabs(r->pscore[j] - r->pscore[i]);
            if (o->caliper > 0 && dist > o->caliper) continue;
            if (best < 0 || dist < bd) best = j, bd = dist; /* ties: first in the data */
          }
          if (best >= 0) {
            r->match[(size_t)i * kk + m] = best;
            used[best] = 1;
          }
        }
    /* weights: 1 for a matched treated unit, 1/k_i to each of its k_i controls */
    if (o->method == SPILL_PSM_NEAREST)
      for (int64_t a = 0; a < nt_; a++) {
        int64_t i = order[a], got = 0;
        while (got < (int64_t)kk && r->match[(size_t)i * kk + (size_t)got] >= 0) got++;
        if (!got) {
          r->on_support[i] = 0;
          continue;
        }
        for (int64_t m = 0; m < got; m++) r->weight[r->match[(size_t)i * kk + (size_t)m]] += 1.0 / (double)got;
        r->weight[i] = 1.0;
      }
  }
  for (int64_t i = 0; i < n; i++) {
    if (r->treated[i] && !r->on_support[i]) r->n_off_support++;
    if (r->weight[i] > 0) {
      if (r->treated[i]) r->n_matched_treated++;
      else r->n_matched_control++;
    }
  }
  if (r->n_matched_treated == 0) {
    spill__fail(ctx, SPILL_EDATA,
                "no treated unit is on the common support or has a control within the caliper/bandwidth "
                "(%lld treated off support: %lld outside the range of the controls' scores, %lld without a control "
                "within the caliper/bandwidth); widen --caliper/--bandwidth or drop --common",
                (long long)r->n_off_support, (long long)n_outside, (long long)(r->n_off_support - n_outside));
    goto done;
  }
  /* balance table (psmatch2 pstest) */
  for (size_t j = 0; j < o->n_cov; j++) {
    spill_psm_balance *b = &r->balance[j];
    const double *x = X + (j + 1) * (size_t)n;
    double st = 0, sc = 0, nt1 = 0, nc1 = 0, vt = 0, vc = 0, wt = 0, wc = 0, mt = 0, mc = 0, ss = 0, sp;
    for (int64_t i = 0; i < n; i++) {
      if (r->treated[i]) st += x[i], nt1++;
      else sc += x[i], nc1++;
    }
    b->mean_t_u = st / nt1;
    b->mean_c_u = sc / nc1;
    for (int64_t i = 0; i < n; i++) {
      double d0 = x[i] - (r->treated[i] ? b->mean_t_u : b->mean_c_u);
      if (r->treated[i]) vt += d0 * d0;
      else vc += d0 * d0;
    }
    sp = (vt + vc) / (nt1 + nc1 - 2.0);
    vt = nt1 > 1 ? vt / (nt1 - 1) : 0;
    vc = nc1 > 1 ? vc / (nc1 - 1) : 0;
    b->bias_u = std_bias(b->mean_t_u, b->mean_c_u, vt, vc);
    b->t_u = (b->mean_t_u - b->mean_c_u) / sqrt(sp * (1.0 / nt1 + 1.0 / nc1));
    b->p_u = spill__normal_p2(b->t_u);
    for (int64_t i = 0; i < n; i++) {
      if (r->weight[i] <= 0) continue;
      if (r->treated[i]) mt += x[i], wt += 1.0;
      else mc += r->weight[i] * x[i], wc += r->weight[i];
    }
    b->mean_t_m = mt / wt;
    b->mean_c_m = mc / wc;
    b->bias_m = std_bias(b->mean_t_m, b->mean_c_m, vt, vc);
    b->reduction = 100.0 * (1.0 - fabs(b->bias_m) / fabs(b->bias_u));
    for (int64_t i = 0; i < n; i++) {
      double d0;
      if (r->weight[i] <= 0) continue;
      d0 = x[i] - (r->treated[i] ? b->mean_t_m : b->mean_c_m);
      ss += r->weight[i] * d0 * d0;
    }
    /* weighted regression of x on the treatment over the matched sample */
    b->t_m = (b->mean_t_m - b->mean_c_m) / sqrt(ss / (wt + wc - 2.0) * (1.0 / wt + 1.0 / wc));
    b->p_m = spill__normal_p2(b->t_m);
  }
  if (psm_did(ctx, p, o, r)) goto done;
  ok = 1;
done:
  free(X);
  free(dv);
  free(order);
  free(cs);
  free(used);
  if (!ok) {
    spill_psm_result_free(r);
    return NULL;
  }
  return r;
}
