/* DID diagnostics: Goodman-Bacon decomposition against the published castle
 * numbers and an independent brute force (each 2x2 a DID of means on its
 * subsample, each weight from the paper's closed forms), event studies
 * against a dense dummy-variable regression and a simulated dynamic path
 * (TWFE and SDM, effects from a dense (I - rho W)^-1), placebo p-values
 * (uniform under no effect by Kolmogorov-Smirnov, small under an effect,
 * identical on 1, 2 and 8 threads), heterogeneity tests against direct
 * formulas, and the figures by their pixels. */
#include <unistd.h>
#include "check.h"
#include "estimation/did.h"
#include "estimation/effects.h"
#include "shapes/chart.h"
#include <cairo.h>

/* Under AddressSanitizer: full stack unwinding at allocations, so the
 * cairo suppression in tests/lsan.supp (a buffer cairo keeps while
 * finishing SVG documents) can match; unused in other builds. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "fast_unwind_on_malloc=0"; }

static const char *g_tmp;

/* ---- data ---- */
static double rnorm(spill_rng *r) { return spill_rng_normal(r); }

/* A staggered panel: adopt[i] (0 never), y = a_i + g_t + effect(e) + noise;
 * effect(e) = slope * (e + 1) for e >= 0. */
static spill_panel *stagger(spill_ctx *ctx, int64_t n, int64_t t, const int64_t *adopt, double slope, double het,
                            double sd, size_t nx, uint64_t seed)
{
  spill_rng r;
  spill_panel *p = spill_panel_new(ctx, n, t, NULL, NULL, nx, 1);
  double *a = malloc((size_t)n * sizeof *a), *g = malloc((size_t)t * sizeof *g);
  spill_rng_seed(&r, seed);
  for (int64_t i = 0; i < n; i++) a[i] = rnorm(&r);
  for (int64_t s = 0; s < t; s++) g[s] = 0.3 * s + 0.2 * rnorm(&r);
  for (int64_t s = 0; s < t; s++)
    for (int64_t i = 0; i < n; i++) {
      int64_t k = s * n + i;
      double eff = 0;
      p->d[k] = adopt[i] && p->times[s] >= adopt[i];
      if (p->d[k]) eff = slope * (double)(p->times[s] - adopt[i] + 1) + het * (double)(adopt[i] % 3);
      p->y[k] = a[i] + g[s] + eff + sd * rnorm(&r);
      for (size_t c = 0; c < nx; c++) {
        p->x[c * (size_t)(n * t) + (size_t)k] = 0.5 * a[i] + rnorm(&r);
        p->y[k] += 0.4 * p->x[c * (size_t)(n * t) + (size_t)k];
      }
    }
  free(a);
  free(g);
  return p;
}

/* ---- brute force Goodman-Bacon ---- */
static double mean_y(const spill_panel *p, const int64_t *adopt, int64_t grp, int64_t t0, int64_t t1)
{
  double s = 0;
  int64_t c = 0;
  for (int64_t q = 0; q < p->t; q++) {
    if (p->times[q] < t0 || p->times[q] >= t1) continue;
    for (int64_t i = 0; i < p->n; i++)
      if (adopt[i] == grp) {
        s += p->y[q * p->n + i];
        c++;
      }
  }
  return s / (double)c;
}

/* Check every comparison of b against DIDs of means and the paper's
 * closed-form weights (Goodman-Bacon 2021 eq. 10a-c). */
static void bacon_brute(const spill_panel *p, const spill_bacon *b)
{
  int64_t n = p->n, t = p->t, *adopt = malloc((size_t)n * sizeof *adopt), first = p->times[0];
  int64_t end = p->times[t - 1] + 1;
  double *di = calloc((size_t)n, sizeof *di), *dt = calloc((size_t)t, sizeof *dt), dm = 0, vd = 0;
  size_t expected = 0;
  int64_t groups[64], ng = 0;
  for (int64_t i = 0; i < n; i++) {
    adopt[i] = 0;
    for (int64_t q = t - 1; q >= 0; q--)
      if (p->d[q * n + i] == 1) adopt[i] = p->times[q];
  }
  for (int64_t q = 0; q < t; q++)
    for (int64_t i = 0; i < n; i++) {
      di[i] += p->d[q * n + i] / t;
      dt[q] += p->d[q * n + i] / n;
      dm += p->d[q * n + i] / (double)(n * t);
    }
  for (int64_t q = 0; q < t; q++)
    for (int64_t i = 0; i < n; i++) {
      double e = p->d[q * n + i] - di[i] - dt[q] + dm;
      vd += e * e / (double)(n * t);
    }
  for (int64_t i = 0; i < n; i++) {
    int64_t g;
    for (g = 0; g < ng; g++)
      if (groups[g] == adopt[i]) break;
    if (g == ng) groups[ng++] = adopt[i];
  }
  {
    int has_never = 0, has_always = 0, ntim = 0;
    for (int64_t g = 0; g < ng; g++) {
      has_never |= groups[g] == 0;
      has_always |= groups[g] == first;
      ntim += groups[g] != 0 && groups[g] != first;
    }
    expected = (size_t)(ntim * has_never + ntim * (ntim - 1) + ntim * has_always);
  }
  CHECK_EQ_INT(b->count, expected);
  for (size_t j = 0; j < b->count; j++) {
    const spill_bacon_cmp *m = &b->c[j];
    int64_t k = m->treated, l = m->control, nk = 0, nl = 0;
    double est, w, sk, sl, Dk, Dl, nkl;
    for (int64_t i = 0; i < n; i++) {
      nk += adopt[i] == k;
      nl += adopt[i] == l;
    }
    CHECK_EQ_INT(m->n_treated, nk);
    CHECK_EQ_INT(m->n_control, nl);
    sk = (double)nk / n;
    sl = (double)nl / n;
    Dk = (double)(end - k) / t; /* share of periods treated */
    Dl = l == 0 ? 0 : (double)(end - l) / t;
    if (m->type == SPILL_BACON_TREATED_NEVER) {
      est = (mean_y(p, adopt, k, k, end) - mean_y(p, adopt, k, first, k)) -
            (mean_y(p, adopt, 0, k, end) - mean_y(p, adopt, 0, first, k));
      nkl = sk / (sk + sl);
      w = (sk + sl) * (sk + sl) * nkl * (1 - nkl) * Dk * (1 - Dk) / vd;
    } else if (m->type == SPILL_BACON_EARLY_LATE) { /* k earlier, l later */
      est = (mean_y(p, adopt, k, k, l) - mean_y(p, adopt, k, first, k)) -
            (mean_y(p, adopt, l, k, l) - mean_y(p, adopt, l, first, k));
      nkl = sk / (sk + sl);
      w = pow((sk + sl) * (1 - Dl), 2) * nkl * (1 - nkl) * (Dk - Dl) / (1 - Dl) * (1 - Dk) / (1 - Dl) / vd;
    } else { /* k later treated, l earlier (or always) as control; the paper's names swap */
      double De = Dl, Dlat = Dk, ne = sl, nla = sk, n_el = ne / (ne + nla);
      est = (mean_y(p, adopt, k, k, end) - mean_y(p, adopt, k, l, k)) -
            (mean_y(p, adopt, l, k, end) - mean_y(p, adopt, l, l, k));
      w = pow((ne + nla) * De, 2) * n_el * (1 - n_el) * (Dlat / De) * (De - Dlat) / De / vd;
      CHECK(m->type == (l == first ? SPILL_BACON_LATE_ALWAYS : SPILL_BACON_LATE_EARLY));
    }
    CHECK_MSG(fabs(m->estimate - est) <= 1e-11 * fmax(1, fabs(est)), "2x2 %lld vs %lld: %.15g, brute %.15g",
              (long long)k, (long long)l, m->estimate, est);
    CHECK_MSG(fabs(m->weight - w) <= 1e-12, "weight %lld vs %lld: %.15g, closed form %.15g", (long long)k,
              (long long)l, m->weight, w);
  }
  free(adopt);
  free(di);
  free(dt);
}

