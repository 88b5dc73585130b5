/* spill map: a choropleth of per-city values (PNG, SVG, PDF). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char *help =
    "usage: spill map MAP.shp|.geojson|.gpkg [--values FILE.csv] --field NAME -o OUT.png|svg|pdf [options]\n"
    "\n"
    "Draw a choropleth of one column per unit. Values come from a CSV matched\n"
    "to the map's ids (e.g. the per-city effects of `spill fit --city-effects`),\n"
    "or, without --values, from a numeric DBF field of the map. Lon/lat maps are\n"
    "drawn in an equal-area projection chosen from their extent (Albers conic,\n"
    "or Equal Earth for the globe); projected maps as they are.\n"
    "\n"
    "options:\n"
    "  --values FILE.csv     the values, one row per unit\n"
    "  --field NAME          the column (or DBF field) to map\n"
    "  --id FIELD            the map's id field (default: record number 1..n)\n"
    "  --values-id COL       the CSV's id column (default: 'id', else the first)\n"
    "  --encoding NAME       the map's attribute text encoding (iconv name: GBK,\n"
    "                        GB18030, ...), overriding .cpg, DBF language byte\n"
    "                        and detection\n"
    "  --layer TABLE         the GeoPackage feature table, when it holds several\n"
    "  --allow-unmatched     CSV ids that are not in the map are counted and\n"
    "                        listed, not an error\n"
    "  --classes K           number of classes, 1 to 12 (default 5)\n"
    "  --method M            quantile (default), equal, jenks (Fisher-Jenks natural\n"
    "                        breaks, exact), or breaks:a,b,c (your break points)\n"
    "  --palette NAME        viridis, cividis, blues, ylorrd, greens (sequential);\n"
    "                        rdbu, puor, brbg (diverging, centred on zero); add -r\n"
    "                        to reverse. Default: rdbu when values take both\n"
    "                        signs, else viridis\n"
    "  --title T             title above the map\n"
    "  --legend-title T      legend heading, e.g. the units (default: the field)\n"
    "  --highlight NAME      outline units where this DBF field or CSV column is\n"
    "                        nonzero (e.g. pilot)\n"
    "  --highlight-label T   legend text for outlined units (default: NAME)\n"
    "  --labels FIELD        write each unit's FIELD (e.g. the city name) on it;\n"
    "                        labels that would overlap others are left out\n"
    "  --crs CRS             draw in this CRS (EPSG:code, PROJ string or WKT)\n"
    "  --width PX            image width (default 1600; points for SVG/PDF)\n"
    "  --no-scale-bar        leave the scale bar out\n"
    "  -o, --output OUT      the image: .png, .svg or .pdf\n"
    "  -h, --help            this text\n"
    "\n"
    "example:\n"
    "  spill fit --data panel.csv --w queen.gal ... --city-effects effects.csv\n"
    "  spill map china_prefectures.shp --id adcode --values effects.csv \\\n"
    "      --field received --highlight pilot --title \"Spillover received, 2017\" \\\n"
    "      --legend-title \"log points\" -o spillover.png\n";

static int parse_method(const char *s, spill_map_opts *o, double *breaks)
{
  if (!strcmp(s, "quantile")) o->method = SPILL_CLASS_QUANTILE;
  else if (!strcmp(s, "equal")) o->method = SPILL_CLASS_EQUAL;
  else if (!strcmp(s, "jenks")) o->method = SPILL_CLASS_JENKS;
  else if (!strncmp(s, "breaks:", 7)) {
    size_t nb = 0;
    char **list = cli_split_list(s + 7, &nb);
    if (!list) return cli_usage_error("map", "out of memory");
    if (nb < 1 || nb > SPILL_MAP_MAX_CLASSES - 1) {
      cli_free_list(list);
      return cli_usage_error("map", "breaks: give 1 to %d break points, e.g. breaks:0,0.5,1",
                             SPILL_MAP_MAX_CLASSES - 1);
    }
    for (size_t k = 0; k < nb; k++)
      if (cli_parse_double("map", "--method breaks:", list[k], &breaks[k])) {
        cli_free_list(list);
        return CLI_USAGE;
      }
    cli_free_list(list);
    o->method = SPILL_CLASS_BREAKS;
    o->breaks = breaks;
    o->nbreaks = nb;
  } else {
    return cli_usage_error("map", "unknown --method '%s' (quantile, equal, jenks, breaks:a,b,c)", s);
  }
  return CLI_OK;
}

/* Values of a DBF field of the layer (NaN where empty). */
static int layer_field(spill_ctx *ctx, const spill_layer *layer, long f, double *v)
{
  size_t n = spill_layer_count(layer);
  (void)ctx;
  for (size_t i = 0; i < n; i++) v[i] = spill_layer_attr_number(layer, i, (size_t)f);
  return 0;
}

