/* Effects with 1000 simulation draws: N = 2841 (china_counties queen, or a
 * lattice when the shared data is absent) and N = 100,000 (a generated rook
 * lattice). Prints times and peak RSS; asserts nothing about time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "spill.h"
#include "bench/bench.h"

static spill_weights *lattice(spill_ctx *ctx, int rows, int cols)
{
  spill_weights *w = spill_weights_lattice(ctx, rows, cols, 0);
  if (w) spill_weights_transform(ctx, w, 'W');
  return w;
}

/* An SDM fit by hand: did, x1 and their W terms, rho 0.35. */
typedef struct hand {
  spill_fit f;
  char *names[4];
  double coef[4], se[4], vcov[36];
  long wlag[4];
} hand;

static void hand_fit(hand *h, int64_t n)
{
  static char *names[4] = {"did", "x1", "W*did", "W*x1"};
  double coef[4] = {0.08, 0.5, 0.05, 0.2}, se[4] = {0.01, 0.02, 0.02, 0.04};
  long wlag[4] = {2, 3, -1, -1};
  memset(h, 0, sizeof *h);
  memcpy(h->names, names, sizeof names);
  memcpy(h->coef, coef, sizeof coef);
  memcpy(h->se, se, sizeof se);
  memcpy(h->wlag, wlag, sizeof wlag);
  h->f.model = SPILL_MODEL_SDM;
  h->f.n = n;
  h->f.t = 12;
  h->f.k = 4;
  h->f.names = h->names;
  h->f.coef = h->coef;
  h->f.se = h->se;
  h->f.wlag = h->wlag;
  h->f.has_rho = 1;
  h->f.rho = 0.35;
  h->f.rho_se = 0.02;
  h->f.rho_lo = -1.0;
  h->f.rho_hi = 1.0;
  h->f.nv = 6;
  h->f.vcov = h->vcov;
  h->f.treat = 0;
  for (int a = 0; a < 4; a++) h->vcov[a * 6 + a] = se[a] * se[a];
  h->vcov[0 * 6 + 2] = h->vcov[2 * 6 + 0] = -0.3 * se[0] * se[2];
  h->vcov[4 * 6 + 4] = 0.02 * 0.02;
  h->vcov[5 * 6 + 5] = 1.0;
}

static void run(spill_ctx *ctx, const char *label, spill_weights *w, spill_trace_method method,
                int city)
{
  spill_effects_opts o;
  spill_effects *e;
  hand h;
  double t0, t1;
  hand_fit(&h, w->n);
  spill_effects_opts_init(&o);
  o.method = method;
  t0 = bench_now();
  e = spill_effects_compute(ctx, &h.f, w, NULL, &o);
  t1 = bench_now();
  if (!e) {
    printf("%s: failed: %s\n", label, spill_ctx_error(ctx));
    return;
  }
  printf("%-34s n=%-7lld effects + %d draws: %7.3f s  (%s; %s)  did direct %.6f (MC SE %.1e) "
         "indirect %.6f sd %.5f  peak RSS %.0f MB\n",
         label, (long long)w->n, e->accepted, t1 - t0, e->method_name, e->total_method,
         e->e[0].direct.estimate, e->e[0].direct.mc_se, e->e[0].indirect.estimate,
         e->e[0].indirect.sd, bench_peak_mb());
  spill_effects_free(e);
  if (city) {
    double *d = calloc((size_t)w->n, sizeof *d);
    spill_city_effects *c;
    for (int64_t i = 0; i < w->n; i += 10) d[i] = 1.0; /* 10% pilots */
    t0 = bench_now();
    c = spill_city_effects_compute(ctx, &h.f, w, d, &o);
    t1 = bench_now();
    if (c)
      printf("%-34s n=%-7lld city effects, %lld pilots, %d draws: %7.3f s  peak RSS %.0f MB\n", label,
             (long long)w->n, (long long)((w->n + 9) / 10), c->accepted, t1 - t0, bench_peak_mb());
    else
      printf("%s: city effects failed: %s\n", label, spill_ctx_error(ctx));
    spill_city_effects_free(c);
    free(d);
  }
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  char path[1024];
  spill_weights *w;
  double t0;
  if (!ctx) return 1;
  snprintf(path, sizeof path, "%s/refs/china_counties_queen.gal", SPILL_SHARED_DIR);
  w = spill_weights_read(ctx, path, SPILL_WFMT_GAL);
  if (w) {
    spill_weights_transform(ctx, w, 'W');
    run(ctx, "china_counties queen (auto)", w, SPILL_TRACE_AUTO, 1);
    t0 = bench_now();
    run(ctx, "china_counties queen (eigen)", w, SPILL_TRACE_EIGEN, 0);
    (void)t0;
  } else {
    printf("(china_counties_queen.gal not found: %s; using a 49 x 58 lattice)\n", spill_ctx_error(ctx));
    w = lattice(ctx, 49, 58);
    run(ctx, "lattice 49x58 (auto)", w, SPILL_TRACE_AUTO, 1);
  }
  spill_weights_free(w);
  w = lattice(ctx, 250, 400);
  if (!w) {
    printf("lattice: %s\n", spill_ctx_error(ctx));
    return 1;
  }
  run(ctx, "rook lattice 250x400 (auto)", w, SPILL_TRACE_AUTO, 0);
  spill_weights_free(w);
  spill_ctx_free(ctx);
  return 0;
}