/* Two-way FE DID slope without controls: demeaned d and y. */
static double twfe_plain(const spill_panel *p)
{
  int64_t n = p->n, t = p->t;
  double *di = calloc((size_t)n, sizeof *di), *dt = calloc((size_t)t, sizeof *dt), dm = 0;
  double *yi = calloc((size_t)n, sizeof *yi), *yt = calloc((size_t)t, sizeof *yt), ym = 0, sdy = 0, sdd = 0;
  for (int64_t q = 0; q < t; q++)
    for (int64_t i = 0; i < n; i++) {
      di[i] += p->d[q * n + i] / t;
      dt[q] += p->d[q * n + i] / n;
      dm += p->d[q * n + i] / (double)(n * t);
      yi[i] += p->y[q * n + i] / t;
      yt[q] += p->y[q * n + i] / n;
      ym += p->y[q * n + i] / (double)(n * t);
    }
  for (int64_t q = 0; q < t; q++)
    for (int64_t i = 0; i < n; i++) {
      double e = p->d[q * n + i] - di[i] - dt[q] + dm, f = p->y[q * n + i] - yi[i] - yt[q] + ym;
      sdy += e * f;
      sdd += e * e;
    }
  free(di);
  free(dt);
  free(yi);
  free(yt);
  return sdy / sdd;
}

static void test_bacon_castle(spill_ctx *ctx)
{
  char buf[1024];
  const char *path = check_shared("data/castle.csv", buf, sizeof buf);
  spill_panel_spec spec = {"sid", "year", "l_homicide", NULL, "adopt", NULL, 0, 0};
  spill_panel *p;
  spill_bacon *b;
  if (!path) return;
  p = spill_panel_read_csv(ctx, path, &spec);
  CHECK(p != NULL);
  if (!p) return;
  b = spill_bacon_compute(ctx, p);
  CHECK(b != NULL);
  if (b) {
    /* the published figures (bacondecomp vignette), to every digit given */
    CHECK_MSG(fabs(b->twfe - 0.0818116169306) < 5e-14, "twfe %.15g", b->twfe);
    CHECK(fabs(b->type_weight[SPILL_BACON_EARLY_LATE] - 0.05976) <= 5e-6);
    CHECK(fabs(b->type_weight[SPILL_BACON_LATE_EARLY] - 0.03190) <= 5e-6);
    CHECK(fabs(b->type_weight[SPILL_BACON_TREATED_NEVER] - 0.90834) <= 5e-6);
    CHECK(fabs(b->type_estimate[SPILL_BACON_EARLY_LATE] - -0.00554) <= 5e-6);
    CHECK(fabs(b->type_estimate[SPILL_BACON_LATE_EARLY] - 0.07032) <= 5e-6);
    CHECK(fabs(b->type_estimate[SPILL_BACON_TREATED_NEVER] - 0.08796) <= 5e-6);
    CHECK(fabs(b->weighted_sum - b->twfe) < 1e-13);
    bacon_brute(p, b);
    /* the figure: one marker per comparison, a legend entry per type */
    {
      spill__chart_stats st;
      char png[512];
      snprintf(png, sizeof png, "%s/bacon.png", g_tmp);
      CHECK_EQ_INT(spill__bacon_plot(ctx, b, png, "castle", &st), 0);
      CHECK_EQ_INT(st.markers, b->count);
      CHECK_EQ_INT(st.legend_entries, 3);
      CHECK_EQ_INT(st.refs, 2);
    }
  }
  spill_bacon_free(b);
  spill_panel_free(p);
}

