/* Spatial dependence tests: Moran's I, Geary's C, local Moran and the LM
 * tests against spdep/splm (refs/README.md) and against dense computations
 * written here; permutation p-values reproducible and uniform under H0. */
#include <cairo.h>
#include <shapefil.h>
#include "check.h"
#include "shp_fixture.h"
#include "spill.h"

/* ---- dense helpers ---- */
static double *dense_w(const spill_weights *w)
{
  int64_t n = w->n;
  double *a = calloc((size_t)(n * n), sizeof *a);
  for (int64_t i = 0; i < n; i++)
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) a[i * n + w->j[q]] = w->x[q];
  return a;
}

/* Gauss-Jordan inverse of a k x k matrix (row-major) in place. */
static void inverse(double *a, int k)
{
  double *b = calloc((size_t)(k * 2 * k), sizeof *b);
  for (int i = 0; i < k; i++) {
    for (int j = 0; j < k; j++) b[i * 2 * k + j] = a[i * k + j];
    b[i * 2 * k + k + i] = 1;
  }
  for (int c = 0; c < k; c++) {
    int piv = c;
    for (int r = c + 1; r < k; r++)
      if (fabs(b[r * 2 * k + c]) > fabs(b[piv * 2 * k + c])) piv = r;
    for (int j = 0; j < 2 * k; j++) {
      double t = b[c * 2 * k + j];
      b[c * 2 * k + j] = b[piv * 2 * k + j];
      b[piv * 2 * k + j] = t;
    }
    double d = b[c * 2 * k + c];
    for (int j = 0; j < 2 * k; j++) b[c * 2 * k + j] /= d;
    for (int r = 0; r < k; r++)
      if (r != c) {
        double f = b[r * 2 * k + c];
        for (int j = 0; j < 2 * k; j++) b[r * 2 * k + j] -= f * b[c * 2 * k + j];
      }
  }
  for (int i = 0; i < k; i++)
    for (int j = 0; j < k; j++) a[i * k + j] = b[i * 2 * k + k + j];
  free(b);
}

/* Moran/Geary by the textbook double sums (Cliff and Ord 1981). */
static void dense_moran(const double *W, int n, const double *x, double out[8])
{
  double mean = 0, m2 = 0, m4 = 0, s0 = 0, s1 = 0, s2 = 0, num = 0, g = 0;
  for (int i = 0; i < n; i++) mean += x[i] / n;
  for (int i = 0; i < n; i++) {
    double z = x[i] - mean, r = 0, c = 0;
    m2 += z * z;
    m4 += z * z * z * z;
    for (int j = 0; j < n; j++) {
      s0 += W[i * n + j];
      s1 += 0.5 * (W[i * n + j] + W[j * n + i]) * (W[i * n + j] + W[j * n + i]);
      r += W[i * n + j];
      c += W[j * n + i];
      num += W[i * n + j] * z * (x[j] - mean);
      g += W[i * n + j] * (x[i] - x[j]) * (x[i] - x[j]);
    }
    s2 += (r + c) * (r + c);
  }
  double I = n / s0 * num / m2, E = -1.0 / (n - 1), b2 = n * m4 / (m2 * m2);
  /* Cliff and Ord (1981) eq. 2.33 (normality) and 2.34 (randomisation) */
  double vn = ((double)n * n * s1 - n * s2 + 3 * s0 * s0) / (s0 * s0 * ((double)n * n - 1)) - E * E;
  double vr = (n * ((n * n - 3.0 * n + 3) * s1 - n * s2 + 3 * s0 * s0) - b2 * ((n * n - (double)n) * s1 - 2.0 * n * s2 + 6 * s0 * s0)) /
                  ((n - 1.0) * (n - 2.0) * (n - 3.0) * s0 * s0) - E * E;
  double C = (n - 1.0) * g / (2 * s0 * m2);
  double cn = ((2 * s1 + s2) * (n - 1) - 4 * s0 * s0) / (2 * (n + 1.0) * s0 * s0);
  out[0] = I;
  out[1] = (I - E) / sqrt(vn);
  out[2] = (I - E) / sqrt(vr);
  out[3] = C;
  out[4] = (1 - C) / sqrt(cn);
  out[5] = s0;
  out[6] = s1;
  out[7] = s2;
}

