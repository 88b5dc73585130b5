/* spill fit: read a panel and W, fit the DID / spatial Durbin DID, print the
 * regression table, write JSON/CSV/LaTeX; the effects step and several W are
 * in fit_effects.c. One function per step: parse, load W, load the panel,
 * fit, report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "fit_effects.h"
#include "did_cli.h"
#include "files.h"

static const char fit_help[] =
    "usage: spill fit --data PANEL.csv --w W.gal --id COL --time COL --y COL\n"
    "                 (--treat COL | --adopt COL) [options]\n"
    "\n"
    "Two-way fixed-effects DID and the spatial Durbin DID by maximum likelihood.\n"
    "\n"
    "data:\n"
    "  --data FILE         long-format panel, one row per unit and period: CSV/TSV\n"
    "                      (any separator, encoding) or Stata .dta; rows with a\n"
    "                      missing value (empty, ., NA) count as absent periods\n"
    "  --id COL            unit id column (matched to the W ids by value)\n"
    "  --time COL          period column (whole numbers, e.g. years)\n"
    "  --y COL             outcome\n"
    "  --treat COL         0/1 treatment indicator, or\n"
    "  --adopt COL         adoption (pilot) year: d = 1 from that year on; 0 or empty = never\n"
    "  --x A,B,C           controls; A*B adds A, B and their product A:B, A:B the product\n"
    "                      alone, A*B*C all products (README, \"Interactions\"); the SDM, SLX\n"
    "                      and SDEM add W*A:B, W applied to the product\n"
    "  --drop-incomplete   drop units with missing periods (the ML fit needs a balanced panel;\n"
    "                      --model ols fits an unbalanced panel as it is)\n"
    "  --if COL=V[,V...]   keep the units whose COL is one of the values (COL!=V: none of\n"
    "                      them); COL may be text (region names) and must be fixed within a\n"
    "                      unit; repeat to combine. W is cut to the units kept\n"
    "  --absorb TERM       further absorbed effects beside unit and time: COL (a factor fixed\n"
    "                      within units, e.g. prov), COL#year (e.g. province-by-year),\n"
    "                      COL#c.year (province linear trends); repeat. --model ols: by\n"
    "                      alternating projections. ML models (sdm, sar, sem, ...): a term the\n"
    "                      unit/time effects span adds nothing (a note); others enter X as\n"
    "                      dummy/trend columns without W terms and without effects\n"
    "  --vce V             (--model ols) robust (HC1), cluster COL, cluster COL1#COL2 (two-way);\n"
    "                      default: cluster by unit\n"
    "  --years FROM-TO     keep the periods FROM to TO (inclusive), e.g. --years 2005-2015\n"
    "  --w FILE            weights (.gal .gwt .mtx .csv, .txt Stata spmatrix, .dta);\n"
    "                      --style S transforms them.\n"
    "                      W units not in the panel are cut from W and the style is\n"
    "                      re-applied to the cut matrix (a notice says what was cut);\n"
    "                      not needed with --model ols\n"
    "  --style S           W (default: row-standardise), B, C, U, S, M, or G (use as read)\n"
    "  --w-strict          W must have exactly the panel's units (no cut)\n"
    "  --drop-unmatched    drop panel units that W lacks (default: an error listing them)\n"
    "model:\n"
    "  --model M           sdm (default), sar, slx, ols, sem, sac (rho W y and lambda W u),\n"
    "                      sdem (X, W X and lambda W u); gns is refused (not identified)\n"
    "  --fe F              twoways (default), unit, time, none (none adds an intercept),\n"
    "                      random (random unit effects by ML, as R splm model = \"random\";\n"
    "                      sar, sdm; with a constant); --re is --fe random\n"
    "  --lee-yu            Lee and Yu (2010, sec. 4) transformation approach: exact ML of\n"
    "                      the transformed model (sar/sdm, unit or two-way effects; two-way\n"
    "                      needs a row-standardised W; the lag of y is Q (W y))\n"
    "  --lee-yu-bc         Elhorst's (2014) first-order bias correction of the direct\n"
    "                      estimates instead (what --lee-yu did before)\n"
    "  --logdet M          auto (default), eigen, chol, lu, cheb (Chebyshev, large n)\n"
    "  --traces M          traces of the variance: auto (default: exact up to 5000 units),\n"
    "                      exact, or mc (Hutchinson probes until the SEs' Monte Carlo\n"
    "                      error is below 0.1%; the error is printed and in the JSON;\n"
    "                      --logdet eigen keeps exact traces)\n"
    "  --threads N         threads for the probes and the simulation draws (default 0:\n"
    "                      all processors); the results are the same for any N\n"
    "  --wy M              exact (default: within transform of W y) or splm (W times the\n"
    "                      within-transformed y, as R splm does)\n"
    "output:\n"
    "  --json FILE         the fit as JSON (written atomically); also --csv FILE, --latex FILE\n"
    "  --format F          the table printed: text (default), csv, latex, json\n"
    "  --by COL            heterogeneity by a unit-level group (see spill fit --by --help)\n"
    "\n";

typedef struct fit_args {
  const char *data, *id, *time, *y, *treat, *adopt, *x, *style, *json, *csv, *latex;
  int drop_incomplete, show_help, w_strict, drop_unmatched;
  size_t n_if;
  const char *ifs[16];
  int has_years;
  long year_from, year_to;
  size_t n_absorb;
  const char *absorb[16];
  const char *vce;
  char vce_buf[200];
  cli_files files;
  int format;
  long threads;
  spill_fit_opts opts;
  cli_effects_args eff;
} fit_args;

static int pick(const char *cmd, const char *opt, const char *val, const char *const *names,
                int count, int *out)
{
  for (int i = 0; i < count; i++)
    if (!strcmp(val, names[i])) {
      *out = i;
      return 0;
    }
  cli_usage_error(cmd, "unknown %s '%s'", opt, val);
  return -1;
}

static int parse_args(int argc, char **argv, fit_args *a)
{
  static const char *models[] = {"sdm", "sar", "slx", "ols", "sem", "sac", "sdem", "gns"};
  static const char *fes[] = {"twoways", "unit", "time", "none", "random"};
  static const char *ldets[] = {"auto", "eigen", "chol", "lu", "cheb"};
  static const char *fmts[] = {"text", "csv", "latex", "json"};
  static const char *wys[] = {"exact", "splm"};
  memset(a, 0, sizeof *a);
  spill_fit_opts_init(&a->opts);
  cli_effects_args_init(&a->eff);
  cli_files_init(&a->files);
  a->eff.files = &a->files;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    const char **slot = NULL;
    int r, e;
    if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
      a->show_help = 1;
      return 0;
    }
    if (!strcmp(o, "--drop-incomplete")) {
      a->drop_incomplete = 1;
      continue;
    }
    if (!strcmp(o, "--w-strict")) {
      a->w_strict = 1;
      continue;
    }
    if (!strcmp(o, "--drop-unmatched")) {
      a->drop_unmatched = 1;
      continue;
    }
    if (!strcmp(o, "--absorb")) {
      if (!v) return cli_usage_error("fit", "--absorb needs a term (prov, prov#year, prov#c.year)"), -1;
      if (a->n_absorb >= 16) return cli_usage_error("fit", "at most 16 --absorb"), -1;
      a->absorb[a->n_absorb++] = v;
      i++;
      continue;
    }
    if (!strcmp(o, "--vce")) {
      if (!v) return cli_usage_error("fit", "--vce needs robust or cluster COL[#COL2]"), -1;
      if (!strcmp(v, "cluster")) {
        if (i + 2 >= argc) return cli_usage_error("fit", "--vce cluster needs a column (COL or COL1#COL2)"), -1;
        snprintf(a->vce_buf, sizeof a->vce_buf, "cluster %s", argv[i + 2]);
        a->vce = a->vce_buf;
        i += 2;
      } else if (!strcmp(v, "robust")) {
        a->vce = "robust";
        i++;
      } else {
        return cli_usage_error("fit", "--vce '%s': expected robust or cluster COL[#COL2]", v), -1;
      }
      continue;
    }
    if (!strcmp(o, "--years")) {
      char *end = NULL;
      if (!v) return cli_usage_error("fit", "--years needs FROM-TO (e.g. 2005-2015)"), -1;
      a->year_from = strtol(v, &end, 10);
      if (end == v || *end != '-' || (a->year_to = strtol(end + 1, &end, 10), *end) || a->year_from > a->year_to)
        return cli_usage_error("fit", "--years '%s': expected FROM-TO with FROM <= TO (e.g. 2005-2015)", v), -1;
      a->has_years = 1;
      i++;
      continue;
    }
    if (!strcmp(o, "--if")) {
      if (!v) return cli_usage_error("fit", "--if needs a value (COL=VALUE or COL!=VALUE)"), -1;
      if (!strchr(v, '=') || v[0] == '=' || (v[0] == '!' && v[1] == '='))
        return cli_usage_error("fit", "--if '%s': expected COL=VALUE[,VALUE...] or COL!=VALUE", v), -1;
      if (a->n_if >= sizeof a->ifs / sizeof a->ifs[0]) return cli_usage_error("fit", "at most 16 --if"), -1;
      a->ifs[a->n_if++] = v;
      i++;
      continue;
    }
    if (!strcmp(o, "--lee-yu")) {
      a->opts.lee_yu = 1;
      continue;
    }
    if (!strcmp(o, "--lee-yu-bc")) {
      a->opts.lee_yu_bc = 1;
      continue;
    }
    if (!strcmp(o, "--re")) {
      a->opts.fe = SPILL_FE_RANDOM;
      continue;
    }
    if (!strcmp(o, "--w")) {
      if (!v) return cli_usage_error("fit", "--w needs a value"), -1;
      if (cli_effects_add_w("fit", &a->eff, v)) return -1;
      i++;
      continue;
    }
    e = cli_effects_parse("fit", argc, argv, &i, &a->eff);
    if (e < 0) return -1;
    if (e > 0) continue;
    e = cli_files_parse("fit", argc, argv, &i, &a->files, CLI_FILES_PANEL | CLI_FILES_W);
    if (e < 0) return -1;
    if (e > 0) continue;
    if (!strcmp(o, "--data")) slot = &a->data;
    else if (!strcmp(o, "--id")) slot = &a->id;
    else if (!strcmp(o, "--time")) slot = &a->time;
    else if (!strcmp(o, "--y")) slot = &a->y;
    else if (!strcmp(o, "--treat")) slot = &a->treat;
    else if (!strcmp(o, "--adopt")) slot = &a->adopt;
    else if (!strcmp(o, "--x")) slot = &a->x;
    else if (!strcmp(o, "--style")) slot = &a->style;
    else if (!strcmp(o, "--json")) slot = &a->json;
    else if (!strcmp(o, "--csv")) slot = &a->csv;
    else if (!strcmp(o, "--latex")) slot = &a->latex;
    else if (strcmp(o, "--model") && strcmp(o, "--fe") && strcmp(o, "--logdet") && strcmp(o, "--format") &&
             strcmp(o, "--wy") && strcmp(o, "--traces") && strcmp(o, "--threads"))
      return cli_usage_error("fit", "unknown option '%s'", o), -1;
    if (!v) return cli_usage_error("fit", "%s needs a value", o), -1;
    i++;
    if (slot) {
      *slot = v;
      continue;
    }
    if (!strcmp(o, "--model")) {
      if (pick("fit", o, v, models, 8, &r)) return -1;
      a->opts.model = (spill_model)r;
    } else if (!strcmp(o, "--fe")) {
      if (pick("fit", o, v, fes, 5, &r)) return -1;
      a->opts.fe = (spill_fe)r;
    } else if (!strcmp(o, "--logdet")) {
      if (pick("fit", o, v, ldets, 5, &r)) return -1;
      a->opts.logdet = (spill_logdet)r;
    } else if (!strcmp(o, "--format")) {
      if (pick("fit", o, v, fmts, 4, &a->format)) return -1;
    } else if (!strcmp(o, "--traces")) {
      static const char *trs[] = {"auto", "exact", "mc"};
      if (pick("fit", o, v, trs, 3, &a->opts.traces)) return -1;
    } else if (!strcmp(o, "--threads")) {
      if (cli_parse_long("fit", o, v, &a->threads)) return -1;
      if (a->threads < 0 || a->threads > 256)
        return cli_usage_error("fit", "--threads must be 0 (all processors) to 256, got %ld", a->threads), -1;
    } else if (!strcmp(o, "--wy")) {
      if (pick("fit", o, v, wys, 2, &a->opts.splm_wy)) return -1;
    }
  }
  if (!a->data || !a->id || !a->time || !a->y)
    return cli_usage_error("fit", "--data, --id, --time and --y are required"), -1;
  if (a->eff.n_w == 0 && a->opts.model != SPILL_MODEL_OLS)
    return cli_usage_error("fit", "--w is required (only --model ols runs without W)"), -1;
  if (a->style && (strlen(a->style) != 1 || !strchr("WBCUSMG", a->style[0])))
    return cli_usage_error("fit", "--style expects one letter: W, B, C, U, S, M or G"), -1;
  if (a->treat && a->adopt) return cli_usage_error("fit", "give --treat or --adopt, not both"), -1;
  if ((a->opts.lee_yu || a->opts.lee_yu_bc) && a->opts.fe != SPILL_FE_UNIT && a->opts.fe != SPILL_FE_TWOWAYS)
    return cli_usage_error("fit", "--lee-yu and --lee-yu-bc need --fe unit or twoways"), -1;
  if (a->opts.lee_yu && a->opts.lee_yu_bc)
    return cli_usage_error("fit", "give --lee-yu (the exact transformation) or --lee-yu-bc (Elhorst's "
                                  "bias correction), not both"), -1;
  if (a->opts.model == SPILL_MODEL_GNS)
    return cli_usage_error("fit", "--model gns: rho W y, W X theta and lambda W u together are not "
                                  "identified in practice (Elhorst 2014, sec. 2.4): fit sdm or sdem "
                                  "and compare them"), -1;
  if (cli_effects_check("fit", &a->eff)) return -1;
  if (a->files.ids_from && !a->files.ids_field) a->files.ids_field = a->id;
  if (cli_files_check("fit", &a->files)) return -1;
  return 0;
}

/* Read W and match it to the panel: W follows the sample (cut to the
 * panel's units, the style re-applied to the cut matrix). */
