/* spill eventstudy: leads and lags of the adoption in the TWFE DID or the
 * SDM-DID, the pre-trend test, the table and the figure. */
#include <stdlib.h>
#include <string.h>
#include "did_cli.h"

static const char help[] =
    "usage: spill eventstudy --data PANEL.csv --id COL --time COL --y COL\n"
    "                        (--treat COL | --adopt COL) [--model twfe|sdm --w W.gal] [options]\n"
    "\n"
    "Event study: dummies for the periods relative to each unit's adoption (the\n"
    "window's ends binned, one reference period omitted) in the two-way FE DID\n"
    "(cluster-robust SEs by unit) or the spatial Durbin DID (each dummy with its W\n"
    "term; direct, indirect and total effects per period with simulated SEs), with\n"
    "the joint Wald test that every lead is zero, and the figure.\n"
    "\n"
    "event study:\n"
    "  --leads K           periods before adoption (default 4; the first bins <= -K)\n"
    "  --lags K            periods after adoption (default 4; the last bins >= K)\n"
    "  --ref R             omitted reference period (default -1)\n"
    "  --draws N --seed S  simulation draws for the SDM effects (default 1000, 1)\n";

int cmd_eventstudy(int argc, char **argv)
{
  cli_did_args a;
  spill_es_opts o;
  spill_ctx *ctx;
  spill_panel *p = NULL;
  spill_weights *w = NULL;
  spill_eventstudy *es = NULL;
  int rc = CLI_FAIL;
  memset(&a, 0, sizeof a);
  a.cmd = "eventstudy";
  spill_es_opts_init(&o);
  for (int i = 1; i < argc; i++) {
    const char *op = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    long val;
    int c;
    if (!strcmp(op, "--help") || !strcmp(op, "-h")) {
      fputs(help, stdout);
      fputs(cli_did_help, stdout);
      fputs("\nexample:\n"
            "  spill eventstudy --data castle.csv --id state --time year --y l_homicide \\\n"
            "      --adopt adopt --leads 5 --lags 5 --plot es.png\n"
            "  spill eventstudy --data panel.csv --id city --time year --y lngdp --adopt pilot \\\n"
            "      --model sdm --w cities.gal --plot es_sdm.svg --json es.json\n"
            "  spill eventstudy --data panel.csv --id city --time year --y lngdp --adopt pilot \\\n"
            "      --x lnpop,fdi*hc --years 2008-2019\n",
            stdout);
      return CLI_OK;
    }
    c = cli_did_parse(&a, argc, argv, &i);
    if (c < 0) return CLI_USAGE;
    if (c) continue;
    if (strcmp(op, "--leads") && strcmp(op, "--lags") && strcmp(op, "--ref") && strcmp(op, "--draws") &&
        strcmp(op, "--seed"))
      return cli_usage_error(a.cmd, "unknown option '%s'", op);
    if (!v) return cli_usage_error(a.cmd, "%s needs a value", op);
    if (cli_parse_long(a.cmd, op, v, &val)) return CLI_USAGE;
    i++;
    if (!strcmp(op, "--leads")) o.lead = (int)val;
    else if (!strcmp(op, "--lags")) o.lag = (int)val;
    else if (!strcmp(op, "--ref")) o.ref = (int)val;
    else if (!strcmp(op, "--draws")) o.effects.draws = (int)val;
    else o.effects.seed = (uint64_t)val;
  }
  if (cli_did_check(&a, 1)) return CLI_USAGE;
  if (o.lead < 1 || o.lag < 0) return cli_usage_error(a.cmd, "--leads must be at least 1 and --lags at least 0");
  if (o.ref < -o.lead || o.ref > o.lag)
    return cli_usage_error(a.cmd, "--ref %d is outside the window -%d..%d", o.ref, o.lead, o.lag);
  o.model = a.sdm ? SPILL_MODEL_SDM : SPILL_MODEL_OLS;
  o.logdet = (spill_logdet)a.logdet;
  ctx = cli_ctx_new();
  if ((rc = cli_did_load(ctx, &a, NULL, &p, &w))) goto done;
  if (!(es = spill_eventstudy_fit(ctx, p, a.sdm ? w : NULL, &o))) {
    rc = cli_fail(ctx);
    goto done;
  }
  if ((rc = cli_did_outputs(ctx, &a, es, (cli_did_printer)spill_eventstudy_print,
                            (cli_did_saver)spill_eventstudy_save)))
    goto done;
  if (a.plot && spill_eventstudy_plot(ctx, es, a.plot, a.title)) {
    rc = cli_fail(ctx);
    goto done;
  }
  rc = CLI_OK;
done:
  spill_eventstudy_free(es);
  spill_panel_free(p);
  spill_weights_free(w);
  cli_did_free(&a);
  cli_ctx_free(ctx);
  return rc;
}
