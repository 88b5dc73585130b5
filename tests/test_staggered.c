/* Staggered DID: Callaway-Sant'Anna on mpdta against R did's published
 * values and group means; imputation and two-stage against a dense dummy
 * regression and dense forms of the papers' variances; the spillover-robust
 * estimator on simulated panels; bootstrap reproducibility across threads. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "spill.h"

static const spill_did_row *row_by(const spill_did_table *t, int64_t g, int64_t tt, int64_t e)
{
  for (size_t j = 0; t && j < t->count; j++)
    if (t->row[j].g == g && t->row[j].t == tt && t->row[j].e == e) return &t->row[j];
  return NULL;
}

/* printed to 4 decimals as R prints them */
static int same4(double x, double pub) { return fabs(round(x * 1e4) / 1e4 - pub) < 1e-9; }

static void test_mpdta(spill_ctx *ctx)
{
  char buf[1024];
  const char *path = check_shared("data/mpdta.csv", buf, sizeof buf);
  static const double pub_gt[3][4] = {{-0.0105, -0.0704, -0.1373, -0.1008},
                                      {0.0065, -0.0028, -0.0046, -0.0412},
                                      {0.0305, -0.0027, -0.0311, -0.0261}};
  static const double pub_e[7] = {0.0305, -0.0006, -0.0245, -0.0199, -0.0510, -0.1373, -0.1008};
  static const int64_t gs[3] = {2004, 2006, 2007};
  spill_panel_spec spec = {"countyreal", "year", "lemp", NULL, "first.treat", NULL, 0, 0};
  spill_panel *p;
  spill_did_opts o;
  spill_did_result *r;
  double mean[3 + 1][5]; /* [cohort 2004,2006,2007, never][year] */
  int64_t cnt[4] = {0, 0, 0, 0};
  double gt[3][4];
  if (!path) return;
  p = spill_panel_read_csv(ctx, path, &spec);
  CHECK_MSG(p != NULL, "%s", spill_ctx_error(ctx));
  if (!p) return;
  /* independent: group means by cohort and year */
  memset(mean, 0, sizeof mean);
  for (int64_t i = 0; i < p->n; i++) {
    int c = 3;
    for (int64_t s = 0; s < p->t; s++)
      if (p->d[s * p->n + i] == 1) {
        c = p->times[s] == 2004 ? 0 : p->times[s] == 2006 ? 1 : 2;
        break;
      }
    cnt[c]++;
    for (int64_t s = 0; s < p->t; s++) mean[c][s] += p->y[s * p->n + i];
  }
  for (int c = 0; c < 4; c++)
    for (int s = 0; s < 5; s++) mean[c][s] /= (double)cnt[c];
  for (int c = 0; c < 3; c++)
    for (int s = 1; s < 5; s++) {
      int64_t g = gs[c], year = 2003 + s;
      int base = year >= g ? (int)(g - 1 - 2003) : s - 1; /* varying base period */
      gt[c][s - 1] = (mean[c][s] - mean[c][base]) - (mean[3][s] - mean[3][base]);
    }
  spill_did_opts_init(&o);
  o.boot = 0;
  r = spill_did_estimate(ctx, p, &o);
  CHECK_MSG(r != NULL, "%s", spill_ctx_error(ctx));
  if (r) {
    const spill_did_table *tg = spill_did_find(r, "ATT(g,t)"), *te = spill_did_find(r, "event time");
    const spill_did_table *tov = spill_did_find(r, "overall");
    double w[3], ev[7] = {0}, wsum[7] = {0}, simple = 0, ssum = 0;
    CHECK(tg && tg->count == 12);
    for (int c = 0; c < 3; c++)
      for (int s = 0; s < 4; s++) {
        const spill_did_row *x = row_by(tg, gs[c], 2004 + s, 2004 + s - gs[c]);
        CHECK_MSG(x != NULL, "ATT(%lld,%d) missing", (long long)gs[c], 2004 + s);
        if (!x) continue;
        CHECK_MSG(same4(x->est, pub_gt[c][s]), "ATT(%lld,%d) = %.6f, published %.4f", (long long)gs[c],
                  2004 + s, x->est, pub_gt[c][s]);
        CHECK_REL(x->est, gt[c][s], 1e-12);
        CHECK(isfinite(x->se) && x->se > 0);
      }
    /* event time and simple ATT from the group means, weights by group size */
    for (int c = 0; c < 3; c++) w[c] = (double)cnt[c];
    for (int c = 0; c < 3; c++)
      for (int s = 0; s < 4; s++) {
        int64_t e = 2004 + s - gs[c];
        ev[e + 3] += w[c] * gt[c][s];
        wsum[e + 3] += w[c];
        if (e >= 0) {
          simple += w[c] * gt[c][s];
          ssum += w[c];
        }
      }
    for (int k = 0; k < 7; k++) {
      const spill_did_row *x = row_by(te, INT64_MIN, INT64_MIN, k - 3);
      CHECK_MSG(x != NULL, "event time %d missing", k - 3);
      if (!x) continue;
      CHECK_MSG(same4(x->est, pub_e[k]), "e=%d: %.6f, published %.4f", k - 3, x->est, pub_e[k]);
      CHECK_REL(x->est, ev[k] / wsum[k], 1e-12);
    }
    CHECK(tov && tov->count >= 1);
    if (tov) {
      CHECK_MSG(same4(tov->row[0].est, -0.0400), "simple ATT %.6f", tov->row[0].est);
      CHECK_REL(tov->row[0].est, simple / ssum, 1e-12);
    }
  }
  spill_did_result_free(r);
  /* not-yet-treated controls and the universal base period, from group means */
  for (int variant = 0; variant < 2; variant++) {
    spill_did_opts_init(&o);
    o.boot = 0;
    if (variant == 0) o.control = SPILL_CS_NOTYET;
    else o.base = SPILL_CS_UNIVERSAL;
    r = spill_did_estimate(ctx, p, &o);
    CHECK_MSG(r != NULL, "%s", spill_ctx_error(ctx));
    if (!r) continue;
    for (int c = 0; c < 3; c++)
      for (int s = 0; s < 5; s++) {
        int64_t g = gs[c], year = 2003 + s;
        int gb = (int)(g - 1 - 2003), base = variant == 1 || year >= g ? gb : s - 1, tc = s > base ? s : base;
        double ctrl = 0, nc = 0, want;
        const spill_did_row *x = row_by(spill_did_find(r, "ATT(g,t)"), g, year, year - g);
        if (base < 0 || (variant == 0 && s == 0)) continue;
        for (int c2 = 0; c2 < 4; c2++) { /* never, or adopting after max(t, base), other cohorts */
          int64_t g2 = c2 == 3 ? 0 : gs[c2];
          if (!(g2 == 0 || (variant == 0 && g2 > 2003 + tc && g2 != g))) continue;
          ctrl += (double)cnt[c2] * (mean[c2][s] - mean[c2][base]);
          nc += (double)cnt[c2];
        }
        want = s == base ? 0.0 : (mean[c][s] - mean[c][base]) - ctrl / nc;
        CHECK_MSG(x != NULL, "variant %d: ATT(%lld,%lld) missing", variant, (long long)g, (long long)year);
        if (x) CHECK_REL(x->est, want, 1e-12);
      }
    spill_did_result_free(r);
  }
  spill_panel_free(p);
}