static void test_bacon_simulated(spill_ctx *ctx)
{
  for (int rep = 0; rep < 6; rep++) {
    int64_t n = 45 + rep * 7, t = 9, adopt[200];
    spill_rng r;
    spill_panel *p;
    spill_bacon *b;
    double sw = 0;
    spill_rng_seed(&r, 100 + rep);
    for (int64_t i = 0; i < n; i++) {
      uint64_t u = spill_rng_u64(&r) % 7;
      /* never, always (rep odd), and four cohorts */
      adopt[i] = u == 0 ? 0 : u == 1 ? (rep & 1 ? 1 : 0) : (int64_t)(2 + (u % 5) + (rep % 2));
      if (adopt[i] > t) adopt[i] = 0;
    }
    adopt[0] = 0; /* at least one never-treated unit */
    adopt[1] = 3;
    p = stagger(ctx, n, t, adopt, 0.2, 0.3, 0.5, 0, 7 + rep);
    b = spill_bacon_compute(ctx, p);
    CHECK(b != NULL);
    if (!b) {
      fprintf(stderr, "%s\n", spill_ctx_error(ctx));
      spill_panel_free(p);
      continue;
    }
    for (size_t j = 0; j < b->count; j++) sw += b->c[j].weight;
    CHECK_MSG(fabs(sw - 1) <= 1e-12, "weights sum to %.17g", sw);
    CHECK_MSG(fabs(b->weighted_sum - twfe_plain(p)) <= 1e-12, "weighted sum %.17g vs TWFE %.17g", b->weighted_sum,
              twfe_plain(p));
    CHECK(fabs(b->twfe - twfe_plain(p)) <= 1e-12);
    if (rep & 1) CHECK(b->always > 0 && b->type_weight[SPILL_BACON_LATE_ALWAYS] > 0);
    bacon_brute(p, b);
    spill_bacon_free(b);
    spill_panel_free(p);
  }
  /* with controls: Omega * within + (1 - Omega) * sum of the adjusted 2x2
   * terms reproduces the TWFE estimate with the controls (the paper's sec. 5) */
  for (int rep = 0; rep < 4; rep++) {
    int64_t n = 50, t = 8, adopt[50];
    spill_panel *p;
    spill_bacon *b;
    spill_fit *f;
    double sw = 0;
    for (int64_t i = 0; i < n; i++) adopt[i] = i % 5 == 0 ? 0 : (rep & 1) && i % 7 == 0 ? 1 : 3 + (i + rep) % 4;
    p = stagger(ctx, n, t, adopt, 0.2, 0.3, 0.5, 1 + rep % 2, 60 + rep);
    b = spill_bacon_compute(ctx, p);
    f = spill__fit_did(ctx, p, NULL, SPILL_MODEL_OLS, SPILL_LOGDET_AUTO);
    CHECK(b && f);
    if (b && f) {
      for (size_t j = 0; j < b->count; j++) sw += b->c[j].weight;
      CHECK(fabs(sw - 1) < 1e-12);
      CHECK(b->omega > 0 && b->omega < 1);
      CHECK_MSG(fabs(b->omega * b->within + (1 - b->omega) * b->between - f->coef[f->treat]) < 1e-12,
                "controls: %.15g vs TWFE %.15g", b->omega * b->within + (1 - b->omega) * b->between, f->coef[f->treat]);
    }
    spill_fit_free(f);
    spill_bacon_free(b);
    spill_panel_free(p);
  }
  /* a treatment that switches off is refused, naming the unit */
  {
    int64_t adopt[6] = {0, 3, 3, 4, 0, 5};
    spill_panel *p = stagger(ctx, 6, 6, adopt, 0.1, 0, 0.1, 0, 3);
    p->d[4 * 6 + 1] = 0;
    CHECK(spill_bacon_compute(ctx, p) == NULL);
    CHECK(strstr(spill_ctx_error(ctx), "switches off") != NULL);
    spill_panel_free(p);
  }
}

/* ---- event study ---- */
/* Solve the dense symmetric system a x = b (k x k) by Gaussian elimination. */
static void dense_solve(double *a, double *b, int k)
{
  for (int c = 0; c < k; c++) {
    int piv = c;
    for (int r = c + 1; r < k; r++)
      if (fabs(a[r * k + c]) > fabs(a[piv * k + c])) piv = r;
    for (int j = 0; j < k; j++) {
      double tmp = a[c * k + j];
      a[c * k + j] = a[piv * k + j];
      a[piv * k + j] = tmp;
    }
    {
      double tmp = b[c];
      b[c] = b[piv];
      b[piv] = tmp;
    }
    for (int r = c + 1; r < k; r++) {
      double f = a[r * k + c] / a[c * k + c];
      for (int j = c; j < k; j++) a[r * k + j] -= f * a[c * k + j];
      b[r] -= f * b[c];
    }
  }
  for (int c = k - 1; c >= 0; c--) {
    for (int j = c + 1; j < k; j++) b[c] -= a[c * k + j] * b[j];
    b[c] /= a[c * k + c];
  }
}

