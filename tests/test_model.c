/* The model family: SAC and random-effects SAR against R splm 1.6-5, the
 * spatial Hausman test against sphtest, the exact Lee-Yu transformation
 * against a dense ML written here, and the SAC/SDEM likelihoods against a
 * dense computation on a small random case. */
#define _GNU_SOURCE
#include "check.h"
#include "spill.h"
#include "estimation/estimation.h"

/* ---- small dense helpers, independent of the library ---- */

/* ln|A| of a dense n x n row-major matrix by Gaussian elimination with
 * partial pivoting (A destroyed); NaN when the determinant is not positive. */
static double dense_logdet(double *a, int n)
{
  double ld = 0.0;
  int sign = 1;
  for (int c = 0; c < n; c++) {
    int piv = c;
    for (int r = c + 1; r < n; r++)
      if (fabs(a[r * n + c]) > fabs(a[piv * n + c])) piv = r;
    if (a[piv * n + c] == 0.0) return NAN;
    if (piv != c) {
      for (int j = 0; j < n; j++) {
        double t = a[c * n + j];
        a[c * n + j] = a[piv * n + j];
        a[piv * n + j] = t;
      }
      sign = -sign;
    }
    if (a[c * n + c] < 0) sign = -sign;
    ld += log(fabs(a[c * n + c]));
    for (int r = c + 1; r < n; r++) {
      double m = a[r * n + c] / a[c * n + c];
      for (int j = c; j < n; j++) a[r * n + j] -= m * a[c * n + j];
    }
  }
  return sign > 0 ? ld : NAN;
}

/* ln|I - r W| for a dense row-major W */
static double ldet_irw(const double *wd, int n, double r)
{
  double *a = malloc((size_t)n * n * sizeof *a), v;
  for (int i = 0; i < n * n; i++) a[i] = -r * wd[i];
  for (int i = 0; i < n; i++) a[i * n + i] += 1.0;
  v = dense_logdet(a, n);
  free(a);
  return v;
}

/* Residual sum of squares of v on the k columns of x (n x k column-major)
 * by Gauss-Jordan on the normal equations; b (k) receives the slopes. */
static double dense_ssr(const double *x, int nr, int k, const double *v, double *b)
{
  double a[16][17], s = 0.0;
  for (int r = 0; r < k; r++) {
    for (int c = 0; c < k; c++) {
      double t = 0.0;
      for (int i = 0; i < nr; i++) t += x[r * nr + i] * x[c * nr + i];
      a[r][c] = t;
    }
    a[r][k] = 0.0;
    for (int i = 0; i < nr; i++) a[r][k] += x[r * nr + i] * v[i];
  }
  for (int p = 0; p < k; p++)
    for (int r = 0; r < k; r++)
      if (r != p) {
        double m = a[r][p] / a[p][p];
        for (int c = 0; c <= k; c++) a[r][c] -= m * a[p][c];
      }
  for (int r = 0; r < k; r++) b[r] = a[r][k] / a[r][r];
  for (int i = 0; i < nr; i++) {
    double e = v[i];
    for (int r = 0; r < k; r++) e -= x[r * nr + i] * b[r];
    s += e * e;
  }
  return s;
}

