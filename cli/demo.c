/* spill demo: the whole pipeline on China's prefecture cities (or a generated
 * city network when the shared data is absent) with a simulated staggered
 * pilot whose direct and spillover effects are known. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "cli.h"

static const char *demo_help =
    "usage: spill demo [--out DIR] [--data DIR] [--generated] [--n N] [--seed S] [--draws D]\n"
    "\n"
    "Runs the whole pipeline and checks it against a known truth:\n"
    "  1. reads china_prefectures.shp from the shared data (or, with --generated or\n"
    "     when it is absent, writes and reads a generated network of N Voronoi cities);\n"
    "  2. builds three weight matrices: queen contiguity, inverse geographic distance,\n"
    "     (1/d^2) and economic-geographic distance (Lin, Long and Wu 2005), row-standardised;\n"
    "  3. simulates a 2011-2022 panel with pilots approved in 2013, 2014 and 2017 whose\n"
    "     effects spill over through the contiguity W;\n"
    "  4. fits the two-way FE DID and the spatial Durbin DID with each W, with direct,\n"
    "     indirect and total effects (simulation SEs), and prints the Table-8 layout;\n"
    "  5. writes per-city spillovers (CSV), a choropleth (PNG) and a shapefile.\n"
    "\n"
    "options:\n"
    "  --out DIR     where outputs go (default demo-out)\n"
    "  --data DIR    folder holding china_prefectures.shp (default ../shared/data)\n"
    "  --generated   use a generated city network even if the data is there\n"
    "  --n N         cities in the generated network (default 300)\n"
    "  --seed S      seed of the simulation and of the effect draws (default 2013)\n"
    "  --draws D     simulation draws for effect inference (default 1000)\n"
    "\n"
    "example: spill demo --out /tmp/demo\n";

typedef struct demo_opts {
  const char *out, *data;
  int generated;
  long n, draws;
  unsigned long long seed;
} demo_opts;

/* The three matrices of the demo and their names. */
enum { W_ADJ, W_DIST, W_ECON, NW };
static const char *w_names[NW] = {"Adjacency", "Distance", "Economic"};

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int file_exists(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0;
}

static int parse(int argc, char **argv, demo_opts *o)
{
  static const struct option longopts[] = {
      {"out", required_argument, 0, 'o'},  {"data", required_argument, 0, 'd'},
      {"generated", no_argument, 0, 'g'},  {"n", required_argument, 0, 'n'},
      {"seed", required_argument, 0, 's'}, {"draws", required_argument, 0, 'D'},
      {"help", no_argument, 0, 'h'},       {0, 0, 0, 0}};
  int c;
  long v;
  o->out = "demo-out";
  o->data = "../shared/data";
  o->generated = 0;
  o->n = 300;
  o->draws = 1000;
  o->seed = 2013;
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
    switch (c) {
    case 'o': o->out = optarg; break;
    case 'd': o->data = optarg; break;
    case 'g': o->generated = 1; break;
    case 'n':
      if (cli_parse_long("demo", "--n", optarg, &o->n)) return CLI_USAGE;
      if (o->n < 20 || o->n > 100000) return cli_usage_error("demo", "--n must be 20..100000");
      break;
    case 's':
      if (cli_parse_long("demo", "--seed", optarg, &v)) return CLI_USAGE;
      o->seed = (unsigned long long)v;
      break;
    case 'D':
      if (cli_parse_long("demo", "--draws", optarg, &o->draws)) return CLI_USAGE;
      if (o->draws < 100) return cli_usage_error("demo", "--draws must be at least 100");
      break;
    case 'h': fputs(demo_help, stdout); return -1;
    default: return cli_usage_error("demo", "unknown option");
    }
  }
  if (optind < argc) return cli_usage_error("demo", "unexpected argument '%s'", argv[optind]);
  return CLI_OK;
}

/* The map to use: the shared China prefectures, or a generated network
 * written into the output folder. */
static spill_layer *load_map(spill_ctx *ctx, const demo_opts *o, char *path, size_t size,
                             int *generated)
{
  spill_read_opts ro = {0};
  snprintf(path, size, "%s/china_prefectures.shp", o->data);
  *generated = o->generated || !file_exists(path);
  if (*generated) {
    snprintf(path, size, "%s/network.shp", o->out);
    printf("Map: generating a network of %ld cities (Voronoi cells, GEOS) -> %s\n", o->n, path);
    if (spill_voronoi_network(ctx, o->n, o->seed, path)) return NULL;
    ro.id_field = "id";
  } else {
    ro.id_field = "adcode";
  }
  return spill_layer_read(ctx, path, &ro);
}