/* ---- imputation / two-stage against dense computations ---- */

/* Solve A x = b (k x k row-major, copied) by Gaussian elimination with
 * partial pivoting; m right-hand sides in b (k x m row-major). */
static void dense_solve(const double *a0, int k, double *b, int m)
{
  double *a = malloc((size_t)k * k * sizeof *a);
  memcpy(a, a0, (size_t)k * k * sizeof *a);
  for (int c = 0; c < k; c++) {
    int piv = c;
    for (int r = c + 1; r < k; r++)
      if (fabs(a[r * k + c]) > fabs(a[piv * k + c])) piv = r;
    if (piv != c) {
      for (int j = 0; j < k; j++) {
        double t = a[c * k + j];
        a[c * k + j] = a[piv * k + j];
        a[piv * k + j] = t;
      }
      for (int j = 0; j < m; j++) {
        double t = b[c * m + j];
        b[c * m + j] = b[piv * m + j];
        b[piv * m + j] = t;
      }
    }
    for (int r = c + 1; r < k; r++) {
      double f = a[r * k + c] / a[c * k + c];
      for (int j = c; j < k; j++) a[r * k + j] -= f * a[c * k + j];
      for (int j = 0; j < m; j++) b[r * m + j] -= f * b[c * m + j];
    }
  }
  for (int c = k - 1; c >= 0; c--)
    for (int j = 0; j < m; j++) {
      double s = b[c * m + j];
      for (int q = c + 1; q < k; q++) s -= a[c * k + q] * b[q * m + j];
      b[c * m + j] = s / a[c * k + c];
    }
  free(a);
}

/* A staggered panel: cohorts from the list (0 never), heterogeneous effects
 * growing with event time, one control correlated with the unit effect. */
static spill_panel *sim_panel(spill_ctx *ctx, int64_t n, int64_t t, const int64_t *cohorts, int nco, int nx,
                              uint64_t seed)
{
  spill_panel *p = spill_panel_new(ctx, n, t, NULL, NULL, (size_t)nx, 1);
  spill_rng rng;
  spill_rng_seed(&rng, seed);
  for (int64_t s = 0; s < t; s++) p->times[s] = 2001 + s;
  for (int64_t i = 0; i < n; i++) {
    int64_t g = cohorts[i % nco];
    double a = spill_rng_normal(&rng);
    for (int64_t s = 0; s < t; s++) {
      int64_t k = s * n + i;
      double x = nx ? 0.5 * a + spill_rng_normal(&rng) : 0, d = g && p->times[s] >= g;
      if (nx) p->x[k] = x;
      p->d[k] = d;
      p->y[k] = a + 0.1 * (double)s * (double)s + 0.7 * x + d * (1.0 + 0.3 * (double)(p->times[s] - g) + 0.2 * (double)(g % 3)) +
                spill_rng_normal(&rng);
    }
  }
  return p;
}

