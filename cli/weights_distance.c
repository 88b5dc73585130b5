/* spill weights knn|band|idw|kernel|econ: distance-based and economic
 * weights from a map's centroids or points, or from coordinate fields. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "files.h"

static const char *help_common =
    "Locations: the centroids of a polygon map, the points of a point map, or\n"
    "the coordinate fields named by --coords. Lon/lat maps (a geographic .prj)\n"
    "use geodesic distances on the WGS84 ellipsoid, in km; projected maps use\n"
    "Euclidean distances converted to km from the .prj unit; a map without .prj\n"
    "is planar and distances are in its own (unknown) units.\n"
    "\n"
    "common options:\n"
    "  -o, --output OUT  write the weights (.gal .gwt .mtx .csv; --format dense\n"
    "                    for an n x n CSV)\n"
    "  --format F        gal, gwt, mtx, csv or dense (overrides the extension)\n"
    "  --id FIELD        unit ids from this DBF field (default: record number)\n"
    "  --coords X,Y      locations from these DBF fields (lon,lat degrees unless\n"
    "                    --planar) instead of the shapes\n"
    "  --planar          the --coords fields are planar x/y (with --unit-km)\n"
    "  --unit-km F       km per coordinate unit for planar --coords (default:\n"
    "                    distances in the coordinates' own units)\n"
    "  --crs CRS         project the locations first (EPSG:code, PROJ string or\n"
    "                    WKT; needs a .prj) and use Euclidean km in that CRS\n"
    "  --symmetrize H    average ((W+W')/2), max (the 'or' pattern) or min\n"
    "                    (links present both ways)\n"
    "  --union FILE      add the links of another weight file (same ids)\n"
    "  --intersect FILE  keep only links also in another weight file\n"
    "  --style S         B, W (row-standardised), C, U, S or M (spectral)\n"
    "  --skip-null       leave out null shapes (reported) instead of failing\n"
    "  --encoding NAME   attribute text encoding (iconv name: GBK, GB18030, BIG5,\n"
    "                    CP1252, ...) overriding the .cpg, the DBF language byte\n"
    "                    and detection\n"
    "  --layer TABLE     the GeoPackage feature table, when it holds several\n"
    "  -h, --help        this text\n"
    "\n"
    "Two distinct units at the same location are an error naming both.\n"
    "Ties at equal distance go to the unit that comes first in the map.\n";

static const char *help_knn =
    "usage: spill weights knn MAP.shp --k K [options] [-o OUT]\n"
    "\n"
    "k-nearest-neighbour weights: each unit's K nearest units, binary (not\n"
    "symmetric in general; see --symmetrize). 1 <= K < number of units.\n"
    "\n"
    "example:\n"
    "  spill weights knn china_prefectures.shp --id adcode --k 6 --style W -o knn6.gal\n\n";

static const char *help_band =
    "usage: spill weights band MAP.shp [--threshold KM] [options] [-o OUT]\n"
    "\n"
    "Distance-band weights: units within KM of each other (d <= KM), binary.\n"
    "Without --threshold the smallest distance that gives every unit at least\n"
    "one neighbour is used (the largest nearest-neighbour distance) and printed.\n"
    "\n"
    "example:\n"
    "  spill weights band china_prefectures.shp --threshold 200 --style W -o band200.gwt\n\n";

static const char *help_idw =
    "usage: spill weights idw MAP.shp [--power A] [--cutoff KM] [options] [-o OUT]\n"
    "\n"
    "Inverse-distance weights w_ij = 1 / d_ij^A (default A = 1), zero diagonal.\n"
    "With --cutoff only pairs with d_ij <= KM are linked; without it every pair\n"
    "is, a dense n x n matrix: its size is printed first, and the command stops\n"
    "when that exceeds the free memory.\n"
    "\n"
    "example:\n"
    "  spill weights idw china_prefectures.shp --power 2 --style W -o idw2.mtx\n\n";

static const char *help_kernel =
    "usage: spill weights kernel MAP.shp (--bandwidth KM | --k K) [--kernel K] [options] [-o OUT]\n"
    "\n"
    "Kernel weights w_ij = K(d_ij / h_i) for 0 < d_ij <= h_i, zero diagonal, with\n"
    "z = d/h: triangular 1 - z (default), epanechnikov 3/4 (1 - z^2), gaussian\n"
    "exp(-z^2/2)/sqrt(2 pi) truncated at z = 1 (Silverman 1986, table 3.1).\n"
    "--bandwidth KM: a fixed h; --k K: adaptive, h_i = distance to unit i's K-th\n"
    "nearest neighbour (which gets weight 0 under triangular/epanechnikov).\n"
    "\n"
    "example:\n"
    "  spill weights kernel china_prefectures.shp --kernel gaussian --k 8 -o kern.gwt\n\n";

static const char *help_econ =
    "usage: spill weights econ [MAP.shp] (--var FIELD | --data PANEL.csv --time COL --var COL\n"
    "                          [--years FROM-TO]) [--form invdiff|geo] [options] [-o OUT]\n"
    "\n"
    "Economic weights from a per-unit value xbar: a DBF field of the map, or a\n"
    "panel CSV column averaged over the years FROM-TO (default: all years).\n"
    "  invdiff (default): w_ij = 1 / |xbar_i - xbar_j|, i != j\n"
    "      (Case, Rosen and Hines 1993, J. Public Economics 52). Units with equal\n"
    "      values get no link between them (1/0 is not a weight); a note counts them.\n"
    "  geo: the economic-geographic nested matrix W = W_d diag(xbar_j / mean xbar),\n"
    "      w_ij = xbar_j / (mean(xbar) d_ij), d_ij the distance between the units\n"
    "      (Lin, Long and Wu 2005, China Economic Quarterly 4(S1)); needs a map\n"
    "      and positive values.\n"
    "Both are dense n x n matrices; usually row-standardised (--style W).\n"
    "With --data, --id names the panel's unit column and the map's id field;\n"
    "--panel-id COL names the panel's column when it differs. Every map unit\n"
    "needs a value; a missing value is an error naming the unit. The panel is\n"
    "a CSV/TSV in any separator and encoding, or a Stata .dta:\n"
    "%s"
    "\n"
    "example:\n"
    "  spill weights econ china_prefectures.shp --id adcode --data panel.csv --time year \\\n"
    "      --var gdppc --years 2011-2022 --form geo --style W -o econ_geo.mtx\n\n";

typedef struct opts {
  const char *type, *cmd, *map, *out, *fmt, *style, *id, *coords, *crs, *sym, *uni, *inter;
  const char *var, *data, *time, *panel_id, *years, *kernel, *form;
  int skip_null, planar, has_k, has_threshold, has_cutoff, has_bandwidth;
  long k;
  double unit_km, threshold, cutoff, power, bandwidth;
  const char *encoding, *layer; /* the map's text encoding, GeoPackage table */
  cli_files files; /* --sep, --decimal, --encoding of the --data panel */
} opts;

