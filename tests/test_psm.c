/* PSM-DID: the logit against a dense Newton-Raphson written here; nearest-
 * neighbour matching (with and without replacement, caliper, k = 1 and 2)
 * against a brute-force matcher with MatchIt's rules (treated in descending
 * score order, ties to the control first in the data); the standardised
 * bias against the formula; the weighted DID against a dense weighted
 * dummy-variable regression with the cluster sandwich; bad input. */
#include "check.h"
#include "spill.h"

static int inv(double *a, size_t k)
{
  double *b = calloc(k * k, sizeof *b);
  for (size_t i = 0; i < k; i++) b[i + i * k] = 1.0;
  for (size_t c = 0; c < k; c++) {
    size_t piv = c;
    for (size_t r = c + 1; r < k; r++)
      if (fabs(a[r + c * k]) > fabs(a[piv + c * k])) piv = r;
    if (fabs(a[piv + c * k]) < 1e-300) {
      free(b);
      return -1;
    }
    for (size_t j = 0; j < k; j++) {
      double t = a[c + j * k];
      a[c + j * k] = a[piv + j * k];
      a[piv + j * k] = t;
      t = b[c + j * k];
      b[c + j * k] = b[piv + j * k];
      b[piv + j * k] = t;
    }
    double d = a[c + c * k];
    for (size_t j = 0; j < k; j++) {
      a[c + j * k] /= d;
      b[c + j * k] /= d;
    }
    for (size_t r = 0; r < k; r++) {
      double f = a[r + c * k];
      if (r == c || f == 0.0) continue;
      for (size_t j = 0; j < k; j++) {
        a[r + j * k] -= f * a[c + j * k];
        b[r + j * k] -= f * b[c + j * k];
      }
    }
  }
  memcpy(a, b, k * k * sizeof *a);
  free(b);
  return 0;
}

static spill_panel *simulate(spill_ctx *ctx, int64_t n, int64_t t, uint64_t seed, int separate)
{
  spill_panel *p = spill_panel_new(ctx, n, t, NULL, NULL, 2, 1);
  spill_rng rng;
  size_t nt = (size_t)(n * t);
  spill_rng_seed(&rng, seed);
  for (int64_t i = 0; i < n; i++) {
    double x1 = spill_rng_normal(&rng), x2 = spill_rng_uniform(&rng), a = spill_rng_normal(&rng);
    double ps = 1.0 / (1.0 + exp(-(-1.0 + 0.8 * x1 + 1.2 * x2)));
    int tr = separate ? x1 > 0 : spill_rng_uniform(&rng) < ps;
    for (int64_t s = 0; s < t; s++) {
      size_t q = (size_t)(s * n + i);
      p->x[q] = x1 + 0.1 * (double)s + 0.2 * spill_rng_normal(&rng) * (s > 0);
      p->x[nt + q] = x2 + 0.3 * spill_rng_normal(&rng) * (s > 0);
      p->d[q] = tr && s >= t / 2;
      p->y[q] = a + 0.2 * (double)s + 0.5 * p->x[q] - 0.3 * p->x[nt + q] + 1.0 * p->d[q] + spill_rng_normal(&rng);
    }
  }
  p->x_names[0][0] = 'x';
  return p;
}

/* Dense logit by Newton-Raphson on X = [1, x1, x2] at the first period. */
static void dense_logit(const spill_panel *p, double *b, double *se)
{
  int64_t n = p->n;
  size_t nt = (size_t)(n * p->t);
  memset(b, 0, 3 * sizeof *b);
  for (int it = 0; it < 100; it++) {
    double h[9] = {0}, g[3] = {0};
    for (int64_t i = 0; i < n; i++) {
      double x[3] = {1.0, p->x[i], p->x[nt + (size_t)i]}, d = 0, eta = 0, pr;
      for (int64_t s = 0; s < p->t; s++) d = p->d[s * n + i] > d ? p->d[s * n + i] : d;
      for (int j = 0; j < 3; j++) eta += x[j] * b[j];
      pr = 1.0 / (1.0 + exp(-eta));
      for (int j = 0; j < 3; j++) {
        g[j] += x[j] * (d - pr);
        for (int l = 0; l < 3; l++) h[j + 3 * l] += pr * (1 - pr) * x[j] * x[l];
      }
    }
    inv(h, 3);
    for (int j = 0; j < 3; j++)
      for (int l = 0; l < 3; l++) b[j] += h[j + 3 * l] * g[l];
    for (int j = 0; j < 3; j++) se[j] = sqrt(h[j + 3 * j]);
  }
}