static void test_eventstudy_dense(spill_ctx *ctx)
{
  int64_t n = 30, t = 8, adopt[30];
  spill_es_opts o;
  spill_eventstudy *es;
  spill_panel *p;
  for (int64_t i = 0; i < n; i++) adopt[i] = i < 8 ? 0 : 2 + i % 6;
  p = stagger(ctx, n, t, adopt, 0.3, 0, 0.4, 1, 11);
  spill_es_opts_init(&o);
  o.lead = 3;
  o.lag = 2;
  es = spill_eventstudy_fit(ctx, p, NULL, &o);
  CHECK(es != NULL);
  if (es) {
    /* dense OLS: constant, N-1 unit dummies, T-1 period dummies, the event
     * dummies binned at -3 and 2, the control */
    int m = (int)es->m, k = 1 + (int)(n - 1) + (int)(t - 1) + m + 1;
    double *xtx = calloc((size_t)(k * k), sizeof *xtx), *xty = calloc((size_t)k, sizeof *xty), *row = malloc((size_t)k * sizeof *row);
    for (int64_t s = 0; s < t; s++)
      for (int64_t i = 0; i < n; i++) {
        int c = 0;
        memset(row, 0, (size_t)k * sizeof *row);
        row[c++] = 1;
        for (int64_t u = 1; u < n; u++) row[c++] = i == u;
        for (int64_t q = 1; q < t; q++) row[c++] = s == q;
        for (int j = 0; j < m; j++) {
          int64_t e = adopt[i] ? p->times[s] - adopt[i] : 99;
          if (adopt[i]) {
            if (e < -3) e = -3;
            if (e > 2) e = 2;
          }
          row[c++] = e == es->rel[j];
        }
        row[c++] = p->x[s * n + i];
        for (int a = 0; a < k; a++) {
          xty[a] += row[a] * p->y[s * n + i];
          for (int b = 0; b < k; b++) xtx[a * k + b] += row[a] * row[b];
        }
      }
    dense_solve(xtx, xty, k);
    for (int j = 0; j < m; j++)
      CHECK_MSG(fabs(es->coef[j] - xty[1 + (n - 1) + (t - 1) + j]) < 1e-9, "rel %d: %.12g vs dense %.12g", es->rel[j],
                es->coef[j], xty[1 + (n - 1) + (t - 1) + j]);
    CHECK(es->pre_df == 2); /* leads -3 and -2 (-1 is the reference) */
    CHECK(es->pre_p >= 0 && es->pre_p <= 1);
    free(xtx);
    free(xty);
    free(row);
    /* the figure */
    {
      spill__chart_stats st;
      char png[512];
      cairo_surface_t *img;
      snprintf(png, sizeof png, "%s/es.png", g_tmp);
      CHECK_EQ_INT(spill__eventstudy_plot(ctx, es, png, NULL, &st), 0);
      CHECK_EQ_INT(st.markers, es->m + 1); /* plus the reference period */
      CHECK_EQ_INT(st.intervals, es->m);
      CHECK_EQ_INT(st.refs, 2);
      img = cairo_image_surface_create_from_png(png);
      if (cairo_surface_status(img) == CAIRO_STATUS_SUCCESS) {
        int stride = cairo_image_surface_get_stride(img);
        unsigned char *d = cairo_image_surface_get_data(img);
        for (size_t j = 0; j < es->m; j++) {
          int x = (int)(st.ax[0] + st.bx[0] * es->rel[j]), y = (int)(st.ay[0] + st.by[0] * es->coef[j]);
          unsigned int px = *(unsigned int *)(d + y * stride + 4 * x);
          CHECK_MSG(((px >> 16) & 255) < 100, "marker of period %d not drawn", es->rel[j]);
        }
        /* the zero line: grey at a place with no marker */
        {
          int x = (int)(st.ax[0] + st.bx[0] * -2.5), y = (int)(st.ay[0]);
          unsigned int px = *(unsigned int *)(d + y * stride + 4 * x);
          CHECK((px & 0xffffff) != 0xffffff);
        }
      }
      cairo_surface_destroy(img);
    }
  }
  spill_eventstudy_free(es);
  spill_panel_free(p);
}

static void test_eventstudy_recovery(spill_ctx *ctx)
{
  int64_t n = 300, t = 12, adopt[300];
  spill_es_opts o;
  spill_eventstudy *es;
  spill_panel *p;
  int miss = 0;
  for (int64_t i = 0; i < n; i++) adopt[i] = i < 100 ? 0 : 4 + i % 5;
  p = stagger(ctx, n, t, adopt, 0.15, 0, 0.3, 0, 5); /* effect 0.15 (e + 1) from adoption on */
  spill_es_opts_init(&o);
  o.lead = 3;
  o.lag = 4;
  es = spill_eventstudy_fit(ctx, p, NULL, &o);
  CHECK(es != NULL);
  if (es) {
    for (size_t j = 0; j < es->m; j++) {
      int r = es->rel[j];
      double truth = r < 0 ? 0 : 0.15 * (r + 1);
      if (r == o.lag) continue; /* the binned end averages several periods */
      if (fabs(es->coef[j] - truth) > 1.96 * es->se[j]) miss++;
      CHECK_MSG(fabs(es->coef[j] - truth) < 3.5 * es->se[j], "rel %d: %.4f, truth %.4f, se %.4f", r, es->coef[j],
                truth, es->se[j]);
    }
    CHECK(miss <= 1);
    CHECK(es->pre_p > 0.01);
  }
  spill_eventstudy_free(es);
  spill_panel_free(p);
}