/* LM tests by dense matrices: y, X (nt x k row-major), big W (nt x nt). */
static void dense_lm(const double *Wb, int nt, int t, double tw, const double *y, const double *X, int k, double out[4])
{
  double *xtx = calloc((size_t)(k * k), sizeof(double)), *b = calloc((size_t)k, sizeof(double));
  double *M = calloc((size_t)(nt * nt), sizeof(double)), *e = calloc((size_t)nt, sizeof(double));
  double *fit = calloc((size_t)nt, sizeof(double)), *wf = calloc((size_t)nt, sizeof(double));
  double *xty = calloc((size_t)k, sizeof(double));
  for (int a = 0; a < k; a++)
    for (int c = 0; c < k; c++)
      for (int i = 0; i < nt; i++) xtx[a * k + c] += X[i * k + a] * X[i * k + c];
  inverse(xtx, k);
  for (int a = 0; a < k; a++)
    for (int i = 0; i < nt; i++) xty[a] += X[i * k + a] * y[i];
  for (int a = 0; a < k; a++)
    for (int c = 0; c < k; c++) b[a] += xtx[a * k + c] * xty[c];
  for (int i = 0; i < nt; i++)
    for (int j = 0; j < nt; j++) {
      double h = 0;
      for (int a = 0; a < k; a++)
        for (int c = 0; c < k; c++) h += X[i * k + a] * xtx[a * k + c] * X[j * k + c];
      M[i * nt + j] = (i == j) - h;
    }
  double ee = 0, ewe = 0, ewy = 0, q = 0;
  for (int i = 0; i < nt; i++) {
    for (int a = 0; a < k; a++) fit[i] += X[i * k + a] * b[a];
    e[i] = y[i] - fit[i];
    ee += e[i] * e[i];
  }
  for (int i = 0; i < nt; i++)
    for (int j = 0; j < nt; j++) wf[i] += Wb[i * nt + j] * fit[j];
  for (int i = 0; i < nt; i++)
    for (int j = 0; j < nt; j++) {
      ewe += e[i] * Wb[i * nt + j] * e[j];
      ewy += e[i] * Wb[i * nt + j] * y[j];
      q += wf[i] * M[i * nt + j] * wf[j];
    }
  double s2 = ee / nt, T = t * tw, J = q / s2 + T;
  ewe /= s2;
  ewy /= s2;
  out[0] = ewy * ewy / J;
  out[1] = ewe * ewe / T;
  out[2] = (ewy - ewe) * (ewy - ewe) / (J - T);
  out[3] = (ewe - T / J * ewy) * (ewe - T / J * ewy) / (T * (1 - T / J));
  free(xtx);
  free(b);
  free(M);
  free(e);
  free(fit);
  free(wf);
  free(xty);
}

/* A random sparse non-symmetric W (row-standardised) on n units. */
static spill_weights *random_w(spill_ctx *ctx, int n, spill_rng *rng)
{
  int64_t ti[400], tj[400];
  double tx[400];
  int nt = 0;
  for (int i = 0; i < n; i++) {
    int deg = 1 + (int)(spill_rng_uniform(rng) * 3);
    for (int d = 0; d < deg; d++) {
      int j = (int)(spill_rng_uniform(rng) * n);
      if (j == i) j = (i + 1) % n;
      ti[nt] = i;
      tj[nt] = j;
      tx[nt++] = 0.5 + spill_rng_uniform(rng);
    }
  }
  spill_weights *w = spill_weights_from_triplets(ctx, n, NULL, nt, ti, tj, tx);
  spill_weights_transform(ctx, w, 'W');
  return w;
}