/* Brute-force matcher: returns weights; match[i*k + m] as the library. */
static void brute(const spill_psm_result *r, int k, int replace, double caliper, int64_t *match, double *w)
{
  int64_t n = r->n;
  unsigned char *used = calloc((size_t)n, 1), *done = calloc((size_t)n, 1);
  for (int64_t q = 0; q < n * k; q++) match[q] = -1;
  for (int64_t i = 0; i < n; i++) w[i] = 0;
  /* treated in descending score order (ties: first in data) */
  int64_t *ord = malloc((size_t)n * sizeof *ord), no = 0;
  for (;;) {
    int64_t i = -1;
    for (int64_t a = 0; a < n; a++)
      if (r->treated[a] && !done[a] && (i < 0 || r->pscore[a] > r->pscore[i])) i = a;
    if (i < 0) break;
    done[i] = 1;
    ord[no++] = i;
  }
  /* with replacement: each takes its k nearest; without: in rounds (MatchIt, ratio > 1) */
  for (int m = 0; m < k; m++)
    for (int64_t a = 0; a < no; a++) {
      int64_t i = ord[a], best = -1;
      if (m > 0 && match[i * k + m - 1] < 0) continue;
      for (int64_t j = 0; j < n; j++) {
        int taken = 0;
        if (r->treated[j] || (!replace && used[j])) continue;
        for (int mm = 0; mm < m; mm++) taken |= match[i * k + mm] == j;
        if (taken || fabs(r->pscore[j] - r->pscore[i]) > caliper) continue;
        if (best < 0 || fabs(r->pscore[j] - r->pscore[i]) < fabs(r->pscore[best] - r->pscore[i])) best = j;
      }
      if (best < 0) continue;
      match[i * k + m] = best;
      used[best] = 1;
    }
  for (int64_t a = 0; a < no; a++) {
    int64_t i = ord[a], got = 0;
    while (got < k && match[i * k + got] >= 0) got++;
    if (!got) continue;
    w[i] = 1;
    for (int m = 0; m < got; m++) w[match[i * k + m]] += 1.0 / (double)got;
  }
  free(ord);
  free(used);
  free(done);
}