/* SDM: y = (I - rho W)^-1 (sum_e beta_e D_e + theta_e W D_e + mu + alpha + e). */
static void test_eventstudy_sdm(spill_ctx *ctx)
{
  const int64_t side = 14, n = side * side, t = 10;
  const double rho = 0.35;
  spill_weights *w = spill_weights_lattice(ctx, side, side, 0);
  spill_panel *p;
  spill_rng r;
  int64_t *adopt = malloc((size_t)n * sizeof *adopt);
  double *S = calloc((size_t)(n * n), sizeof *S), *P = calloc((size_t)(n * n), sizeof *P), *Q = malloc((size_t)(n * n) * sizeof *Q);
  double a0 = 0, a1 = 0, *wd = malloc((size_t)n * sizeof *wd), *rhs = malloc((size_t)n * sizeof *rhs);
  double *mu = malloc((size_t)n * sizeof *mu);
  spill_es_opts o;
  spill_eventstudy *es;
  int miss = 0;
  spill_weights_transform(ctx, w, 'W');
  spill_rng_seed(&r, 77);
  for (int64_t i = 0; i < n; i++) adopt[i] = spill_rng_uniform(&r) < 0.35 ? 0 : 4 + (int64_t)(spill_rng_u64(&r) % 3);
  for (int64_t i = 0; i < n; i++) mu[i] = rnorm(&r);
  /* dense (I - rho W)^-1 by its series, and a0 = tr(S)/n, a1 = tr(S W)/n */
  for (int64_t i = 0; i < n; i++) P[i * n + i] = 1;
  for (int k = 0; k < 80; k++) {
    double f = pow(rho, k);
    for (int64_t q = 0; q < n * n; q++) S[q] += f * P[q];
    memset(Q, 0, (size_t)(n * n) * sizeof *Q);
    for (int64_t i = 0; i < n; i++) /* Q = P W */
      for (int64_t c = 0; c < n; c++) {
        double v = P[i * n + c];
        if (v == 0) continue;
        for (int64_t e = w->p[c]; e < w->p[c + 1]; e++) Q[i * n + w->j[e]] += v * w->x[e];
      }
    memcpy(P, Q, (size_t)(n * n) * sizeof *P);
  }
  for (int64_t i = 0; i < n; i++) {
    a0 += S[i * n + i] / n;
    for (int64_t e = w->p[i]; e < w->p[i + 1]; e++) a1 += S[w->j[e] * n + i] * w->x[e] / n; /* (S W)_ii */
  }
  p = spill_panel_new(ctx, n, t, (const char *const *)w->ids, NULL, 1, 1);
  for (int64_t s = 0; s < t; s++) {
    double al = 0.2 * s;
    for (int64_t i = 0; i < n; i++) {
      int64_t e = adopt[i] ? p->times[s] - adopt[i] : -99;
      p->d[s * n + i] = adopt[i] && e >= 0;
      wd[i] = e >= 0 ? 0.4 * (e + 1) : 0; /* beta_e d */
      p->x[s * n + i] = rnorm(&r);
    }
    for (int64_t i = 0; i < n; i++) {
      double wv = 0;
      for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) wv += w->x[q] * wd[w->j[q]];
      rhs[i] = wd[i] + 0.5 * wv /* theta_e = 0.5 beta_e */ + 0.5 * p->x[s * n + i] + mu[i] + al + 0.3 * rnorm(&r);
    }
    for (int64_t i = 0; i < n; i++) {
      double v = 0;
      for (int64_t c = 0; c < n; c++) v += S[i * n + c] * rhs[c];
      p->y[s * n + i] = v;
    }
  }
  spill_es_opts_init(&o);
  o.model = SPILL_MODEL_SDM;
  o.lead = 3;
  o.lag = 3;
  o.effects.draws = 400;
  es = spill_eventstudy_fit(ctx, p, w, &o);
  CHECK(es != NULL);
  if (!es) fprintf(stderr, "%s\n", spill_ctx_error(ctx));
  if (es) {
    CHECK(fabs(es->rho - rho) < 0.06);
    for (size_t j = 0; j < es->m; j++) {
      int rr = es->rel[j];
      double beta = rr < 0 ? 0 : 0.4 * (rr + 1), theta = 0.5 * beta;
      double dir = beta * a0 + theta * a1, tot = (beta + theta) / (1 - rho), ind = tot - dir;
      if (rr == o.lag) continue; /* binned end */
      if (!(dir >= es->direct[j].lo && dir <= es->direct[j].hi)) miss++;
      if (!(ind >= es->indirect[j].lo && ind <= es->indirect[j].hi)) miss++;
      CHECK_MSG(fabs(es->direct[j].estimate - dir) < 4 * spill__stat_se(&es->direct[j]), "direct %d: %.4f vs %.4f", rr,
                es->direct[j].estimate, dir);
      CHECK_MSG(fabs(es->indirect[j].estimate - ind) < 4 * spill__stat_se(&es->indirect[j]), "indirect %d: %.4f vs %.4f",
                rr, es->indirect[j].estimate, ind);
    }
    CHECK_MSG(miss <= 1, "%d true effects outside their 95%% intervals", miss);
    CHECK(es->pre_df == 4);
    {
      spill__chart_stats st;
      char svg[512];
      snprintf(svg, sizeof svg, "%s/es_sdm.svg", g_tmp);
      CHECK_EQ_INT(spill__eventstudy_plot(ctx, es, svg, "SDM", &st), 0);
      CHECK_EQ_INT(st.markers, 3 * (es->m + 1));
      CHECK_EQ_INT(st.intervals, 3 * es->m);
      CHECK_EQ_INT(st.refs, 6);
      CHECK(st.box[1][0] > st.box[0][2]);
    }
  }
  spill_eventstudy_free(es);
  spill_panel_free(p);
  spill_weights_free(w);
  free(adopt);
  free(S);
  free(P);
  free(Q);
  free(wd);
  free(rhs);
  free(mu);
}

/* ---- placebo ---- */
static double ks_uniform(double *p, int m)
{
  double d = 0;
  for (int a = 1; a < m; a++) /* sort */
    for (int b = a; b > 0 && p[b - 1] > p[b]; b--) {
      double x = p[b];
      p[b] = p[b - 1];
      p[b - 1] = x;
    }
  for (int k = 0; k < m; k++) d = fmax(d, fmax((k + 1.0) / m - p[k], p[k] - (double)k / m));
  return d;
}