static void dense_cases(spill_ctx *ctx)
{
  spill_rng rng;
  spill_rng_seed(&rng, 7);
  for (int rep = 0; rep < 3; rep++) {
    int n = 9 + 4 * rep;
    spill_weights *w = random_w(ctx, n, &rng);
    double *W = dense_w(w), x[64], ref[8];
    spill_moran m;
    for (int i = 0; i < n; i++) x[i] = spill_rng_normal(&rng) + (i % 3);
    dense_moran(W, n, x, ref);
    CHECK(spill_moran_test(ctx, w, x, 1, 0, 1, &m) == SPILL_OK);
    CHECK_REL(m.s0, ref[5], 1e-12);
    CHECK_REL(m.s1, ref[6], 1e-12);
    CHECK_REL(m.s2, ref[7], 1e-12);
    CHECK_REL(m.moran_i, ref[0], 1e-12);
    CHECK_REL(m.zi_norm, ref[1], 1e-10);
    CHECK_REL(m.zi_rand, ref[2], 1e-10);
    CHECK_REL(m.geary_c, ref[3], 1e-12);
    CHECK_REL(m.zc_norm, ref[4], 1e-10);

    /* LM tests after OLS with a constant and two regressors (t = 1) */
    {
      spill_panel *p = spill_panel_new(ctx, n, 1, (const char *const *)w->ids, NULL, 2, 0);
      double X[64 * 3], tw = 0, lm[4];
      spill_lmtests o;
      for (int i = 0; i < n; i++) {
        p->x[i] = spill_rng_normal(&rng);
        p->x[n + i] = spill_rng_normal(&rng);
        p->y[i] = 1 + p->x[i] - p->x[n + i] + spill_rng_normal(&rng);
        X[i * 3] = 1;
        X[i * 3 + 1] = p->x[i];
        X[i * 3 + 2] = p->x[n + i];
      }
      for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) tw += W[i * n + j] * W[i * n + j] + W[i * n + j] * W[j * n + i];
      dense_lm(W, n, 1, tw, p->y, X, 3, lm);
      CHECK(spill_lm_tests(ctx, p, w, SPILL_FE_NONE, 0, &o) == SPILL_OK);
      CHECK_REL(o.tw, tw, 1e-12);
      /* Moran's I of the residuals: M, MW and the traces by dense products */
      {
        double A[9] = {0}, *M = calloc((size_t)(n * n), sizeof(double)), *MW = calloc((size_t)(n * n), sizeof(double));
        double *MWt = calloc((size_t)(n * n), sizeof(double));
        double e[64] = {0}, ee = 0, ewe = 0, t0 = 0, t1 = 0, t2 = 0, s0 = 0;
        spill_moran_resid mr;
        for (int a = 0; a < 3; a++)
          for (int c = 0; c < 3; c++)
            for (int i = 0; i < n; i++) A[a * 3 + c] += X[i * 3 + a] * X[i * 3 + c];
        inverse(A, 3);
        for (int i = 0; i < n; i++)
          for (int j = 0; j < n; j++) {
            double h = 0;
            for (int a = 0; a < 3; a++)
              for (int c = 0; c < 3; c++) h += X[i * 3 + a] * A[a * 3 + c] * X[j * 3 + c];
            M[i * n + j] = (i == j) - h;
            s0 += W[i * n + j];
          }
        for (int i = 0; i < n; i++)
          for (int j = 0; j < n; j++) {
            for (int m = 0; m < n; m++) {
              MW[i * n + j] += M[i * n + m] * W[m * n + j];
              MWt[i * n + j] += M[i * n + m] * W[j * n + m];
            }
            e[i] += M[i * n + j] * p->y[j];
          }
        for (int i = 0; i < n; i++) {
          t0 += MW[i * n + i];
          ee += e[i] * e[i];
          for (int j = 0; j < n; j++) {
            ewe += e[i] * W[i * n + j] * e[j];
            t1 += MW[i * n + j] * MWt[j * n + i]; /* tr(MW MW') */
            t2 += MW[i * n + j] * MW[j * n + i];
          }
        }
        double I = n / s0 * ewe / ee, E = n / s0 * t0 / (n - 3);
        double V = (n / s0) * (n / s0) * (t1 + t2 + t0 * t0) / ((n - 3.0) * (n - 1.0)) - E * E;
        CHECK(spill_moran_residuals(ctx, p, w, &mr) == SPILL_OK);
        CHECK_REL(mr.moran_i, I, 1e-10);
        CHECK_REL(mr.e, E, 1e-10);
        CHECK_REL(mr.var, V, 1e-10);
        free(M);
        free(MW);
        free(MWt);
      }
      CHECK_REL(o.lm_lag, lm[0], 1e-9);
      CHECK_REL(o.lm_err, lm[1], 1e-9);
      CHECK_REL(o.rlm_lag, lm[2], 1e-9);
      CHECK_REL(o.rlm_err, lm[3], 1e-9);
      spill_panel_free(p);
    }
    /* a panel, t = 3, two-way FE: Q y and Q X by explicit projection,
     * W_nt = I_3 (x) W applied to the demeaned data (splm's definition) */
    {
      int t = 3, nt = n * t;
      spill_panel *p = spill_panel_new(ctx, n, t, (const char *const *)w->ids, NULL, 2, 0);
      double *Q = calloc((size_t)(nt * nt), sizeof(double)), *Wb = calloc((size_t)(nt * nt), sizeof(double));
      double *qy = calloc((size_t)nt, sizeof(double)), *qx = calloc((size_t)(nt * 2), sizeof(double)), tw = 0, lm[4];
      spill_lmtests o;
      for (int q = 0; q < nt; q++) {
        p->x[q] = spill_rng_normal(&rng) + (q % n) * 0.1;
        p->x[nt + q] = spill_rng_normal(&rng) + (q / n);
        p->y[q] = p->x[q] - 0.5 * p->x[nt + q] + spill_rng_normal(&rng) + (q % n) * 0.3;
      }
      for (int a = 0; a < nt; a++)
        for (int c = 0; c < nt; c++) {
          int ia = a % n, sa = a / n, ic = c % n, sc = c / n;
          Q[a * nt + c] = (a == c) - (ia == ic) / (double)t - (sa == sc) / (double)n + 1.0 / nt;
          Wb[a * nt + c] = sa == sc ? W[ia * n + ic] : 0;
        }
      for (int a = 0; a < nt; a++)
        for (int c = 0; c < nt; c++) {
          qy[a] += Q[a * nt + c] * p->y[c];
          qx[a * 2] += Q[a * nt + c] * p->x[c];
          qx[a * 2 + 1] += Q[a * nt + c] * p->x[nt + c];
        }
      for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) tw += W[i * n + j] * W[i * n + j] + W[i * n + j] * W[j * n + i];
      dense_lm(Wb, nt, t, tw, qy, qx, 2, lm);
      CHECK(spill_lm_tests(ctx, p, w, SPILL_FE_TWOWAYS, 1, &o) == SPILL_OK);
      CHECK_REL(o.lm_lag, lm[0], 1e-9);
      CHECK_REL(o.lm_err, lm[1], 1e-9);
      CHECK_REL(o.rlm_lag, lm[2], 1e-9);
      CHECK_REL(o.rlm_err, lm[3], 1e-9);
      /* pooled Moran under I_3 (x) W equals the dense computation on Wb */
      {
        double ref8[8];
        spill_moran pm;
        dense_moran(Wb, nt, p->y, ref8);
        CHECK(spill_moran_test(ctx, w, p->y, t, 0, 1, &pm) == SPILL_OK);
        CHECK_REL(pm.moran_i, ref8[0], 1e-12);
        CHECK_REL(pm.zi_rand, ref8[2], 1e-10);
        CHECK_REL(pm.geary_c, ref8[3], 1e-12);
      }
      /* LR tests of the fixed effects against dummy-variable regressions:
       * lnL = -nt/2 (ln(2 pi SSR/nt) + 1) with explicit unit/time dummies */
      {
        spill_lmtests lu, lt, l2;
        spill_fe_lr lr;
        double ssr[3];
        for (int m = 0; m < 3; m++) { /* 0 two-way, 1 unit only, 2 time only */
          int kd = 2 + (m != 2 ? n : 1) + (m != 1 ? t - 1 : 0), c;
          double *Xd = calloc((size_t)(nt * kd), sizeof(double));
          for (int q = 0; q < nt; q++) {
            int i = q % n, sq = q / n;
            Xd[q * kd] = p->x[q];
            Xd[q * kd + 1] = p->x[nt + q];
            c = 2;
            if (m != 2) Xd[q * kd + c + i] = 1, c += n;
            else Xd[q * kd + c++] = 1;
            if (m != 1 && sq > 0) Xd[q * kd + c + sq - 1] = 1;
          }
          /* residual SS via the dense normal equations */
          {
            double *A = calloc((size_t)(kd * kd), sizeof(double)), *bb = calloc((size_t)kd, sizeof(double));
            double *xy = calloc((size_t)kd, sizeof(double)), e2 = 0;
            for (int a = 0; a < kd; a++) {
              for (int q = 0; q < nt; q++) xy[a] += Xd[q * kd + a] * p->y[q];
              for (int b2 = 0; b2 < kd; b2++)
                for (int q = 0; q < nt; q++) A[a * kd + b2] += Xd[q * kd + a] * Xd[q * kd + b2];
            }
            inverse(A, kd);
            for (int a = 0; a < kd; a++)
              for (int b2 = 0; b2 < kd; b2++) bb[a] += A[a * kd + b2] * xy[b2];
            for (int q = 0; q < nt; q++) {
              double f = 0;
              for (int a = 0; a < kd; a++) f += Xd[q * kd + a] * bb[a];
              e2 += (p->y[q] - f) * (p->y[q] - f);
            }
            ssr[m] = e2;
            free(A);
            free(bb);
            free(xy);
          }
          free(Xd);
        }
        CHECK(spill_lm_tests(ctx, p, w, SPILL_FE_TWOWAYS, 0, &l2) == SPILL_OK);
        CHECK(spill_lm_tests(ctx, p, w, SPILL_FE_UNIT, 0, &lu) == SPILL_OK);
        CHECK(spill_lm_tests(ctx, p, w, SPILL_FE_TIME, 0, &lt) == SPILL_OK);
        spill_fe_lr_tests(&l2, &lu, &lt, &lr);
        CHECK_REL(lr.lr_unit, nt * log(ssr[2] / ssr[0]), 1e-9);
        CHECK_REL(lr.lr_time, nt * log(ssr[1] / ssr[0]), 1e-9);
        CHECK_EQ_INT((int)lr.df_unit, n - 1);
        CHECK_EQ_INT((int)lr.df_time, t - 1);
      }
      free(Q);
      free(Wb);
      free(qy);
      free(qx);
      spill_panel_free(p);
    }
    free(W);
    spill_weights_free(w);
  }
}

