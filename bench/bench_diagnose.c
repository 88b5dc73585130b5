/* Benchmark: spill diagnose's whole table (Moran by year and pooled, LM
 * tests under four FE choices, FE LR tests, the SDM fit with its LR/Wald
 * tests) on a simulated panel over china_counties queen W (n = 2841, T =
 * 12; a 53 x 53 lattice without the shared refs), and LISA with 999
 * conditional permutations. Prints wall times; asserts nothing. With an
 * argument, also writes the panel CSV there (for timing the command). */
#include <stdio.h>
#include <stdlib.h>
#include "spill.h"
#include "bench/bench.h"

int main(int argc, char **argv)
{
  spill_ctx *ctx = spill_ctx_new();
  char path[1024];
  spill_weights *w;
  spill_panel *p;
  spill_sim_opts so;
  spill_diagnose_opts o;
  spill_diagnose *d;
  double t0, t1;
  snprintf(path, sizeof path, "%s/refs/china_counties_queen.gal", SPILL_SHARED_DIR);
  w = spill_weights_read(ctx, path, SPILL_WFMT_GAL);
  if (!w) {
    printf("(%s: %s; using a 53 x 53 lattice)\n", path, spill_ctx_error(ctx));
    w = spill_weights_lattice(ctx, 53, 53, 0);
  }
  spill_weights_transform(ctx, w, 'W');
  spill_sim_opts_init(&so);
  so.t = 12;
  so.seed = 3;
  p = spill_simulate_did(ctx, w, &so, NULL);
  if (!p) {
    fprintf(stderr, "%s\n", spill_ctx_error(ctx));
    return 1;
  }
  if (argc > 1 && spill_panel_write_csv(ctx, p, "id", "year", argv[1])) fprintf(stderr, "%s\n", spill_ctx_error(ctx));
  spill_diagnose_opts_init(&o);
  for (int perm = 0; perm <= 999; perm += 999) {
    o.perm = perm;
    t0 = bench_now();
    d = spill_diagnose_run(ctx, p, w, &o);
    t1 = bench_now();
    if (!d) {
      fprintf(stderr, "%s\n", spill_ctx_error(ctx));
      return 1;
    }
    printf("diagnose n=%lld T=%lld, Moran permutations %4d: %.2f s (%zu rows)\n", (long long)p->n, (long long)p->t,
           perm, t1 - t0, d->count);
    spill_diagnose_free(d);
  }
  o.perm = 0;
  o.no_sdm = 1;
  t0 = bench_now();
  d = spill_diagnose_run(ctx, p, w, &o);
  t1 = bench_now();
  printf("  of which without the SDM fit: %.2f s\n", t1 - t0);
  spill_diagnose_free(d);
  {
    spill_lisa_opts lo;
    spill_lisa *l;
    spill_lisa_opts_init(&lo);
    t0 = bench_now();
    l = spill_lisa_compute(ctx, w, p->y, &lo);
    t1 = bench_now();
    printf("LISA n=%lld with %d conditional permutations: %.2f s\n", (long long)w->n, lo.perm, t1 - t0);
    spill_lisa_free(l);
  }
  printf("peer: R splm's SDM two-way fit alone on this size takes 38-44 s (refs/README.md)\n");
  printf("peak RSS %.0f MB\n", bench_peak_mb());
  spill_panel_free(p);
  spill_weights_free(w);
  spill_ctx_free(ctx);
  return 0;
}
