/* Panels as every command reads them: interaction terms in the regressor
 * list expanded (estimation/interact.c) and the --years window applied
 * before the balanced-panel rules (estimation/panel_years.c). */
#include <stdlib.h>
#include "cli.h"

int cli_parse_years(const char *cmd, const char *v, long *from, long *to)
{
  char *end = NULL;
  if (!v) return cli_usage_error(cmd, "--years needs FROM-TO (e.g. 2005-2015)"), -1;
  *from = strtol(v, &end, 10);
  if (end == v || *end != '-' || (*to = strtol(end + 1, &end, 10), *end) || *from > *to)
    return cli_usage_error(cmd, "--years '%s': expected FROM-TO with FROM <= TO (e.g. 2005-2015)", v), -1;
  return 0;
}

spill_panel *cli_read_panel(spill_ctx *ctx, const char *path, const spill_panel_spec *spec,
                            const spill_text_opts *text, const char *opt, const char *years, long from,
                            long to)
{
  spill_ctx_set_x_terms(ctx, opt);
  if (years) return spill_panel_read_years(ctx, path, spec, text, from, to);
  return spill_panel_read(ctx, path, spec, text);
}