/* A unit without neighbours: spdep (adjust.n = TRUE) counts n without it in
 * I, E and the variances, but takes the kurtosis over every value. */
static void island_case(spill_ctx *ctx)
{
  int64_t ti[] = {1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 1}, tj[] = {2, 1, 3, 2, 4, 3, 5, 4, 6, 5, 7, 6, 1, 7};
  double tx[14], x[8] = {3, 1, 4, 1, 5, 9, 2, 6}, mean = 0, m2 = 0, m4 = 0, zwz = 0, s0 = 0, s1 = 0, s2 = 0;
  spill_weights *w;
  spill_moran m;
  int n = 8, ne = 7;
  for (int q = 0; q < 14; q++) tx[q] = 1;
  w = spill_weights_from_triplets(ctx, 8, NULL, 14, ti, tj, tx); /* unit 0 is an island */
  spill_weights_transform(ctx, w, 'W');
  double *W = dense_w(w);
  for (int i = 0; i < n; i++) mean += x[i] / n;
  for (int i = 0; i < n; i++) {
    double r = 0, c = 0;
    m2 += (x[i] - mean) * (x[i] - mean);
    m4 += pow(x[i] - mean, 4);
    for (int j = 0; j < n; j++) {
      zwz += (x[i] - mean) * W[i * n + j] * (x[j] - mean);
      s0 += W[i * n + j];
      s1 += 0.5 * pow(W[i * n + j] + W[j * n + i], 2);
      r += W[i * n + j];
      c += W[j * n + i];
    }
    s2 += (r + c) * (r + c);
  }
  double I = ne / s0 * zwz / m2, E = -1.0 / (ne - 1), K = n * m4 / (m2 * m2);
  double vr = (ne * ((ne * ne - 3.0 * ne + 3) * s1 - ne * s2 + 3 * s0 * s0) - K * ((ne * ne - (double)ne) * s1 - 2.0 * ne * s2 + 6 * s0 * s0)) /
                  ((ne - 1.0) * (ne - 2.0) * (ne - 3.0) * s0 * s0) - E * E;
  CHECK(spill_moran_test(ctx, w, x, 1, 0, 1, &m) == SPILL_OK);
  CHECK_EQ_INT(m.n, 7);
  CHECK_REL(m.moran_i, I, 1e-12);
  CHECK_REL(m.ei, E, 1e-12);
  CHECK_REL(m.vi_rand, vr, 1e-10);
  {
    spill_lisa_opts lo;
    spill_lisa *l;
    spill_lisa_opts_init(&lo);
    lo.perm = 99;
    l = spill_lisa_compute(ctx, w, x, &lo);
    CHECK(l != NULL);
    if (l) {
      CHECK_EQ_INT(l->cluster[0], SPILL_LISA_ISOLATED);
      CHECK_EQ_INT(l->counts[SPILL_LISA_ISOLATED], 1);
      CHECK(isnan(l->p_perm[0]));
      CHECK_REL(l->global_i, m.moran_i, 1e-12);
    }
    spill_lisa_free(l);
  }
  free(W);
  spill_weights_free(w);
}

