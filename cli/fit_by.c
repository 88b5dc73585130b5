/* spill fit --by COL: heterogeneity of the treatment effect across groups
 * of units (separate fits and three equality tests). Called by cmd_fit when
 * --by is present. */
#include <stdlib.h>
#include <string.h>
#include "did_cli.h"

static const char help[] =
    "usage: spill fit --by COL --data PANEL.csv --id COL --time COL --y COL\n"
    "                 (--treat COL | --adopt COL) [--model ols|sdm --w W.gal] [options]\n"
    "\n"
    "Heterogeneity: the model fitted separately in each group of units (COL is a\n"
    "column constant within each unit: region, north/south, market level; for the\n"
    "SDM, W is cut to each group and re-standardised), and three tests that the\n"
    "treatment effect is the same in every group: the pooled interaction model\n"
    "(Wald, cluster-robust), a seemingly-unrelated comparison of the separate fits\n"
    "(as Stata suest) and Fisher's permutation test (as Stata bdiff).\n"
    "\n"
    "heterogeneity:\n"
    "  --by COL            the grouping column: text or numbers, 2 to 20 values\n"
    "  --reps R            permutations (default 1000; 0: none)\n"
    "  --seed S            seed of the permutations and effect draws (default 1)\n"
    "  --draws N           simulation draws for the SDM effects (default 1000)\n";

int cli_fit_has_by(int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--by")) return 1;
  return 0;
}

int cmd_fit_by(int argc, char **argv)
{
  cli_did_args a;
  spill_het_opts o;
  spill_ctx *ctx;
  spill_panel *p = NULL;
  spill_weights *w = NULL;
  spill_heterogeneity *h = NULL;
  const char *by = NULL;
  char **labels = NULL;
  size_t nlab = 0;
  int rc = CLI_FAIL;
  memset(&a, 0, sizeof a);
  a.cmd = "fit --by";
  spill_het_opts_init(&o);
  for (int i = 1; i < argc; i++) {
    const char *op = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    long val;
    int c;
    if (!strcmp(op, "--help") || !strcmp(op, "-h")) {
      fputs(help, stdout);
      fputs(cli_did_help, stdout);
      fputs("\nexample:\n"
            "  spill fit --by south --data castle.csv --id state --time year --y l_homicide \\\n"
            "      --adopt adopt --model ols --reps 1000\n"
            "  spill fit --by region --data panel.csv --id city --time year --y lngdp --adopt pilot \\\n"
            "      --model sdm --w cities.gal --reps 500 --latex het.tex\n"
            "  spill fit --by region --data panel.csv --id city --time year --y lngdp --adopt pilot \\\n"
            "      --x lnpop,fdi*hc --years 2008-2019\n",
            stdout);
      return CLI_OK;
    }
    if (!strcmp(op, "--by")) {
      if (!v) return cli_usage_error(a.cmd, "--by needs a value");
      by = v;
      i++;
      continue;
    }
    if (!strcmp(op, "--model") && v && !strcmp(v, "ols")) { /* fit's name for the TWFE */
      a.sdm = 0;
      i++;
      continue;
    }
    c = cli_did_parse(&a, argc, argv, &i);
    if (c < 0) return CLI_USAGE;
    if (c) continue;
    if (strcmp(op, "--reps") && strcmp(op, "--seed") && strcmp(op, "--draws"))
      return cli_usage_error(a.cmd, "unknown option '%s' (with --by: see spill fit --by --help)", op);
    if (!v) return cli_usage_error(a.cmd, "%s needs a value", op);
    if (cli_parse_long(a.cmd, op, v, &val)) return CLI_USAGE;
    i++;
    if (val < 0) return cli_usage_error(a.cmd, "%s must not be negative", op);
    if (!strcmp(op, "--reps")) o.reps = (int)val;
    else if (!strcmp(op, "--seed")) o.seed = o.effects.seed = (uint64_t)val;
    else o.effects.draws = (int)val;
  }
  if (!by) return cli_usage_error(a.cmd, "--by needs a column");
  if (cli_did_check(&a, 1)) return CLI_USAGE;
  o.model = a.sdm ? SPILL_MODEL_SDM : SPILL_MODEL_OLS;
  o.logdet = (spill_logdet)a.logdet;
  ctx = cli_ctx_new();
  if ((rc = cli_did_load(ctx, &a, NULL, &p, &w))) goto done;
  if (spill_panel_group_column(ctx, p, a.data, a.id, by, &labels, &nlab) ||
      !(h = spill_heterogeneity_fit(ctx, p, a.sdm ? w : NULL, by, &o)) ||
      spill_heterogeneity_set_labels(ctx, h, labels, nlab)) {
    rc = cli_fail(ctx);
    if (nlab && !h) { /* the messages name groups by code: say which is which */
      fprintf(stderr, "spill: the groups of %s are coded", by);
      for (size_t g = 0; g < nlab; g++) fprintf(stderr, "%s %zu = %s", g ? "," : "", g, labels[g]);
      fputc('\n', stderr);
    }
    goto done;
  }
  rc = cli_did_outputs(ctx, &a, h, (cli_did_printer)spill_heterogeneity_print, (cli_did_saver)spill_heterogeneity_save);
done:
  for (size_t g = 0; g < nlab; g++) free(labels[g]);
  free(labels);
  spill_heterogeneity_free(h);
  spill_panel_free(p);
  spill_weights_free(w);
  cli_did_free(&a);
  cli_ctx_free(ctx);
  return rc;
}
