/* spill did: staggered DID robust to heterogeneous effects (Callaway-
 * Sant'Anna, imputation, two-stage) and to spillovers (exposure from W,
 * contiguity orders or distance rings), beside plain TWFE and the SDM-DID.
 * Steps: parse, load the panel (and W, map), build the exposure, estimate,
 * compare, print and write. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cli.h"

static const char did_help[] =
    "usage: spill did --data PANEL.csv --id COL --time COL --y COL (--adopt COL | --treat COL)\n"
    "                 [--method cs|imputation|twostage|twfe] [options]\n"
    "\n"
    "Staggered difference-in-differences robust to heterogeneous effects, and to spillovers\n"
    "onto untreated neighbours (Butts 2021) with exposure built from W or from the map.\n"
    "\n"
    "data:\n"
    "  --data FILE         long-format CSV, one row per unit and period (balanced)\n"
    "  --id COL --time COL --y COL\n"
    "  --adopt COL         first treated period (0 or empty: never), or\n"
    "  --treat COL         0/1 treatment that stays on once adopted\n"
    "  --x A,B             covariates (CS: at the base period, by --est; imputation and\n"
    "                      two-stage: time-varying controls in the first stage); a*b adds\n"
    "                      a, b and the product a:b, a:b the product alone\n"
    "  --drop-incomplete   drop units with missing periods\n"
    "  --years FROM-TO     keep the periods FROM to TO (inclusive; rows outside are ignored)\n"
    "method:\n"
    "  --method M          cs (default: Callaway-Sant'Anna), imputation (Borusyak-Jaravel-\n"
    "                      Spiess), twostage (Gardner), twfe (two-way FE OLS)\n"
    "  --control C         cs: never (default) or notyet (not-yet-treated controls)\n"
    "  --base B            cs: varying (default) or universal base period\n"
    "  --est E             cs with --x: dr (default, doubly robust) or reg (outcome regression)\n"
    "  --boot B            multiplier-bootstrap draws (default 999): cs SEs and uniform bands\n"
    "                      (0: analytic SEs); imputation/twostage: the event-time uniform band\n"
    "  --seed S            bootstrap seed (default 1); --threads N never changes the result\n"
    "  --level L           interval level (default 0.95)\n"
    "  --cluster COL       cluster SEs on a coarser whole-number code constant within units\n"
    "                      (e.g. province); default: by unit. The comparison stays by unit.\n"
    "  --no-leads          imputation/two-stage: leave out the pre-period rows\n"
    "spillovers (imputation or twostage):\n"
    "  --w FILE            weights (.gal .gwt .mtx .csv); --style S (default W: row-standardise)\n"
    "  --exposure E        any        untreated units with (W d_t)_i > 0\n"
    "                      cutoff:C   untreated units with (W d_t)_i >= C\n"
    "                      orders:K   rings by contiguity order 1..K to the nearest pilot (W's graph)\n"
    "                      rings:50,100,150  distance rings (km, geodesic) to the nearest pilot;\n"
    "                                 needs --map\n"
    "  --map FILE.shp      polygons or points whose centroids locate the units; --map-id FIELD\n"
    "                      names the DBF id field (default: record number 1..n)\n"
    "  --no-compare        leave out the comparison (plain TWFE, TWFE with exposure, SDM-DID with\n"
    "                      --w), which is printed by default\n"
    "output:\n"
    "  --format F          text (default), csv, latex, json\n"
    "  --json FILE, --csv FILE, --latex FILE   tables written atomically\n"
    "  --figure FILE       event-time figure (.png .svg .pdf): estimates, pointwise intervals,\n"
    "                      the uniform band (cs with --boot), one panel per spillover ring\n"
    "  --title TEXT        the figure's title (default: the method line)\n"
    "\n"
    "examples:\n"
    "  spill did --data mpdta.csv --id countyreal --time year --y lemp --adopt first.treat\n"
    "  spill did --data mpdta.csv --id countyreal --time year --y lemp --adopt first.treat \\\n"
    "            --control notyet --boot 999 --seed 7 --json cs.json --figure cs.png\n"
    "  spill did --method imputation --data panel.csv --id city --time year --y lngdp \\\n"
    "            --adopt pilot_year --w cities_queen.gal --exposure orders:2\n"
    "  spill did --method twostage --data panel.csv --id city --time year --y lngdp \\\n"
    "            --adopt pilot_year --map cities.shp --map-id code --exposure rings:50,100,150\n"
    "  spill did --method imputation --data panel.csv --id city --time year --y lngdp \\\n"
    "            --adopt pilot_year --x lnpop,fdi*hc --years 2008-2019\n";

typedef struct did_args {
  const char *data, *id, *time, *y, *treat, *adopt, *x, *w, *style, *exposure, *map, *map_id;
  const char *json, *csv, *latex, *figure, *title, *cluster, *years;
  int drop_incomplete, no_compare, format, help;
  long year_from, year_to;
  long threads;
  spill_did_opts o;
} did_args;

static int pick(const char *opt, const char *val, const char *const *names, int count, int *out)
{
  for (int i = 0; i < count; i++)
    if (!strcmp(val, names[i])) {
      *out = i;
      return 0;
    }
  cli_usage_error("did", "unknown %s '%s'", opt, val);
  return -1;
}

static int parse(int argc, char **argv, did_args *a)
{
  static const char *methods[] = {"cs", "imputation", "twostage", "twfe"};
  static const char *controls[] = {"never", "notyet"};
  static const char *bases[] = {"varying", "universal"};
  static const char *ests[] = {"dr", "reg"};
  static const char *fmts[] = {"text", "csv", "latex", "json"};
  memset(a, 0, sizeof *a);
  spill_did_opts_init(&a->o);
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    const char **slot = NULL;
    int r;
    long l;
    double d;
    if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
      a->help = 1;
      return 0;
    }
    if (!strcmp(o, "--drop-incomplete")) {
      a->drop_incomplete = 1;
      continue;
    }
    if (!strcmp(o, "--no-compare")) {
      a->no_compare = 1;
      continue;
    }
    if (!strcmp(o, "--no-leads")) {
      a->o.leads = 0;
      continue;
    }
    if (!strcmp(o, "--data")) slot = &a->data;
    else if (!strcmp(o, "--id")) slot = &a->id;
    else if (!strcmp(o, "--time")) slot = &a->time;
    else if (!strcmp(o, "--y")) slot = &a->y;
    else if (!strcmp(o, "--treat")) slot = &a->treat;
    else if (!strcmp(o, "--adopt")) slot = &a->adopt;
    else if (!strcmp(o, "--x")) slot = &a->x;
    else if (!strcmp(o, "--w")) slot = &a->w;
    else if (!strcmp(o, "--style")) slot = &a->style;
    else if (!strcmp(o, "--exposure")) slot = &a->exposure;
    else if (!strcmp(o, "--map")) slot = &a->map;
    else if (!strcmp(o, "--map-id")) slot = &a->map_id;
    else if (!strcmp(o, "--json")) slot = &a->json;
    else if (!strcmp(o, "--csv")) slot = &a->csv;
    else if (!strcmp(o, "--latex")) slot = &a->latex;
    else if (!strcmp(o, "--figure")) slot = &a->figure;
    else if (!strcmp(o, "--cluster")) slot = &a->cluster;
    else if (!strcmp(o, "--title")) slot = &a->title;
    else if (!strcmp(o, "--years")) slot = &a->years;
    else if (strcmp(o, "--method") && strcmp(o, "--control") && strcmp(o, "--base") && strcmp(o, "--est") &&
             strcmp(o, "--boot") && strcmp(o, "--seed") && strcmp(o, "--threads") && strcmp(o, "--level") &&
             strcmp(o, "--format"))
      return cli_usage_error("did", "unknown option '%s'", o), -1;
    if (!v) return cli_usage_error("did", "%s needs a value", o), -1;
    i++;
    if (slot) {
      *slot = v;
      continue;
    }
    if (!strcmp(o, "--method")) {
      if (pick(o, v, methods, 4, &r)) return -1;
      a->o.method = (spill_did_method)r;
    } else if (!strcmp(o, "--control")) {
      if (pick(o, v, controls, 2, &r)) return -1;
      a->o.control = (spill_cs_control)r;
    } else if (!strcmp(o, "--base")) {
      if (pick(o, v, bases, 2, &r)) return -1;
      a->o.base = (spill_cs_base)r;
    } else if (!strcmp(o, "--est")) {
      if (pick(o, v, ests, 2, &r)) return -1;
      a->o.est = (spill_cs_est)r;
    } else if (!strcmp(o, "--format")) {
      if (pick(o, v, fmts, 4, &a->format)) return -1;
    } else if (!strcmp(o, "--boot")) {
      if (cli_parse_long("did", o, v, &l)) return -1;
      if (l < 0 || l > 1000000) return cli_usage_error("did", "--boot must be 0..1000000"), -1;
      a->o.boot = (int)l;
    } else if (!strcmp(o, "--seed")) {
      if (cli_parse_long("did", o, v, &l)) return -1;
      a->o.seed = (uint64_t)l;
    } else if (!strcmp(o, "--threads")) {
      if (cli_parse_long("did", o, v, &l)) return -1;
      if (l < 0) return cli_usage_error("did", "--threads must be >= 0"), -1;
      a->threads = l;
    } else if (!strcmp(o, "--level")) {
      if (cli_parse_double("did", o, v, &d)) return -1;
      if (!(d > 0 && d < 1)) return cli_usage_error("did", "--level must lie in (0, 1)"), -1;
      a->o.level = d;
    }
  }
  if (!a->data || !a->id || !a->time || !a->y)
    return cli_usage_error("did", "--data, --id, --time and --y are required"), -1;
  if (!a->treat == !a->adopt) return cli_usage_error("did", "give one of --adopt or --treat"), -1;
  if (a->exposure && a->o.method != SPILL_DID_IMPUTATION && a->o.method != SPILL_DID_TWOSTAGE &&
      a->o.method != SPILL_DID_TWFE)
    return cli_usage_error("did", "--exposure needs --method imputation, twostage or twfe (Butts 2021)"), -1;
  if (a->exposure && !strncmp(a->exposure, "rings:", 6) && !a->map)
    return cli_usage_error("did", "--exposure rings:... needs --map (the unit locations)"), -1;
  if (a->exposure && strncmp(a->exposure, "rings:", 6) && !a->w)
    return cli_usage_error("did", "--exposure %s needs --w", a->exposure), -1;
  if (a->style && strlen(a->style) != 1) return cli_usage_error("did", "--style expects one letter"), -1;
  if (a->years && cli_parse_years("did", a->years, &a->year_from, &a->year_to)) return -1;
  a->o.use_x = a->x != NULL;
  return 0;
}

/* Points of the map's units in the panel's order (matched by id). */
static int map_points(spill_ctx *ctx, const did_args *a, const spill_panel *p, spill_layer **layer, double **xy,
                      spill_points *pts)
{
  spill_read_opts ro = {.id_field = a->map_id};
  size_t m;
  double *lx, *ly;
  const char *const *lid;
  if (!(*layer = spill_layer_read(ctx, a->map, &ro))) return -1;
  m = spill_layer_count(*layer);
  lx = malloc(2 * m * sizeof *lx);
  *xy = malloc(2 * (size_t)p->n * sizeof **xy);
  if (!lx || !*xy) {
    free(lx);
    fputs("spill: out of memory\n", stderr);
    return -2;
  }
  ly = lx + m;
  if (spill_layer_centroids(ctx, *layer, lx, ly)) {
    free(lx);
    return -1;
  }
  lid = spill_layer_ids(*layer);
  for (int64_t i = 0; i < p->n; i++) {
    size_t k;
    for (k = 0; k < m && strcmp(lid[k], p->ids[i]); k++) {}
    if (k == m) {
      fprintf(stderr, "spill: unit %s of the panel is not in %s (ids from %s); use --map-id FIELD\n", p->ids[i],
              a->map, a->map_id ? a->map_id : "record numbers 1..n");
      free(lx);
      return -2;
    }
    (*xy)[i] = lx[k];
    (*xy)[p->n + i] = ly[k];
  }
  free(lx);
  pts->n = p->n;
  pts->ids = (const char *const *)p->ids;
  pts->x = *xy;
  pts->y = *xy + p->n;
  pts->geographic = spill_layer_geographic(*layer);
  pts->unit_km = spill_layer_unit_m(*layer) / 1000.0;
  return 0;
}