/* golden-section maximum of f on [a, b] */
static double golden(double (*f)(void *, double), void *u, double a, double b, double tol)
{
  const double g = 0.6180339887498949;
  double c = b - g * (b - a), d = a + g * (b - a), fc = f(u, c), fd = f(u, d);
  while (b - a > tol) {
    if (fc > fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(u, c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(u, d);
    }
  }
  return 0.5 * (a + b);
}

/* two-way (or unit) demeaning of a time-major n*t vector, written here */
static void demean(double *v, int n, int t, int two)
{
  double *ub = calloc((size_t)n, sizeof *ub), *tb = calloc((size_t)t, sizeof *tb), all = 0;
  for (int s = 0; s < t; s++)
    for (int i = 0; i < n; i++) {
      ub[i] += v[s * n + i] / t;
      tb[s] += v[s * n + i] / n;
      all += v[s * n + i] / ((double)n * t);
    }
  for (int s = 0; s < t; s++)
    for (int i = 0; i < n; i++) v[s * n + i] -= ub[i] + (two ? tb[s] - all : 0.0);
  free(ub);
  free(tb);
}

static void dense_lag(const double *wd, int n, int t, const double *v, double *out)
{
  for (int s = 0; s < t; s++)
    for (int i = 0; i < n; i++) {
      double a = 0.0;
      for (int j = 0; j < n; j++) a += wd[i * n + j] * v[s * n + j];
      out[s * n + i] = a;
    }
}

/* ---- Produc / usaww ---- */

static spill_weights *W;
static spill_panel *P;

static int load_produc(spill_ctx *ctx)
{
  char wp[512], pp[512];
  static const char *xs[] = {"pcap", "pc", "emp", "unemp"};
  spill_panel_spec sp = {"state", "year", "gsp", NULL, NULL, xs, 4, 0};
  if (!check_shared("data/usaww.csv", wp, sizeof wp) || !check_shared("data/produc.csv", pp, sizeof pp)) return 0;
  W = spill_weights_read(ctx, wp, SPILL_WFMT_DENSE);
  P = spill_panel_read_csv(ctx, pp, &sp);
  CHECK_MSG(W && P, "%s", spill_ctx_error(ctx));
  if (!W || !P) return 0;
  CHECK(spill_weights_transform(ctx, W, 'W') == SPILL_OK);
  for (int64_t q = 0; q < P->n * P->t; q++) {
    P->y[q] = log(P->y[q]);
    for (int k = 0; k < 3; k++) P->x[k * P->n * P->t + q] = log(P->x[k * P->n * P->t + q]);
  }
  CHECK(spill_panel_align(ctx, P, W) == SPILL_OK);
  return 1;
}

/* refs/README.md "Spatial dependence tests and the model family" */
static void sac_splm(spill_ctx *ctx)
{
  static const double b[4] = {-0.017626970562, 0.156590895635, 0.751175855473, -0.003025706888};
  static const double se[4] = {0.024881430482, 0.025548454739, 0.028394506297, 0.001143383577};
  spill_fit_opts o;
  spill_fit *f;
  spill_fit_opts_init(&o);
  o.model = SPILL_MODEL_SAC;
  o.splm_wy = 1;
  f = spill_fit_model(ctx, P, W, &o);
  CHECK_MSG(f != NULL, "%s", spill_ctx_error(ctx));
  if (!f) return;
  printf("SAC two-way: rho %.12f (splm lambda 0.336115599647) se %.12f (0.051563404226)\n", f->rho, f->rho_se);
  printf("             lambda %.12f (splm rho 0.048514919735) se %.12f (0.035696444210)\n", f->lambda,
         f->lambda_se);
  for (int j = 0; j < 4; j++) printf("  %s %.12f (%.12f) se %.12f (%.12f)\n", f->names[j], f->coef[j], b[j], f->se[j], se[j]);
  CHECK_RELSTRICT(f->rho, 0.336115599647, 1e-6);
  CHECK_RELSTRICT(f->lambda, 0.048514919735, 1e-6);
  CHECK_RELSTRICT(f->rho_se, 0.051563404226, 1e-4);
  CHECK_RELSTRICT(f->lambda_se, 0.035696444210, 1e-4);
  for (int j = 0; j < 4; j++) {
    CHECK_RELSTRICT(f->coef[j], b[j], 1e-6);
    CHECK_RELSTRICT(f->se[j], se[j], 1e-4);
  }
  spill_fit_free(f);
}

/* lnL(phi, rho) of the random-effects SAR, b and s2 concentrated out, by
 * quasi-demeaning written here (splm sarREmod's ll.c) */
static double re_dense(const double *wd, double phi, double rho, double *b)
{
  int n = (int)P->n, t = (int)P->t, nt = n * t, k = 5;
  double th = 1.0 / sqrt(1.0 + t * phi), ssr;
  double *x = malloc((size_t)nt * k * sizeof *x), *v = malloc((size_t)nt * sizeof *v);
  double *wy = malloc((size_t)nt * sizeof *wy), *ub = malloc((size_t)n * sizeof *ub);
  dense_lag(wd, n, t, P->y, wy);
  for (int i = 0; i < nt; i++) {
    v[i] = P->y[i] - rho * wy[i];
    x[i] = 1.0;
    for (int c = 1; c < k; c++) x[c * nt + i] = P->x[(c - 1) * nt + i];
  }
  for (int c = 0; c <= k; c++) {
    double *col = c < k ? x + c * nt : v;
    for (int i = 0; i < n; i++) ub[i] = 0.0;
    for (int s = 0; s < t; s++)
      for (int i = 0; i < n; i++) ub[i] += col[s * n + i] / t;
    for (int s = 0; s < t; s++)
      for (int i = 0; i < n; i++) col[s * n + i] -= (1.0 - th) * ub[i];
  }
  ssr = dense_ssr(x, nt, k, v, b);
  free(x);
  free(v);
  free(wy);
  free(ub);
  return -0.5 * nt * (log(2 * M_PI * ssr / nt) + 1.0) + t * ldet_irw(wd, n, rho) - 0.5 * n * log(1.0 + t * phi);
}

static void re_splm(spill_ctx *ctx)
{
  static const double b[5] = {1.658149866037, 0.012945052148, 0.225553750200, 0.670810736237, -0.005797158388};
  spill_fit_opts o;
  spill_fit *f;
  spill_fit_opts_init(&o);
  o.model = SPILL_MODEL_SAR;
  o.fe = SPILL_FE_RANDOM;
  f = spill_fit_model(ctx, P, W, &o);
  CHECK_MSG(f != NULL, "%s", spill_ctx_error(ctx));
  if (!f) return;
  printf("RE SAR: rho %.12f (splm lambda 0.161614536572), phi %.12f (21.317508140789), se rho %.6g phi %.6g\n",
         f->rho, f->phi, f->rho_se, f->phi_se);
  for (int j = 0; j < 5; j++) printf("  %s %.12f (%.12f) se %.8f\n", f->names[j], f->coef[j], b[j], f->se[j]);
  {
    int n = (int)P->n;
    double *wd = calloc((size_t)n * n, sizeof *wd), bb[16];
    for (int i = 0; i < n; i++)
      for (int64_t q = W->p[i]; q < W->p[i + 1]; q++) wd[i * n + W->j[q]] = W->x[q];
    printf("RE lnL here %.12f, at splm's (phi, rho) %.12f, reported %.12f\n", re_dense(wd, f->phi, f->rho, bb),
           re_dense(wd, 21.317508140789, 0.161614536572, bb), f->loglik);
    for (int j = 0; j < 5; j++) printf("   GLS at splm's (phi, rho): %.12f vs splm %.12f\n", bb[j], b[j]);
    for (double ph = 21.3174; ph < 21.31760; ph += 0.00002) { double ll = re_dense(wd, ph, 0.161614536572, bb); printf("phi %.6f ll %.13f pcap %.12f c %.10f\n", ph, ll, bb[1], bb[0]); }
    { double ll = re_dense(wd, 21.317508140789, 0.161614536572 * (1 + 1e-7), bb); printf("rho+ ll %.13f pcap %.12f\n", ll, bb[1]); }
    free(wd);
  }
  CHECK_RELSTRICT(f->rho, 0.161614536572, 1e-6);
  CHECK_RELSTRICT(f->phi, 21.317508140789, 1e-6);
  for (int j = 0; j < 5; j++) CHECK_RELSTRICT(f->coef[j], b[j], 1e-6);
  spill_fit_free(f);
}

static void hausman(spill_ctx *ctx)
{
  spill_hausman_result h;
  int rc = spill_hausman(ctx, P, W, SPILL_MODEL_SAR, &h);
  CHECK_MSG(rc == SPILL_OK, "%s", spill_ctx_error(ctx));
  if (rc) return;
  printf("Hausman SAR: stat %.10f (sphtest 83.079300280285) df %d p %.6g (3.87572610132e-17)\n", h.stat, h.df, h.p);
  CHECK_RELSTRICT(h.stat, 83.079300280285, 1e-6);
  CHECK_EQ_INT(h.df, 4);
  CHECK_RELSTRICT(h.p, 3.87572610132e-17, 1e-4);
}

/* Lee-Yu on Produc: a dense ML of the transformed likelihood written here */
typedef struct ly_data {
  int n, t, k, two;
  double *wd, *y, *wy, *x;
} ly_data;

static double ly_dense(void *u, double rho)
{
  ly_data *d = u;
  int nt = d->n * d->t;
  double m = (double)(d->two ? d->n - 1 : d->n) * (d->t - 1), b[16], ssr;
  double *v = malloc((size_t)nt * sizeof *v);
  for (int i = 0; i < nt; i++) v[i] = d->y[i] - rho * d->wy[i];
  ssr = dense_ssr(d->x, nt, d->k, v, b);
  free(v);
  return -0.5 * m * log(ssr / m) + (d->t - 1) * (ldet_irw(d->wd, d->n, rho) - (d->two ? log(1.0 - rho) : 0.0));
}

static void lee_yu(spill_ctx *ctx)
{
  ly_data d;
  int n = (int)P->n, t = (int)P->t, nt = n * t;
  spill_fit_opts o;
  d.n = n;
  d.t = t;
  d.k = 4;
  d.wd = calloc((size_t)n * n, sizeof *d.wd);
  d.y = malloc((size_t)nt * sizeof *d.y);
  d.wy = malloc((size_t)nt * sizeof *d.wy);
  d.x = malloc((size_t)nt * 4 * sizeof *d.x);
  for (int i = 0; i < n; i++)
    for (int64_t q = W->p[i]; q < W->p[i + 1]; q++) d.wd[i * n + W->j[q]] = W->x[q];
  for (int two = 1; two >= 0; two--) {
    double rho, b[16], m, ssr, *v = malloc((size_t)nt * sizeof *v);
    spill_fit *f;
    d.two = two;
    memcpy(d.y, P->y, (size_t)nt * sizeof *d.y);
    dense_lag(d.wd, n, t, P->y, d.wy); /* W y, then demeaned: Q (W y) */
    memcpy(d.x, P->x, (size_t)nt * 4 * sizeof *d.x);
    demean(d.y, n, t, two);
    demean(d.wy, n, t, two);
    for (int k = 0; k < 4; k++) demean(d.x + k * nt, n, t, two);
    rho = golden(ly_dense, &d, -0.9, 0.99, 1e-10);
    for (int i = 0; i < nt; i++) v[i] = d.y[i] - rho * d.wy[i];
    ssr = dense_ssr(d.x, nt, 4, v, b);
    m = (double)(two ? n - 1 : n) * (t - 1);
    spill_fit_opts_init(&o);
    o.model = SPILL_MODEL_SAR;
    o.fe = two ? SPILL_FE_TWOWAYS : SPILL_FE_UNIT;
    o.lee_yu = 1;
    f = spill_fit_model(ctx, P, W, &o);
    CHECK_MSG(f != NULL, "%s", spill_ctx_error(ctx));
    if (f) {
      printf("Lee-Yu %s SAR: rho %.10f (dense %.10f), se %.6g, sigma2 %.8g (dense %.8g)\n", two ? "two-way" : "unit",
             f->rho, rho, f->rho_se, f->sigma2, ssr / m);
      CHECK_REL(f->rho, rho, 1e-6);
      CHECK_RELSTRICT(f->sigma2, ssr / m, 1e-6);
      for (int k = 0; k < 4; k++) CHECK_RELSTRICT(f->coef[k], b[k], 1e-6);
      CHECK(f->lee_yu == 1 && f->rho_se > 0 && f->se[0] > 0);
    }
    spill_fit_free(f);
    free(v);
  }
  free(d.wd);
  free(d.y);
  free(d.wy);
  free(d.x);
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  if (load_produc(ctx)) {
    sac_splm(ctx);
    re_splm(ctx);
    hausman(ctx);
    lee_yu(ctx);
  }
  spill_weights_free(W);
  spill_panel_free(P);
  spill_ctx_free(ctx);
  return check_done("test_model");
}
