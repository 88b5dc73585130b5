/* spill weights queen|rook MAP.shp: contiguity weights of a polygon map. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char *help =
    "usage: spill weights queen|rook MAP.shp|MAP.geojson|MAP.gpkg [options] -o OUT\n"
    "\n"
    "Contiguity weights of the polygons of a map: a shapefile (with its .shx\n"
    "and .dbf; .prj and .cpg are read when present), GeoJSON or GeoPackage. Queen: units sharing at least one\n"
    "boundary point; rook: at least two (in practice a shared edge). Points\n"
    "match when they lie within the snap tolerance, as in R spdep's poly2nb.\n"
    "\n"
    "options:\n"
    "  -o, --output OUT  write the weights; the format follows the extension:\n"
    "                    .gal (GeoDa), .gwt (GeoDa), .mtx (Matrix Market), .csv\n"
    "                    (id_i,id_j,w triplets)\n"
    "  --format F        gal, gwt, mtx, csv or dense (overrides the extension)\n"
    "  --id FIELD        unit ids from this DBF field (default: record number 1..n)\n"
    "  --order K         contiguity of order K: units exactly K steps apart\n"
    "  --cumulative      with --order: all units 1..K steps apart\n"
    "  --snap TOL        tolerance in map units (default sqrt(DBL_EPSILON) = 1.49e-8)\n"
    "  --style S         B binary (default), W row-standardised, C, U, S or M\n"
    "  --skip-null       leave out null shapes (reported) instead of failing\n"
    "  --encoding NAME   attribute text encoding (iconv name: GBK, GB18030, BIG5,\n"
    "                    CP1252, ...) overriding the .cpg, the DBF language byte\n"
    "                    and detection\n"
    "  --layer TABLE     the GeoPackage feature table, when it holds several\n"
    "  -h, --help        this text\n"
    "\n"
    "Without -o only the summary is printed.\n"
    "\n"
    "example:\n"
    "  spill weights queen china_prefectures.shp --id adcode --style W -o w.gal\n"
    "  spill weights queen cities.geojson --id adcode -o w.gal\n";

static void layer_line(const spill_layer *layer, const char *path)
{
  size_t rep = spill_layer_repaired(layer), skip = spill_layer_skipped(layer);
  printf("Layer: %s: %zu units, %s", path, spill_layer_count(layer),
         spill_layer_has_prj(layer) ? spill_layer_crs_name(layer) : "planar, no .prj");
  printf(", %zu polygon%s repaired", rep, rep == 1 ? "" : "s");
  if (skip) printf(", %zu null shape%s skipped", skip, skip == 1 ? "" : "s");
  putchar('\n');
}

int cmd_weights_contig(int argc, char **argv)
{
  const char *cmd = argc > 0 && !strcmp(argv[0], "rook") ? "weights rook" : "weights queen";
  const char *map = NULL, *out = NULL, *fmt = NULL, *style = NULL;
  spill_read_opts ropts = {0};
  spill_contig_opts copts = {0};
  spill_ctx *ctx = NULL;
  spill_layer *layer = NULL;
  spill_weights *w = NULL;
  char label[512];
  long order = 1;
  int status;
  copts.rook = argc > 0 && !strcmp(argv[0], "rook");
  for (int a = 1; a < argc; a++) {
    const char *arg = argv[a];
    int has_value = a + 1 < argc;
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
      fputs(help, stdout);
      return CLI_OK;
    }
    if (!strcmp(arg, "--cumulative")) {
      copts.cumulative = 1;
    } else if (!strcmp(arg, "--skip-null")) {
      ropts.skip_null = 1;
    } else if (!strcmp(arg, "-o") || !strcmp(arg, "--output") || !strcmp(arg, "--id") ||
               !strcmp(arg, "--order") || !strcmp(arg, "--snap") || !strcmp(arg, "--style") ||
               !strcmp(arg, "--format") || !strcmp(arg, "--encoding") || !strcmp(arg, "--layer")) {
      const char *val;
      if (!has_value) return cli_usage_error(cmd, "%s needs a value", arg);
      val = argv[++a];
      if (!strcmp(arg, "-o") || !strcmp(arg, "--output")) out = val;
      else if (!strcmp(arg, "--id")) ropts.id_field = val;
      else if (!strcmp(arg, "--encoding")) ropts.encoding = val;
      else if (!strcmp(arg, "--layer")) ropts.layer = val;
      else if (!strcmp(arg, "--style")) style = val;
      else if (!strcmp(arg, "--format")) fmt = val;
      else if (!strcmp(arg, "--order")) {
        if (cli_parse_long(cmd, arg, val, &order)) return CLI_USAGE;
        if (order < 1 || order > 1000) return cli_usage_error(cmd, "--order must be between 1 and 1000, got %ld", order);
      } else {
        if (cli_parse_double(cmd, arg, val, &copts.snap)) return CLI_USAGE;
        if (copts.snap <= 0) return cli_usage_error(cmd, "--snap must be positive, got %s", val);
      }
    } else if (arg[0] == '-' && arg[1]) {
      return cli_usage_error(cmd, "unknown option '%s'", arg);
    } else if (!map) {
      map = arg;
    } else {
      return cli_usage_error(cmd, "one map expected, got '%s' and '%s'", map, arg);
    }
  }
  if (!map) return cli_usage_error(cmd, "no map given (a polygon shapefile, MAP.shp)");
  if (copts.cumulative && order < 2) return cli_usage_error(cmd, "--cumulative needs --order 2 or more");
  if (style && (strlen(style) != 1 || !strchr("BWCUSM", style[0])))
    return cli_usage_error(cmd, "--style expects one of B, W, C, U, S, M; got '%s'", style);
  if (fmt && cli_wformat(fmt) < 0) return cli_usage_error(cmd, "unknown --format '%s' (gal, gwt, mtx, csv, dense)", fmt);
  if (out && !fmt && spill_wformat_from_path(out) == SPILL_WFMT_AUTO)
    return cli_usage_error(cmd, "cannot tell the format of '%s': use .gal, .gwt, .mtx or .csv, or --format", out);
  copts.order = (int)order;

  ctx = cli_ctx_new();
  ropts.vertices_only = 1; /* the rule uses vertices only: no GEOS geometry, no validity check */
  ropts.ids_only = 1;      /* and of the attributes only the ids */
  layer = spill_layer_read(ctx, map, &ropts);
  if (!layer) {
    status = cli_fail(ctx);
    goto done;
  }
  layer_line(layer, map);
  w = spill_weights_contiguity(ctx, layer, &copts);
  if (!w) {
    status = cli_fail(ctx);
    goto done;
  }
  if (order > 1)
    snprintf(label, sizeof label, "%s, %s, order %ld%s", map, copts.rook ? "rook" : "queen", order,
             copts.cumulative ? " cumulative" : "");
  else
    snprintf(label, sizeof label, "%s, %s", map, copts.rook ? "rook" : "queen");
  status = cli_finish_weights(ctx, w, style, out, fmt, label);
done:
  spill_weights_free(w);
  spill_layer_free(layer);
  cli_ctx_free(ctx);
  return status;
}
