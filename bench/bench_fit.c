/* Benchmark: the whole SDM-DID fit with standard errors on a simulated panel
 * over china_counties queen W (n = 2841) or, without the shared refs, a
 * 53 x 53 lattice; T = 12, treatment plus three controls with W terms.
 * Prints wall time per log-det method and the peak RSS; asserts nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "spill.h"
#include "bench/bench.h"

static spill_weights *lattice(spill_ctx *ctx, int m) { return spill_weights_lattice(ctx, m, m, 0); }

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  char path[1024];
  spill_weights *w;
  spill_panel *p;
  spill_rng rng;
  int64_t n, t = 12, times[12];
  const double rho = 0.35;
  double *b, *y, *tmp;
  snprintf(path, sizeof path, "%s/refs/china_counties_queen.gal", SPILL_SHARED_DIR);
  w = spill_weights_read(ctx, path, SPILL_WFMT_GAL);
  if (!w) {
    printf("(%s: %s; using a 53 x 53 lattice)\n", path, spill_ctx_error(ctx));
    w = lattice(ctx, 53);
  }
  spill_weights_transform(ctx, w, 'W');
  n = w->n;
  for (int s = 0; s < 12; s++) times[s] = 2008 + s;
  p = spill_panel_new(ctx, n, t, (const char *const *)w->ids, times, 3, 1);
  spill_rng_seed(&rng, 7);
  b = malloc(n * sizeof *b);
  y = malloc(n * sizeof *y);
  tmp = malloc(n * sizeof *tmp);
  for (int64_t i = 0; i < n; i++) {
    double u = spill_rng_uniform(&rng);
    int64_t adopt = u < 0.1 ? 2013 : u < 0.2 ? 2014 : u < 0.3 ? 2017 : 0;
    for (int s = 0; s < t; s++) p->d[s * n + i] = adopt && times[s] >= adopt;
  }
  for (int s = 0; s < t; s++) {
    for (int64_t i = 0; i < n; i++) {
      double e = 0;
      for (int k = 0; k < 3; k++) {
        double x = spill_rng_normal(&rng);
        p->x[k * n * t + s * n + i] = x;
        e += 0.5 * x;
      }
      b[i] = 1.0 * p->d[s * n + i] + e + spill_rng_normal(&rng);
    }
    memcpy(y, b, n * sizeof *y); /* y = (I - rho W)^-1 b by the Neumann series */
    for (int it = 0; it < 60; it++) {
      for (int64_t i = 0; i < n; i++) {
        double a = 0;
        for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) a += w->x[q] * y[w->j[q]];
        tmp[i] = b[i] + rho * a;
      }
      memcpy(y, tmp, n * sizeof *y);
    }
    memcpy(p->y + s * n, y, n * sizeof *y);
  }
  printf("bench_fit: n = %lld, T = %lld, SDM with treatment + 3 controls and their W terms, two-way FE\n",
         (long long)n, (long long)t);
  {
    spill_logdet methods[3] = {SPILL_LOGDET_AUTO, SPILL_LOGDET_LU, SPILL_LOGDET_EIGEN};
    const char *names[3] = {"auto", "lu", "eigen"};
    for (int m = 0; m < 3; m++) {
      spill_fit_opts o;
      spill_fit *f;
      double t0;
      clock_t c0;
      if (methods[m] == SPILL_LOGDET_LU && getenv("BENCH_NO_LU") != NULL) continue;
      if (methods[m] == SPILL_LOGDET_EIGEN && getenv("BENCH_EIGEN") == NULL) {
        printf("  eigen: skipped (set BENCH_EIGEN=1; dense O(n^3))\n");
        continue;
      }
      spill_fit_opts_init(&o);
      o.logdet = methods[m];
      t0 = bench_now();
      c0 = clock();
      f = spill_fit_model(ctx, p, w, &o);
      if (!f) {
        printf("  %s: failed: %s\n", names[m], spill_ctx_error(ctx));
        continue;
      }
      printf("  %-5s (%s): %.3f s wall, %.3f s CPU  rho %.6f (se %.6f)  did %.4f (se %.4f)  loglik %.4f\n", names[m],
             f->logdet_method, bench_now() - t0, (double)(clock() - c0) / CLOCKS_PER_SEC, f->rho, f->rho_se, f->coef[0], f->se[0], f->loglik);
      spill_fit_free(f);
    }
  }
  printf("peak RSS: %.1f MB\n", bench_peak_mb());
  free(b); free(y); free(tmp);
  spill_panel_free(p);
  spill_weights_free(w);
  spill_ctx_free(ctx);
  return 0;
}
