/* spill bacon: the Goodman-Bacon decomposition of the two-way FE DID. */
#include <stdlib.h>
#include <string.h>
#include "did_cli.h"

static const char help[] =
    "usage: spill bacon --data PANEL.csv --id COL --time COL --y COL (--treat COL | --adopt COL)\n"
    "                   [--x A,B] [--years FROM-TO] [--json F] [--csv F] [--latex F] [--plot F.png]\n"
    "\n"
    "Goodman-Bacon (2021) decomposition of the two-way fixed-effects DID estimate\n"
    "into every 2x2 comparison of timing groups (treated vs never treated, earlier vs\n"
    "later, later vs earlier, later vs always treated), with each weight and\n"
    "estimate, the summary by type and the scatter of weight against estimate.\n"
    "Units treated from the first period are always treated: as in the paper and R\n"
    "bacondecomp they serve only as controls for later groups. With --x, the\n"
    "Frisch-Waugh form: the within-group weight Omega and estimate are reported.\n"
    "Needs a balanced panel and a treatment that stays on once adopted. In --x, a*b\n"
    "adds a, b and their product a:b, a:b the product alone; --years FROM-TO keeps\n"
    "the periods FROM to TO (rows outside are ignored).\n";

int cmd_bacon(int argc, char **argv)
{
  cli_did_args a;
  spill_ctx *ctx;
  spill_panel *p = NULL;
  spill_weights *w = NULL;
  spill_bacon *b = NULL;
  int rc = CLI_FAIL;
  memset(&a, 0, sizeof a);
  a.cmd = "bacon";
  for (int i = 1; i < argc; i++) {
    int c;
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(help, stdout);
      fputs("\nexample:\n"
            "  spill bacon --data castle.csv --id state --time year --y l_homicide --adopt adopt \\\n"
            "      --plot bacon.png --csv bacon.csv\n"
            "  spill bacon --data panel.csv --id city --time year --y lngdp --adopt pilot \\\n"
            "      --x lnpop,fdi*hc --years 2008-2019\n",
            stdout);
      return CLI_OK;
    }
    c = cli_did_parse(&a, argc, argv, &i);
    if (c < 0) return CLI_USAGE;
    if (!c) return cli_usage_error(a.cmd, "unknown option '%s'", argv[i]);
  }
  if (cli_did_check(&a, 0)) return CLI_USAGE;
  if (a.sdm) return cli_usage_error(a.cmd, "the decomposition is of the two-way FE DID; --model sdm does not apply");
  ctx = cli_ctx_new();
  a.w = NULL;
  if ((rc = cli_did_load(ctx, &a, NULL, &p, &w))) goto done;
  if (!(b = spill_bacon_compute(ctx, p))) {
    rc = cli_fail(ctx);
    goto done;
  }
  if ((rc = cli_did_outputs(ctx, &a, b, (cli_did_printer)spill_bacon_print, (cli_did_saver)spill_bacon_save)))
    goto done;
  if (a.plot && spill_bacon_plot(ctx, b, a.plot, a.title)) {
    rc = cli_fail(ctx);
    goto done;
  }
  rc = CLI_OK;
done:
  spill_bacon_free(b);
  spill_panel_free(p);
  spill_weights_free(w);
  cli_did_free(&a);
  cli_ctx_free(ctx);
  return rc;
}