/* Locations of the layer's units (or of the --coords fields). */
typedef struct locs {
  spill_layer *layer;
  double *x, *y;
  spill_points pts;
  char desc[256];
} locs;

static void locs_free(locs *l)
{
  free(l->x);
  free(l->y);
  spill_layer_free(l->layer);
}

static int field_values(spill_ctx *ctx, const spill_layer *layer, const char *map, const char *field, double *v)
{
  long f = spill_layer_field_index(layer, field);
  size_t n = spill_layer_count(layer);
  const char *const *ids = spill_layer_ids(layer);
  if (f < 0) {
    fprintf(stderr, "spill: %s has no field '%s' (fields:", map, field);
    for (size_t k = 0; k < spill_layer_nfields(layer); k++) fprintf(stderr, " %s", spill_layer_field_name(layer, k));
    fputs(")\n", stderr);
    return CLI_FAIL;
  }
  for (size_t i = 0; i < n; i++) {
    v[i] = spill_layer_attr_number(layer, i, (size_t)f);
    if (isnan(v[i])) {
      fprintf(stderr, "spill: %s, unit '%s' (record %lld): field '%s' is empty or not a number ('%s')\n", map,
              ids[i], (long long)spill_layer_records(layer)[i], field, spill_layer_attr_text(layer, i, (size_t)f));
      return CLI_FAIL;
    }
  }
  (void)ctx;
  return CLI_OK;
}

