/* spill lisa: local Moran (LISA) with pseudo p-values, the cluster classes,
 * CSV and shapefile output, the cluster map and the Moran scatter plot. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dep_input.h"

static const char help[] =
    "usage: spill lisa (--map MAP.shp | --data PANEL.csv --id COL --time COL) --var COL\n"
    "                  (--w W.gal | --contiguity queen|rook) [outputs] [options]\n"
    "\n"
    "Local Moran's I (Anselin 1995) of each unit: I_i, its expectation, variance\n"
    "and z as spdep localmoran computes them, a conditional-permutation pseudo\n"
    "p-value (as GeoDa and spdep localmoran_perm), and the cluster class:\n"
    "High-High, Low-Low, Low-High, High-Low where p <= alpha.\n"
    "\n";

static const char help2[] =
    "options:\n"
    "  --period Y          with --data: the period to test (default: the last)\n"
    "  --perm R            conditional permutations (default 999; 0: normal p-values)\n"
    "  --seed S            seed (default 1): the same seed, the same p-values\n"
    "  --alpha A           significance level of the clusters (default 0.05)\n"
    "  --fdr               Benjamini-Hochberg false discovery rate at alpha\n"
    "  --total-var         E and Var under total randomisation (spdep's conditional =\n"
    "                      FALSE); default: conditional on x_i (spdep >= 1.1)\n"
    "outputs:\n"
    "  --csv FILE          per-unit table: id,x,z_std,lag_std,Ii,E_Ii,Var_Ii,Z_Ii,p_norm,\n"
    "                      p_perm,cluster,cluster_name\n"
    "  --shp FILE.shp      the map with LISA_I, LISA_Z, LISA_P, LISA_CL, LISA_CLN (needs --map)\n"
    "  --cluster-map FILE  the LISA cluster map, GeoDa's colours (.png .svg .pdf; needs --map)\n"
    "  --scatter FILE      the Moran scatter plot (.png .svg .pdf)\n"
    "  --title T           title of the cluster map\n"
    "  --width PX          image width (map default 1600, scatter 900)\n"
    "  -h, --help          this text\n"
    "\n"
    "example:\n"
    "  spill lisa --map columbus.shp --var CRIME --contiguity queen --perm 999 --seed 7 \\\n"
    "             --csv lisa.csv --shp lisa.shp --cluster-map lisa.png --scatter moran.png\n"
    "  spill lisa --data panel.csv --id city --time year --var lngdp --w queen.gal \\\n"
    "             --years 2010-2015 --period 2015 --csv lisa.csv\n";

int cmd_lisa(int argc, char **argv)
{
  dep_input in = {0};
  dep_loaded L = {0};
  spill_ctx *ctx;
  spill_lisa_opts lo;
  spill_lisa *l = NULL;
  const char *csv = NULL, *shp = NULL, *cmap = NULL, *scatter = NULL, *title = NULL, *period_s = NULL;
  long width = 0;
  int rc = CLI_FAIL;
  spill_lisa_opts_init(&lo);
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int r;
    if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
      fputs(help, stdout);
      fputs(dep_input_help, stdout);
      fputs(help2, stdout);
      return CLI_OK;
    }
    if ((r = dep_input_option("lisa", argc, argv, &i, &in)) < 0) return CLI_USAGE;
    if (r) continue;
    if (!strcmp(o, "--fdr")) {
      lo.fdr = 1;
      continue;
    }
    if (!strcmp(o, "--total-var")) {
      lo.total_var = 1;
      continue;
    }
    if (!v) return cli_usage_error("lisa", "unknown option or missing value: '%s'", o);
    if (!strcmp(o, "--perm")) {
      long p;
      if (cli_parse_long("lisa", o, v, &p)) return CLI_USAGE;
      if (p < 0 || p > 100000) return cli_usage_error("lisa", "--perm is 0 to 100000");
      lo.perm = (int)p;
    } else if (!strcmp(o, "--seed")) {
      long s;
      if (cli_parse_long("lisa", o, v, &s)) return CLI_USAGE;
      lo.seed = (uint64_t)s;
    } else if (!strcmp(o, "--alpha")) {
      if (cli_parse_double("lisa", o, v, &lo.alpha)) return CLI_USAGE;
      if (!(lo.alpha > 0 && lo.alpha < 1)) return cli_usage_error("lisa", "--alpha is in (0, 1)");
    } else if (!strcmp(o, "--width")) {
      if (cli_parse_long("lisa", o, v, &width)) return CLI_USAGE;
      if (width < 200 || width > 20000) return cli_usage_error("lisa", "--width is 200 to 20000");
    } else if (!strcmp(o, "--csv")) csv = v;
    else if (!strcmp(o, "--shp")) shp = v;
    else if (!strcmp(o, "--cluster-map")) cmap = v;
    else if (!strcmp(o, "--scatter")) scatter = v;
    else if (!strcmp(o, "--title")) title = v;
    else if (!strcmp(o, "--period")) period_s = v;
    else return cli_usage_error("lisa", "unknown option '%s'", o);
    i++;
  }
  if (dep_input_check("lisa", &in, (shp || cmap) != 0)) return CLI_USAGE;
  ctx = cli_ctx_new();
  if ((rc = dep_load(ctx, &in, &L))) goto done;
  rc = CLI_FAIL;
  {
    int64_t s = L.p->t - 1;
    if (period_s) {
      long y;
      if (cli_parse_long("lisa", "--period", period_s, &y)) {
        rc = CLI_USAGE;
        goto done;
      }
      for (s = 0; s < L.p->t && L.p->times[s] != y; s++) {}
      if (s == L.p->t) {
        fprintf(stderr, "spill: period %ld is not in the data (%lld to %lld)\n", y, (long long)L.p->times[0],
                (long long)L.p->times[L.p->t - 1]);
        goto done;
      }
    }
    if (!(l = spill_lisa_compute(ctx, L.w, L.p->y + s * L.p->n, &lo))) {
      rc = cli_fail(ctx);
      goto done;
    }
    printf("Local Moran (LISA) of %s%s", in.var, L.p->t > 1 ? ", period " : "");
    if (L.p->t > 1) printf("%lld", (long long)L.p->times[s]);
    printf(": %lld units, Moran's I %.6f\n", (long long)l->n, l->global_i);
    printf("p-values: %s; clusters at p <= %g%s", lo.perm ? "conditional permutation" : "normal approximation (two-sided)",
           lo.fdr ? l->cut : lo.alpha, lo.fdr ? " (Benjamini-Hochberg cut" : "");
    if (lo.fdr) printf(" for FDR %g)", lo.alpha);
    if (lo.perm) printf("; %d permutations, seed %llu", lo.perm, (unsigned long long)lo.seed);
    putchar('\n');
    for (int c = 1; c <= 4; c++) printf("  %-16s %6zu\n", spill_lisa_cluster_name(c), l->counts[c]);
    printf("  %-16s %6zu\n", spill_lisa_cluster_name(0), l->counts[0]);
    if (l->counts[SPILL_LISA_ISOLATED])
      printf("  %-16s %6zu\n", spill_lisa_cluster_name(SPILL_LISA_ISOLATED), l->counts[SPILL_LISA_ISOLATED]);
  }
  if (csv) {
    if (spill_lisa_write_csv(ctx, l, csv)) {
      rc = cli_fail(ctx);
      goto done;
    }
    printf("Written: %s\n", csv);
  }
  if (shp) {
    spill_write_report rep;
    if (spill_lisa_write_shp(ctx, L.layer, l, shp, &rep)) {
      rc = cli_fail(ctx);
      goto done;
    }
    printf("Written: %s (fields %s)\n", shp, rep.fields);
  }
  if (cmap) {
    spill_map_opts mo;
    spill_map_opts_init(&mo);
    mo.width = (int)width;
    mo.title = title;
    if (spill_lisa_map(ctx, L.layer, l, &mo, cmap, NULL)) {
      rc = cli_fail(ctx);
      goto done;
    }
    printf("Written: %s\n", cmap);
  }
  if (scatter) {
    if (spill_moran_scatter(ctx, l, in.var, (int)width, scatter, NULL)) {
      rc = cli_fail(ctx);
      goto done;
    }
    printf("Written: %s\n", scatter);
  }
  rc = CLI_OK;
done:
  spill_lisa_free(l);
  dep_loaded_free(&L);
  cli_ctx_free(ctx);
  return rc;
}
