/* estimation/simulate.c: the simulated panel satisfies its own model. */
#include "check.h"
#include "spill.h"

/* Rook lattice side x side, row-standardised. */
static spill_weights *lattice(spill_ctx *ctx, int side)
{
  spill_weights *w = spill_weights_lattice(ctx, side, side, 0);
  if (w) spill_weights_transform(ctx, w, 'W');
  return w;
}

static void lag(const spill_weights *w, const double *v, double *out)
{
  for (int64_t i = 0; i < w->n; i++) {
    double s = 0;
    for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) s += w->x[k] * v[w->j[k]];
    out[i] = s;
  }
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  spill_weights *w = lattice(ctx, 20);
  spill_sim_opts o;
  int64_t adopt[400];
  spill_panel *p, *q;
  int64_t n = 400, t;
  double *e, *wv;
  spill_sim_opts_init(&o);
  p = spill_simulate_did(ctx, w, &o, adopt);
  CHECK(p != NULL);
  if (!p) return check_done("test_simulate");
  t = p->t;
  CHECK_EQ_INT(t, 12);
  CHECK_EQ_INT(p->times[0], 2011);
  /* batch sizes 12%, 10%, 8% of 400 and staggered, absorbing treatment */
  {
    int c13 = 0, c14 = 0, c17 = 0, ok = 1;
    for (int64_t i = 0; i < n; i++) {
      c13 += adopt[i] == 2013, c14 += adopt[i] == 2014, c17 += adopt[i] == 2017;
      for (int64_t s = 0; s < t; s++) {
        double want = adopt[i] && p->times[s] >= adopt[i] ? 1.0 : 0.0;
        if (p->d[s * n + i] != want) ok = 0;
      }
    }
    CHECK_EQ_INT(c13, 48);
    CHECK_EQ_INT(c14, 40);
    CHECK_EQ_INT(c17, 32);
    CHECK(ok);
  }
  /* The structural residual (I - rho W) y - beta d - theta W d - X g - W X d
   * equals mu + alpha_t + e: after the two-way within transform only e is
   * left, whose variance is sigma^2 (n-1)(t-1)/(n t) in expectation. */
  e = calloc((size_t)(n * t), sizeof *e);
  wv = malloc((size_t)n * sizeof *wv);
  for (int64_t s = 0; s < t; s++) {
    double *es = e + s * n;
    const double *y = p->y + s * n, *d = p->d + s * n;
    lag(w, y, wv);
    for (int64_t i = 0; i < n; i++) es[i] = y[i] - o.rho * wv[i] - o.beta * d[i];
    lag(w, d, wv);
    for (int64_t i = 0; i < n; i++) es[i] -= o.theta * wv[i];
    for (size_t k = 0; k < o.nx; k++) {
      const double *xk = p->x + k * (size_t)(n * t) + s * n;
      lag(w, xk, wv);
      for (int64_t i = 0; i < n; i++) es[i] -= o.gamma[k] * xk[i] + o.delta[k] * wv[i];
    }
  }
  {
    double grand = 0, ss = 0, *ui = calloc((size_t)n, sizeof *ui), *ts = calloc((size_t)t, sizeof *ts);
    for (int64_t s = 0; s < t; s++)
      for (int64_t i = 0; i < n; i++) {
        ui[i] += e[s * n + i] / t;
        ts[s] += e[s * n + i] / n;
        grand += e[s * n + i] / (n * t);
      }
    for (int64_t s = 0; s < t; s++)
      for (int64_t i = 0; i < n; i++) {
        double r = e[s * n + i] - ui[i] - ts[s] + grand;
        ss += r * r;
      }
    {
      double v = ss / (double)(n * t), want = o.sigma * o.sigma * (n - 1) * (t - 1) / (double)(n * t);
      /* sampling SD of a variance from ~ (n-1)(t-1) normals: want * sqrt(2/df) */
      double sd = want * sqrt(2.0 / ((n - 1) * (t - 1)));
      CHECK_MSG(fabs(v - want) < 5 * sd, "within residual variance %g, expected %g", v, want);
    }
    free(ui);
    free(ts);
  }
  /* the same seed gives the same panel; another seed a different one */
  q = spill_simulate_did(ctx, w, &o, NULL);
  CHECK(q && !memcmp(q->y, p->y, (size_t)(n * t) * sizeof *q->y));
  spill_panel_free(q);
  o.seed++;
  q = spill_simulate_did(ctx, w, &o, NULL);
  CHECK(q && memcmp(q->y, p->y, (size_t)(n * t) * sizeof *q->y) != 0);
  spill_panel_free(q);
  /* the panel written as CSV reads back bit for bit (17 significant digits) */
  {
    char path[1024];
    const char *xs[] = {"x1", "x2", "x3"};
    spill_panel_spec spec = {"city", "year", "y", "did", NULL, xs, 3, 0};
    spill_panel *r;
    check_tmpdir();
    snprintf(path, sizeof path, "%s/panel.csv", SPILL_TEST_TMP);
    CHECK(spill_panel_write_csv(ctx, p, "city", "year", path) == 0);
    r = spill_panel_read_csv(ctx, path, &spec);
    CHECK(r != NULL);
    if (r) {
      CHECK_EQ_INT(r->n, n);
      CHECK_EQ_INT(r->t, t);
      CHECK_STR(r->ids[17], p->ids[17]);
      CHECK(!memcmp(r->y, p->y, (size_t)(n * t) * sizeof *r->y));
      CHECK(!memcmp(r->d, p->d, (size_t)(n * t) * sizeof *r->d));
      CHECK(!memcmp(r->x, p->x, 3 * (size_t)(n * t) * sizeof *r->x));
      spill_panel_free(r);
    }
    snprintf(path, sizeof path, "%s/no/dir/panel.csv", SPILL_TEST_TMP);
    CHECK(spill_panel_write_csv(ctx, p, NULL, NULL, path) == SPILL_EIO);
  }
  /* bad options are errors */
  o.nx = 99;
  CHECK(spill_simulate_did(ctx, w, &o, NULL) == NULL);
  CHECK(spill_ctx_status(ctx) == SPILL_EINVAL);
  free(e);
  free(wv);
  spill_panel_free(p);
  spill_weights_free(w);
  spill_ctx_free(ctx);
  return check_done("test_simulate");
}