/* ---- Columbus against spdep 1.2-7 (refs/README.md) ---- */
static void columbus(spill_ctx *ctx)
{
  char gp[512], dp[512];
  spill_weights *w;
  DBFHandle dbf;
  double crime[49], inc[49], hoval[49];
  spill_moran m;
  if (!check_shared("refs/columbus_queen.gal", gp, sizeof gp) || !check_shared("data/columbus.dbf", dp, sizeof dp)) return;
  w = spill_weights_read(ctx, gp, SPILL_WFMT_GAL);
  CHECK_MSG(w != NULL, "%s", spill_ctx_error(ctx));
  dbf = DBFOpen(dp, "rb");
  CHECK(dbf != NULL);
  if (!w || !dbf) return;
  spill_weights_transform(ctx, w, 'W');
  {
    int fc = DBFGetFieldIndex(dbf, "CRIME"), fi = DBFGetFieldIndex(dbf, "INC"), fh = DBFGetFieldIndex(dbf, "HOVAL");
    for (int i = 0; i < 49; i++) { /* GAL ids are record numbers 1..49 */
      crime[i] = DBFReadDoubleAttribute(dbf, i, fc);
      inc[i] = DBFReadDoubleAttribute(dbf, i, fi);
      hoval[i] = DBFReadDoubleAttribute(dbf, i, fh);
    }
  }
  DBFClose(dbf);
  /* W's unit order as read from the GAL file: map by id */
  double xc[49], xi[49], xh[49];
  for (int64_t u = 0; u < 49; u++) {
    int rec = atoi(w->ids[u]) - 1;
    xc[u] = crime[rec];
    xi[u] = inc[rec];
    xh[u] = hoval[rec];
  }
  CHECK(spill_moran_test(ctx, w, xc, 1, 0, 1, &m) == SPILL_OK);
  CHECK_REL(m.moran_i, 0.500188557183, 1e-8);
  CHECK_REL(m.ei, -0.020833333333, 1e-8);
  CHECK_REL(m.vi_rand, 0.008689289201, 1e-8);
  CHECK_REL(m.zi_rand, 5.589382675045, 1e-8);
  CHECK_REL(m.vi_norm, 0.008563413119, 1e-8);
  CHECK_REL(m.zi_norm, 5.630312787738, 1e-8);
  CHECK_REL(m.geary_c, 0.540528202702, 1e-8);
  CHECK_REL(m.vc_rand, 0.009384263777, 1e-8);
  CHECK_REL(m.zc_rand, 4.743061500504, 1e-8);
  CHECK_REL(m.vc_norm, 0.009821535434, 1e-8);
  CHECK_REL(m.zc_norm, 4.636274756221, 1e-8);
  printf("columbus Moran I %.12f z_rand %.12f; Geary C %.12f z_rand %.12f\n", m.moran_i, m.zi_rand, m.geary_c, m.zc_rand);

  /* local Moran, units 1..5 in record order */
  {
    static const double ii[5] = {0.736818490608, 0.528777013266, 0.093850741662, 0.004820966628, 0.303606124752};
    static const double zi[5] = {0.937807651035, 0.985659120262, 0.718418912505, 0.066662323449, 1.047136029431};
    spill_lisa_opts lo;
    spill_lisa *l;
    spill_lisa_opts_init(&lo);
    lo.perm = 0;
    l = spill_lisa_compute(ctx, w, xc, &lo);
    CHECK_MSG(l != NULL, "%s", spill_ctx_error(ctx));
    if (l) {
      for (int r = 0; r < 5; r++) {
        char id[8];
        snprintf(id, sizeof id, "%d", r + 1);
        int64_t u = spill_weights_find(w, id);
        CHECK_REL(l->ii[u], ii[r], 1e-8);
        CHECK_REL(l->z[u], zi[r], 1e-8);
        if (r == 0) printf("columbus local I_1 %.12f Z_1 %.12f (conditional)\n", l->ii[u], l->z[u]);
      }
      CHECK_REL(l->global_i, m.moran_i, 1e-12);
    }
    spill_lisa_free(l);
  }

  /* LM tests after OLS of CRIME on INC and HOVAL */
  {
    spill_panel *p = spill_panel_new(ctx, 49, 1, (const char *const *)w->ids, NULL, 2, 0);
    spill_lmtests o;
    memcpy(p->y, xc, sizeof xc);
    memcpy(p->x, xi, sizeof xi);
    memcpy(p->x + 49, xh, sizeof xh);
    CHECK(spill_lm_tests(ctx, p, w, SPILL_FE_NONE, 0, &o) == SPILL_OK);
    CHECK_REL(o.lm_err, 5.206213923882, 1e-8);
    CHECK_REL(o.p_err, 0.0225062938214, 1e-8);
    CHECK_REL(o.lm_lag, 8.897998591088, 1e-8);
    CHECK_REL(o.p_lag, 0.00285483395073, 1e-8);
    CHECK_REL(o.rlm_err, 0.043905931885, 1e-8);
    CHECK_REL(o.p_rerr, 0.834028723931, 1e-8);
    CHECK_REL(o.rlm_lag, 3.735690599091, 1e-8);
    CHECK_REL(o.p_rlag, 0.0532616450508, 1e-8);
    CHECK_REL(o.sarma, 8.941904522973, 1e-8);
    CHECK_REL(o.p_sarma, 0.0114364202011, 1e-8);
    printf("columbus LM: err %.12f lag %.12f rerr %.12f rlag %.12f sarma %.12f\n", o.lm_err, o.lm_lag, o.rlm_err,
           o.rlm_lag, o.sarma);
    spill_panel_free(p);
  }
  spill_weights_free(w);
}