static spill_exposure *build_exposure(spill_ctx *ctx, const did_args *a, const spill_panel *p, const spill_weights *w,
                                      const spill_points *pts, int *usage)
{
  const char *e = a->exposure;
  *usage = 0;
  if (!strcmp(e, "any")) return spill_exposure_from_w(ctx, p, w, 0);
  if (!strncmp(e, "cutoff:", 7)) {
    double c;
    if (cli_parse_double("did", "--exposure cutoff:", e + 7, &c) || !(c > 0)) {
      *usage = 1;
      return NULL;
    }
    return spill_exposure_from_w(ctx, p, w, c);
  }
  if (!strncmp(e, "orders:", 7)) {
    long k;
    if (cli_parse_long("did", "--exposure orders:", e + 7, &k) || k < 1 || k > 20) {
      *usage = 1;
      return NULL;
    }
    return spill_exposure_orders(ctx, p, w, (int)k);
  }
  if (!strncmp(e, "rings:", 6)) {
    size_t cnt = 0;
    char **list = cli_split_list(e + 6, &cnt);
    double edges[50];
    spill_exposure *ex = NULL;
    if (!list || cnt == 0 || cnt > 50) {
      cli_free_list(list);
      cli_usage_error("did", "--exposure rings: expects 1 to 50 distances in km, e.g. rings:50,100,150");
      *usage = 1;
      return NULL;
    }
    for (size_t k = 0; k < cnt; k++)
      if (cli_parse_double("did", "--exposure rings:", list[k], &edges[k])) {
        cli_free_list(list);
        *usage = 1;
        return NULL;
      }
    ex = spill_exposure_rings(ctx, p, pts, edges, (int)cnt);
    cli_free_list(list);
    return ex;
  }
  cli_usage_error("did", "unknown --exposure '%s' (any, cutoff:C, orders:K, rings:R1,R2,...)", e);
  *usage = 1;
  return NULL;
}

