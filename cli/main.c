/* spill: command-line entry point and dispatch. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

#pragma weak cmd_weights_contig
#pragma weak cmd_weights_distance
#pragma weak cmd_weights_info
#pragma weak cmd_weights_convert
#pragma weak cmd_fit
#pragma weak cmd_map
#pragma weak cmd_join
#pragma weak cmd_demo
#pragma weak cmd_shapes
#pragma weak cmd_weights_subset
#pragma weak cmd_moran
#pragma weak cmd_lisa
#pragma weak cmd_diagnose
#pragma weak cmd_eventstudy
#pragma weak cmd_placebo
#pragma weak cmd_bacon
#pragma weak cmd_did
#pragma weak cmd_table
#pragma weak cmd_iv
#pragma weak cmd_psm

static const char *usage =
    "spill " SPILL_VERSION " - spatial spillover econometrics on city networks\n"
    "\n"
    "usage: spill COMMAND [options]   (spill COMMAND --help for each)\n"
    "\n"
    "commands:\n"
    "  demo        the whole pipeline on China's prefecture cities (or a generated map)\n"
    "  info        summarise a map (Shapefile, GeoJSON, GeoPackage): units, CRS, fields\n"
    "  weights     build, inspect, convert and cut spatial weights:\n"
    "                queen | rook | knn | band | idw | kernel | econ | info | convert | subset\n"
    "  moran       global Moran's I and Geary's C, by year and pooled\n"
    "  lisa        local Moran: clusters, cluster map, Moran scatter\n"
    "  diagnose    the model-choice section: Moran, LM tests, FE LR, Hausman, SDM vs SAR/SEM\n"
    "  fit         two-way FE DID and the spatial model family (SAR, SEM, SDM, SAC, SDEM;\n"
    "              fixed or random effects) with direct, indirect and total effects\n"
    "  eventstudy  leads and lags around adoption (TWFE and SDM), pre-trend test, figure\n"
    "  placebo     randomisation inference: reassigned pilots, fake dates, figure\n"
    "  bacon       Goodman-Bacon decomposition of the TWFE DID\n"
    "  did         staggered DID: Callaway-Sant'Anna, imputation, two-stage, with\n"
    "              spillover exposure from W (Butts)\n"
    "  iv          IV-2SLS with fixed effects, clustered SEs, Kleibergen-Paap statistics\n"
    "  psm         propensity-score matching, balance table, DID on the matched sample\n"
    "  table       saved fits side by side (text, CSV, LaTeX, HTML, RTF)\n"
    "  map         draw a choropleth of per-city values (PNG, SVG, PDF)\n"
    "  join        write a shapefile or GeoJSON with a CSV's columns added as fields\n"
    "\n"
    "options: --help, --version\n";

typedef int (*cmd_fn)(int, char **);

static int run(cmd_fn fn, const char *name, int argc, char **argv)
{
  if (!fn) {
    fprintf(stderr, "spill: '%s' is not part of this build\n", name);
    return CLI_FAIL;
  }
  /* --help anywhere shows the command's help, even where an option would
   * have taken it as its value (spill fit --by --help) */
  for (int k = 1; k < argc; k++)
    if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
      char *help[] = {argv[0], "--help", NULL};
      return fn(2, help);
    }
  return fn(argc, argv);
}

int cmd_weights(int argc, char **argv)
{
  const char *type = argc > 1 ? argv[1] : NULL;
  if (!type || !strcmp(type, "--help") || !strcmp(type, "-h")) {
    fputs("usage: spill weights TYPE ... -o OUT\n"
          "\n"
          "types:\n"
          "  queen, rook        contiguity of polygons (spill weights queen --help)\n"
          "  knn, band, idw,    distance-based, from centroids, points or coordinate fields\n"
          "  kernel, econ       (spill weights knn --help)\n"
          "  info FILE          summary of any weight file\n"
          "  convert IN OUT     convert between GAL, GWT, MTX, CSV and dense CSV\n"
          "  subset IN OUT      keep the units of a list or a panel, re-standardised\n",
          type ? stdout : stderr);
    return type ? CLI_OK : CLI_USAGE;
  }
  if (!strcmp(type, "queen") || !strcmp(type, "rook"))
    return run(cmd_weights_contig, "weights queen/rook", argc - 1, argv + 1);
  if (!strcmp(type, "knn") || !strcmp(type, "band") || !strcmp(type, "idw") ||
      !strcmp(type, "kernel") || !strcmp(type, "econ"))
    return run(cmd_weights_distance, "weights distance", argc - 1, argv + 1);
  if (!strcmp(type, "info")) return run(cmd_weights_info, "weights info", argc - 1, argv + 1);
  if (!strcmp(type, "convert"))
    return run(cmd_weights_convert, "weights convert", argc - 1, argv + 1);
  if (!strcmp(type, "subset"))
    return run(cmd_weights_subset, "weights subset", argc - 1, argv + 1);
  return cli_usage_error("weights", "unknown weights type '%s'", type);
}

int main(int argc, char **argv)
{
  const char *cmd = argc > 1 ? argv[1] : NULL;
  cli_signals_init();
  if (!cmd) {
    fputs(usage, stderr);
    return CLI_USAGE;
  }
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    fputs(usage, stdout);
    return CLI_OK;
  }
  if (!strcmp(cmd, "--version")) {
    char info[1024];
    spill_version_info(info, sizeof info);
    fputs(info, stdout);
    return CLI_OK;
  }
  if (!strcmp(cmd, "weights")) return cmd_weights(argc - 1, argv + 1);
  if (!strcmp(cmd, "fit")) return run(cmd_fit, cmd, argc - 1, argv + 1);
  if (!strcmp(cmd, "map")) return run(cmd_map, cmd, argc - 1, argv + 1);
  if (!strcmp(cmd, "join")) return run(cmd_join, cmd, argc - 1, argv + 1);
  if (!strcmp(cmd, "demo")) return run(cmd_demo, cmd, argc - 1, argv + 1);
  if (!strcmp(cmd, "info")) return run(cmd_shapes, cmd, argc - 1, argv + 1);
  if (!strcmp(cmd, "moran")) return run(cmd_moran, cmd, argc - 1, argv + 1);
  if (!strcmp(cmd, "lisa")) return run(cmd_lisa, cmd, argc - 1, argv + 1);
  if (!strcmp(cmd, "diagnose")) return run(cmd_diagnose, cmd, argc - 1, argv + 1);
  if (!strcmp(cmd, "eventstudy")) return run(cmd_eventstudy, cmd, argc - 1, argv + 1);
  if (!strcmp(cmd, "placebo")) return run(cmd_placebo, cmd, argc - 1, argv + 1);
  if (!strcmp(cmd, "bacon")) return run(cmd_bacon, cmd, argc - 1, argv + 1);
  if (!strcmp(cmd, "did")) return run(cmd_did, cmd, argc - 1, argv + 1);
  if (!strcmp(cmd, "table")) return run(cmd_table, cmd, argc - 1, argv + 1);
  if (!strcmp(cmd, "iv")) return run(cmd_iv, cmd, argc - 1, argv + 1);
  if (!strcmp(cmd, "psm")) return run(cmd_psm, cmd, argc - 1, argv + 1);
  fprintf(stderr, "spill: unknown command '%s'\n\n%s", cmd, usage);
  return CLI_USAGE;
}
