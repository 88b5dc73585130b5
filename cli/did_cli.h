/* Options and loading shared by the DID diagnostics commands (eventstudy,
 * placebo, bacon, fit --by): the panel, W, the model and the outputs. */
#ifndef SPILL_CLI_DID_H
#define SPILL_CLI_DID_H

#include "cli.h"

typedef struct cli_did_args {
  const char *cmd;
  const char *data, *id, *time, *y, *treat, *adopt, *x, *w, *style;
  const char *json, *csv, *latex, *plot, *title;
  const char *years; /* --years FROM-TO, or NULL */
  int drop_incomplete, show_help, format, sdm, logdet;
  char **xcols;
} cli_did_args;

/* Consume argv[*i] (and its value) when it is a shared option: returns 1
 * consumed, 0 not ours, -1 usage error (printed). */
int cli_did_parse(cli_did_args *a, int argc, char **argv, int *i);
/* After parsing: the required options present (need_w: --w required for
 * the SDM). Returns 0 or -1 (printed). */
int cli_did_check(cli_did_args *a, int need_w);
/* Load the panel (extra: one more column read as a control, or NULL) and,
 * when a->w, the weights (aligned). Returns 0 or an exit status. */
int cli_did_load(spill_ctx *ctx, cli_did_args *a, const char *extra, spill_panel **p, spill_weights **w);
void cli_did_free(cli_did_args *a);
/* Help lines for the shared options. */
extern const char cli_did_help[];

/* Write a table with save(ctx, obj, path, fmt) to --json/--csv/--latex and
 * print it to stdout in --format. */
typedef int (*cli_did_saver)(spill_ctx *ctx, const void *obj, const char *path, spill_table_fmt fmt);
typedef int (*cli_did_printer)(spill_ctx *ctx, const void *obj, FILE *out, spill_table_fmt fmt);
int cli_did_outputs(spill_ctx *ctx, const cli_did_args *a, const void *obj, cli_did_printer print,
                    cli_did_saver save);

/* spill fit --by (cli/fit_by.c): cmd_fit hands over when --by is given. */
int cli_fit_has_by(int argc, char **argv);
int cmd_fit_by(int argc, char **argv);

#endif