static void test_placebo(spill_ctx *ctx)
{
  int64_t n = 40, t = 8, adopt[40];
  spill_placebo_opts o;
  spill_placebo *pl, *ref;
  spill_panel *p;
  for (int64_t i = 0; i < n; i++) adopt[i] = i < 15 ? 4 + i % 2 : 0;
  /* the fast refit equals the full fit, coefficient and cluster p */
  p = stagger(ctx, n, t, adopt, 0.3, 0, 0.5, 2, 21);
  spill_placebo_opts_init(&o);
  o.reps = 199;
  pl = spill_placebo_run(ctx, p, NULL, &o);
  CHECK(pl != NULL);
  if (pl) {
    spill_fit *f = spill__fit_did(ctx, p, NULL, SPILL_MODEL_OLS, SPILL_LOGDET_AUTO);
    CHECK(fabs(pl->coef - f->coef[f->treat]) < 1e-12);
    CHECK_REL(pl->p, spill__normal_p2(f->coef[f->treat] / f->se[f->treat]), 1e-9);
    CHECK(pl->p_coef <= 0.02); /* a real effect */
    spill_fit_free(f);
    /* same draws on 1, 2 and 8 threads */
    for (int th = 1; th <= 8; th *= 2) {
      spill_placebo *q;
      if (th == 4) continue;
      spill_ctx_set_threads(ctx, th);
      q = spill_placebo_run(ctx, p, NULL, &o);
      CHECK(q && q->threads == th);
      if (q) CHECK(memcmp(q->b, pl->b, sizeof *q->b * 199) == 0 && memcmp(q->bp, pl->bp, sizeof *q->bp * 199) == 0);
      spill_placebo_free(q);
    }
    spill_ctx_set_threads(ctx, 0);
    {
      spill__chart_stats st;
      char png[512];
      snprintf(png, sizeof png, "%s/placebo.png", g_tmp);
      CHECK_EQ_INT(spill__placebo_plot(ctx, pl, png, NULL, &st), 0);
      CHECK_EQ_INT(st.markers, 199);
      CHECK_EQ_INT(st.lines, 1);
      CHECK(st.bars > 0);
      CHECK_EQ_INT(st.refs, 2);
    }
  }
  spill_placebo_free(pl);
  /* random times and the shifted date run */
  o.mode = SPILL_PLACEBO_RANDOM_TIME;
  pl = spill_placebo_run(ctx, p, NULL, &o);
  CHECK(pl && isfinite(pl->mean));
  spill_placebo_free(pl);
  o.mode = SPILL_PLACEBO_SHIFT;
  o.shift = 2;
  pl = spill_placebo_run(ctx, p, NULL, &o);
  CHECK(pl && isfinite(pl->coef) && pl->t == 3);
  if (pl) CHECK(pl->p > 0.001); /* no effect before the real dates */
  spill_placebo_free(pl);
  spill_panel_free(p);
  /* under no effect the permutation p-values are uniform (KS at 1%) */
  {
    enum { SIMS = 200 };
    double pv[SIMS], d;
    spill_placebo_opts_init(&o);
    o.reps = 99;
    for (int s = 0; s < SIMS; s++) {
      p = stagger(ctx, n, t, adopt, 0, 0, 1, 1, 1000 + s);
      o.seed = 5000 + s;
      ref = spill_placebo_run(ctx, p, NULL, &o);
      pv[s] = ref ? ref->p_coef : NAN;
      spill_placebo_free(ref);
      spill_panel_free(p);
    }
    d = ks_uniform(pv, SIMS);
    CHECK_MSG(d < 1.628 / sqrt(SIMS), "KS D = %.4f over %d simulations (1%% critical %.4f)", d, SIMS, 1.628 / sqrt(SIMS));
  }
}

static void test_placebo_sdm(spill_ctx *ctx)
{
  spill_weights *w = spill_weights_lattice(ctx, 10, 10, 1);
  spill_sim_opts so;
  spill_panel *p;
  spill_placebo_opts o;
  spill_placebo *pl;
  spill_weights_transform(ctx, w, 'W');
  spill_sim_opts_init(&so);
  so.t = 8;
  so.first_time = 2011;
  so.n_batches = 2;
  so.batch_time[0] = 2013;
  so.batch_time[1] = 2015;
  so.batch_share[0] = so.batch_share[1] = 0.2;
  p = spill_simulate_did(ctx, w, &so, NULL);
  CHECK(p != NULL);
  spill_placebo_opts_init(&o);
  o.model = SPILL_MODEL_SDM;
  o.reps = 60;
  pl = spill_placebo_run(ctx, p, w, &o);
  CHECK(pl != NULL);
  if (pl) {
    spill_fit *f = spill__fit_did(ctx, p, w, SPILL_MODEL_SDM, SPILL_LOGDET_AUTO);
    spill_effects_opts eo;
    spill_effects *e;
    spill_effects_opts_init(&eo);
    eo.draws = 0;
    e = spill_effects_compute(ctx, f, w, NULL, &eo);
    CHECK_MSG(fabs(pl->coef - f->coef[f->treat]) < 2e-6, "fast %.10g full %.10g", pl->coef, f->coef[f->treat]);
    CHECK_MSG(fabs(pl->rho - f->rho) < 1e-6, "rho fast %.10g full %.10g", pl->rho, f->rho);
    CHECK(fabs(pl->direct - e->e[0].direct.estimate) < 2e-6);
    CHECK(fabs(pl->indirect - e->e[0].indirect.estimate) < 1e-5);
    CHECK(pl->p_direct <= 0.05 && pl->p_indirect <= 0.05);
    spill_effects_free(e);
    spill_fit_free(f);
    spill_ctx_set_threads(ctx, 2);
    {
      spill_placebo *q = spill_placebo_run(ctx, p, w, &o);
      CHECK(q && memcmp(q->bindirect, pl->bindirect, 60 * sizeof *q->b) == 0);
      spill_placebo_free(q);
    }
    spill_ctx_set_threads(ctx, 0);
  }
  spill_placebo_free(pl);
  spill_panel_free(p);
  spill_weights_free(w);
}