/* Row-standardised W_adj (queen), W_dist (inverse distance, all pairs) and
 * W_econ (inverse distance times relative GDP per capita of the destination). */
static int build_weights(spill_ctx *ctx, const spill_layer *layer, const double *gdppc,
                         spill_weights **w)
{
  int64_t n = (int64_t)spill_layer_count(layer);
  double *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
  spill_points pts;
  spill_contig_opts co = {0};
  int rc = CLI_FAIL;
  if (!x || !y) goto done;
  if (spill_layer_centroids(ctx, layer, x, y)) goto done;
  pts.n = n;
  pts.ids = spill_layer_ids(layer);
  pts.x = x;
  pts.y = y;
  pts.geographic = spill_layer_geographic(layer);
  pts.unit_km = spill_layer_unit_m(layer) / 1000.0;
  w[W_ADJ] = spill_weights_contiguity(ctx, layer, &co);
  if (!w[W_ADJ]) goto done;
  w[W_DIST] = spill_weights_idw(ctx, &pts, 2.0, 0.0);
  if (!w[W_DIST]) goto done;
  w[W_ECON] = spill_weights_econ(ctx, pts.ids, gdppc, n, SPILL_ECON_GEO, &pts);
  if (!w[W_ECON]) goto done;
  for (int k = 0; k < NW; k++)
    if (spill_weights_transform(ctx, w[k], 'W')) goto done;
  rc = CLI_OK;
done:
  free(x);
  free(y);
  return rc;
}

/* The true effects: the same exact formulas at the true parameters (a copy of
 * the fit's coefficients is swapped in and back). */
static spill_effects *true_effects(spill_ctx *ctx, spill_fit *fit, const spill_weights *w,
                                   const spill_sim_opts *so)
{
  spill_effects_opts eo;
  spill_effects *e;
  double *saved = malloc(fit->k * sizeof *saved), saved_rho = fit->rho;
  if (!saved) return NULL;
  memcpy(saved, fit->coef, fit->k * sizeof *saved);
  for (size_t k = 0; k < fit->k; k++) fit->coef[k] = 0.0;
  fit->coef[fit->treat] = so->beta;
  if (fit->wlag[fit->treat] >= 0) fit->coef[fit->wlag[fit->treat]] = so->theta;
  for (size_t c = 0; c < so->nx; c++) {
    long b = fit->treat + 1 + (long)c;
    if ((size_t)b < fit->k) {
      fit->coef[b] = so->gamma[c];
      if (fit->wlag[b] >= 0) fit->coef[fit->wlag[b]] = so->delta[c];
    }
  }
  fit->rho = so->rho;
  spill_effects_opts_init(&eo);
  eo.method = SPILL_TRACE_EIGEN;
  eo.draws = 0;
  e = spill_effects_compute(ctx, fit, w, NULL, &eo);
  memcpy(fit->coef, saved, fit->k * sizeof *saved);
  fit->rho = saved_rho;
  free(saved);
  return e;
}

static void print_truth(const spill_effect *est, const spill_effect *truth, double level, int *covered)
{
  const char *rows[3] = {"direct", "indirect (spillover)", "total"};
  const spill_effect_stat *e[3] = {&est->direct, &est->indirect, &est->total};
  const spill_effect_stat *t[3] = {&truth->direct, &truth->indirect, &truth->total};
  printf("\nRecovery of the simulated pilot effect (contiguity W, the true one):\n");
  printf("  %-22s %10s %10s %10s   %2.0f%% interval          covers\n", "effect", "truth",
         "estimate", "SE", 100 * level);
  *covered = 0;
  for (int r = 0; r < 3; r++) {
    int in = t[r]->estimate >= e[r]->lo && t[r]->estimate <= e[r]->hi;
    *covered += in;
    printf("  %-22s %10.5f %10.5f %10.5f   [%9.5f, %9.5f]   %s\n", rows[r], t[r]->estimate,
           e[r]->estimate, e[r]->sd, e[r]->lo, e[r]->hi, in ? "yes" : "NO");
  }
}