int cmd_map(int argc, char **argv)
{
  const char *map = NULL, *csv = NULL, *field = NULL, *out = NULL, *values_id = NULL;
  const char *hl_name = NULL, *labels_name = NULL;
  const char **labels = NULL;
  spill_read_opts ropts = {0};
  spill_map_opts o;
  spill_map_stats st;
  spill_match_report rep;
  double breaks[SPILL_MAP_MAX_CLASSES];
  int allow = 0, status = CLI_FAIL;
  spill_ctx *ctx = NULL;
  spill_layer *layer = NULL;
  double *v = NULL, *hv = NULL;
  unsigned char *hl = NULL;
  size_t n;
  long f;
  spill_map_opts_init(&o);
  for (int a = 1; a < argc; a++) {
    const char *opt = argv[a];
    const char *val = a + 1 < argc ? argv[a + 1] : NULL;
    int takes = strcmp(opt, "--allow-unmatched") && strcmp(opt, "--no-scale-bar") &&
                strcmp(opt, "-h") && strcmp(opt, "--help") && opt[0] == '-' && opt[1];
    if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
      fputs(help, stdout);
      return CLI_OK;
    }
    if (takes && !val) return cli_usage_error("map", "%s needs a value", opt);
    if (!strcmp(opt, "--values")) csv = val;
    else if (!strcmp(opt, "--field")) field = val;
    else if (!strcmp(opt, "--id")) ropts.id_field = val;
    else if (!strcmp(opt, "--encoding")) ropts.encoding = val;
    else if (!strcmp(opt, "--layer")) ropts.layer = val;
    else if (!strcmp(opt, "--values-id")) values_id = val;
    else if (!strcmp(opt, "--allow-unmatched")) { allow = 1; continue; }
    else if (!strcmp(opt, "--no-scale-bar")) { o.no_scale_bar = 1; continue; }
    else if (!strcmp(opt, "--classes")) {
      long k;
      if (cli_parse_long("map", opt, val, &k)) return CLI_USAGE;
      if (k < 1 || k > SPILL_MAP_MAX_CLASSES)
        return cli_usage_error("map", "--classes must be 1 to %d", SPILL_MAP_MAX_CLASSES);
      o.classes = (int)k;
    } else if (!strcmp(opt, "--method")) {
      if (parse_method(val, &o, breaks)) return CLI_USAGE;
    } else if (!strcmp(opt, "--palette")) {
      if (spill_palette_diverging(val) < 0)
        return cli_usage_error("map", "unknown --palette '%s' (viridis, cividis, blues, ylorrd, greens, rdbu, puor, brbg; add -r to reverse)", val);
      o.palette = val;
    } else if (!strcmp(opt, "--title")) o.title = val;
    else if (!strcmp(opt, "--legend-title")) o.legend_title = val;
    else if (!strcmp(opt, "--highlight")) hl_name = val;
    else if (!strcmp(opt, "--highlight-label")) o.highlight_label = val;
    else if (!strcmp(opt, "--labels")) labels_name = val;
    else if (!strcmp(opt, "--crs")) o.crs = val;
    else if (!strcmp(opt, "--width")) {
      long w;
      if (cli_parse_long("map", opt, val, &w)) return CLI_USAGE;
      if (w < 200 || w > 20000) return cli_usage_error("map", "--width must be 200 to 20000");
      o.width = (int)w;
    } else if (!strcmp(opt, "-o") || !strcmp(opt, "--output")) out = val;
    else if (takes) return cli_usage_error("map", "unknown option '%s'", opt);
    else if (!map) { map = opt; continue; }
    else return cli_usage_error("map", "one map expected, got '%s' and '%s'", map, opt);
    a++;
  }
  if (!map) return cli_usage_error("map", "no map given (MAP.shp)");
  if (!field) return cli_usage_error("map", "no --field given: which column to map?");
  if (!out) return cli_usage_error("map", "no output given (-o OUT.png, .svg or .pdf)");
  if (!o.legend_title) o.legend_title = field;
  if (hl_name && !o.highlight_label) o.highlight_label = hl_name;

  ctx = cli_ctx_new();
  layer = spill_layer_read(ctx, map, &ropts);
  if (!layer) goto fail;
  n = spill_layer_count(layer);
  v = malloc((n ? n : 1) * sizeof *v);
  if (!v) goto oom;
  if (csv) {
    if (spill_layer_values_csv(ctx, layer, csv, values_id, field, allow, v, &rep)) goto fail;
  } else {
    f = spill_layer_field_index(layer, field);
    if (f < 0) {
      fprintf(stderr, "spill: %s has no field '%s' (fields:", map, field);
      for (size_t k = 0; k < spill_layer_nfields(layer); k++)
        fprintf(stderr, "%s %s", k ? "," : "", spill_layer_field_name(layer, k));
      fputs("); give --values FILE.csv to map a CSV column\n", stderr);
      goto done;
    }
    if (spill_layer_field_type(layer, (size_t)f) != 'N') {
      fprintf(stderr, "spill: field '%s' of %s is not numeric (type %c): nothing to classify\n",
              field, map, spill_layer_field_type(layer, (size_t)f));
      goto done;
    }
    layer_field(ctx, layer, f, v);
  }
  if (hl_name) {
    hl = calloc(n ? n : 1, 1);
    hv = malloc((n ? n : 1) * sizeof *hv);
    if (!hl || !hv) goto oom;
    f = spill_layer_field_index(layer, hl_name);
    if (f >= 0) {
      layer_field(ctx, layer, f, hv);
    } else if (!csv) {
      fprintf(stderr, "spill: --highlight %s: %s has no such field, and no --values CSV was given\n",
              hl_name, map);
      goto done;
    } else {
      spill_match_report hrep;
      if (spill_layer_values_csv(ctx, layer, csv, values_id, hl_name, 1, hv, &hrep)) {
        fprintf(stderr, "spill: --highlight %s is neither a field of %s nor a column of %s: %s\n",
                hl_name, map, csv, spill_ctx_error(ctx));
        goto done;
      }
    }
    for (size_t i = 0; i < n; i++) hl[i] = isfinite(hv[i]) && hv[i] != 0;
  }
  if (labels_name) {
    long lf = spill_layer_field_index(layer, labels_name);
    if (lf < 0) {
      fprintf(stderr, "spill: --labels %s: %s has no such field\n", labels_name, map);
      goto done;
    }
    labels = malloc((n ? n : 1) * sizeof *labels);
    if (!labels) goto oom;
    for (size_t i = 0; i < n; i++) labels[i] = spill_layer_attr_text(layer, i, (size_t)lf);
    o.labels = labels;
  }
  if (spill_map_draw(ctx, layer, v, hl, &o, out, &st)) goto fail;

  printf("Map: %s (%d x %d), %zu of %zu units drawn (%zu polygons, %zu rings)\n", out, st.width,
         st.height, st.units_drawn, st.units, st.polygons, st.rings);
  if (csv)
    printf("Values: %s, column '%s', matched on '%s': %zu units with a row, %zu without\n", csv,
           field, rep.id_col, rep.matched, rep.units_without);
  else
    printf("Values: field '%s' of %s\n", field, map);
  if (csv && rep.unmatched)
    printf("Not in the map: %zu CSV ids (%s), left out\n", rep.unmatched, rep.unmatched_ids);
  printf("Projection: %s\n", st.crs);
  printf("Classes: %d (%s), palette %s\n", st.classes,
         o.method == SPILL_CLASS_QUANTILE ? "quantiles"
         : o.method == SPILL_CLASS_EQUAL  ? "equal intervals"
         : o.method == SPILL_CLASS_JENKS  ? "Fisher-Jenks natural breaks"
                                          : "your breaks",
         st.palette);
  for (int c = 0; c < st.classes; c++) {
    char range[80];
    snprintf(range, sizeof range, "%c%.6g, %.6g]", c ? '(' : '[', st.bounds[c], st.bounds[c + 1]);
    printf("  %-28s %6zu\n", range, st.class_counts[c]);
  }
  printf("  %-28s %6zu\n", "no data", st.missing);
  if (hl) printf("Outlined (%s): %zu\n", hl_name, st.highlighted);
  if (labels) printf("Labels (%s): %zu drawn, %zu left out where they would overlap\n", labels_name, st.labels_drawn,
                     st.labels_skipped);
  if (st.scale_bar) printf("Scale bar: %g km\n", st.scale_km);
  else printf("Scale bar: none (%s)\n", st.scale_note);
  status = CLI_OK;
  goto done;
oom:
  fputs("spill: out of memory\n", stderr);
  goto done;
fail:
  cli_fail(ctx);
done:
  free(v);
  free(hv);
  free(labels);
  free(hl);
  spill_layer_free(layer);
  cli_ctx_free(ctx);
  return status;
}