typedef struct dense_res {
  double est[32], se_bjs[32], se_2s[32];
  int64_t e[32];
  int count; /* [0] overall, then event times 0.. */
} dense_res;

/* The papers' formulas with dense matrices: Z = [unit dummies, period
 * dummies 2..T, controls], Omega0 = untreated rows. */
static void dense_impute(const spill_panel *p, int nx, const int64_t *cluster, dense_res *out)
{
  int64_t n = p->n, t = p->t, nt = n * t;
  int k = (int)(n + t - 1 + nx);
  double *Z = calloc((size_t)nt * k, sizeof *Z), *A = calloc((size_t)k * k, sizeof *A), *b = calloc((size_t)k, sizeof *b);
  double *fit = malloc((size_t)nt * sizeof *fit), *tau = malloc((size_t)nt * sizeof *tau);
  int64_t *g = calloc((size_t)n, sizeof *g), emax = -1;
  for (int64_t i = 0; i < n; i++)
    for (int64_t s = t - 1; s >= 0; s--)
      if (p->d[s * n + i] == 1) g[i] = p->times[s];
  for (int64_t s = 0; s < t; s++)
    for (int64_t i = 0; i < n; i++) {
      double *z = Z + (size_t)(s * n + i) * k;
      z[i] = 1;
      if (s > 0) z[n + s - 1] = 1;
      for (int q = 0; q < nx; q++) z[n + t - 1 + q] = p->x[(size_t)q * nt + s * n + i];
      if (p->d[s * n + i] == 1 && p->times[s] - g[i] > emax) emax = p->times[s] - g[i];
    }
  for (int64_t r = 0; r < nt; r++) {
    if (p->d[r] == 1) continue;
    for (int a = 0; a < k; a++) {
      b[a] += Z[r * k + a] * p->y[r];
      for (int c = 0; c < k; c++) A[a * k + c] += Z[r * k + a] * Z[r * k + c];
    }
  }
  dense_solve(A, k, b, 1);
  for (int64_t r = 0; r < nt; r++) {
    fit[r] = 0;
    for (int a = 0; a < k; a++) fit[r] += Z[r * k + a] * b[a];
    tau[r] = p->y[r] - fit[r];
  }
  out->count = 0;
  for (int64_t j = -1; j <= emax; j++) {
    /* estimand: all treated (j = -1) or event time j */
    double *ind = calloc((size_t)nt, sizeof *ind), *zt = calloc((size_t)k, sizeof *zt), *gv = NULL;
    double N = 0, sum = 0, vb = 0, vg = 0, *psib = calloc((size_t)n, sizeof *psib);
    double *meat_z = calloc((size_t)n * k, sizeof *meat_z), *w2 = calloc((size_t)n, sizeof *w2);
    for (int64_t r = 0; r < nt; r++) {
      int64_t i = r % n, s = r / n;
      if (p->d[r] == 1 && (j < 0 || p->times[s] - g[i] == j)) {
        ind[r] = 1;
        N += 1;
        sum += tau[r];
      }
    }
    for (int64_t r = 0; r < nt; r++)
      if (ind[r])
        for (int a = 0; a < k; a++) zt[a] += Z[r * k + a];
    gv = malloc((size_t)k * sizeof *gv);
    memcpy(gv, zt, (size_t)k * sizeof *gv);
    dense_solve(A, k, gv, 1); /* A^-1 Z' 1_I, i.e. (X2'X1 A^-1)' as A is symmetric */
    out->est[out->count] = sum / N;
    out->e[out->count] = j;
    for (int64_t r = 0; r < nt; r++) {
      int64_t i = r % n, s = r / n;
      if (p->d[r] != 1) { /* Omega0: v = -z'A^-1 Z'1_I / N */
        double h = 0;
        for (int a = 0; a < k; a++) h += Z[r * k + a] * gv[a];
        psib[i] -= h * tau[r];
        for (int a = 0; a < k; a++) meat_z[i * k + a] += Z[r * k + a] * tau[r]; /* X10_i' u1_i */
      } else if (ind[r]) {
        /* BJS: tau minus its cohort-by-period mean */
        double cm = 0, cn = 0;
        for (int64_t i2 = 0; i2 < n; i2++)
          if (g[i2] == g[i]) {
            cm += tau[s * n + i2];
            cn += 1;
          }
        psib[i] += tau[r] - cm / cn;
        w2[i] += tau[r] - sum / N; /* x2' u2 */
      }
    }
    {
      double *cb = calloc((size_t)n, sizeof *cb), *cg = calloc((size_t)n, sizeof *cg);
      for (int64_t i = 0; i < n; i++) {
        double wi = w2[i];
        int64_t c = cluster ? cluster[i] : i;
        for (int a = 0; a < k; a++) wi -= gv[a] * meat_z[i * k + a]; /* - X2'X1 A^-1 X10_i'u1_i */
        cg[c] += wi;
        cb[c] += psib[i];
      }
      for (int64_t c = 0; c < n; c++) {
        vg += cg[c] * cg[c];
        vb += cb[c] * cb[c];
      }
      free(cb);
      free(cg);
    }
    out->se_bjs[out->count] = sqrt(vb) / N;
    out->se_2s[out->count] = sqrt(vg) / N; /* bread (X2'X2)^-1 = 1/N */
    out->count++;
    free(ind);
    free(zt);
    free(gv);
    free(psib);
    free(meat_z);
    free(w2);
  }
  free(Z);
  free(A);
  free(b);
  free(fit);
  free(tau);
  free(g);
}

