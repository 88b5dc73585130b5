/* Benchmark: 500 placebo refits of the SDM-DID on the 333 prefectures
 * (queen W, T = 12) and 500 of the TWFE DID on the 2841 counties (T = 12),
 * on 1 and 2 threads, beside the time of full fits (spill_fit_model) for
 * the ratio. Simulated panels (spill_simulate_did); without the shared refs
 * lattices of the same sizes stand in. Prints times; asserts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include "spill.h"
#include "bench/bench.h"

static spill_weights *load(spill_ctx *ctx, const char *name, int side)
{
  char path[1024];
  spill_weights *w;
  snprintf(path, sizeof path, "%s/refs/%s_queen.gal", SPILL_SHARED_DIR, name);
  w = spill_weights_read(ctx, path, SPILL_WFMT_GAL);
  if (!w) {
    printf("(%s: %s; using a %d x %d lattice)\n", path, spill_ctx_error(ctx), side, side);
    w = spill_weights_lattice(ctx, side, side, 1);
  }
  spill_weights_transform(ctx, w, 'W');
  return w;
}

static void run(spill_ctx *ctx, const char *label, spill_panel *p, spill_weights *w, spill_model model)
{
  spill_placebo_opts o;
  double t0, t1, tfull;
  int nfull = model == SPILL_MODEL_SDM ? 5 : 20;
  spill_fit_opts fo;
  spill_placebo_opts_init(&o);
  o.model = model;
  o.reps = 500;
  spill_fit_opts_init(&fo);
  fo.model = model;
  t0 = bench_now();
  for (int k = 0; k < nfull; k++) spill_fit_free(spill_fit_model(ctx, p, w, &fo));
  tfull = (bench_now() - t0) / nfull;
  for (int th = 1; th <= 2; th++) {
    spill_placebo *pl;
    spill_ctx_set_threads(ctx, th);
    t0 = bench_now();
    pl = spill_placebo_run(ctx, p, model == SPILL_MODEL_SDM ? w : NULL, &o);
    t1 = bench_now() - t0;
    if (!pl) {
      printf("%s: %s\n", label, spill_ctx_error(ctx));
      return;
    }
    printf("%-34s %d thread%s: 500 refits %7.3f s (%.2f ms each; a full fit takes %.1f ms: %.0fx)  p = %.4f\n",
           label, th, th == 1 ? " " : "s", t1, 1e3 * t1 / 500, 1e3 * tfull, tfull / (t1 / 500), pl->p_coef);
    spill_placebo_free(pl);
  }
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  spill_sim_opts so;
  spill_weights *w;
  spill_panel *p;
  spill_sim_opts_init(&so);
  so.t = 12;
  w = load(ctx, "china_prefectures", 18);
  p = spill_simulate_did(ctx, w, &so, NULL);
  run(ctx, "SDM-DID placebo, N = 333, T = 12", p, w, SPILL_MODEL_SDM);
  spill_panel_free(p);
  spill_weights_free(w);
  w = load(ctx, "china_counties", 53);
  p = spill_simulate_did(ctx, w, &so, NULL);
  run(ctx, "TWFE placebo, N = 2841, T = 12", p, w, SPILL_MODEL_OLS);
  run(ctx, "SDM-DID placebo, N = 2841, T = 12", p, w, SPILL_MODEL_SDM);
  spill_panel_free(p);
  spill_weights_free(w);
  printf("peak memory %.0f MB\n", bench_peak_mb());
  spill_ctx_free(ctx);
  return 0;
}