static int load_locations(spill_ctx *ctx, const opts *o, locs *l)
{
  spill_read_opts ro = {0};
  size_t n;
  int rc;
  ro.id_field = o->id;
  ro.skip_null = o->skip_null;
  ro.encoding = o->encoding;
  ro.layer = o->layer;
  l->layer = spill_layer_read(ctx, o->map, &ro);
  if (!l->layer) return cli_fail(ctx);
  n = spill_layer_count(l->layer);
  l->x = malloc((n ? n : 1) * sizeof *l->x);
  l->y = malloc((n ? n : 1) * sizeof *l->y);
  if (!l->x || !l->y) {
    fputs("spill: out of memory\n", stderr);
    return CLI_FAIL;
  }
  l->pts.n = (int64_t)n;
  l->pts.ids = spill_layer_ids(l->layer);
  l->pts.x = l->x;
  l->pts.y = l->y;
  if (o->coords) {
    size_t nf = 0;
    char **f = cli_split_list(o->coords, &nf);
    if (!f || nf != 2) {
      cli_free_list(f);
      return cli_usage_error(o->cmd, "--coords expects two field names, X,Y (or LON,LAT)");
    }
    rc = field_values(ctx, l->layer, o->map, f[0], l->x);
    if (!rc) rc = field_values(ctx, l->layer, o->map, f[1], l->y);
    snprintf(l->desc, sizeof l->desc, "fields %s, %s", f[0], f[1]);
    cli_free_list(f);
    if (rc) return rc;
    l->pts.geographic = !o->planar;
    l->pts.unit_km = o->planar && o->unit_km > 0 ? o->unit_km : 0; /* 0: raw units */
  } else {
    if (spill_layer_centroids(ctx, l->layer, l->x, l->y)) return cli_fail(ctx);
    snprintf(l->desc, sizeof l->desc, "%s",
             spill_layer_kind(l->layer) == SPILL_SHAPE_POINT ? "points" : "polygon centroids");
    l->pts.geographic = spill_layer_geographic(l->layer);
    l->pts.unit_km = spill_layer_unit_m(l->layer) / 1000.0;
  }
  if (o->crs) {
    const char *src = o->coords && !o->planar ? "EPSG:4326" : spill_layer_prj(l->layer);
    double ukm = 0;
    if (o->coords && o->planar) {
      fprintf(stderr, "spill: --crs needs lon/lat --coords or a map with a .prj\n");
      return CLI_FAIL;
    }
    if (spill_points_project(ctx, src, o->crs, l->pts.n, l->x, l->y, l->x, l->y, &ukm)) return cli_fail(ctx);
    l->pts.geographic = 0;
    l->pts.unit_km = ukm;
  }
  printf("Layer: %s: %zu units, %s\n", o->map, n, spill_layer_crs_name(l->layer));
  if (!strcmp(o->type, "econ") && !(o->form && !strcmp(o->form, "geo")))
    ; /* 1/|xbar_i - xbar_j| uses no distance */
  else if (l->pts.geographic)
    printf("Distances: geodesic on WGS84 (km), between %s\n", l->desc);
  else if (o->crs)
    printf("Distances: Euclidean in %s (km), between %s\n", o->crs, l->desc);
  else if (o->coords && l->pts.unit_km <= 0)
    printf("Distances: Euclidean in the units of the --coords fields (--unit-km converts to km), between %s\n",
           l->desc);
  else if (l->pts.unit_km > 0)
    printf("Distances: Euclidean (km, %.6g km per map unit), between %s\n", l->pts.unit_km, l->desc);
  else
    printf("Distances: Euclidean in map units (planar, no .prj: the unit is unknown, so distances and\n"
           "           thresholds are in map units, not km), between %s\n", l->desc);
  fflush(stdout); /* before any error on stderr */
  return CLI_OK;
}

static const char *unit_name(const spill_points *p) { return p->geographic || p->unit_km > 0 ? "km" : "map units"; }

/* Parse "2011-2022" (or "2015"). */
static int parse_years(const char *cmd, const char *s, long *from, long *to)
{
  char *end;
  *from = strtol(s, &end, 10);
  if (end == s) return cli_usage_error(cmd, "--years expects FROM-TO, e.g. 2011-2022, got '%s'", s), -1;
  if (!*end) {
    *to = *from;
    return 0;
  }
  if (*end != '-') return cli_usage_error(cmd, "--years expects FROM-TO, e.g. 2011-2022, got '%s'", s), -1;
  s = end + 1;
  *to = strtol(s, &end, 10);
  if (end == s || *end || *to < *from)
    return cli_usage_error(cmd, "--years expects FROM-TO with FROM <= TO, got '%s'", s), -1;
  return 0;
}