static void test_impute_dense(spill_ctx *ctx, int64_t n, int64_t t, int nx, int clustered, double tol_se)
{
  int64_t *cl = NULL;
  static const int64_t cohorts[] = {0, 2003, 2004, 0, 2006, 2004, 2003};
  spill_panel *p = sim_panel(ctx, n, t, cohorts, 7, nx, 42 + (uint64_t)n);
  spill_did_opts o;
  spill_did_result *ri, *r2;
  dense_res d;
  if (clustered) { /* pairs of units, codes 100, 101, ... */
    cl = malloc((size_t)n * sizeof *cl);
    for (int64_t i = 0; i < n; i++) cl[i] = i / 2;
  }
  dense_impute(p, nx, cl, &d);
  spill_did_opts_init(&o);
  if (clustered) {
    int64_t *codes = malloc((size_t)n * sizeof *codes);
    for (int64_t i = 0; i < n; i++) codes[i] = 100 + cl[i];
    o.cluster = codes;
  }
  o.method = SPILL_DID_IMPUTATION;
  o.use_x = nx > 0;
  ri = spill_did_estimate(ctx, p, &o);
  o.method = SPILL_DID_TWOSTAGE;
  r2 = spill_did_estimate(ctx, p, &o);
  CHECK_MSG(ri && r2, "%s", spill_ctx_error(ctx));
  if (ri && r2) {
    const spill_did_table *oi = spill_did_find(ri, "overall"), *o2 = spill_did_find(r2, "overall");
    const spill_did_table *ei = spill_did_find(ri, "event time"), *e2 = spill_did_find(r2, "event time");
    CHECK(oi && o2 && ei && e2);
    CHECK_REL(oi->row[0].est, d.est[0], 1e-10);
    CHECK_REL(o2->row[0].est, oi->row[0].est, 1e-13);
    CHECK_REL(oi->row[0].se, d.se_bjs[0], tol_se);
    CHECK_REL(o2->row[0].se, d.se_2s[0], tol_se);
    for (int j = 1; j < d.count; j++) {
      const spill_did_row *a = row_by(ei, INT64_MIN, INT64_MIN, d.e[j]), *b = row_by(e2, INT64_MIN, INT64_MIN, d.e[j]);
      CHECK_MSG(a && b, "event time %lld missing", (long long)d.e[j]);
      if (!a || !b) continue;
      CHECK_REL(a->est, d.est[j], 1e-10);
      CHECK_REL(b->est, a->est, 1e-13);
      CHECK_REL(a->se, d.se_bjs[j], tol_se);
      CHECK_REL(b->se, d.se_2s[j], tol_se);
    }
  }
  spill_did_result_free(ri);
  spill_did_result_free(r2);
  spill_panel_free(p);
  free((void *)o.cluster);
  free(cl);
}

/* ---- spillovers (Butts 2021) on simulated panels ---- */

/* y = a_i + l_t + tau d + sum_k delta_k S_k + e with exposure rings S_k
 * from ex; pilots in three cohorts. */
static void sim_spill(spill_panel *p, const spill_exposure *ex, double tau, const double *delta, uint64_t seed)
{
  spill_rng rng;
  spill_rng_seed(&rng, seed);
  for (int64_t i = 0; i < p->n; i++) {
    double a = spill_rng_normal(&rng);
    for (int64_t s = 0; s < p->t; s++) {
      int64_t k = s * p->n + i;
      int r = ex->ring[k];
      p->y[k] = a + 0.2 * (double)s + tau * p->d[k] + (r ? delta[r - 1] : 0) + 0.5 * spill_rng_normal(&rng);
    }
  }
}