static int save(spill_ctx *ctx, const spill_did_result *r, const char *path, spill_table_fmt fmt)
{
  if (path && spill_did_save(ctx, r, path, fmt)) return cli_fail(ctx);
  return CLI_OK;
}

int cmd_did(int argc, char **argv)
{
  did_args a;
  spill_ctx *ctx;
  spill_panel *p = NULL;
  spill_weights *w = NULL;
  spill_layer *layer = NULL;
  spill_exposure *ex = NULL;
  spill_did_result *r = NULL;
  spill_points pts;
  double *xy = NULL;
  int64_t *codes = NULL;
  char **xcols = NULL;
  size_t nx = 0;
  int rc = CLI_FAIL, usage = 0;
  if (parse(argc, argv, &a)) return CLI_USAGE;
  if (a.help) {
    fputs(did_help, stdout);
    return CLI_OK;
  }
  ctx = cli_ctx_new();
  if (a.threads) spill_ctx_set_threads(ctx, (int)a.threads);
  {
    /* the cluster column is read as one more numeric column, then taken out */
    size_t len = (a.x ? strlen(a.x) : 0) + (a.cluster ? strlen(a.cluster) : 0) + 2;
    char *all = malloc(len);
    if (!all) {
      fputs("spill: out of memory\n", stderr);
      goto done;
    }
    snprintf(all, len, "%s%s%s", a.x ? a.x : "", a.x && a.cluster ? "," : "", a.cluster ? a.cluster : "");
    if (*all && !(xcols = cli_split_list(all, &nx))) {
      free(all);
      fputs("spill: out of memory\n", stderr);
      goto done;
    }
    free(all);
  }
  {
    spill_panel_spec spec = {a.id, a.time, a.y, a.treat, a.adopt, (const char *const *)xcols, nx, a.drop_incomplete};
    if (!(p = cli_read_panel(ctx, a.data, &spec, NULL, "--x", a.years, a.year_from, a.year_to))) {
      rc = cli_fail(ctx);
      goto done;
    }
  }
  if (a.w) {
    char s = a.style ? a.style[0] : 'W';
    if (!(w = spill_weights_read(ctx, a.w, SPILL_WFMT_AUTO)) || (s != 'G' && spill_weights_transform(ctx, w, s)) ||
        spill_panel_align(ctx, p, w)) {
      rc = cli_fail(ctx);
      goto done;
    }
  }
  if (a.cluster) {
    int64_t nt = p->n * p->t;
    /* the cluster column came last, unless --x lists it too (then it stays a control) */
    size_t kc = p->nx ? p->nx - 1 : 0;
    int also_x;
    const double *cx;
    if (!p->nx) {
      fprintf(stderr, "spill: --cluster %s: the treatment cannot be the cluster column\n", a.cluster);
      goto done;
    }
    also_x = strcmp(p->x_names[kc], a.cluster) != 0;
    if (also_x)
      for (kc = 0; kc + 1 < p->nx && strcasecmp(p->x_names[kc], a.cluster); kc++) {}
    cx = p->x + kc * (size_t)nt;
    if (!(codes = malloc((size_t)p->n * sizeof *codes))) goto done;
    for (int64_t i = 0; i < p->n; i++)
      for (int64_t s = 0; s < p->t; s++) {
        double v = cx[s * p->n + i];
        if (!(fabs(v) < 9e15) || v != floor(v)) {
          fprintf(stderr, "spill: --cluster %s must hold whole-number codes; unit %s has %g in period %lld\n",
                  a.cluster, p->ids[i], v, (long long)p->times[s]);
          goto done;
        }
        if (v != cx[i]) {
          fprintf(stderr, "spill: --cluster %s must be constant within each unit; unit %s has %g in period %lld and "
                          "%g in period %lld\n",
                  a.cluster, p->ids[i], cx[i], (long long)p->times[0], v, (long long)p->times[s]);
          goto done;
        }
        codes[i] = (int64_t)v;
      }
    if (!also_x) {
      p->nx--;
      free(p->x_names[p->nx]);
      p->x_names[p->nx] = NULL;
    }
  }
  if (a.map) {
    int m = map_points(ctx, &a, p, &layer, &xy, &pts);
    if (m) {
      rc = m == -1 ? cli_fail(ctx) : CLI_FAIL;
      goto done;
    }
  }
  if (a.exposure && !(ex = build_exposure(ctx, &a, p, w, a.map ? &pts : NULL, &usage))) {
    rc = usage ? CLI_USAGE : cli_fail(ctx);
    goto done;
  }
  a.o.exposure = ex;
  a.o.cluster = codes;
  if (!(r = spill_did_estimate(ctx, p, &a.o))) {
    rc = cli_fail(ctx);
    goto done;
  }
  if (!a.no_compare && (ex || w) && spill_did_compare(ctx, r, p, w, &a.o)) {
    rc = cli_fail(ctx);
    goto done;
  }
  if (spill_did_print(ctx, r, stdout, (spill_table_fmt)a.format)) {
    rc = cli_fail(ctx);
    goto done;
  }
  if ((rc = save(ctx, r, a.json, SPILL_TABLE_JSON)) || (rc = save(ctx, r, a.csv, SPILL_TABLE_CSV)) ||
      (rc = save(ctx, r, a.latex, SPILL_TABLE_LATEX)))
    goto done;
  if (a.figure && a.o.method != SPILL_DID_TWFE && spill_did_plot(ctx, r, a.figure, a.title)) {
    rc = cli_fail(ctx);
    goto done;
  }
  rc = CLI_OK;
done:
  spill_did_result_free(r);
  spill_exposure_free(ex);
  spill_layer_free(layer);
  free(xy);
  free(codes);
  spill_weights_free(w);
  spill_panel_free(p);
  cli_free_list(xcols);
  cli_ctx_free(ctx);
  return rc;
}