/* The economic variable for the map's units, or for the panel's units when
 * there is no map (then *ids_out receives the panel's ids). */
static int econ_values(spill_ctx *ctx, const opts *o, const locs *l, double **xbar, char ***pids, int64_t *pn)
{
  int64_t n = l->layer ? (int64_t)spill_layer_count(l->layer) : 0;
  *xbar = NULL;
  *pids = NULL;
  *pn = 0;
  if (!o->data) {
    *xbar = malloc((size_t)(n ? n : 1) * sizeof **xbar);
    if (!*xbar) return fputs("spill: out of memory\n", stderr), CLI_FAIL;
    return field_values(ctx, l->layer, o->map, o->var, *xbar);
  } else {
    long from = 1, to = 0;
    char **ids = NULL;
    double *v = NULL;
    int64_t m = 0;
    if (o->years && parse_years(o->cmd, o->years, &from, &to)) return CLI_USAGE;
    if (spill_panel_means_text(ctx, o->data, cli_files_text(&o->files), o->panel_id ? o->panel_id : o->id, o->time,
                               o->var, from, to, &ids, &v, &m))
      return cli_fail(ctx);
    printf("Variable: %s, mean over %s of %s (%lld units)\n", o->var, o->years ? o->years : "all years", o->data,
           (long long)m);
    fflush(stdout);
    if (!l->layer) {
      *xbar = v;
      *pids = ids;
      *pn = m;
      return CLI_OK;
    }
    /* match the panel's units to the map's */
    *xbar = malloc((size_t)(n ? n : 1) * sizeof **xbar);
    if (!*xbar) {
      spill_free_ids(ids, m);
      free(v);
      return fputs("spill: out of memory\n", stderr), CLI_FAIL;
    }
    {
      spill_weights *idx = spill_weights_new(ctx, m, (const char *const *)ids, 0);
      int rc = CLI_OK;
      int64_t extra = 0;
      for (int64_t i = 0; idx && i < n && !rc; i++) {
        int64_t at = spill_weights_find(idx, l->pts.ids[i]);
        if (at < 0) {
          fprintf(stderr,
                  "spill: map unit '%s' has no row in %s (the map's ids, --id %s, must match the panel's column '%s')\n",
                  l->pts.ids[i], o->data, o->id ? o->id : "(record number)", o->panel_id ? o->panel_id : o->id);
          rc = CLI_FAIL;
        } else
          (*xbar)[i] = v[at];
      }
      if (!idx) rc = cli_fail(ctx);
      extra = m - n;
      if (!rc && extra > 0)
        fprintf(stderr, "spill: note: %lld panel unit%s not on the map ignored\n", (long long)extra,
                extra > 1 ? "s are" : " is");
      spill_weights_free(idx);
      spill_free_ids(ids, m);
      free(v);
      return rc;
    }
  }
}