/* ---- Produc / usaww against splm 1.6-5 slmtest(model = "within") ---- */
static void produc(spill_ctx *ctx)
{
  char wp[512], pp[512];
  const char *xs[] = {"pcap", "pc", "emp", "unemp"};
  spill_panel_spec sp = {"state", "year", "gsp", NULL, NULL, xs, 4, 0};
  spill_weights *w;
  spill_panel *p;
  spill_lmtests o, o2;
  if (!check_shared("data/usaww.csv", wp, sizeof wp) || !check_shared("data/produc.csv", pp, sizeof pp)) return;
  w = spill_weights_read(ctx, wp, SPILL_WFMT_DENSE);
  p = spill_panel_read_csv(ctx, pp, &sp);
  CHECK(w && p);
  if (!w || !p) return;
  spill_weights_transform(ctx, w, 'W');
  for (int64_t q = 0; q < p->n * p->t; q++) {
    p->y[q] = log(p->y[q]);
    for (int k = 0; k < 3; k++) p->x[k * p->n * p->t + q] = log(p->x[k * p->n * p->t + q]);
  }
  CHECK(spill_panel_align(ctx, p, w) == SPILL_OK);
  CHECK(spill_lm_tests(ctx, p, w, SPILL_FE_TWOWAYS, 1, &o) == SPILL_OK);
  CHECK_REL(o.lm_lag, 69.166288618482, 1e-6);
  CHECK_REL(o.lm_err, 98.724617063492, 1e-6);
  CHECK_REL(o.rlm_lag, 9.717493358162, 1e-6);
  CHECK_REL(o.rlm_err, 39.275821803172, 1e-6);
  printf("produc twoways (splm W Q y): lml %.9f lme %.9f rlml %.9f rlme %.9f\n", o.lm_lag, o.lm_err, o.rlm_lag,
         o.rlm_err);
  CHECK(spill_lm_tests(ctx, p, w, SPILL_FE_TWOWAYS, 0, &o2) == SPILL_OK);
  printf("produc twoways (exact Q W y):  lml %.9f lme %.9f rlml %.9f rlme %.9f\n", o2.lm_lag, o2.lm_err, o2.rlm_lag,
         o2.rlm_err);
  CHECK_REL(o2.lm_err, o.lm_err, 1e-12); /* the error test does not involve the lag of y */
  for (int conv = 0; conv < 2; conv++) {
    CHECK(spill_lm_tests(ctx, p, w, SPILL_FE_UNIT, conv, &o) == SPILL_OK);
    CHECK_REL(o.lm_lag, 163.695367461921, 1e-6);
    CHECK_REL(o.lm_err, 223.868405135821, 1e-6);
    CHECK_REL(o.rlm_lag, 34.749497901272, 1e-6);
    CHECK_REL(o.rlm_err, 94.922535575171, 1e-6);
  }
  printf("produc individual: lml %.9f lme %.9f rlml %.9f rlme %.9f\n", o.lm_lag, o.lm_err, o.rlm_lag, o.rlm_err);
  spill_panel_free(p);
  spill_weights_free(w);
}


/* Kolmogorov-Smirnov distance of m values from U(0,1). */
static int cmp_d(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}
static double ks_uniform(double *u, int m)
{
  double d = 0;
  qsort(u, (size_t)m, sizeof *u, cmp_d);
  for (int i = 0; i < m; i++) {
    double a = (i + 1.0) / m - u[i], b = u[i] - (double)i / m;
    d = fmax(d, fmax(a, b));
  }
  return d;
}

/* Permutation p-values: the same seed gives the same p; under H0 (iid
 * values on a lattice) they are uniform: KS over 400 simulated data sets
 * below the 1% critical value 1.628/sqrt(m) (Smirnov's asymptotic). The
 * LISA pseudo p is folded (at most ~1/2): 2p is what should be uniform. */
