/* Benchmark: the two-way FE OLS DID on a balanced panel (closed-form within
 * transform) and on the same panel with 10% of the unit-periods missing (the
 * exact unbalanced transform from the normal equations of the time effects),
 * n = 2841 units (china_counties' size), T = 12 and T = 40, treatment plus
 * three controls; and the W cut to the sample (spill_panel_match_weights)
 * of a 100,000-unit lattice to 90% of its units. Prints times and ratios;
 * asserts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "spill.h"
#include "bench/bench.h"

static double fit_time(spill_ctx *ctx, spill_panel *p, int reps)
{
  spill_fit_opts o;
  double t0;
  spill_fit_opts_init(&o);
  o.model = SPILL_MODEL_OLS;
  t0 = bench_now();
  for (int r = 0; r < reps; r++) {
    spill_fit *f = spill_fit_model(ctx, p, NULL, &o);
    if (!f) {
      printf("fit failed: %s\n", spill_ctx_error(ctx));
      return -1;
    }
    spill_fit_free(f);
  }
  return (bench_now() - t0) / reps;
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  spill_rng rng;
  spill_rng_seed(&rng, 11);
  for (int tt = 12; tt <= 40; tt += 28) {
    int64_t n = 2841, t = tt;
    spill_panel *p = spill_panel_new(ctx, n, t, NULL, NULL, 3, 1);
    double tb, tu;
    for (int64_t i = 0; i < n; i++) {
      int64_t adopt = (int64_t)(spill_rng_uniform(&rng) * 1.5 * (double)t);
      for (int64_t s = 0; s < t; s++) {
        int64_t q = s * n + i;
        p->d[q] = s >= adopt;
        p->y[q] = 0.1 * p->d[q] + 0.01 * (double)i / (double)n + 0.02 * (double)s + spill_rng_normal(&rng);
        for (int k = 0; k < 3; k++) p->x[k * n * t + q] = spill_rng_normal(&rng);
      }
    }
    tb = fit_time(ctx, p, 5);
    p->obs = malloc((size_t)(n * t));
    for (int64_t q = 0; q < n * t; q++) p->obs[q] = q < n || spill_rng_uniform(&rng) > 0.1;
    tu = fit_time(ctx, p, 5);
    printf("FE OLS DID, n = %lld, T = %lld: balanced %.4f s, 10%% cells missing (exact unbalanced "
           "within) %.4f s, ratio %.2f\n",
           (long long)n, (long long)t, tb, tu, tu / tb);
    spill_panel_free(p);
  }
  {
    spill_weights *w = spill_weights_lattice(ctx, 316, 316, 0), *cut = NULL;
    spill_panel *p = spill_panel_new(ctx, w->n, 2, (const char *const *)w->ids, NULL, 0, 0);
    unsigned char *keep = malloc((size_t)w->n);
    spill_panel *q;
    double t0, t1, t2;
    for (int64_t i = 0; i < w->n; i++) keep[i] = spill_rng_uniform(&rng) > 0.1;
    q = spill_panel_subset_units(ctx, p, keep);
    t0 = bench_now();
    if (spill_panel_match_weights(ctx, q, w, NULL, &cut, NULL)) printf("match failed: %s\n", spill_ctx_error(ctx));
    t1 = bench_now();
    spill_weights_free(cut);
    cut = spill_weights_copy(ctx, w);
    spill_weights_transform(ctx, cut, 'W');
    t2 = bench_now();
    printf("W follows the sample: %lld-unit lattice cut to %lld units, re-standardised, panel aligned: "
           "%.4f s (row-standardising the full W alone: %.4f s, ratio %.1f)\n",
           (long long)w->n, (long long)q->n, t1 - t0, t2 - t1, (t1 - t0) / (t2 - t1));
    spill_weights_free(cut);
    spill_weights_free(w);
    spill_panel_free(p);
    spill_panel_free(q);
    free(keep);
  }
  printf("peak RSS %.0f MB\n", bench_peak_mb());
  spill_ctx_free(ctx);
  return 0;
}
