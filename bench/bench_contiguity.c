/* Contiguity benchmark: time to read each China map (in full: shapelib +
 * GEOS, validity and repair; and vertices only, as `spill weights` does)
 * and to build queen and rook weights, with peak memory. Reference points on the same kind of machine (refs/README.md):
 * china_counties queen takes 21 s in R spdep 1.2-7 and 8.5 s in libpysal 4.7;
 * china_prefectures 24 s and 3.5 s. Prints figures only; asserts nothing. */
#include <stdio.h>
#include <string.h>
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

/* Reference whole-call seconds for queen on the same kind of machine
 * (../shared/refs/README.md); 0 where none was timed. */
static const struct { const char *map; double spdep, pysal; } peers[] = {
    {"china_prefectures", 24.0, 3.5}, {"china_counties", 21.0, 8.5}};

/* One map: the full read (GEOS geometry, validity), the vertices-only read
 * of `spill weights` (raw .shp bytes, ids only), then queen and rook. */
static int bench_map(spill_ctx *ctx, const char *name, const char *path, int full)
{
  spill_read_opts vo = {0};
  spill_layer *L;
  double t0, tfull = -1, tvert, tq, tr, spdep = 0, pysal = 0;
  long long lq = 0, lr = 0;
  vo.vertices_only = 1;
  vo.ids_only = 1;
  if (full) {
    t0 = bench_now();
    L = spill_layer_read(ctx, path, NULL);
    tfull = bench_now() - t0;
    spill_layer_free(L);
  }
  t0 = bench_now();
  L = spill_layer_read(ctx, path, &vo);
  tvert = bench_now() - t0;
  if (!L) {
    fprintf(stderr, "bench: %s\n", spill_ctx_error(ctx));
    return 0;
  }
  tq = time_contig(ctx, L, 0, 3, &lq);
  tr = time_contig(ctx, L, 1, 3, &lr);
  for (size_t k = 0; k < sizeof peers / sizeof peers[0]; k++)
    if (!strcmp(peers[k].map, name)) spdep = peers[k].spdep, pysal = peers[k].pysal;
  printf("%-18s %8zu %8.3f %8.3f %8.3f %8.3f %9lld %9lld %8.1f", name, spill_layer_count(L), tfull, tvert, tq, tr, lq,
         lr, bench_peak_mb());
  if (spdep > 0) printf("   spdep/spill %.0fx, libpysal/spill %.0fx", spdep / (tvert + tq), pysal / (tvert + tq));
  putchar('\n');
  spill_layer_free(L);
  return 1;
}

/* usage: bench_contiguity [MAP.shp ...]: the China maps from ../shared,
 * then any maps given (a generated Voronoi map, say: spill_voronoi_network,
 * whose 1,000,000 cells take minutes to generate, so it is made once and
 * passed here). */
int main(int argc, char **argv)
{
  static const char *maps[] = {"china_prefectures", "china_counties"};
  spill_ctx *ctx = spill_ctx_new();
  int ran = 0;
  printf("%-18s %8s %8s %8s %8s %8s %9s %9s %8s\n", "map", "units", "full s", "vert s", "queen s", "rook s", "queen",
         "rook", "peak MB");
  for (size_t m = 0; m < sizeof maps / sizeof maps[0]; m++) {
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/data/%s.shp", SPILL_SHARED_DIR, maps[m]);
    if (stat(path, &st) != 0) {
      printf("%-18s skipped: %s not found\n", maps[m], path);
      continue;
    }
    ran += bench_map(ctx, maps[m], path, 1);
  }
  for (int a = 1; a < argc; a++) ran += bench_map(ctx, argv[a], argv[a], 0);
  printf("(full: spill_layer_read with GEOS geometry and validity; vert: the vertices-only read of\n"
         " `spill weights queen|rook`; queen/rook: best of 3 calls of spill_weights_contiguity;\n"
         " peers: whole-call seconds of R spdep 1.2-7 and libpysal 4.7 (refs/README.md) over vert + queen;\n"
         " peak MB: process peak resident set so far, getrusage)\n");
  spill_ctx_free(ctx);
  return ran ? 0 : 77;
}