static spill_weights *load_weights(spill_ctx *ctx, const fit_args *a, spill_panel *p)
{
  spill_weights *raw = cli_files_read_w(ctx, a->eff.w_paths[0], SPILL_WFMT_AUTO, &a->files), *w = NULL;
  spill_wmatch_opts mo = {a->w_strict, a->drop_unmatched, a->style ? a->style[0] : 'W'};
  if (!raw) return NULL;
  if (spill_panel_match_weights(ctx, p, raw, &mo, &w, NULL)) w = NULL;
  spill_weights_free(raw);
  return w;
}

static spill_panel *load_panel(spill_ctx *ctx, const fit_args *a, char ***xcols)
{
  size_t nx = 0;
  spill_panel_spec spec;
  *xcols = NULL;
  spill_ctx_set_x_terms(ctx, "--x"); /* a*b, a:b (estimation/interact.c) */
  if (a->x && !(*xcols = cli_split_list(a->x, &nx))) {
    spill_ctx_clear_error(ctx);
    fputs("spill: out of memory\n", stderr);
    return NULL;
  }
  spec = (spill_panel_spec){a->id, a->time, a->y, a->treat, a->adopt, (const char *const *)*xcols, nx,
                            a->drop_incomplete};
  /* the OLS DID takes an unbalanced panel as it is; --if selects units
   * before incomplete ones are dropped */
  if (a->opts.model == SPILL_MODEL_OLS || a->n_if || a->has_years) {
    spill_panel *p;
    spill_ctx_set_text_opts(ctx, cli_files_text(&a->files)); /* the panel file only, not W */
    p = spill_panel_read_csv_unbalanced(ctx, a->data, &spec);
    if (p && a->has_years && spill_panel_keep_years(ctx, p, a->year_from, a->year_to)) {
      spill_panel_free(p);
      p = NULL;
    }
    for (size_t k = 0; p && k < a->n_if; k++)
      if (spill_panel_keep_if(ctx, p, a->data, a->id, a->ifs[k], NULL)) {
        spill_panel_free(p);
        p = NULL;
      }
    spill_ctx_set_text_opts(ctx, NULL);
    if (p && a->opts.model != SPILL_MODEL_OLS && spill_panel_drop_incomplete(ctx, p)) {
      spill_panel_free(p);
      p = NULL;
    }
    return p;
  }
  return spill_panel_read(ctx, a->data, &spec, cli_files_text(&a->files));
}