static int parse(int argc, char **argv, opts *o)
{
  memset(o, 0, sizeof *o);
  o->type = argv[0];
  o->power = 1.0;
  for (int a = 1; a < argc; a++) {
    const char *arg = argv[a];
    static const char *valued[] = {"-o", "--output", "--format", "--style", "--id", "--coords", "--crs",
                                   "--symmetrize", "--union", "--intersect", "--var", "--data", "--time",
                                   "--panel-id", "--years", "--kernel", "--form", "--k", "--threshold",
                                   "--cutoff", "--power", "--bandwidth", "--unit-km", "--encoding", "--layer", NULL};
    int is_valued = 0;
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) return 1;
    if (!strcmp(o->type, "econ")) {
      int e = cli_files_parse("weights econ", argc, argv, &a, &o->files, CLI_FILES_PANEL);
      if (e < 0) return -1;
      if (e > 0) continue;
    }
    for (int v = 0; valued[v]; v++) is_valued |= !strcmp(arg, valued[v]);
    if (!strcmp(arg, "--skip-null")) o->skip_null = 1;
    else if (!strcmp(arg, "--planar")) o->planar = 1;
    else if (is_valued) {
      const char *val;
      if (a + 1 >= argc) return cli_usage_error(o->cmd, "%s needs a value", arg), -1;
      val = argv[++a];
      if (!strcmp(arg, "-o") || !strcmp(arg, "--output")) o->out = val;
      else if (!strcmp(arg, "--format")) o->fmt = val;
      else if (!strcmp(arg, "--style")) o->style = val;
      else if (!strcmp(arg, "--id")) o->id = val;
      else if (!strcmp(arg, "--encoding")) o->encoding = val;
      else if (!strcmp(arg, "--layer")) o->layer = val;
      else if (!strcmp(arg, "--coords")) o->coords = val;
      else if (!strcmp(arg, "--crs")) o->crs = val;
      else if (!strcmp(arg, "--symmetrize")) o->sym = val;
      else if (!strcmp(arg, "--union")) o->uni = val;
      else if (!strcmp(arg, "--intersect")) o->inter = val;
      else if (!strcmp(arg, "--var")) o->var = val;
      else if (!strcmp(arg, "--data")) o->data = val;
      else if (!strcmp(arg, "--time")) o->time = val;
      else if (!strcmp(arg, "--panel-id")) o->panel_id = val;
      else if (!strcmp(arg, "--years")) o->years = val;
      else if (!strcmp(arg, "--kernel")) o->kernel = val;
      else if (!strcmp(arg, "--form")) o->form = val;
      else if (!strcmp(arg, "--k")) {
        if (cli_parse_long(o->cmd, arg, val, &o->k)) return -1;
        o->has_k = 1;
      } else {
        double d;
        if (cli_parse_double(o->cmd, arg, val, &d)) return -1;
        if (!strcmp(arg, "--threshold")) o->threshold = d, o->has_threshold = 1;
        else if (!strcmp(arg, "--cutoff")) o->cutoff = d, o->has_cutoff = 1;
        else if (!strcmp(arg, "--power")) o->power = d;
        else if (!strcmp(arg, "--bandwidth")) o->bandwidth = d, o->has_bandwidth = 1;
        else o->unit_km = d;
      }
    } else if (arg[0] == '-' && arg[1]) {
      return cli_usage_error(o->cmd, "unknown option '%s'", arg), -1;
    } else if (!o->map) {
      o->map = arg;
    } else {
      return cli_usage_error(o->cmd, "one map expected, got '%s' and '%s'", o->map, arg), -1;
    }
  }
  return 0;
}

/* Usage checks that need no file. */
static int check(const opts *o)
{
  const char *t = o->type;
  if (!o->map && strcmp(t, "econ")) return cli_usage_error(o->cmd, "no map given (a shapefile, MAP.shp)");
  if (o->style && (strlen(o->style) != 1 || !strchr("BWCUSM", o->style[0])))
    return cli_usage_error(o->cmd, "--style expects one of B, W, C, U, S, M; got '%s'", o->style);
  if (o->fmt && cli_wformat(o->fmt) < 0)
    return cli_usage_error(o->cmd, "unknown --format '%s' (gal, gwt, mtx, csv, dense)", o->fmt);
  if (o->out && !o->fmt && spill_wformat_from_path(o->out) == SPILL_WFMT_AUTO)
    return cli_usage_error(o->cmd, "cannot tell the format of '%s': use .gal, .gwt, .mtx or .csv, or --format", o->out);
  if (o->sym && strcmp(o->sym, "average") && strcmp(o->sym, "max") && strcmp(o->sym, "min"))
    return cli_usage_error(o->cmd, "--symmetrize expects average, max or min; got '%s'", o->sym);
  if (o->planar && !o->coords) return cli_usage_error(o->cmd, "--planar applies to --coords fields");
  if (!strcmp(t, "knn")) {
    if (!o->has_k) return cli_usage_error(o->cmd, "--k is required (the number of neighbours)");
    if (o->k < 1) return cli_usage_error(o->cmd, "--k must be at least 1, got %ld", o->k);
  }
  if (!strcmp(t, "band") && o->has_threshold && !(o->threshold > 0))
    return cli_usage_error(o->cmd, "--threshold must be a positive distance, got %g", o->threshold);
  if (!strcmp(t, "idw")) {
    if (!(o->power > 0)) return cli_usage_error(o->cmd, "--power must be positive, got %g", o->power);
    if (o->has_cutoff && !(o->cutoff > 0))
      return cli_usage_error(o->cmd, "--cutoff must be a positive distance, got %g", o->cutoff);
  }
  if (!strcmp(t, "kernel")) {
    if (o->has_k == o->has_bandwidth)
      return cli_usage_error(o->cmd, "give either --bandwidth KM (fixed) or --k K (adaptive)");
    if (o->has_k && o->k < 1) return cli_usage_error(o->cmd, "--k must be at least 1, got %ld", o->k);
    if (o->has_bandwidth && !(o->bandwidth > 0))
      return cli_usage_error(o->cmd, "--bandwidth must be a positive distance, got %g", o->bandwidth);
    if (o->kernel && strcmp(o->kernel, "triangular") && strcmp(o->kernel, "epanechnikov") &&
        strcmp(o->kernel, "gaussian"))
      return cli_usage_error(o->cmd, "--kernel expects triangular, epanechnikov or gaussian; got '%s'", o->kernel);
  }
  if (!strcmp(t, "econ")) {
    int geo = o->form && !strcmp(o->form, "geo");
    if (o->form && !geo && strcmp(o->form, "invdiff"))
      return cli_usage_error(o->cmd, "--form expects invdiff or geo; got '%s'", o->form);
    if (!o->var) return cli_usage_error(o->cmd, "--var is required (a DBF field, or a panel column with --data)");
    if (!o->data && !o->map) return cli_usage_error(o->cmd, "give a map (for --var FIELD) or --data PANEL.csv");
    if (o->data && (!o->time || (!o->id && !o->panel_id)))
      return cli_usage_error(o->cmd, "--data needs --id COL (or --panel-id COL) and --time COL");
    if (geo && !o->map) return cli_usage_error(o->cmd, "--form geo needs a map for the distances");
    if (o->years) {
      long a, b;
      if (parse_years(o->cmd, o->years, &a, &b)) return CLI_USAGE;
    }
  }
  return CLI_OK;
}