/* ---- heterogeneity ---- */
/* TWFE slope and suest variance (N/(N-1) times the cluster sandwich) on the units with grp == g. */
static void group_twfe(const spill_panel *p, const int *grp, int g, double *b, double *v)
{
  int64_t n = p->n, t = p->t, m = 0, k = 0;
  double *y = NULL, *d = NULL, sdd = 0, sdy = 0, meat = 0;
  for (int64_t i = 0; i < n; i++) m += grp[i] == g;
  y = calloc((size_t)(m * t), sizeof *y);
  d = calloc((size_t)(m * t), sizeof *d);
  for (int64_t i = 0; i < n; i++) {
    if (grp[i] != g) continue;
    for (int64_t s = 0; s < t; s++) {
      y[s * m + k] = p->y[s * n + i];
      d[s * m + k] = p->d[s * n + i];
    }
    k++;
  }
  {
    double *wk = malloc((size_t)(m + t) * sizeof *wk);
    spill__within(y, m, t, SPILL_FE_TWOWAYS, wk, y);
    spill__within(d, m, t, SPILL_FE_TWOWAYS, wk, d);
    free(wk);
  }
  for (int64_t r = 0; r < m * t; r++) {
    sdd += d[r] * d[r];
    sdy += d[r] * y[r];
  }
  *b = sdy / sdd;
  for (int64_t i = 0; i < m; i++) {
    double sc = 0;
    for (int64_t s = 0; s < t; s++) sc += d[s * m + i] * (y[s * m + i] - *b * d[s * m + i]);
    meat += sc * sc;
  }
  *v = meat / (sdd * sdd) * (double)n / (double)(n - 1);
  free(y);
  free(d);
}

static void test_heterogeneity(spill_ctx *ctx)
{
  int64_t n = 60, t = 8, adopt[60];
  int grp[60];
  spill_het_opts o;
  for (int pass = 0; pass < 2; pass++) {
    spill_panel *p, *q;
    spill_heterogeneity *h;
    for (int64_t i = 0; i < n; i++) {
      adopt[i] = i % 3 == 0 ? 0 : 3 + i % 4;
      grp[i] = (int)(i % 2);
    }
    p = stagger(ctx, n, t, adopt, 0.1, 0, 0.5, 0, 40 + pass);
    /* pass 1: the effect is larger in group 1 */
    for (int64_t s = 0; s < t; s++)
      for (int64_t i = 0; i < n; i++)
        if (pass && grp[i]) p->y[s * n + i] += 1.0 * p->d[s * n + i];
    q = spill_panel_new(ctx, n, t, NULL, NULL, 1, 1);
    memcpy(q->y, p->y, (size_t)(n * t) * sizeof *q->y);
    memcpy(q->d, p->d, (size_t)(n * t) * sizeof *q->d);
    free(q->x_names[0]);
    q->x_names[0] = strdup("south");
    for (int64_t s = 0; s < t; s++)
      for (int64_t i = 0; i < n; i++) q->x[s * n + i] = grp[i];
    spill_het_opts_init(&o);
    o.reps = 300;
    h = spill_heterogeneity_fit(ctx, q, NULL, "south", &o);
    CHECK(h != NULL);
    if (h) {
      double b0, v0, b1, v1;
      group_twfe(p, grp, 0, &b0, &v0);
      group_twfe(p, grp, 1, &b1, &v1);
      CHECK_EQ_INT(h->groups, 2);
      CHECK(fabs(h->g[0].coef - b0) < 1e-12 && fabs(h->g[1].coef - b1) < 1e-12);
      CHECK_REL(h->sur, (b0 - b1) * (b0 - b1) / (v0 + v1), 1e-10);
      CHECK(fabs(h->diff - (b0 - b1)) < 1e-12);
      CHECK(h->wald >= 0 && h->wald_p >= 0 && h->wald_p <= 1 && h->wald_df == 1);
      if (pass) CHECK(h->perm_p < 0.01 && h->wald_p < 0.01 && h->sur_p < 0.01);
      else CHECK(h->perm_p > 0.05);
      /* the same permutation p on 1 and 3 threads */
      for (int th = 1; th <= 3; th += 2) {
        spill_heterogeneity *h2;
        spill_ctx_set_threads(ctx, th);
        h2 = spill_heterogeneity_fit(ctx, q, NULL, "south", &o);
        CHECK(h2 && h2->perm_p == h->perm_p && h2->perm_p1 == h->perm_p1 && h2->reps == h->reps);
        spill_heterogeneity_free(h2);
      }
      spill_ctx_set_threads(ctx, 0);
    }
    spill_heterogeneity_free(h);
    /* a group column that varies within a unit is refused */
    q->x[3 * n + 5] = 7;
    CHECK(spill_heterogeneity_fit(ctx, q, NULL, "south", &o) == NULL);
    CHECK(strstr(spill_ctx_error(ctx), "changes within unit") != NULL);
    spill_panel_free(q);
    spill_panel_free(p);
  }
}

/* SDM by group: each group's fit is the SDM on its own units with W cut
 * and re-standardised; the direct/indirect comparisons use their SEs. */
