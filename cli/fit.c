/* spill fit: read a panel and W, fit the DID / spatial Durbin DID, print the
 * regression table, write JSON/CSV/LaTeX; the effects step and several W are
 * in fit_effects.c. One function per step: parse, load W, load the panel,
 * fit, report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "fit_effects.h"

static const char fit_help[] =
    "usage: spill fit --data PANEL.csv --w W.gal --id COL --time COL --y COL\n"
    "                 (--treat COL | --adopt COL) [options]\n"
    "\n"
    "Two-way fixed-effects DID and the spatial Durbin DID by maximum likelihood.\n"
    "\n"
    "data:\n"
    "  --data FILE         long-format CSV: one row per unit and period\n"
    "  --id COL            unit id column (matched to the W ids by value)\n"
    "  --time COL          period column (whole numbers, e.g. years)\n"
    "  --y COL             outcome\n"
    "  --treat COL         0/1 treatment indicator, or\n"
    "  --adopt COL         adoption (pilot) year: d = 1 from that year on; 0 or empty = never\n"
    "  --x A,B,C           controls\n"
    "  --drop-incomplete   drop units with missing periods (the ML fit needs a balanced panel)\n"
    "  --w FILE            weights (.gal .gwt .mtx .csv); --style S transforms them\n"
    "  --style S           W (default: row-standardise), B, C, U, S, M, or G (use as read)\n"
    "model:\n"
    "  --model M           sdm (default), sar, slx, ols, sem\n"
    "  --fe F              twoways (default), unit, time, none (none adds an intercept)\n"
    "  --lee-yu            Lee and Yu (2010) bias correction (unit or two-way effects)\n"
    "  --logdet M          auto (default), eigen, chol, lu, cheb (Chebyshev, large n)\n"
    "  --wy M              exact (default: within transform of W y) or splm (W times the\n"
    "                      within-transformed y, as R splm does)\n"
    "output:\n"
    "  --json FILE         the fit as JSON (written atomically); also --csv FILE, --latex FILE\n"
    "  --format F          the table printed: text (default), csv, latex, json\n"
    "\n";

typedef struct fit_args {
  const char *data, *id, *time, *y, *treat, *adopt, *x, *style, *json, *csv, *latex;
  int drop_incomplete, show_help;
  int format;
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
  static const char *models[] = {"sdm", "sar", "slx", "ols", "sem"};
  static const char *fes[] = {"twoways", "unit", "time", "none"};
  static const char *ldets[] = {"auto", "eigen", "chol", "lu", "cheb"};
  static const char *fmts[] = {"text", "csv", "latex", "json"};
  static const char *wys[] = {"exact", "splm"};
  memset(a, 0, sizeof *a);
  spill_fit_opts_init(&a->opts);
  cli_effects_args_init(&a->eff);
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
    if (!strcmp(o, "--lee-yu")) {
      a->opts.lee_yu = 1;
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
             strcmp(o, "--wy"))
      return cli_usage_error("fit", "unknown option '%s'", o), -1;
    if (!v) return cli_usage_error("fit", "%s needs a value", o), -1;
    i++;
    if (slot) {
      *slot = v;
      continue;
    }
    if (!strcmp(o, "--model")) {
      if (pick("fit", o, v, models, 5, &r)) return -1;
      a->opts.model = (spill_model)r;
    } else if (!strcmp(o, "--fe")) {
      if (pick("fit", o, v, fes, 4, &r)) return -1;
      a->opts.fe = (spill_fe)r;
    } else if (!strcmp(o, "--logdet")) {
      if (pick("fit", o, v, ldets, 5, &r)) return -1;
      a->opts.logdet = (spill_logdet)r;
    } else if (!strcmp(o, "--format")) {
      if (pick("fit", o, v, fmts, 4, &a->format)) return -1;
    } else if (!strcmp(o, "--wy")) {
      if (pick("fit", o, v, wys, 2, &a->opts.splm_wy)) return -1;
    }
  }
  if (!a->data || !a->id || !a->time || !a->y)
    return cli_usage_error("fit", "--data, --id, --time and --y are required"), -1;
  if (a->eff.n_w == 0) return cli_usage_error("fit", "--w is required"), -1;
  if (a->treat && a->adopt) return cli_usage_error("fit", "give --treat or --adopt, not both"), -1;
  if (a->opts.lee_yu && a->opts.fe != SPILL_FE_UNIT && a->opts.fe != SPILL_FE_TWOWAYS)
    return cli_usage_error("fit", "--lee-yu needs --fe unit or twoways"), -1;
  if (cli_effects_check("fit", &a->eff)) return -1;
  return 0;
}

static spill_weights *load_weights(spill_ctx *ctx, const char *path, const char *style)
{
  spill_weights *w = spill_weights_read(ctx, path, SPILL_WFMT_AUTO);
  char s = style ? style[0] : 'W';
  if (!w) return NULL;
  if (s != 'G' && spill_weights_transform(ctx, w, s)) {
    spill_weights_free(w);
    return NULL;
  }
  return w;
}

static spill_panel *load_panel(spill_ctx *ctx, const fit_args *a, char ***xcols)
{
  size_t nx = 0;
  spill_panel_spec spec;
  *xcols = NULL;
  if (a->x && !(*xcols = cli_split_list(a->x, &nx))) {
    spill_ctx_clear_error(ctx);
    fputs("spill: out of memory\n", stderr);
    return NULL;
  }
  spec = (spill_panel_spec){a->id, a->time, a->y, a->treat, a->adopt, (const char *const *)*xcols, nx,
                            a->drop_incomplete};
  return spill_panel_read_csv(ctx, a->data, &spec);
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
  if (parse_args(argc, argv, &a)) return CLI_USAGE;
  if (a.show_help) {
    fputs(fit_help, stdout);
    fputs(cli_effects_help, stdout);
    fputs("  spill fit --data panel.csv --w cities_queen.gal --id city --time year \\\n"
          "            --y lngdp --adopt pilot_year --x lnpop,lninv --json fit.json\n",
          stdout);
    return CLI_OK;
  }
  ctx = cli_ctx_new();
  if (!(p = load_panel(ctx, &a, &xcols))) {
    rc = cli_fail(ctx);
    goto done;
  }
  if (a.eff.n_w > 1) {
    rc = cli_fit_multi(ctx, p, a.style, &a.opts, &a.eff, (spill_table_fmt)a.format, stdout);
    goto done;
  }
  if (!(w = load_weights(ctx, a.eff.w_paths[0], a.style)) || spill_panel_align(ctx, p, w) ||
      !(f = spill_fit_model(ctx, p, w, &a.opts))) {
    rc = cli_fail(ctx);
    goto done;
  }
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
  spill_ctx_free(ctx);
  return rc;
}