/* Per-city spillovers of the true-W fit: CSV, map and shapefile. */
static int write_city_outputs(spill_ctx *ctx, const demo_opts *o, const spill_layer *layer,
                              const spill_fit *fit, const spill_weights *w, const spill_panel *panel,
                              const int64_t *adopt, const spill_effects_opts *eo)
{
  char csv[1024], png[1024], shp[1024];
  int64_t n = (int64_t)spill_layer_count(layer);
  spill_city_effects *c = spill_city_effects_from_panel(ctx, fit, w, panel, INT64_MIN, eo);
  unsigned char *hl = NULL;
  double *year = NULL;
  spill_map_opts mo;
  spill_map_stats ms;
  int rc = CLI_FAIL;
  if (!c) return cli_fail(ctx);
  snprintf(csv, sizeof csv, "%s/city_effects.csv", o->out);
  snprintf(png, sizeof png, "%s/spillover_map.png", o->out);
  snprintf(shp, sizeof shp, "%s/city_effects.shp", o->out);
  if (spill_city_effects_write_csv(ctx, c, csv)) goto fail;
  hl = calloc((size_t)n, 1);
  year = malloc((size_t)n * sizeof *year);
  if (!hl || !year) goto fail;
  for (int64_t i = 0; i < n; i++) {
    hl[i] = c->pilot[i] != 0.0;
    year[i] = adopt[i] ? (double)adopt[i] : NAN;
  }
  spill_map_opts_init(&mo);
  mo.title = "Spillover received from pilot cities, 2022 (SDM-DID, contiguity W)";
  mo.legend_title = "change in y";
  mo.highlight_label = "pilot city";
  mo.palette = "ylorrd";
  if (spill_map_draw(ctx, layer, c->received, hl, &mo, png, &ms)) goto fail;
  {
    spill_field_column cols[] = {
        {"pilot", c->pilot, NULL},       {"adopt_year", year, NULL},
        {"own", c->own, NULL},           {"received", c->received, NULL},
        {"recv_lo", c->received_lo, NULL}, {"recv_hi", c->received_hi, NULL},
        {"sent", c->sent, NULL},         {"total", c->total, NULL}};
    if (spill_layer_write_fields(ctx, layer, sizeof cols / sizeof cols[0], cols, shp, NULL)) goto fail;
  }
  printf("\nPer-city effects of the %lld pilots in %lld (sum over cities %.4f = n x average total):\n",
         (long long)ms.highlighted, (long long)c->period, c->sum_total);
  printf("  table      %s\n", csv);
  printf("  map        %s  (%zu of %zu units drawn, %zu polygons, pilots outlined)\n", png,
         ms.units_drawn, ms.units, ms.polygons);
  printf("  shapefile  %s  (fields pilot, adopt_year, own, received, recv_lo, recv_hi, sent, total)\n", shp);
  rc = CLI_OK;
fail:
  if (rc) cli_fail(ctx);
  free(hl);
  free(year);
  spill_city_effects_free(c);
  return rc;
}

