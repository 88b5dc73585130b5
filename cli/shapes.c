/* spill info MAP: what a map (shapefile, GeoJSON, GeoPackage) holds, as spill reads it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char *help =
    "usage: spill info MAP.shp|MAP.geojson|MAP.gpkg [--id FIELD] [--skip-null]\n"
    "\n"
    "Summarise a map as spill reads it: units, shape kind, coordinate system\n"
    "(from the .prj, the GeoJSON crs, the GeoPackage srs), bounds, attribute\n"
    "fields with their types and text encoding, invalid polygons repaired,\n"
    "null shapes skipped, and the first unit ids.\n"
    "\n"
    "options:\n"
    "  --id FIELD    unit ids from this DBF field (default: record number 1..n)\n"
    "  --skip-null   leave out null shapes (reported) instead of failing\n"
    "  --encoding NAME  attribute text encoding (iconv name: GBK, GB18030, ...),\n"
    "                overriding the .cpg, the DBF language byte and detection\n"
    "  --layer TABLE the GeoPackage feature table, when it holds several\n"
    "  -h, --help    this text\n"
    "\n"
    "example:\n"
    "  spill info china_prefectures.shp --id adcode\n"
    "  spill info cities.geojson --id adcode\n";

static const char *type_name(char t)
{
  switch (t) {
  case 'N': return "number";
  case 'L': return "logical";
  case 'D': return "date";
  default: return "text";
  }
}

int cmd_shapes(int argc, char **argv)
{
  const char *map = NULL;
  spill_read_opts opts = {0};
  spill_ctx *ctx;
  spill_layer *layer;
  double b[4];
  size_t n, nf, show;
  const char *const *ids;
  for (int a = 1; a < argc; a++) {
    if (!strcmp(argv[a], "-h") || !strcmp(argv[a], "--help")) {
      fputs(help, stdout);
      return CLI_OK;
    }
    if (!strcmp(argv[a], "--id")) {
      if (a + 1 >= argc) return cli_usage_error("info", "--id needs a field name");
      opts.id_field = argv[++a];
    } else if (!strcmp(argv[a], "--encoding") || !strcmp(argv[a], "--layer")) {
      if (a + 1 >= argc) return cli_usage_error("info", "%s needs a value", argv[a]);
      if (!strcmp(argv[a], "--encoding")) opts.encoding = argv[++a];
      else opts.layer = argv[++a];
    } else if (!strcmp(argv[a], "--skip-null")) {
      opts.skip_null = 1;
    } else if (argv[a][0] == '-' && argv[a][1]) {
      return cli_usage_error("info", "unknown option '%s'", argv[a]);
    } else if (!map) {
      map = argv[a];
    } else {
      return cli_usage_error("info", "one map expected, got '%s' and '%s'", map, argv[a]);
    }
  }
  if (!map) return cli_usage_error("info", "no map given (MAP.shp, .geojson or .gpkg)");
  ctx = cli_ctx_new();
  layer = spill_layer_read(ctx, map, &opts);
  if (!layer) {
    int st = cli_fail(ctx);
    cli_ctx_free(ctx);
    return st;
  }
  n = spill_layer_count(layer);
  nf = spill_layer_nfields(layer);
  spill_layer_bounds(layer, b);
  printf("Map: %s\n", map);
  printf("Units: %zu %s\n", n, spill_layer_kind(layer) == SPILL_SHAPE_POINT ? "points" : "polygons");
  printf("Coordinates: %s\n", spill_layer_has_prj(layer) ? spill_layer_crs_name(layer) : "planar, no .prj");
  if (spill_layer_has_prj(layer) && !spill_layer_geographic(layer) && spill_layer_unit_m(layer) > 0)
    printf("Metres per unit: %.10g\n", spill_layer_unit_m(layer));
  printf("Bounds: x %.10g to %.10g, y %.10g to %.10g\n", b[0], b[2], b[1], b[3]);
  printf("Repaired (invalid polygons): %zu\n", spill_layer_repaired(layer));
  printf("Skipped (null shapes): %zu\n", spill_layer_skipped(layer));
  printf("Ids: %s\n", opts.id_field ? opts.id_field : "record number");
  printf("Text encoding: %s (shown as UTF-8)\n", spill_layer_encoding(layer));
  printf("Fields (%zu):\n", nf);
  for (size_t f = 0; f < nf; f++) {
    const char *first = n ? spill_layer_attr_text(layer, 0, f) : "";
    printf("  %-12s %-7s  e.g. %s\n", spill_layer_field_name(layer, f), type_name(spill_layer_field_type(layer, f)),
           first && *first ? first : "(empty)");
  }
  ids = spill_layer_ids(layer);
  show = n < 8 ? n : 8;
  printf("First ids:");
  for (size_t i = 0; i < show; i++) printf(" %s", ids[i]);
  printf("%s\n", n > show ? " ..." : "");
  spill_layer_free(layer);
  cli_ctx_free(ctx);
  return CLI_OK;
}
