/* Staggered DID timings on a county-sized lattice panel (N units x T years,
 * three cohorts): Callaway-Sant'Anna with and without the bootstrap (1 and
 * 2 threads), imputation with contiguity-order exposure. Prints figures. */
#include <stdio.h>
#include <stdlib.h>
#include "bench/bench.h"
#include "include/spill.h"

int main(int argc, char **argv)
{
  int64_t side = argc > 1 ? atol(argv[1]) : 53, t = 12; /* 53 x 53 = 2809 units */
  spill_ctx *ctx = spill_ctx_new();
  spill_weights *w = spill_weights_lattice(ctx, side, side, 1);
  spill_panel *p = spill_panel_new(ctx, w->n, t, (const char *const *)w->ids, NULL, 0, 1);
  spill_rng rng;
  spill_did_opts o;
  spill_exposure *ex;
  double t0, tcs0, tcs1, tcs2, timp, texp;
  spill_did_result *r;
  spill_rng_seed(&rng, 1);
  for (int64_t s = 0; s < t; s++) p->times[s] = 2011 + s;
  for (int64_t i = 0; i < p->n; i++) {
    double u = spill_rng_uniform(&rng), a = spill_rng_normal(&rng);
    int64_t g = u < 0.05 ? 2013 : u < 0.1 ? 2015 : u < 0.15 ? 2018 : 0;
    for (int64_t s = 0; s < t; s++) {
      int64_t k = s * p->n + i;
      p->d[k] = g && p->times[s] >= g;
      p->y[k] = a + 0.1 * (double)s + p->d[k] + spill_rng_normal(&rng);
    }
  }
  spill_did_opts_init(&o);
  o.boot = 0;
  t0 = bench_now();
  r = spill_did_estimate(ctx, p, &o);
  tcs0 = bench_now() - t0;
  spill_did_result_free(r);
  o.boot = 999;
  spill_ctx_set_threads(ctx, 1);
  t0 = bench_now();
  r = spill_did_estimate(ctx, p, &o);
  tcs1 = bench_now() - t0;
  spill_did_result_free(r);
  spill_ctx_set_threads(ctx, 2);
  t0 = bench_now();
  r = spill_did_estimate(ctx, p, &o);
  tcs2 = bench_now() - t0;
  spill_did_result_free(r);
  t0 = bench_now();
  ex = spill_exposure_orders(ctx, p, w, 2);
  texp = bench_now() - t0;
  o.method = SPILL_DID_IMPUTATION;
  o.exposure = ex;
  t0 = bench_now();
  r = spill_did_estimate(ctx, p, &o);
  timp = bench_now() - t0;
  printf("staggered DID, %lld units x %lld periods (queen lattice), 3 cohorts\n", (long long)p->n, (long long)t);
  printf("  CS, analytic SEs               %8.3f s\n", tcs0);
  printf("  CS, 999 bootstrap draws, 1 thr %8.3f s  (%.1fx analytic)\n", tcs1, tcs1 / tcs0);
  printf("  CS, 999 bootstrap draws, 2 thr %8.3f s  (%.2fx of 1 thread)\n", tcs2, tcs2 / tcs1);
  printf("  exposure, contiguity orders 1-2 %7.3f s\n", texp);
  printf("  imputation with 2 rings + band %7.3f s  (%zu tables)\n", timp, r ? r->ntab : 0);
  printf("  peak memory %.1f MB\n", bench_peak_mb());
  spill_did_result_free(r);
  spill_exposure_free(ex);
  spill_panel_free(p);
  spill_weights_free(w);
  spill_ctx_free(ctx);
  return 0;
}