/* The ML models refuse an unbalanced panel: say what else works. */
static int panel_fail(spill_ctx *ctx, const fit_args *a)
{
  int rc = cli_fail(ctx);
  if (a->opts.model != SPILL_MODEL_OLS && strstr(spill_ctx_error(ctx), "unbalanced panel"))
    fputs("spill: (--model ols fits the two-way FE DID on the unbalanced panel as it is)\n", stderr);
  return rc;
}

/* Observations, units, cohorts, islands: before the table (stderr when the
 * table is machine-readable). */
static int describe(spill_ctx *ctx, const spill_panel *p, const spill_weights *w, int format)
{
  spill_sample_desc desc;
  FILE *out = format == SPILL_TABLE_TEXT ? stdout : stderr;
  if (spill_sample_describe(ctx, p, w, &desc) || spill_sample_desc_print(ctx, &desc, out)) return cli_fail(ctx);
  if (format == SPILL_TABLE_TEXT) fputc('\n', out);
  return CLI_OK;
}

static int write_outputs(spill_ctx *ctx, const fit_args *a, const spill_fit *f)
{
  if (a->csv && spill_fit_write_file(ctx, f, a->csv, SPILL_TABLE_CSV)) return cli_fail(ctx);
  if (a->latex && spill_fit_write_file(ctx, f, a->latex, SPILL_TABLE_LATEX)) return cli_fail(ctx);
  return CLI_OK;
}