static spill_panel *pilot_panel(spill_ctx *ctx, const spill_weights *w, int64_t t, uint64_t seed, double share)
{
  spill_panel *p = spill_panel_new(ctx, w->n, t, (const char *const *)w->ids, NULL, 0, 1);
  spill_rng rng;
  static const int64_t gs[3] = {2004, 2006, 2008};
  spill_rng_seed(&rng, seed);
  for (int64_t s = 0; s < t; s++) p->times[s] = 2001 + s;
  for (int64_t i = 0; i < p->n; i++) {
    int64_t g = spill_rng_uniform(&rng) < share ? gs[spill_rng_u64(&rng) % 3] : 0;
    for (int64_t s = 0; s < t; s++) p->d[s * p->n + i] = g && p->times[s] >= g;
  }
  return p;
}

static int covers(const spill_did_row *r, double truth) { return r && r->lo <= truth && truth <= r->hi; }

static const spill_did_row *row_label(const spill_did_table *t, const char *prefix)
{
  for (size_t j = 0; t && j < t->count; j++)
    if (!strncmp(t->row[j].label, prefix, strlen(prefix))) return &t->row[j];
  return NULL;
}

static void test_spillover(spill_ctx *ctx)
{
  char buf[1024], shp[1024];
  const char *gal = check_shared("refs/china_prefectures_queen.gal", buf, sizeof buf);
  spill_weights *w = gal ? spill_weights_read(ctx, gal, SPILL_WFMT_GAL) : spill_weights_lattice(ctx, 20, 20, 1);
  const double delta[2] = {0.5, 0.2}, tau = 1.0;
  spill_panel *p;
  spill_exposure *ex;
  spill_did_opts o;
  spill_did_result *r;
  CHECK_MSG(w != NULL, "%s", spill_ctx_error(ctx));
  if (!w) return;
  if (!gal) printf("note: china_prefectures absent: 20 x 20 queen lattice instead\n");
  p = pilot_panel(ctx, w, 10, 11, 0.15);
  ex = spill_exposure_orders(ctx, p, w, 2);
  CHECK_MSG(ex != NULL, "%s", spill_ctx_error(ctx));
  if (!ex) goto done;
  sim_spill(p, ex, tau, delta, 5);
  spill_did_opts_init(&o);
  o.method = SPILL_DID_IMPUTATION;
  o.exposure = ex;
  r = spill_did_estimate(ctx, p, &o);
  CHECK_MSG(r != NULL, "%s", spill_ctx_error(ctx));
  if (r) {
    const spill_did_table *ov = spill_did_find(r, "overall"), *cmp;
    const spill_did_row *att = row_label(ov, "ATT"), *s1 = row_label(ov, "spillover on exposed controls, order 1");
    const spill_did_row *s2 = row_label(ov, "spillover on exposed controls, order 2"), *tw, *twe;
    CHECK(spill_did_compare(ctx, r, p, NULL, &o) == 0);
    cmp = spill_did_find(r, "comparison");
    tw = row_label(cmp, "TWFE: treated");
    twe = row_label(cmp, "TWFE with exposure: treated");
    if (att && s1 && s2 && tw && twe)
      printf("spillover sim (order rings): ATT %.4f (%.4f), order-1 %.4f (%.4f), order-2 %.4f (%.4f); "
             "plain TWFE %.4f (%.4f); TWFE with exposure %.4f; truth 1, 0.5, 0.2\n",
             att->est, att->se, s1->est, s1->se, s2->est, s2->se, tw->est, tw->se, twe->est);
    CHECK_MSG(covers(att, tau), "ATT %.4f [%.4f, %.4f]", att ? att->est : NAN, att ? att->lo : NAN, att ? att->hi : NAN);
    CHECK_MSG(covers(s1, delta[0]), "order-1 spillover %.4f [%.4f, %.4f]", s1 ? s1->est : NAN, s1 ? s1->lo : NAN,
              s1 ? s1->hi : NAN);
    CHECK_MSG(covers(s2, delta[1]), "order-2 spillover %.4f [%.4f, %.4f]", s2 ? s2->est : NAN, s2 ? s2->lo : NAN,
              s2 ? s2->hi : NAN);
    /* Butts (2021, eq. 5): TWFE estimates tau minus the spillover onto controls */
    CHECK_MSG(tw && tw->est < tau - 0.15 && tw->hi < tau, "plain TWFE %.4f [%.4f, %.4f] should be biased down",
              tw ? tw->est : NAN, tw ? tw->lo : NAN, tw ? tw->hi : NAN);
    CHECK_MSG(covers(twe, tau), "TWFE with exposure %.4f", twe ? twe->est : NAN);
    /* event-time rows of the spillover recover the constant effect */
    {
      const spill_did_table *e1 = spill_did_find(r, "spillover order 1 by event time");
      int bad = 0;
      CHECK(e1 && e1->count >= 3);
      for (size_t j = 0; e1 && j < e1->count; j++) bad += fabs(e1->row[j].est - delta[0]) > 4 * e1->row[j].se;
      CHECK_EQ_INT(bad, 0);
    }
    /* two-stage: same point estimates */
    {
      spill_did_result *r2;
      o.method = SPILL_DID_TWOSTAGE;
      r2 = spill_did_estimate(ctx, p, &o);
      CHECK(r2 != NULL);
      if (r2) {
        const spill_did_row *a2 = row_label(spill_did_find(r2, "overall"), "spillover on exposed controls, order 1");
        CHECK(a2 && s1 && fabs(a2->est - s1->est) < 1e-12);
      }
      spill_did_result_free(r2);
    }
  }
  spill_did_result_free(r);
  spill_exposure_free(ex);
  /* distance rings from the map's centroids (geodesic) */
  if (gal && check_shared("data/china_prefectures.shp", shp, sizeof shp)) {
    spill_layer *layer = spill_layer_read(ctx, shp, NULL);
    double *x = NULL, *y = NULL, edges[2] = {100, 200}, dring[2] = {0.4, 0.15};
    CHECK_MSG(layer != NULL, "%s", spill_ctx_error(ctx));
    if (layer && (int64_t)spill_layer_count(layer) == p->n) {
      spill_points pts;
      x = malloc((size_t)p->n * sizeof *x);
      y = malloc((size_t)p->n * sizeof *y);
      CHECK(spill_layer_centroids(ctx, layer, x, y) == 0);
      pts = (spill_points){p->n, (const char *const *)p->ids, x, y, spill_layer_geographic(layer), 0};
      ex = spill_exposure_rings(ctx, p, &pts, edges, 2);
      CHECK_MSG(ex != NULL, "%s", spill_ctx_error(ctx));
      if (ex) {
        /* an independent check of one unit's ring: brute-force geodesic */
        int64_t i0 = -1, s0 = p->t - 1;
        for (int64_t i = 0; i < p->n && i0 < 0; i++)
          if (ex->ring[s0 * p->n + i] == 2) i0 = i;
        if (i0 >= 0) {
          double dn = INFINITY;
          for (int64_t j = 0; j < p->n; j++)
            if (p->d[s0 * p->n + j] == 1) dn = fmin(dn, spill_geodesic_km(x[i0], y[i0], x[j], y[j]));
          CHECK_MSG(dn > 100 && dn <= 200, "unit %lld nearest pilot at %.1f km", (long long)i0, dn);
        }
        sim_spill(p, ex, tau, dring, 9);
        spill_did_opts_init(&o);
        o.method = SPILL_DID_TWOSTAGE;
        o.exposure = ex;
        r = spill_did_estimate(ctx, p, &o);
        CHECK_MSG(r != NULL, "%s", spill_ctx_error(ctx));
        if (r) {
          const spill_did_table *ov = spill_did_find(r, "overall");
          CHECK(covers(row_label(ov, "ATT"), tau));
          CHECK(covers(row_label(ov, "spillover on exposed controls, 0-100 km"), dring[0]));
          CHECK(covers(row_label(ov, "spillover on exposed controls, 100-200 km"), dring[1]));
        }
        spill_did_result_free(r);
        spill_exposure_free(ex);
      }
    }
    free(x);
    free(y);
    spill_layer_free(layer);
  }
done:
  spill_panel_free(p);
  spill_weights_free(w);
}

