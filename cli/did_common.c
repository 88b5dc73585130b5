/* Shared options of the DID diagnostics commands. */
#include <stdlib.h>
#include <string.h>
#include "did_cli.h"

/* Under AddressSanitizer: full stack unwinding at allocations, so the
 * cairo suppression in tests/lsan.supp (a buffer cairo keeps while
 * finishing SVG documents) can match; unused in other builds. */
#if defined(__SANITIZE_ADDRESS__)
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "fast_unwind_on_malloc=0"; }
#endif

const char cli_did_help[] =
    "data:\n"
    "  --data FILE         long-format CSV: one row per unit and period (balanced)\n"
    "  --id COL --time COL --y COL\n"
    "  --treat COL         0/1 treatment (staying on once adopted), or\n"
    "  --adopt COL         adoption year: treated from that year on; 0 or empty = never\n"
    "  --x A,B             controls; a*b adds a, b and their product a:b, a:b the product\n"
    "                      alone (e.g. --x lnpop,fdi*hc)\n"
    "  --drop-incomplete   drop units with missing periods\n"
    "  --years FROM-TO     keep the periods FROM to TO (inclusive; rows outside are ignored)\n"
    "  --w FILE            weights (.gal .gwt .mtx .csv), needed for --model sdm\n"
    "  --style S           W (default: row-standardise), B, C, U, S, M, or G (as read)\n"
    "model:\n"
    "  --model M           twfe (default: two-way FE OLS, cluster-robust SEs) or sdm\n"
    "  --logdet M          auto (default), eigen, chol, lu (SDM)\n"
    "output:\n"
    "  --json FILE         also --csv FILE, --latex FILE (written atomically)\n"
    "  --format F          the table printed: text (default), csv, latex, json\n"
    "  --plot FILE         the figure (.png, .svg or .pdf); --title TEXT above it\n";

int cli_did_parse(cli_did_args *a, int argc, char **argv, int *i)
{
  const char *o = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
  const char **slot = NULL;
  if (!strcmp(o, "--drop-incomplete")) {
    a->drop_incomplete = 1;
    return 1;
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
  else if (!strcmp(o, "--json")) slot = &a->json;
  else if (!strcmp(o, "--csv")) slot = &a->csv;
  else if (!strcmp(o, "--latex")) slot = &a->latex;
  else if (!strcmp(o, "--plot")) slot = &a->plot;
  else if (!strcmp(o, "--title")) slot = &a->title;
  else if (!strcmp(o, "--years")) slot = &a->years;
  else if (strcmp(o, "--model") && strcmp(o, "--format") && strcmp(o, "--logdet"))
    return 0;
  if (!v) return cli_usage_error(a->cmd, "%s needs a value", o), -1;
  (*i)++;
  if (slot) {
    *slot = v;
    return 1;
  }
  if (!strcmp(o, "--model")) {
    if (!strcmp(v, "twfe") || !strcmp(v, "ols")) a->sdm = 0;
    else if (!strcmp(v, "sdm")) a->sdm = 1;
    else return cli_usage_error(a->cmd, "unknown --model '%s' (twfe or sdm)", v), -1;
  } else if (!strcmp(o, "--format")) {
    static const char *f[] = {"text", "csv", "latex", "json"};
    int k;
    for (k = 0; k < 4 && strcmp(v, f[k]); k++) {}
    if (k == 4) return cli_usage_error(a->cmd, "unknown --format '%s' (text, csv, latex, json)", v), -1;
    a->format = k;
  } else {
    static const char *l[] = {"auto", "eigen", "chol", "lu"};
    int k;
    for (k = 0; k < 4 && strcmp(v, l[k]); k++) {}
    if (k == 4) return cli_usage_error(a->cmd, "unknown --logdet '%s'", v), -1;
    a->logdet = k;
  }
  return 1;
}

int cli_did_check(cli_did_args *a, int need_w)
{
  if (!a->data || !a->id || !a->time || !a->y)
    return cli_usage_error(a->cmd, "--data, --id, --time and --y are required"), -1;
  if (!a->treat && !a->adopt) return cli_usage_error(a->cmd, "give --treat or --adopt"), -1;
  if (a->treat && a->adopt) return cli_usage_error(a->cmd, "give --treat or --adopt, not both"), -1;
  if (need_w && a->sdm && !a->w) return cli_usage_error(a->cmd, "--model sdm needs --w"), -1;
  return 0;
}

int cli_did_load(spill_ctx *ctx, cli_did_args *a, const char *extra, spill_panel **p, spill_weights **w)
{
  size_t nx = 0;
  spill_panel_spec spec;
  *p = NULL;
  *w = NULL;
  if (a->x || extra) {
    size_t len = (a->x ? strlen(a->x) : 0) + (extra ? strlen(extra) : 0) + 2;
    char *s = malloc(len);
    if (!s) return fputs("spill: out of memory\n", stderr), CLI_FAIL;
    snprintf(s, len, "%s%s%s", a->x ? a->x : "", a->x && extra ? "," : "", extra ? extra : "");
    a->xcols = cli_split_list(s, &nx);
    free(s);
    if (!a->xcols) return fputs("spill: out of memory\n", stderr), CLI_FAIL;
  }
  spec = (spill_panel_spec){a->id, a->time, a->y, a->treat, a->adopt, (const char *const *)a->xcols, nx,
                            a->drop_incomplete};
  {
    long from = 0, to = 0;
    if (a->years && cli_parse_years(a->cmd, a->years, &from, &to)) return CLI_USAGE;
    /* the window first: a unit needs every period inside it only */
    if (!(*p = cli_read_panel(ctx, a->data, &spec, NULL, "--x", a->years, from, to))) return cli_fail(ctx);
  }
  if (a->w) {
    char s = a->style ? a->style[0] : 'W';
    if (!(*w = spill_weights_read(ctx, a->w, SPILL_WFMT_AUTO)) ||
        (s != 'G' && spill_weights_transform(ctx, *w, s)) || spill_panel_align(ctx, *p, *w))
      return cli_fail(ctx);
  }
  return CLI_OK;
}

void cli_did_free(cli_did_args *a)
{
  cli_free_list(a->xcols);
  a->xcols = NULL;
}

int cli_did_outputs(spill_ctx *ctx, const cli_did_args *a, const void *obj, cli_did_printer print,
                    cli_did_saver save)
{
  if (print(ctx, obj, stdout, (spill_table_fmt)a->format)) return cli_fail(ctx);
  if (a->format == SPILL_TABLE_JSON) fputc('\n', stdout);
  if (a->json && save(ctx, obj, a->json, SPILL_TABLE_JSON)) return cli_fail(ctx);
  if (a->csv && save(ctx, obj, a->csv, SPILL_TABLE_CSV)) return cli_fail(ctx);
  if (a->latex && save(ctx, obj, a->latex, SPILL_TABLE_LATEX)) return cli_fail(ctx);
  return CLI_OK;
}