static void permutation_null(spill_ctx *ctx)
{
  spill_weights *w = spill_weights_lattice(ctx, 10, 10, 0);
  spill_rng rng;
  enum { M = 400 };
  double pg[M], pc[M], pl[M], pl2[M], x[100], crit = 1.628 / sqrt((double)M), d;
  spill_moran a, b;
  spill_lisa_opts lo;
  spill_weights_transform(ctx, w, 'W');
  spill_rng_seed(&rng, 2024);
  for (int i = 0; i < 100; i++) x[i] = spill_rng_normal(&rng);
  CHECK(spill_moran_test(ctx, w, x, 1, 199, 11, &a) == SPILL_OK);
  CHECK(spill_moran_test(ctx, w, x, 1, 199, 11, &b) == SPILL_OK);
  CHECK(a.pi_perm == b.pi_perm && a.pc_perm == b.pc_perm && a.perm_mean_i == b.perm_mean_i);
  CHECK(spill_moran_test(ctx, w, x, 1, 199, 12, &b) == SPILL_OK);
  CHECK(a.perm_mean_i != b.perm_mean_i);
  spill_lisa_opts_init(&lo);
  lo.perm = 199;
  lo.seed = 5;
  {
    spill_lisa *l1 = spill_lisa_compute(ctx, w, x, &lo), *l2 = spill_lisa_compute(ctx, w, x, &lo);
    int same = l1 && l2;
    for (int i = 0; same && i < 100; i++) same = l1->p_perm[i] == l2->p_perm[i];
    CHECK(same);
    spill_lisa_free(l1);
    spill_lisa_free(l2);
  }
  for (int r = 0; r < M; r++) {
    spill_lisa *l;
    for (int i = 0; i < 100; i++) x[i] = spill_rng_normal(&rng);
    CHECK(spill_moran_test(ctx, w, x, 1, 199, 100 + (uint64_t)r, &a) == SPILL_OK);
    pg[r] = a.pi_perm;
    pc[r] = a.pc_perm;
    lo.seed = 1000 + (uint64_t)r;
    l = spill_lisa_compute(ctx, w, x, &lo);
    CHECK(l != NULL);
    pl[r] = l ? fmin(1, 2 * l->p_perm[0]) : 0;   /* a corner unit (2 neighbours) */
    pl2[r] = l ? fmin(1, 2 * l->p_perm[55]) : 0; /* an interior one (4) */
    spill_lisa_free(l);
  }
  d = ks_uniform(pg, M);
  CHECK_MSG(d < crit, "Moran permutation p: KS D = %.4f >= %.4f", d, crit);
  printf("null: KS D of Moran perm p %.4f", d);
  d = ks_uniform(pc, M);
  CHECK_MSG(d < crit, "Geary permutation p: KS D = %.4f >= %.4f", d, crit);
  printf(", Geary %.4f", d);
  d = ks_uniform(pl, M);
  CHECK_MSG(d < crit + 1.0 / 100, "LISA corner 2p: KS D = %.4f", d); /* + the grid step 2/(R+1) / 2 */
  printf(", LISA corner %.4f", d);
  d = ks_uniform(pl2, M);
  CHECK_MSG(d < crit + 1.0 / 100, "LISA interior 2p: KS D = %.4f", d);
  printf(", interior %.4f (1%% critical %.4f)\n", d, crit);
  spill_weights_free(w);
}

/* Pixel colour at (x, y) of an ARGB32 PNG. */
static unsigned pixel(cairo_surface_t *s, double x, double y)
{
  int stride = cairo_image_surface_get_stride(s);
  unsigned char *d = cairo_image_surface_get_data(s);
  return *(unsigned *)(d + (int)y * stride + 4 * (int)x) & 0xffffff;
}

/* A 6 x 6 grid of unit squares: high values in the lower-left 3 x 3 block,
 * low in the upper-right, noise elsewhere; the cluster map must paint the
 * HH block red and the LL block blue in GeoDa's colours, the scatter must
 * put its points where the data are. */