/* ---- bootstrap reproducibility, identification messages, covariates ---- */

static void test_boot_threads(spill_ctx *ctx)
{
  static const int64_t cohorts[] = {0, 2003, 2004, 0, 2006, 2004, 2003};
  spill_panel *p = sim_panel(ctx, 300, 6, cohorts, 7, 0, 3);
  spill_did_opts o;
  spill_did_result *r1, *r2, *r3;
  spill_ctx *c2 = spill_ctx_new();
  spill_did_opts_init(&o);
  o.boot = 499;
  o.seed = 12345;
  spill_ctx_set_threads(ctx, 1);
  spill_ctx_set_threads(c2, 2);
  r1 = spill_did_estimate(ctx, p, &o);
  r2 = spill_did_estimate(c2, p, &o);
  o.seed = 54321;
  r3 = spill_did_estimate(ctx, p, &o);
  CHECK(r1 && r2 && r3);
  if (r1 && r2 && r3) {
    int same = 1, differ = 0;
    for (size_t k = 0; k < r1->ntab; k++) {
      same &= r1->tab[k].crit == r2->tab[k].crit || (isnan(r1->tab[k].crit) && isnan(r2->tab[k].crit));
      for (size_t j = 0; j < r1->tab[k].count; j++) {
        same &= r1->tab[k].row[j].se == r2->tab[k].row[j].se || isnan(r1->tab[k].row[j].se);
        differ |= r1->tab[k].row[j].se != r3->tab[k].row[j].se && !isnan(r1->tab[k].row[j].se);
      }
    }
    CHECK_MSG(same, "bootstrap differs between 1 and 2 threads");
    {
      int64_t *codes = malloc((size_t)p->n * sizeof *codes);
      spill_did_result *rc1, *rc2;
      int same2 = 1;
      for (int64_t i = 0; i < p->n; i++) codes[i] = 7 * i + 3; /* one unit per cluster */
      o.seed = 12345;
      o.cluster = codes;
      rc1 = spill_did_estimate(ctx, p, &o);
      for (int64_t i = 0; i < p->n; i++) codes[i] = i / 10; /* 30 clusters */
      rc2 = spill_did_estimate(ctx, p, &o);
      CHECK(rc1 && rc2);
      for (size_t k = 0; rc1 && k < r1->ntab; k++)
        for (size_t j = 0; j < r1->tab[k].count; j++)
          same2 &= rc1->tab[k].row[j].se == r1->tab[k].row[j].se || isnan(r1->tab[k].row[j].se);
      CHECK_MSG(same2, "one unit per cluster should reproduce the unit bootstrap");
      CHECK(rc2 && rc2->tab[0].row[0].se != r1->tab[0].row[0].se && strstr(rc2->description, "30 clusters"));
      spill_did_result_free(rc1);
      spill_did_result_free(rc2);
      o.cluster = NULL;
      free(codes);
      o.seed = 54321;
    }
    CHECK_MSG(differ, "another seed should give other bootstrap SEs");
    /* bootstrap SEs near the analytic ones */
    o.boot = 0;
    {
      spill_did_result *ra = spill_did_estimate(ctx, p, &o);
      const spill_did_table *a = spill_did_find(ra, "overall"), *b = spill_did_find(r1, "overall");
      CHECK(a && b && fabs(a->row[0].se / b->row[0].se - 1) < 0.15);
      spill_did_result_free(ra);
    }
  }
  spill_ctx_set_threads(ctx, 0);
  spill_did_result_free(r1);
  spill_did_result_free(r2);
  spill_did_result_free(r3);
  spill_ctx_free(c2);
  spill_panel_free(p);
}