static void test_heterogeneity_sdm(spill_ctx *ctx)
{
  spill_weights *w = spill_weights_lattice(ctx, 10, 10, 1);
  spill_sim_opts so;
  spill_panel *p, *q;
  spill_het_opts o;
  spill_heterogeneity *h;
  int64_t n, nt;
  spill_weights_transform(ctx, w, 'W');
  spill_sim_opts_init(&so);
  so.t = 8;
  so.n_batches = 2;
  so.batch_time[0] = 2013;
  so.batch_time[1] = 2015;
  so.batch_share[0] = so.batch_share[1] = 0.25;
  p = spill_simulate_did(ctx, w, &so, NULL);
  n = p->n;
  nt = n * p->t;
  q = spill_panel_new(ctx, n, p->t, (const char *const *)p->ids, p->times, p->nx + 1, 1);
  memcpy(q->y, p->y, (size_t)nt * sizeof *q->y);
  memcpy(q->d, p->d, (size_t)nt * sizeof *q->d);
  memcpy(q->x, p->x, p->nx * (size_t)nt * sizeof *q->x);
  free(q->x_names[p->nx]);
  q->x_names[p->nx] = strdup("east");
  for (int64_t s = 0; s < p->t; s++)
    for (int64_t i = 0; i < n; i++) q->x[p->nx * (size_t)nt + (size_t)(s * n + i)] = (i % 10) >= 5; /* right half */
  spill_het_opts_init(&o);
  o.model = SPILL_MODEL_SDM;
  o.reps = 10;
  o.effects.draws = 200;
  h = spill_heterogeneity_fit(ctx, q, w, "east", &o);
  CHECK(h != NULL);
  if (!h) fprintf(stderr, "%s\n", spill_ctx_error(ctx));
  if (h) {
    unsigned char keep[100];
    spill_weights *wg;
    spill_panel *sub;
    spill_fit *f;
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) keep[i] = (i % 10) >= 5;
    wg = spill_weights_subset(ctx, w, keep, 'W');
    sub = spill_panel_new(ctx, 50, p->t, (const char *const *)wg->ids, p->times, p->nx, 1);
    for (int64_t i = 0; i < n; i++) {
      if (!keep[i]) continue;
      for (int64_t s = 0; s < p->t; s++) {
        sub->y[s * 50 + k] = p->y[s * n + i];
        sub->d[s * 50 + k] = p->d[s * n + i];
        for (size_t c = 0; c < p->nx; c++) sub->x[c * 50 * p->t + s * 50 + k] = p->x[c * nt + s * n + i];
      }
      k++;
    }
    f = spill__fit_did(ctx, sub, wg, SPILL_MODEL_SDM, SPILL_LOGDET_AUTO);
    CHECK(f && fabs(h->g[1].coef - f->coef[f->treat]) < 1e-10);
    CHECK(h->g[1].units == 50 && h->g[0].units == 50);
    {
      double d0 = h->g[0].direct.estimate, d1 = h->g[1].direct.estimate;
      double v = pow(spill__stat_se(&h->g[0].direct), 2) + pow(spill__stat_se(&h->g[1].direct), 2);
      CHECK_REL(h->sur_direct, (d0 - d1) * (d0 - d1) / v, 1e-10);
    }
    CHECK(h->wald_df == 2 && h->wald_p >= 0 && h->wald_p <= 1);
    CHECK(h->reps == 10 && h->perm_p_direct > 0 && h->perm_p_indirect <= 1);
    spill_fit_free(f);
    spill_panel_free(sub);
    spill_weights_free(wg);
  }
  spill_heterogeneity_free(h);
  spill_panel_free(q);
  spill_panel_free(p);
  spill_weights_free(w);
}

/* Group columns given as text or numbers: codes in sorted order. */
static void test_group_column(spill_ctx *ctx)
{
  char path[600];
  FILE *f;
  spill_panel *p = spill_panel_new(ctx, 3, 2, NULL, NULL, 0, 1);
  char **lab = NULL;
  size_t k = 0;
  snprintf(path, sizeof path, "%s/groups.csv", g_tmp);
  f = fopen(path, "w");
  fputs("id,year,region,size\n1.0,1,west,10\n1,2,west,10\n2,1,east,9\n2,2,east,9\n3,1,west,10\n3,2,west,10\n", f);
  fclose(f);
  CHECK_EQ_INT(spill_panel_group_column(ctx, p, path, "id", "region", &lab, &k), 0);
  CHECK(k == 2 && !strcmp(lab[0], "east") && !strcmp(lab[1], "west"));
  CHECK(p->nx == 1 && !strcmp(p->x_names[0], "region"));
  CHECK(p->x[0] == 1 && p->x[1] == 0 && p->x[2] == 1 && p->x[3 + 1] == 0);
  for (size_t g = 0; g < k; g++) free(lab[g]);
  free(lab);
  CHECK_EQ_INT(spill_panel_group_column(ctx, p, path, "id", "size", &lab, &k), 0);
  CHECK(k == 2 && !strcmp(lab[0], "9") && !strcmp(lab[1], "10")); /* numeric order */
  CHECK(p->nx == 2 && p->x[6 + 0] == 1 && p->x[6 + 1] == 0);
  for (size_t g = 0; g < k; g++) free(lab[g]);
  free(lab);
  f = fopen(path, "w");
  fputs("id,region\n1,west\n1,east\n2,east\n3,west\n", f);
  fclose(f);
  CHECK(spill_panel_group_column(ctx, p, path, "id", "region", &lab, &k) != 0);
  CHECK(strstr(spill_ctx_error(ctx), "constant within each unit") != NULL);
  spill_panel_free(p);
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  g_tmp = check_tmpdir();
  test_bacon_castle(ctx);
  test_bacon_simulated(ctx);
  test_eventstudy_dense(ctx);
  test_eventstudy_recovery(ctx);
  test_eventstudy_sdm(ctx);
  test_placebo(ctx);
  test_placebo_sdm(ctx);
  test_heterogeneity(ctx);
  test_heterogeneity_sdm(ctx);
  test_group_column(ctx);
  spill_ctx_free(ctx);
  return check_done("did");
}