/* Dense weighted TWFE with dummies on the matched units, cluster by unit. */
static void dense_did(const spill_panel *p, const double *w, double *b, double *se)
{
  int64_t n = p->n, t = p->t, G = 0;
  size_t nt = (size_t)(n * t), *col = calloc((size_t)n, sizeof *col), K, m = 0;
  double *X, *y, *ww, *xx, *xy, *e, *meat, W = 0;
  int *unit;
  for (int64_t i = 0; i < n; i++)
    if (w[i] > 0) col[i] = (size_t)G++, W += w[i];
  K = 3 + (size_t)G + (size_t)t - 1;
  X = calloc(nt * K, sizeof *X);
  y = calloc(nt, sizeof *y);
  ww = calloc(nt, sizeof *ww);
  unit = calloc(nt, sizeof *unit);
  for (size_t q = 0; q < nt; q++) {
    int64_t i = (int64_t)(q % (size_t)n), s = (int64_t)(q / (size_t)n);
    if (w[i] <= 0) continue;
    X[0 * nt + m] = p->d[q];
    X[1 * nt + m] = p->x[q];
    X[2 * nt + m] = p->x[nt + q];
    X[(3 + col[i]) * nt + m] = 1.0;
    if (s > 0) X[(3 + (size_t)G + (size_t)s - 1) * nt + m] = 1.0;
    y[m] = p->y[q];
    ww[m] = w[i];
    unit[m] = (int)col[i];
    m++;
  }
  xx = calloc(K * K, sizeof *xx);
  xy = calloc(K, sizeof *xy);
  for (size_t r = 0; r < m; r++)
    for (size_t a = 0; a < K; a++) {
      xy[a] += ww[r] * X[a * nt + r] * y[r];
      for (size_t c = 0; c < K; c++) xx[a + c * K] += ww[r] * X[a * nt + r] * X[c * nt + r];
    }
  inv(xx, K);
  {
    double *bb = calloc(K, sizeof *bb);
    for (size_t a = 0; a < K; a++)
      for (size_t c = 0; c < K; c++) bb[a] += xx[a + c * K] * xy[c];
    e = calloc(m, sizeof *e);
    for (size_t r = 0; r < m; r++) {
      e[r] = y[r];
      for (size_t a = 0; a < K; a++) e[r] -= X[a * nt + r] * bb[a];
    }
    meat = calloc(K * K, sizeof *meat);
    for (int64_t g = 0; g < G; g++) {
      double *s = calloc(K, sizeof *s);
      for (size_t r = 0; r < m; r++)
        if (unit[r] == g)
          for (size_t a = 0; a < K; a++) s[a] += ww[r] * X[a * nt + r] * e[r];
      for (size_t a = 0; a < K; a++)
        for (size_t c = 0; c < K; c++) meat[a + c * K] += s[a] * s[c];
      free(s);
    }
    {
      /* fweights: N = sum of weights; K = 3 regressors + constant + T-1 (units nested in clusters) */
      double N = W * (double)t, Kc = 3.0 + 1.0 + (double)(t - 1), c = ((double)G / (G - 1.0)) * ((N - 1) / (N - Kc));
      for (size_t a = 0; a < 3; a++) {
        double v = 0;
        for (size_t u = 0; u < K; u++)
          for (size_t l = 0; l < K; l++) v += xx[a + u * K] * meat[u + l * K] * xx[l + a * K];
        b[a] = bb[a];
        se[a] = sqrt(c * v);
      }
    }
    free(bb);
  }
  free(col);
  free(X);
  free(y);
  free(ww);
  free(unit);
  free(xx);
  free(xy);
  free(e);
  free(meat);
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  spill_panel *p = simulate(ctx, 300, 6, 7, 0);
  size_t cov[2] = {0, 1}, nt = 300 * 6;
  double b[3], se[3];
  spill_psm_opts o;
  spill_psm_result *r;
  dense_logit(p, b, se);
  struct { int k, replace; double caliper; } cases[] = {{1, 1, 0.01}, {2, 1, 0.02}, {1, 0, 0.05}, {1, 1, 0}, {3, 0, 0.1}};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    spill_psm_opts_init(&o);
    o.cov = cov;
    o.n_cov = 2;
    o.k = cases[c].k;
    o.replace = cases[c].replace;
    o.caliper = cases[c].caliper;
    r = spill_psm_run(ctx, p, &o);
    CHECK_MSG(r != NULL, "%s", spill_ctx_error(ctx));
    if (!r) continue;
    for (int j = 0; j < 3; j++) {
      CHECK_REL(r->logit_coef[j], b[j], 1e-10);
      CHECK_REL(r->logit_se[j], se[j], 1e-10);
    }
    {
      int64_t *mm = malloc(300 * (size_t)o.k * sizeof *mm), diff = 0;
      double *w = malloc(300 * sizeof *w), wd = 0;
      brute(r, o.k, o.replace, o.caliper > 0 ? o.caliper : INFINITY, mm, w);
      for (int64_t q = 0; q < 300 * o.k; q++) diff += mm[q] != r->match[q];
      for (int64_t i = 0; i < 300; i++) wd = fmax(wd, fabs(w[i] - r->weight[i]));
      CHECK_MSG(diff == 0 && wd < 1e-14, "case %zu: %lld matches differ, weights by %g", c, (long long)diff, wd);
      /* standardised bias from the formula (unmatched variances) */
      for (size_t j = 0; j < 2; j++) {
        double mt = 0, mc = 0, nt1 = 0, nc1 = 0, vt = 0, vc = 0, mtm = 0, mcm = 0, wt = 0, wc = 0;
        for (int64_t i = 0; i < 300; i++) {
          double x = p->x[j * nt + (size_t)i];
          if (r->treated[i]) mt += x, nt1++;
          else mc += x, nc1++;
          if (w[i] > 0 && r->treated[i]) mtm += x, wt += 1;
          if (w[i] > 0 && !r->treated[i]) mcm += w[i] * x, wc += w[i];
        }
        mt /= nt1;
        mc /= nc1;
        for (int64_t i = 0; i < 300; i++) {
          double x = p->x[j * nt + (size_t)i];
          if (r->treated[i]) vt += (x - mt) * (x - mt) / (nt1 - 1);
          else vc += (x - mc) * (x - mc) / (nc1 - 1);
        }
        CHECK_REL(r->balance[j].bias_u, 100 * (mt - mc) / sqrt((vt + vc) / 2), 1e-10);
        CHECK_REL(r->balance[j].bias_m, 100 * (mtm / wt - mcm / wc) / sqrt((vt + vc) / 2), 1e-10);
      }
      {
        double db[3], dse[3];
        dense_did(p, w, db, dse);
        for (int j = 0; j < 3; j++) {
          CHECK_REL(r->did_coef[j], db[j], 1e-10);
          CHECK_REL(r->did_se[j], dse[j], 1e-10);
        }
      }
      free(mm);
      free(w);
    }
    spill_psm_result_free(r);
  }
  /* kernel matching: weights against the Epanechnikov formula; DID against the dense fit */
  spill_psm_opts_init(&o);
  o.cov = cov;
  o.n_cov = 2;
  o.method = SPILL_PSM_KERNEL;
  o.bandwidth = 0.05;
  o.common = 1;
  r = spill_psm_run(ctx, p, &o);
  CHECK(r != NULL);
  if (r) {
    double *w = calloc(300, sizeof *w), lo = 1, hi = 0, wd = 0, db[3], dse[3];
    for (int64_t j = 0; j < 300; j++)
      if (!r->treated[j]) lo = fmin(lo, r->pscore[j]), hi = fmax(hi, r->pscore[j]);
    for (int64_t i = 0; i < 300; i++) {
      double sk = 0;
      if (!r->treated[i] || r->pscore[i] < lo || r->pscore[i] > hi) continue;
      for (int64_t j = 0; j < 300; j++) {
        double u = (r->pscore[j] - r->pscore[i]) / 0.05;
        if (!r->treated[j] && fabs(u) < 1) sk += 0.75 * (1 - u * u);
      }
      if (sk <= 0) continue;
      w[i] = 1;
      for (int64_t j = 0; j < 300; j++) {
        double u = (r->pscore[j] - r->pscore[i]) / 0.05;
        if (!r->treated[j] && fabs(u) < 1) w[j] += 0.75 * (1 - u * u) / sk;
      }
    }
    for (int64_t i = 0; i < 300; i++) wd = fmax(wd, fabs(w[i] - r->weight[i]));
    CHECK(wd < 1e-13);
    dense_did(p, w, db, dse);
    for (int j = 0; j < 3; j++) {
      CHECK_REL(r->did_coef[j], db[j], 1e-10);
      CHECK_REL(r->did_se[j], dse[j], 1e-10);
    }
    free(w);
    spill_psm_result_free(r);
  }
  /* bad input: empty common support (a caliper nobody meets), separation */
  spill_psm_opts_init(&o);
  o.cov = cov;
  o.n_cov = 2;
  o.caliper = 1e-15;
  CHECK(spill_psm_run(ctx, p, &o) == NULL && strstr(spill_ctx_error(ctx), "no treated unit"));
  spill_panel_free(p);
  p = simulate(ctx, 100, 4, 9, 1);
  o.caliper = 0;
  CHECK(spill_psm_run(ctx, p, &o) == NULL && strstr(spill_ctx_error(ctx), "separate"));
  spill_panel_free(p);
  spill_ctx_free(ctx);
  return check_done("test_psm");
}