static int has_note(const spill_did_result *r, const char *s)
{
  for (size_t k = 0; r && k < r->nnotes; k++)
    if (strstr(r->notes[k], s)) return 1;
  return 0;
}

static void test_identification(spill_ctx *ctx)
{
  static const int64_t all_treated[] = {2003, 2004, 2006};
  static const int64_t first[] = {0, 2001, 2004, 0, 2003};
  spill_panel *p = sim_panel(ctx, 30, 6, all_treated, 3, 0, 8), *q = sim_panel(ctx, 30, 6, first, 5, 0, 9);
  spill_did_opts o;
  spill_did_result *r;
  spill_did_opts_init(&o);
  o.boot = 0;
  r = spill_did_estimate(ctx, p, &o);
  CHECK(r == NULL && strstr(spill_ctx_error(ctx), "no never-treated group"));
  o.control = SPILL_CS_NOTYET;
  r = spill_did_estimate(ctx, p, &o);
  CHECK_MSG(r && has_note(r, "last cohort (2006) serves as the not-yet-treated control"), "%s", spill_ctx_error(ctx));
  if (r) {
    const spill_did_table *tg = spill_did_find(r, "ATT(g,t)");
    for (size_t j = 0; tg && j < tg->count; j++) CHECK(tg->row[j].t < 2006 && tg->row[j].g != 2006);
  }
  spill_did_result_free(r);
  o.method = SPILL_DID_IMPUTATION;
  r = spill_did_estimate(ctx, p, &o);
  CHECK(r && has_note(r, "every unit is eventually treated") && has_note(r, "no unit is clean"));
  spill_did_result_free(r);
  o.method = SPILL_DID_CS;
  o.control = SPILL_CS_NEVER;
  r = spill_did_estimate(ctx, q, &o);
  CHECK(r && has_note(r, "treated from the first period (2001) dropped"));
  spill_did_result_free(r);
  o.method = SPILL_DID_TWOSTAGE;
  r = spill_did_estimate(ctx, q, &o);
  CHECK(r && has_note(r, "no clean period"));
  spill_did_result_free(r);
  /* treatment that switches off is refused, naming the unit */
  q->d[3 * q->n + 1] = 0;
  r = spill_did_estimate(ctx, q, &o);
  CHECK(r == NULL && strstr(spill_ctx_error(ctx), "switches off"));
  spill_panel_free(p);
  spill_panel_free(q);
}

/* CS with a covariate: outcome regression and doubly robust ATT(g,t) against
 * a direct computation (OLS on controls; logit by Newton in the test). */
