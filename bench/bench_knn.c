/* Benchmark: k-NN (k = 6) and distance-band weights for 1,000,000 random
 * points (planar and lon/lat), and economic weights for the 2841 county units
 * of ../shared/data/china_counties.shp (when present). Prints wall time and
 * peak RSS; asserts nothing about time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include "spill.h"
#include "bench/bench.h"

static void report(const char *what, double t0, const spill_weights *w)
{
  printf("%-44s %8.3f s  links %10lld  peak RSS %7.0f MB\n", what, bench_now() - t0,
         w ? (long long)w->p[w->n] : -1LL, bench_peak_mb());
  fflush(stdout);
}

static int run_points(spill_ctx *ctx, int64_t n, int geographic)
{
  spill_rng rng;
  char **ids = malloc((size_t)n * sizeof *ids);
  double *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y), t0, r;
  spill_points pts;
  spill_weights *w;
  const char *kind = geographic ? "lon/lat" : "planar";
  char label[96];
  int rc = 0;
  spill_rng_seed(&rng, geographic ? 2 : 1);
  for (int64_t i = 0; i < n; i++) {
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", (long long)i + 1);
    ids[i] = strdup(buf);
    if (geographic) { /* China's extent, uniform in lon/lat */
      x[i] = 73.0 + 62.0 * spill_rng_uniform(&rng);
      y[i] = 18.0 + 35.0 * spill_rng_uniform(&rng);
    } else { /* a 1000 km square */
      x[i] = 1000.0 * spill_rng_uniform(&rng);
      y[i] = 1000.0 * spill_rng_uniform(&rng);
    }
  }
  pts.n = n;
  pts.ids = (const char *const *)ids;
  pts.x = x;
  pts.y = y;
  pts.geographic = geographic;
  pts.unit_km = 1.0;
  /* a radius holding about 6 neighbours on average */
  r = geographic ? sqrt(6.0 * (62.0 * 111.32 * cos(35.5 * 3.14159265358979 / 180) * 35.0 * 110.9) / (3.14159265358979 * (double)n))
                 : sqrt(6.0 * 1e6 / (3.14159265358979 * (double)n));
  t0 = bench_now();
  w = spill_weights_knn(ctx, &pts, 6);
  snprintf(label, sizeof label, "knn k=6, %lld %s points", (long long)n, kind);
  report(label, t0, w);
  if (!w) rc = 1;
  spill_weights_free(w);
  t0 = bench_now();
  w = spill_weights_band(ctx, &pts, r);
  snprintf(label, sizeof label, "band %.3g km, %lld %s points", r, (long long)n, kind);
  report(label, t0, w);
  if (!w) rc = 1;
  spill_weights_free(w);
  if (rc) fprintf(stderr, "bench: %s\n", spill_ctx_error(ctx));
  for (int64_t i = 0; i < n; i++) free(ids[i]);
  free(ids);
  free(x);
  free(y);
  return rc;
}

static int run_counties(spill_ctx *ctx)
{
  char path[1024];
  struct stat st;
  spill_layer *layer;
  spill_points pts;
  spill_weights *w;
  spill_rng rng;
  double *x, *y, *xbar, t0;
  int64_t n;
  snprintf(path, sizeof path, "%s/data/china_counties.shp", SPILL_SHARED_DIR);
  if (stat(path, &st) != 0) {
    printf("econ: %s not found, skipped\n", path);
    return 0;
  }
  layer = spill_layer_read(ctx, path, NULL);
  if (!layer) {
    fprintf(stderr, "bench: %s\n", spill_ctx_error(ctx));
    return 1;
  }
  n = (int64_t)spill_layer_count(layer);
  x = malloc((size_t)n * sizeof *x);
  y = malloc((size_t)n * sizeof *y);
  xbar = malloc((size_t)n * sizeof *xbar);
  spill_layer_centroids(ctx, layer, x, y);
  /* the county file has no economic field: a log-normal stand-in for GDP per
   * capita (the cost does not depend on the values) */
  spill_rng_seed(&rng, 3);
  for (int64_t i = 0; i < n; i++) xbar[i] = 40000.0 * exp(0.6 * spill_rng_normal(&rng));
  pts.n = n;
  pts.ids = spill_layer_ids(layer);
  pts.x = x;
  pts.y = y;
  pts.geographic = spill_layer_geographic(layer);
  pts.unit_km = 0;
  t0 = bench_now();
  w = spill_weights_econ(ctx, pts.ids, xbar, n, SPILL_ECON_INVDIFF, NULL);
  report("econ 1/|x_i - x_j|, 2841 counties (dense)", t0, w);
  spill_weights_free(w);
  t0 = bench_now();
  w = spill_weights_econ(ctx, pts.ids, xbar, n, SPILL_ECON_GEO, &pts);
  report("econ W_d diag(x/mean), 2841 counties (dense)", t0, w);
  spill_weights_free(w);
  t0 = bench_now();
  w = spill_weights_knn(ctx, &pts, 6);
  report("knn k=6, 2841 county centroids", t0, w);
  spill_weights_free(w);
  free(x);
  free(y);
  free(xbar);
  spill_layer_free(layer);
  return 0;
}

int main(int argc, char **argv)
{
  spill_ctx *ctx = spill_ctx_new();
  int64_t n = argc > 1 ? atoll(argv[1]) : 1000000;
  int rc = 0;
  if (!ctx) return 1;
  /* usage: bench_knn [N [THREADS]]; THREADS 0 (default) uses every core */
  if (argc > 2) spill_ctx_set_threads(ctx, atoi(argv[2]));
  printf("threads: %s\n", argc > 2 && atoi(argv[2]) > 0 ? argv[2] : "all cores");
  rc |= run_points(ctx, n, 0);
  rc |= run_points(ctx, n, 1);
  rc |= run_counties(ctx);
  spill_ctx_free(ctx);
  return rc;
}