/* --symmetrize, --union, --intersect, in that order. */
static int post(spill_ctx *ctx, const opts *o, spill_weights **w)
{
  if (o->sym) {
    spill_sym how = !strcmp(o->sym, "average") ? SPILL_SYM_AVERAGE : !strcmp(o->sym, "max") ? SPILL_SYM_MAX : SPILL_SYM_MIN;
    spill_weights *s = spill_weights_symmetrize(ctx, *w, how);
    if (!s) return cli_fail(ctx);
    spill_weights_free(*w);
    *w = s;
  }
  for (int pass = 0; pass < 2; pass++) {
    const char *file = pass ? o->inter : o->uni;
    spill_weights *other, *r;
    if (!file) continue;
    other = spill_weights_read(ctx, file, SPILL_WFMT_AUTO);
    if (!other) return cli_fail(ctx);
    r = pass ? spill_weights_intersection(ctx, *w, other) : spill_weights_union(ctx, *w, other);
    spill_weights_free(other);
    if (!r) {
      fprintf(stderr, "spill: %s %s: %s\n", pass ? "--intersect" : "--union", file, spill_ctx_error(ctx));
      return CLI_FAIL;
    }
    spill_weights_free(*w);
    *w = r;
  }
  return CLI_OK;
}

int cmd_weights_distance(int argc, char **argv)
{
  opts o;
  locs l = {0};
  spill_ctx *ctx = NULL;
  spill_weights *w = NULL;
  char label[600], **pids = NULL;
  double *xbar = NULL;
  int64_t pn = 0;
  int status = CLI_OK, r;
  char cmd[32];
  snprintf(cmd, sizeof cmd, "weights %s", argc > 0 ? argv[0] : "knn");
  memset(&o, 0, sizeof o);
  o.cmd = cmd;
  r = parse(argc, argv, &o);
  o.cmd = cmd;
  if (r == 1) {
    const char *t = argv[0];
    if (!strcmp(t, "econ")) printf(help_econ, cli_files_help_panel);
    else fputs(!strcmp(t, "knn") ? help_knn : !strcmp(t, "band") ? help_band : !strcmp(t, "idw") ? help_idw
               : help_kernel, stdout);
    fputs(help_common, stdout);
    return CLI_OK;
  }
  if (r < 0) return CLI_USAGE;
  if ((status = check(&o))) return status;

  ctx = cli_ctx_new();
  if (o.map && (status = load_locations(ctx, &o, &l))) goto done;
  if (!strcmp(o.type, "knn")) {
    w = spill_weights_knn(ctx, &l.pts, (int)(o.k > 2147483647L ? 2147483647L : o.k));
    snprintf(label, sizeof label, "%s, %ld nearest neighbours", o.map, o.k);
  } else if (!strcmp(o.type, "band")) {
    double t = o.threshold;
    if (!o.has_threshold) {
      if (spill_min_threshold(ctx, &l.pts, &t)) goto fail;
      printf("Threshold: %.10g %s (the smallest giving every unit a neighbour)\n", t, unit_name(&l.pts));
    }
    w = spill_weights_band(ctx, &l.pts, t);
    snprintf(label, sizeof label, "%s, distance band %.10g %s", o.map, t, unit_name(&l.pts));
    if (w && !o.has_threshold) {
      /* one remote unit sets the default band for everyone: say so when
       * that gives someone more than a quarter of all units as neighbours */
      int64_t maxdeg = 0, at = 0;
      for (int64_t i = 0; i < w->n; i++)
        if (w->p[i + 1] - w->p[i] > maxdeg) {
          maxdeg = w->p[i + 1] - w->p[i];
          at = i;
        }
      if (4 * maxdeg > w->n) {
        fflush(stdout);
        fprintf(stderr,
                "spill: warning: the smallest band that leaves no island (%.10g %s) gives unit '%s' %lld "
                "neighbours, more than a quarter of the %lld units: a remote unit sets the band for "
                "everyone; consider k nearest neighbours (spill weights knn MAP --k 5) or a band "
                "given with --threshold\n",
                t, unit_name(&l.pts), w->ids[at], (long long)maxdeg, (long long)w->n);
      }
    }
  } else if (!strcmp(o.type, "idw")) {
    if (!o.has_cutoff)
      printf("Dense matrix: %lld x %lld, about %.3g MB\n", (long long)l.pts.n, (long long)l.pts.n,
             spill_dense_bytes(l.pts.n) / 1e6);
    w = spill_weights_idw(ctx, &l.pts, o.power, o.has_cutoff ? o.cutoff : 0.0);
    if (o.has_cutoff)
      snprintf(label, sizeof label, "%s, inverse distance^%g, cutoff %g %s", o.map, o.power, o.cutoff, unit_name(&l.pts));
    else
      snprintf(label, sizeof label, "%s, inverse distance^%g, all pairs", o.map, o.power);
  } else if (!strcmp(o.type, "kernel")) {
    spill_kernel kind = !o.kernel || !strcmp(o.kernel, "triangular") ? SPILL_KERNEL_TRIANGULAR
                        : !strcmp(o.kernel, "epanechnikov")           ? SPILL_KERNEL_EPANECHNIKOV
                                                                      : SPILL_KERNEL_GAUSSIAN;
    w = spill_weights_kernel(ctx, &l.pts, kind, o.bandwidth, o.has_k ? (int)o.k : 0);
    if (o.has_k)
      snprintf(label, sizeof label, "%s, %s kernel, adaptive bandwidth (k = %ld)", o.map,
               o.kernel ? o.kernel : "triangular", o.k);
    else
      snprintf(label, sizeof label, "%s, %s kernel, bandwidth %g %s", o.map, o.kernel ? o.kernel : "triangular",
               o.bandwidth, unit_name(&l.pts));
  } else {
    int geo = o.form && !strcmp(o.form, "geo");
    if ((status = econ_values(ctx, &o, &l, &xbar, &pids, &pn))) goto done;
    if (l.layer) {
      printf("Dense matrix: %lld x %lld, about %.3g MB\n", (long long)l.pts.n, (long long)l.pts.n,
             spill_dense_bytes(l.pts.n) / 1e6);
      w = spill_weights_econ(ctx, l.pts.ids, xbar, l.pts.n, geo ? SPILL_ECON_GEO : SPILL_ECON_INVDIFF, &l.pts);
    } else {
      w = spill_weights_econ(ctx, (const char *const *)pids, xbar, pn, SPILL_ECON_INVDIFF, NULL);
    }
    snprintf(label, sizeof label, "%s, economic %s on %s", o.map ? o.map : o.data,
             geo ? "W_d diag(xbar/mean)" : "1/|xbar_i - xbar_j|", o.var);
  }
  if (!w) goto fail;
  fflush(stdout);
  if ((status = post(ctx, &o, &w))) goto done;
  status = cli_finish_weights(ctx, w, o.style, o.out, o.fmt, label);
  goto done;
fail:
  fflush(stdout); /* what was printed comes before the error */
  status = cli_fail(ctx);
done:
  spill_weights_free(w);
  spill_free_ids(pids, pn);
  free(xbar);
  locs_free(&l);
  cli_ctx_free(ctx);
  return status;
}