static void test_cs_covariates(spill_ctx *ctx)
{
  static const int64_t cohorts[] = {0, 2003, 2004, 0, 2006, 2004, 2003};
  spill_panel *p = sim_panel(ctx, 400, 6, cohorts, 7, 1, 21);
  spill_did_opts o;
  spill_did_result *rr, *rd;
  int64_t g = 2004, cur = 4, pre = 2; /* ATT(2004, 2005): base 2003 */
  int64_t n = p->n;
  double xtx[4] = {0}, xty[2] = {0}, beta[2], gam[2] = {0, 0};
  double att_reg = 0, nt = 0, a_t = 0, a_c = 0, wc = 0;
  spill_did_opts_init(&o);
  o.boot = 0;
  o.use_x = 1;
  o.est = SPILL_CS_REG;
  rr = spill_did_estimate(ctx, p, &o);
  o.est = SPILL_CS_DR;
  rd = spill_did_estimate(ctx, p, &o);
  CHECK(rr && rd);
  for (int64_t i = 0; i < n; i++) {
    int64_t gi = cohorts[i % 7];
    double x = p->x[pre * n + i], dy = p->y[cur * n + i] - p->y[pre * n + i];
    if (gi != 0) continue;
    xtx[0] += 1;
    xtx[1] += x;
    xtx[3] += x * x;
    xty[0] += dy;
    xty[1] += x * dy;
  }
  xtx[2] = xtx[1];
  {
    double det = xtx[0] * xtx[3] - xtx[1] * xtx[2];
    beta[0] = (xtx[3] * xty[0] - xtx[1] * xty[1]) / det;
    beta[1] = (-xtx[2] * xty[0] + xtx[0] * xty[1]) / det;
  }
  for (int it = 0; it < 50; it++) { /* logit of G = 2004 vs never on [1, x] */
    double h[4] = {0}, sc[2] = {0}, det;
    for (int64_t i = 0; i < n; i++) {
      int64_t gi = cohorts[i % 7];
      double x = p->x[pre * n + i], pr;
      if (gi != 0 && gi != g) continue;
      pr = 1 / (1 + exp(-(gam[0] + gam[1] * x)));
      sc[0] += (gi == g) - pr;
      sc[1] += ((gi == g) - pr) * x;
      h[0] += pr * (1 - pr);
      h[1] += pr * (1 - pr) * x;
      h[3] += pr * (1 - pr) * x * x;
    }
    h[2] = h[1];
    det = h[0] * h[3] - h[1] * h[2];
    gam[0] += (h[3] * sc[0] - h[1] * sc[1]) / det;
    gam[1] += (-h[2] * sc[0] + h[0] * sc[1]) / det;
  }
  for (int64_t i = 0; i < n; i++) {
    int64_t gi = cohorts[i % 7];
    double x = p->x[pre * n + i], dy = p->y[cur * n + i] - p->y[pre * n + i], e = dy - beta[0] - beta[1] * x;
    if (gi == g) {
      att_reg += e;
      nt += 1;
    } else if (gi == 0) {
      double pr = 1 / (1 + exp(-(gam[0] + gam[1] * x)));
      a_c += pr / (1 - pr) * e;
      wc += pr / (1 - pr);
    }
  }
  a_t = att_reg / nt;
  if (rr && rd) {
    const spill_did_row *xr = row_by(spill_did_find(rr, "ATT(g,t)"), g, 2005, 1);
    const spill_did_row *xd = row_by(spill_did_find(rd, "ATT(g,t)"), g, 2005, 1);
    CHECK(xr && xd);
    if (xr) CHECK_REL(xr->est, a_t, 1e-10);
    if (xd) CHECK_REL(xd->est, a_t - a_c / wc, 1e-9);
  }
  spill_did_result_free(rr);
  spill_did_result_free(rd);
  spill_panel_free(p);
}

/* Plain TWFE in the comparison against bacondecomp's published castle figure. */
static void test_castle_twfe(spill_ctx *ctx)
{
  char buf[1024];
  const char *path = check_shared("data/castle.csv", buf, sizeof buf);
  spill_panel_spec spec = {"state", "year", "l_homicide", "post", NULL, NULL, 0, 0};
  spill_panel *p;
  spill_did_opts o;
  spill_did_result *r;
  if (!path) return;
  p = spill_panel_read_csv(ctx, path, &spec);
  CHECK_MSG(p != NULL, "%s", spill_ctx_error(ctx));
  if (!p) return;
  spill_did_opts_init(&o);
  o.method = SPILL_DID_TWFE;
  r = spill_did_estimate(ctx, p, &o);
  CHECK_MSG(r != NULL, "%s", spill_ctx_error(ctx));
  if (r) {
    const spill_did_row *tw = row_label(spill_did_find(r, "comparison"), "TWFE: treated");
    CHECK(tw != NULL);
    if (tw) CHECK_REL(tw->est, 0.0818116169306, 1e-10);
  }
  spill_did_result_free(r);
  spill_panel_free(p);
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  test_mpdta(ctx);
  test_impute_dense(ctx, 14, 6, 0, 0, 1e-10);
  test_impute_dense(ctx, 14, 6, 1, 0, 1e-10);
  test_impute_dense(ctx, 70, 8, 1, 0, 1e-10);
  test_impute_dense(ctx, 70, 8, 1, 1, 1e-10);
  test_spillover(ctx);
  test_boot_threads(ctx);
  test_identification(ctx);
  test_cs_covariates(ctx);
  test_castle_twfe(ctx);
  spill_ctx_free(ctx);
  return check_done("test_staggered");
}