/* JSON file with the effects appended, written atomically via a temporary
 * file beside it. */
static int write_json_file(spill_ctx *ctx, const char *path, const spill_fit *f, const spill_effects *e)
{
  char *tmp = NULL;
  FILE *out = cli_out_open(path, &tmp);
  if (!out) return CLI_FAIL;
  return cli_out_close(out, tmp, path, cli_fit_write_json(ctx, f, e, out) == CLI_OK);
}

int cmd_fit(int argc, char **argv)
{
  fit_args a;
  spill_ctx *ctx;
  spill_weights *w = NULL;
  spill_panel *p = NULL;
  spill_fit *f = NULL;
  spill_effects *eff = NULL;
  char **xcols = NULL;
  int rc = CLI_FAIL;
  if (cli_fit_has_by(argc, argv)) return cmd_fit_by(argc, argv); /* heterogeneity: cli/fit_by.c */
  if (parse_args(argc, argv, &a)) return CLI_USAGE;
  if (a.show_help) {
    fputs(fit_help, stdout);
    printf("files (see README, \"Files spill reads\"):\n%s%s"
           "  --ids-field FIELD   the map field for --ids-from (default: the --id name)\n\n",
           cli_files_help_panel, cli_files_help_w);
    fputs(cli_effects_help, stdout);
    fputs("  spill fit --data panel.csv --w cities_queen.gal --id city --time year \\\n"
          "            --y lngdp --adopt pilot_year --x lnpop,lninv --json fit.json\n"
          "  spill fit --data panel.csv --w cities_queen.gal --id city --time year \\\n"
          "            --y lngdp --adopt pilot_year --x lnpop,did*lnhc   (mechanism: did:lnhc)\n"
          "  spill fit --data panel.dta --w W.txt --ids cities.txt --id city --time year \\\n"
          "            --y lngdp --adopt pilot_year --city-effects effects.dta\n"
          "  spill fit --data gbk_semicolon.csv --sep ';' --decimal , --encoding GBK ...\n",
          stdout);
    return CLI_OK;
  }
  ctx = cli_ctx_new();
  if (a.threads) spill_ctx_set_threads(ctx, (int)a.threads);
  if (!(p = load_panel(ctx, &a, &xcols))) {
    rc = panel_fail(ctx, &a);
    goto done;
  }
  if (spill_panel_check_variation(ctx, p)) {
    rc = cli_fail(ctx);
    goto done;
  }
  if (a.opts.model != SPILL_MODEL_OLS && a.vce) {
    fputs("spill fit: --vce is for --model ols (the least-squares DID); the ML models' SEs come from the "
          "information matrix\n",
          stderr);
    rc = CLI_USAGE;
    goto done;
  }
  if (a.opts.model != SPILL_MODEL_OLS && a.n_absorb) {
    /* the ML models keep the within transform: nested terms add nothing,
     * others enter X as dummy/trend columns without W terms */
    size_t added = 0;
    if (spill_panel_add_absorb_columns(ctx, p, a.data, a.id, a.time, a.absorb, a.n_absorb, a.opts.fe,
                                       a.opts.intercept && a.opts.fe == SPILL_FE_NONE, &added)) {
      rc = cli_fail(ctx);
      goto done;
    }
    a.opts.n_fe_cols = added;
    if (!added) a.n_absorb = 0;
  }
  if (a.eff.n_w > 1) {
    spill_wmatch_opts mo = {a.w_strict, a.drop_unmatched, a.style ? a.style[0] : 'W'};
    if ((rc = describe(ctx, p, NULL, a.format))) goto done;
    rc = cli_fit_multi(ctx, p, &mo, &a.opts, &a.eff, (spill_table_fmt)a.format, stdout);
    goto done;
  }
  if (a.opts.model == SPILL_MODEL_OLS && (a.n_absorb || a.vce)) {
    spill_absorb_opts ao = {a.data, a.id, a.time, a.absorb, a.n_absorb, a.vce};
    if ((rc = describe(ctx, p, NULL, a.format)) || !(f = spill_fit_absorb(ctx, p, &ao))) {
      rc = cli_fail(ctx);
      goto done;
    }
  } else if ((a.eff.n_w && !(w = load_weights(ctx, &a, p))) || (rc = describe(ctx, p, w, a.format)) ||
      !(f = spill_fit_model(ctx, p, w, &a.opts))) {
    rc = cli_fail(ctx);
    goto done;
  }
  if (a.opts.n_fe_cols) /* the terms, for the table's FE rows */
    for (size_t q = 0, off = 0; q < a.n_absorb && off + 2 < sizeof f->absorb; q++)
      off += (size_t)snprintf(f->absorb + off, sizeof f->absorb - off, "%s%s", q ? "," : "", a.absorb[q]);
  if (a.format != SPILL_TABLE_JSON && spill_fit_write(ctx, f, stdout, a.format)) {
    rc = cli_fail(ctx);
    goto done;
  }
  if ((rc = write_outputs(ctx, &a, f))) goto done;
  if (a.format != SPILL_TABLE_JSON) fputc('\n', stdout);
  if ((rc = cli_fit_effects(ctx, f, w, p, &a.eff, (spill_table_fmt)a.format, stdout, &eff))) goto done;
  if (a.format == SPILL_TABLE_JSON && (rc = cli_fit_write_json(ctx, f, eff, stdout))) goto done;
  if (a.json && (rc = write_json_file(ctx, a.json, f, eff))) goto done;
  rc = CLI_OK;
done:
  spill_effects_free(eff);
  spill_fit_free(f);
  spill_panel_free(p);
  spill_weights_free(w);
  cli_free_list(xcols);
  cli_ctx_free(ctx);
  return rc;
}