int cmd_demo(int argc, char **argv)
{
  demo_opts o;
  spill_ctx *ctx;
  spill_layer *layer = NULL;
  spill_weights *w[NW] = {0};
  spill_panel *panel = NULL;
  spill_fit *fit[NW] = {0}, *ols = NULL;
  spill_effects *eff[NW] = {0}, *truth = NULL;
  spill_multiw *table = NULL;
  spill_sim_opts so;
  spill_effects_opts eo;
  spill_fit_opts fo;
  int64_t *adopt = NULL;
  double *gdppc = NULL, t0 = now_s();
  char path[1024], out[1024];
  int generated, rc = CLI_FAIL, covered = 0;
  int prc = parse(argc, argv, &o);
  if (prc) return prc < 0 ? CLI_OK : prc;
  if (mkdir(o.out, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "spill: cannot create the output folder %s: %s\n", o.out, strerror(errno));
    return CLI_FAIL;
  }
  ctx = cli_ctx_new();
  layer = load_map(ctx, &o, path, sizeof path, &generated);
  if (!layer) goto fail;
  {
    int64_t n = (int64_t)spill_layer_count(layer);
    spill_rng rng;
    printf("Map: %s: %lld units, %s\n", path, (long long)n, spill_layer_crs_name(layer));
    /* GDP per capita (10k yuan) of each city, log-normal, for the economic W */
    gdppc = malloc((size_t)n * sizeof *gdppc);
    adopt = malloc((size_t)n * sizeof *adopt);
    if (!gdppc || !adopt) goto fail;
    spill_rng_seed(&rng, o.seed + 7);
    for (int64_t i = 0; i < n; i++) gdppc[i] = 5.0 * exp(0.5 * spill_rng_normal(&rng));
  }
  if (build_weights(ctx, layer, gdppc, w)) goto fail;
  for (int k = 0; k < NW; k++) {
    spill_weights_summary s;
    if (spill_weights_summarize(ctx, w[k], &s)) goto fail;
    printf("W %-10s %6lld links, %5.1f neighbours on average, %lld islands, %lld components\n",
           w_names[k], (long long)s.links, s.mean_neighbours, (long long)s.n_islands,
           (long long)s.n_components);
    spill_weights_summary_clear(&s);
  }
  snprintf(out, sizeof out, "%s/w_adjacency.gwt", o.out);
  if (spill_weights_write(ctx, w[W_ADJ], out, SPILL_WFMT_GWT)) goto fail;

  spill_sim_opts_init(&so);
  so.seed = o.seed;
  panel = spill_simulate_did(ctx, w[W_ADJ], &so, adopt);
  if (!panel) goto fail;
  snprintf(out, sizeof out, "%s/panel.csv", o.out);
  if (spill_panel_write_csv(ctx, panel, "id", "year", out)) goto fail;
  printf("Panel: %lld cities x %lld years (%lld-%lld); pilots in 2013, 2014, 2017; true rho %.2f, "
         "beta %.3f, theta %.3f\n",
         (long long)panel->n, (long long)panel->t, (long long)panel->times[0],
         (long long)panel->times[panel->t - 1], so.rho, so.beta, so.theta);

  spill_fit_opts_init(&fo);
  fo.model = SPILL_MODEL_OLS;
  ols = spill_fit_model(ctx, panel, w[W_ADJ], &fo);
  if (!ols) goto fail;
  printf("\nTwo-way FE DID (no spatial terms): did = %.5f (cluster SE %.5f)\n", ols->coef[ols->treat],
         ols->se[ols->treat]);

  spill_fit_opts_init(&fo);
  spill_effects_opts_init(&eo);
  eo.draws = (int)o.draws;
  eo.seed = o.seed;
  table = spill_multiw_new(ctx);
  if (!table) goto fail;
  for (int k = 0; k < NW; k++) {
    fit[k] = spill_fit_model(ctx, panel, w[k], &fo);
    if (!fit[k]) goto fail;
    eff[k] = spill_effects_compute(ctx, fit[k], w[k], NULL, &eo);
    if (!eff[k]) goto fail;
    if (spill_multiw_add(ctx, table, w_names[k], fit[k], eff[k], NULL)) goto fail;
  }
  printf("\nSpatial Durbin DID, city and year fixed effects, contiguity W:\n");
  if (spill_fit_write(ctx, fit[W_ADJ], stdout, SPILL_TABLE_TEXT)) goto fail;
  printf("\nEffects of the pilot under three weight matrices (Table-8 layout):\n");
  if (spill_multiw_print(ctx, table, stdout, SPILL_TABLE_TEXT)) goto fail;
  snprintf(out, sizeof out, "%s/table8.csv", o.out);
  if (spill_multiw_save(ctx, table, out, SPILL_TABLE_CSV)) goto fail;
  snprintf(out, sizeof out, "%s/table8.tex", o.out);
  if (spill_multiw_save(ctx, table, out, SPILL_TABLE_LATEX)) goto fail;
  snprintf(out, sizeof out, "%s/fit_adjacency.json", o.out);
  {
    char *tmp = NULL;
    FILE *f = cli_out_open(out, &tmp);
    int ok;
    if (!f) goto fail_printed;
    ok = spill_fit_write_json_effects(ctx, fit[W_ADJ], eff[W_ADJ], f) == 0;
    if (cli_out_close(f, tmp, out, ok)) goto fail_printed;
  }

  truth = true_effects(ctx, fit[W_ADJ], w[W_ADJ], &so);
  if (!truth) goto fail;
  print_truth(&eff[W_ADJ]->e[0], &truth->e[0], eff[W_ADJ]->level, &covered);
  if (write_city_outputs(ctx, &o, layer, fit[W_ADJ], w[W_ADJ], panel, adopt, &eo)) goto fail_printed;
  printf("  tables     %s/table8.csv, %s/table8.tex, %s/fit_adjacency.json\n", o.out, o.out, o.out);
  printf("  inputs     %s/panel.csv (refit it with spill fit), %s/w_adjacency.gwt\n", o.out, o.out);
  printf("\n%d of 3 true effects inside their %.0f%% intervals; demo took %.2f s%s\n", covered,
         100 * eff[W_ADJ]->level, now_s() - t0, generated ? " (generated map)" : "");
  rc = CLI_OK;
  goto done;
fail:
  cli_fail(ctx);
fail_printed:
  rc = CLI_FAIL;
done:
  for (int k = 0; k < NW; k++) {
    spill_effects_free(eff[k]);
    spill_fit_free(fit[k]);
    spill_weights_free(w[k]);
  }
  spill_effects_free(truth);
  spill_multiw_free(table);
  spill_fit_free(ols);
  spill_panel_free(panel);
  spill_layer_free(layer);
  free(adopt);
  free(gdppc);
  cli_ctx_free(ctx);
  return rc;
}
