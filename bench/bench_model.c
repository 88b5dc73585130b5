/* Benchmark: the model family on a simulated SDM-DID panel over
 * china_counties queen W (n = 2841; a 53 x 53 lattice without the shared
 * refs), T = 12: SDM (the reference), SAC, SDEM, random-effects SAR, the
 * spatial Hausman test and the Lee-Yu transformation (unit effects: the
 * county W has islands, so two-way Lee-Yu is refused there), wall time each and as
 * a multiple of the SDM's. Prints figures; asserts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include "spill.h"
#include "bench/bench.h"

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  char path[1024];
  spill_weights *w;
  spill_panel *p;
  spill_sim_opts so;
  double t_sdm = 0.0;
  static const struct { const char *name; spill_model m; spill_fe fe; int ly; } runs[] = {
      {"SDM two-way (reference)", SPILL_MODEL_SDM, SPILL_FE_TWOWAYS, 0},
      {"SAC two-way", SPILL_MODEL_SAC, SPILL_FE_TWOWAYS, 0},
      {"SDEM two-way", SPILL_MODEL_SDEM, SPILL_FE_TWOWAYS, 0},
      {"SAR random effects", SPILL_MODEL_SAR, SPILL_FE_RANDOM, 0},
      {"SDM Lee-Yu, unit effects", SPILL_MODEL_SDM, SPILL_FE_UNIT, 1},
  };
  snprintf(path, sizeof path, "%s/refs/china_counties_queen.gal", SPILL_SHARED_DIR);
  w = spill_weights_read(ctx, path, SPILL_WFMT_GAL);
  if (!w) {
    printf("(%s: %s; using a 53 x 53 lattice)\n", path, spill_ctx_error(ctx));
    w = spill_weights_lattice(ctx, 53, 53, 0);
  }
  spill_weights_transform(ctx, w, 'W');
  spill_sim_opts_init(&so);
  so.t = 12;
  so.first_time = 2008;
  p = spill_simulate_did(ctx, w, &so, NULL);
  if (!p) {
    printf("simulation failed: %s\n", spill_ctx_error(ctx));
    return 1;
  }
  printf("bench_model: n = %lld, T = %lld, treatment + %zu controls\n", (long long)p->n, (long long)p->t, p->nx);
  for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
    spill_fit_opts o;
    spill_fit *f;
    double t0 = bench_now(), dt;
    spill_fit_opts_init(&o);
    o.model = runs[r].m;
    o.fe = runs[r].fe;
    o.lee_yu = runs[r].ly;
    f = spill_fit_model(ctx, p, w, &o);
    dt = bench_now() - t0;
    if (r == 0) t_sdm = dt;
    if (!f) printf("  %-28s failed: %s\n", runs[r].name, spill_ctx_error(ctx));
    else
      printf("  %-28s %7.2f s (%5.1f x SDM)  rho %.4f%s%.4f  [%s]\n", runs[r].name, dt, dt / t_sdm, f->rho,
             f->has_lambda ? " lambda " : f->has_phi ? " phi " : " ", f->has_lambda ? f->lambda : f->has_phi ? f->phi : 0.0,
             f->logdet_method);
    spill_fit_free(f);
  }
  {
    spill_hausman_result h;
    double t0 = bench_now(), dt;
    int rc = spill_hausman(ctx, p, w, SPILL_MODEL_SAR, &h);
    dt = bench_now() - t0;
    if (rc) printf("  %-28s failed: %s\n", "Hausman (SAR FE vs RE)", spill_ctx_error(ctx));
    else printf("  %-28s %7.2f s (%5.1f x SDM)  H %.3f df %d p %.3g\n", "Hausman (SAR FE vs RE)", dt, dt / t_sdm,
                h.stat, h.df, h.p);
  }
  printf("  peak RSS %.0f MB\n", bench_peak_mb());
  spill_panel_free(p);
  spill_weights_free(w);
  spill_ctx_free(ctx);
  return 0;
}
