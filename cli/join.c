/* spill join: the map with a CSV's columns added as DBF fields. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const char *help =
    "usage: spill join MAP.shp|.geojson|.gpkg --values FILE.csv -o OUT.shp [options]\n"
    "\n"
    "Write a copy of the map with every column of the CSV (except its id column)\n"
    "added as a DBF field, matched on the ids: for QGIS, ArcGIS and R users.\n"
    "Numeric columns become N fields keeping 12 significant digits, text columns\n"
    "C fields as wide as the longest cell; names are shortened to DBF's 10\n"
    "characters without collisions (the renames are listed). Shapes and the\n"
    "map's own fields are copied as they are, with its .prj and .cpg. Text is\n"
    "written in UTF-8 with a .cpg saying so: a map in GBK (or another code\n"
    "page) has its text converted. A GeoJSON or GeoPackage map is written as\n"
    "a shapefile (shapes as read, invalid ones repaired) unless OUT ends in\n"
    ".geojson. Units without a row get empty cells.\n"
    "\n"
    "options:\n"
    "  --values FILE.csv    the columns to add, one row per unit\n"
    "  --id FIELD           the map's id field (default: record number 1..n)\n"
    "  --values-id COL      the CSV's id column (default: 'id', else the first)\n"
    "  --encoding NAME      the map's attribute text encoding (iconv name: GBK,\n"
    "                       GB18030, ...), overriding .cpg, DBF language byte\n"
    "                       and detection\n"
    "  --layer TABLE        the GeoPackage feature table, when it holds several\n"
    "  --allow-unmatched    CSV ids that are not in the map are counted and\n"
    "                       listed, not an error\n"
    "  -o, --output OUT.shp the new shapefile (.shx, .dbf, .prj, .cpg beside it),\n"
    "                       or OUT.geojson for GeoJSON\n"
    "  -h, --help           this text\n"
    "\n"
    "example:\n"
    "  spill join china_prefectures.shp --id adcode --values effects.csv \\\n"
    "      -o prefectures_effects.shp\n";

int cmd_join(int argc, char **argv)
{
  const char *map = NULL, *csv = NULL, *out = NULL, *values_id = NULL;
  spill_read_opts ropts = {0};
  spill_match_report m;
  spill_write_report w;
  spill_ctx *ctx;
  spill_layer *layer;
  int allow = 0, status = CLI_FAIL;
  for (int a = 1; a < argc; a++) {
    const char *opt = argv[a];
    const char *val = a + 1 < argc ? argv[a + 1] : NULL;
    if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
      fputs(help, stdout);
      return CLI_OK;
    }
    if (!strcmp(opt, "--allow-unmatched")) {
      allow = 1;
      continue;
    }
    if (opt[0] == '-' && opt[1]) {
      if (!val) return cli_usage_error("join", "%s needs a value", opt);
      if (!strcmp(opt, "--values")) csv = val;
      else if (!strcmp(opt, "--id")) ropts.id_field = val;
      else if (!strcmp(opt, "--encoding")) ropts.encoding = val;
      else if (!strcmp(opt, "--layer")) ropts.layer = val;
      else if (!strcmp(opt, "--values-id")) values_id = val;
      else if (!strcmp(opt, "-o") || !strcmp(opt, "--output")) out = val;
      else return cli_usage_error("join", "unknown option '%s'", opt);
      a++;
    } else if (!map) {
      map = opt;
    } else {
      return cli_usage_error("join", "one map expected, got '%s' and '%s'", map, opt);
    }
  }
  if (!map) return cli_usage_error("join", "no map given (MAP.shp)");
  if (!csv) return cli_usage_error("join", "no --values FILE.csv given");
  if (!out) return cli_usage_error("join", "no output given (-o OUT.shp)");
  ctx = cli_ctx_new();
  layer = spill_layer_read(ctx, map, &ropts);
  if (!layer || spill_layer_write_joined(ctx, layer, csv, values_id, allow, out, &m, &w)) {
    cli_fail(ctx);
  } else {
    char ext[16] = "", oext[16] = "";
    const char *dot = strrchr(map, '.'), *odot = strrchr(out, '.');
    for (size_t k = 0; dot && dot[k + 1] && k < sizeof ext - 1; k++) ext[k] = (char)(dot[k + 1] | 0x20);
    for (size_t k = 0; odot && odot[k + 1] && k < sizeof oext - 1; k++) oext[k] = (char)(odot[k + 1] | 0x20);
    if (strcmp(oext, "shp"))
      printf("Written: %s (%zu units, GeoJSON; text in UTF-8)\n", out, spill_layer_count(layer));
    else if (!strcmp(ext, "shp"))
      printf("Written: %s (%zu units; .shx, .dbf and the map's .prj/.cpg beside it; text in UTF-8)\n", out,
             spill_layer_count(layer));
    else
      printf("Written: %s (%zu units, a shapefile: .shx, .dbf, .prj from the map's CRS and a UTF-8 .cpg beside it)\n",
             out, spill_layer_count(layer));
    printf("Matched on '%s': %zu units with a row, %zu without (empty cells)\n", m.id_col,
           m.matched, m.units_without);
    if (m.unmatched) printf("Not in the map: %zu CSV ids (%s), left out\n", m.unmatched, m.unmatched_ids);
    printf("Fields added (%zu): %s\n", w.fields_added, w.fields);
    if (w.renamed) printf("Renamed to fit DBF's 10 characters: %s\n", w.renames);
    status = CLI_OK;
  }
  spill_layer_free(layer);
  cli_ctx_free(ctx);
  return status;
}