static void figures(spill_ctx *ctx)
{
  const char *dir = check_tmpdir();
  char base[400], shp[700], png[700], svg[700], sc[700], out[700];
  fx f;
  spill_layer *L;
  spill_weights *w;
  double x[36];
  spill_lisa_opts lo;
  spill_lisa *l;
  spill_map_stats ms;
  spill_scatter_stats ss;
  snprintf(base, sizeof base, "%s/grid6", dir);
  fx_open(&f, base, SHPT_POLYGON);
  for (int r = 0; r < 6; r++)
    for (int c = 0; c < 6; c++) fx_square(&f, c, r, 1, r * 6 + c + 1, "cell");
  fx_close(&f);
  snprintf(shp, sizeof shp, "%s.shp", base);
  L = spill_layer_read(ctx, shp, NULL);
  CHECK_MSG(L != NULL, "%s", spill_ctx_error(ctx));
  if (!L) return;
  w = spill_weights_contiguity(ctx, L, NULL);
  spill_weights_transform(ctx, w, 'W');
  for (int r = 0; r < 6; r++)
    for (int c = 0; c < 6; c++) {
      int k = r * 6 + c;
      x[k] = (r < 3 && c < 3) ? 10 + 0.1 * k : (r >= 3 && c >= 3) ? -10 - 0.1 * k : 0.3 * ((k * 7) % 5 - 2);
    }
  spill_lisa_opts_init(&lo);
  lo.perm = 999;
  l = spill_lisa_compute(ctx, w, x, &lo);
  CHECK(l != NULL);
  if (!l) goto done;
  /* unit (0,0) (id 1) and (5,5) (id 36) sit deep in their blocks */
  CHECK_EQ_INT(l->cluster[spill_weights_find(w, "1")], SPILL_LISA_HH);
  CHECK_EQ_INT(l->cluster[spill_weights_find(w, "36")], SPILL_LISA_LL);
  snprintf(png, sizeof png, "%s/lisa.png", dir);
  snprintf(svg, sizeof svg, "%s/lisa.svg", dir);
  CHECK(spill_lisa_map(ctx, L, l, NULL, png, &ms) == SPILL_OK);
  CHECK(spill_lisa_map(ctx, L, l, NULL, svg, NULL) == SPILL_OK);
  {
    cairo_surface_t *s = cairo_image_surface_create_from_png(png);
    double bw = ms.map_box[2] - ms.map_box[0], bh = ms.map_box[3] - ms.map_box[1];
    CHECK(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS);
    for (int r = 0; r < 6; r++)
      for (int c = 0; c < 6; c++) {
        char id[8];
        unsigned want, got;
        double rgb[3];
        snprintf(id, sizeof id, "%d", r * 6 + c + 1);
        spill_lisa_cluster_rgb(l->cluster[spill_weights_find(w, id)], rgb);
        want = ((unsigned)(rgb[0] * 255 + 0.5) << 16) | ((unsigned)(rgb[1] * 255 + 0.5) << 8) | (unsigned)(rgb[2] * 255 + 0.5);
        got = pixel(s, ms.map_box[0] + (c + 0.5) / 6 * bw, ms.map_box[1] + (6 - r - 0.5) / 6 * bh);
        CHECK_MSG(got == want, "cell (%d,%d): pixel %06x, cluster colour %06x", r, c, got, want);
      }
    CHECK(pixel(s, ms.map_box[0] + 0.5 / 6 * bw, ms.map_box[1] + 5.5 / 6 * bh) == 0xFF0000);
    CHECK(pixel(s, ms.map_box[0] + 5.5 / 6 * bw, ms.map_box[1] + 0.5 / 6 * bh) == 0x0000FF);
    cairo_surface_destroy(s);
  }
  CHECK_EQ_INT(ms.class_counts[SPILL_LISA_HH], l->counts[SPILL_LISA_HH]);
  CHECK_EQ_INT(ms.class_counts[SPILL_LISA_LL], l->counts[SPILL_LISA_LL]);
  /* the scatter: a marker's colour where each HH/LL point lies */
  snprintf(sc, sizeof sc, "%s/scatter.png", dir);
  CHECK(spill_moran_scatter(ctx, l, "x", 700, sc, &ss) == SPILL_OK);
  CHECK_EQ_INT(ss.markers, 36);
  {
    cairo_surface_t *s = cairo_image_surface_create_from_png(sc);
    int64_t u = spill_weights_find(w, "1"), v = spill_weights_find(w, "36");
    int hh = 0, ll = 0;
    /* filled markers: vermillion for High-High, blue for Low-Low (chart
     * palette), looked for within 4 pixels (the fitted line may cross the centre) */
    for (int dy = -4; dy <= 4; dy++)
      for (int dx = -4; dx <= 4; dx++) {
        unsigned a = pixel(s, ss.ax + ss.bx * l->zs[u] + dx, ss.ay + ss.by * l->lag[u] + dy);
        unsigned b = pixel(s, ss.ax + ss.bx * l->zs[v] + dx, ss.ay + ss.by * l->lag[v] + dy);
        hh |= ((a >> 16) & 255) > 180 && (a & 255) < 60;
        ll |= (b & 255) > 140 && ((b >> 16) & 255) < 60;
      }
    CHECK(hh);
    CHECK(ll);
    /* the corners of the plot area are empty (white) */
    CHECK(pixel(s, ss.plot_box[0] + 3, ss.plot_box[3] - 3) == 0xffffff);
    cairo_surface_destroy(s);
  }
  /* the joined shapefile carries the clusters */
  snprintf(out, sizeof out, "%s/lisa_out.shp", dir);
  CHECK(spill_lisa_write_shp(ctx, L, l, out, NULL) == SPILL_OK);
  {
    spill_layer *o = spill_layer_read(ctx, out, NULL);
    long fcl = o ? spill_layer_field_index(o, "LISA_CL") : -1;
    CHECK(o && fcl >= 0);
    if (o && fcl >= 0)
      for (size_t u = 0; u < 36; u++)
        CHECK_EQ_INT((int)spill_layer_attr_number(o, u, (size_t)fcl), l->cluster[spill_weights_find(w, spill_layer_ids(L)[u])]);
    spill_layer_free(o);
  }
done:
  spill_lisa_free(l);
  spill_weights_free(w);
  spill_layer_free(L);
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  dense_cases(ctx);
  island_case(ctx);
  columbus(ctx);
  produc(ctx);
  permutation_null(ctx);
  figures(ctx);
  spill_ctx_free(ctx);
  return check_done("test_moran");
}
