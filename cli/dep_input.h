/* Input shared by spill moran, lisa and diagnose: W (a file, or contiguity
 * built from the map), and the variable from a panel CSV or a map's DBF,
 * delivered as a panel in W's unit order (t = 1 for a map). */
#ifndef SPILL_CLI_DEP_INPUT_H
#define SPILL_CLI_DEP_INPUT_H

#include "cli.h"

typedef struct dep_input {
  const char *w_path, *style, *contiguity;   /* --w, --style, --contiguity queen|rook */
  const char *map, *field, *map_id;          /* --map, --field (or --var), --map-id */
  const char *data, *id, *time, *var, *x;    /* --data, --id, --time, --var|--y, --x */
  const char *treat, *adopt;                 /* --treat, --adopt (diagnose) */
  const char *years;                         /* --years FROM-TO (with --data) */
  int drop_incomplete;
} dep_input;

/* Try argv[*i] as an input option: 1 consumed (and *i advanced past its
 * value), 0 not an input option, -1 usage error printed. */
int dep_input_option(const char *cmd, int argc, char **argv, int *i, dep_input *in);
/* Check the combination; -1 with a usage error printed. */
int dep_input_check(const char *cmd, const dep_input *in, int need_map);

typedef struct dep_loaded {
  spill_weights *w;
  spill_layer *layer; /* with --map, else NULL */
  spill_panel *p;     /* y = the variable, x = --x, in W's unit order */
} dep_loaded;
/* Load everything (errors in ctx). */
int dep_load(spill_ctx *ctx, const dep_input *in, dep_loaded *out);
void dep_loaded_free(dep_loaded *d);

extern const char dep_input_help[];

#endif
