/* Contiguity benchmark: time to read each China map (shapelib + GEOS,
 * validity and repair) and to build queen and rook weights, with peak
 * memory. Reference points on the same kind of machine (refs/README.md):
 * china_counties queen takes 21 s in R spdep 1.2-7 and 8.5 s in libpysal 4.7;
 * china_prefectures 24 s and 3.5 s. Prints figures only; asserts nothing. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include "spill.h"
#include "bench/bench.h"

/* Best of `reps` runs, in seconds; the links of the last run in *links. */
static double time_contig(spill_ctx *ctx, const spill_layer *L, int rook, int reps, long long *links)
{
  double best = 1e300;
  for (int r = 0; r < reps; r++) {
    spill_contig_opts o = {rook, 0, 1, 0};
    double t0 = bench_now();
    spill_weights *w = spill_weights_contiguity(ctx, L, &o);
    double t = bench_now() - t0;
    if (!w) {
      fprintf(stderr, "bench: %s\n", spill_ctx_error(ctx));
      return -1;
    }
    *links = (long long)w->p[w->n];
    spill_weights_free(w);
    if (t < best) best = t;
  }
  return best;
}

int main(void)
{
  static const char *maps[] = {"china_prefectures", "china_counties"};
  spill_ctx *ctx = spill_ctx_new();
  int ran = 0;
  printf("%-18s %6s %9s %9s %9s %8s %8s %10s\n", "map", "units", "read s", "queen s", "rook s", "queen", "rook",
         "peak MB");
  for (size_t m = 0; m < sizeof maps / sizeof maps[0]; m++) {
    char path[1024];
    struct stat st;
    spill_layer *L;
    double t0, tread, tq, tr;
    long long lq = 0, lr = 0;
    snprintf(path, sizeof path, "%s/data/%s.shp", SPILL_SHARED_DIR, maps[m]);
    if (stat(path, &st) != 0) {
      printf("%-18s skipped: %s not found\n", maps[m], path);
      continue;
    }
    t0 = bench_now();
    L = spill_layer_read(ctx, path, NULL);
    tread = bench_now() - t0;
    if (!L) {
      fprintf(stderr, "bench: %s\n", spill_ctx_error(ctx));
      continue;
    }
    tq = time_contig(ctx, L, 0, 3, &lq);
    tr = time_contig(ctx, L, 1, 3, &lr);
    printf("%-18s %6zu %9.3f %9.3f %9.3f %8lld %8lld %10.1f\n", maps[m], spill_layer_count(L), tread, tq, tr, lq, lr,
           bench_peak_mb());
    spill_layer_free(L);
    ran++;
  }
  printf("(queen/rook: best of 3 calls of spill_weights_contiguity on a layer already read;\n"
         " peak MB: process peak resident set so far, getrusage)\n");
  spill_ctx_free(ctx);
  return ran ? 0 : 77;
}
