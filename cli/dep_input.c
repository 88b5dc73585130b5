/* Input of the spatial dependence commands: W and the variable in W's order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dep_input.h"

const char dep_input_help[] =
    "input (a panel CSV or a map):\n"
    "  --data FILE         long-format CSV, one row per unit and period, with\n"
    "  --id COL --time COL   the unit id and period columns\n"
    "  --map MAP.shp       or a map: the variable is a numeric DBF field\n"
    "  --map-id FIELD      the map's id field (default: record number 1..n, as GAL files)\n"
    "  --var COL           the variable (CSV column or DBF field; also --y, --field)\n"
    "  --w FILE            weights (.gal .gwt .mtx .csv), matched to the ids, or\n"
    "  --contiguity queen|rook  build them from --map\n"
    "  --style S           W (default: row-standardise), B, C, U, S, M, or G (as read)\n"
    "  --drop-incomplete   drop units with missing periods\n"
    "  --years FROM-TO     --data: keep the periods FROM to TO (inclusive; rows outside are\n"
    "                      ignored)\n";

int dep_input_option(const char *cmd, int argc, char **argv, int *i, dep_input *in)
{
  const char *o = argv[*i], **slot = NULL;
  if (!strcmp(o, "--drop-incomplete")) {
    in->drop_incomplete = 1;
    return 1;
  }
  if (!strcmp(o, "--w")) slot = &in->w_path;
  else if (!strcmp(o, "--style")) slot = &in->style;
  else if (!strcmp(o, "--contiguity")) slot = &in->contiguity;
  else if (!strcmp(o, "--map")) slot = &in->map;
  else if (!strcmp(o, "--field") || !strcmp(o, "--var") || !strcmp(o, "--y")) slot = &in->var;
  else if (!strcmp(o, "--map-id")) slot = &in->map_id;
  else if (!strcmp(o, "--data")) slot = &in->data;
  else if (!strcmp(o, "--id")) slot = &in->id;
  else if (!strcmp(o, "--time")) slot = &in->time;
  else if (!strcmp(o, "--x")) slot = &in->x;
  else if (!strcmp(o, "--treat")) slot = &in->treat;
  else if (!strcmp(o, "--adopt")) slot = &in->adopt;
  else if (!strcmp(o, "--years")) slot = &in->years;
  else return 0;
  if (*i + 1 >= argc) return cli_usage_error(cmd, "%s needs a value", o), -1;
  *slot = argv[++*i];
  return 1;
}

int dep_input_check(const char *cmd, const dep_input *in, int need_map)
{
  if (!in->var) return cli_usage_error(cmd, "--var (the variable) is required"), -1;
  if (!in->data == !in->map && !(need_map && in->map))
    return cli_usage_error(cmd, "give --data PANEL.csv or --map MAP.shp"), -1;
  if (need_map && !in->map) return cli_usage_error(cmd, "--map MAP.shp is required for the map and shapefile outputs"), -1;
  if (in->data && (!in->id || !in->time)) return cli_usage_error(cmd, "--data needs --id and --time"), -1;
  if (!in->w_path == !in->contiguity) return cli_usage_error(cmd, "give --w FILE or --contiguity queen|rook"), -1;
  if (in->contiguity && !in->map) return cli_usage_error(cmd, "--contiguity builds W from --map: give --map"), -1;
  if (in->contiguity && strcmp(in->contiguity, "queen") && strcmp(in->contiguity, "rook"))
    return cli_usage_error(cmd, "--contiguity is queen or rook, not '%s'", in->contiguity), -1;
  if (in->style && (strlen(in->style) != 1 || !strchr("BWCUSMG", in->style[0])))
    return cli_usage_error(cmd, "--style is one of B, W, C, U, S, M, G"), -1;
  if (in->treat && in->adopt) return cli_usage_error(cmd, "give --treat or --adopt, not both"), -1;
  if (in->years) {
    long from, to;
    if (!in->data) return cli_usage_error(cmd, "--years needs --data (a map has no periods)"), -1;
    if (cli_parse_years(cmd, in->years, &from, &to)) return -1;
  }
  return 0;
}

void dep_loaded_free(dep_loaded *d)
{
  spill_weights_free(d->w);
  spill_layer_free(d->layer);
  spill_panel_free(d->p);
  memset(d, 0, sizeof *d);
}

/* The map's numeric field into column dst (W order); fails naming a unit
 * without a value. */
static int map_column(spill_ctx *ctx, const spill_layer *L, const spill_weights *w, const int64_t *unit,
                      const char *field, double *dst)
{
  long f = spill_layer_field_index(L, field);
  if (f < 0) {
    char list[512] = "";
    for (size_t k = 0; k < spill_layer_nfields(L) && strlen(list) < 400; k++) {
      strcat(list, k ? ", " : "");
      strncat(list, spill_layer_field_name(L, k), 40);
    }
    spill_ctx_clear_error(ctx);
    fprintf(stderr, "spill: the map has no field '%s' (fields: %s)\n", field, list);
    return -1;
  }
  for (int64_t i = 0; i < w->n; i++) {
    dst[i] = spill_layer_attr_number(L, (size_t)unit[i], (size_t)f);
    if (!isfinite(dst[i])) {
      fprintf(stderr, "spill: unit '%s': field %s is empty or not a number\n", w->ids[i], field);
      return -1;
    }
  }
  return 0;
}

static int load_map_panel(spill_ctx *ctx, const dep_input *in, dep_loaded *o)
{
  int64_t n = o->w->n, *unit = NULL;
  size_t nl = spill_layer_count(o->layer), nx = 0, nt = 0, nf = spill_layer_nfields(o->layer);
  const char *const *lid = spill_layer_ids(o->layer);
  const char **fields = NULL;
  char **xs = NULL;
  spill_xterm *terms = NULL;
  double *tmp = NULL;
  int rc = -1;
  if (in->x && !(xs = cli_split_list(in->x, &nx))) return -1;
  /* interaction terms over the DBF fields (estimation/interact.c) */
  if (!(fields = malloc((nf + 1) * sizeof *fields)) || !(tmp = malloc(((size_t)n + 1) * sizeof *tmp))) {
    fputs("spill: out of memory\n", stderr);
    goto done;
  }
  for (size_t k = 0; k < nf; k++) fields[k] = spill_layer_field_name(o->layer, k);
  if (nx && spill_xterms_expand(ctx, "--x", in->map, (const char *const *)xs, nx, fields, nf, &terms, &nt)) {
    cli_fail(ctx);
    goto done;
  }
  if ((size_t)n != nl) {
    fprintf(stderr, "spill: W has %lld units but the map has %zu: they must be the same units (--map-id?)\n",
            (long long)n, nl);
    goto done;
  }
  unit = malloc((size_t)n * sizeof *unit);
  if (!unit) goto done;
  for (int64_t i = 0; i < n; i++) unit[i] = -1;
  for (size_t u = 0; u < nl; u++) {
    int64_t k = spill_weights_find(o->w, lid[u]);
    if (k < 0) {
      fprintf(stderr, "spill: map unit '%s' is not in W (W's ids are e.g. '%s'; set --map-id to the map's id field)\n",
              lid[u], o->w->ids[0]);
      goto done;
    }
    unit[k] = (int64_t)u;
  }
  if (!(o->p = spill_panel_new(ctx, n, 1, (const char *const *)o->w->ids, NULL, nt, 0))) {
    cli_fail(ctx);
    goto done;
  }
  free(o->p->y_name);
  o->p->y_name = strdup(in->var);
  if (map_column(ctx, o->layer, o->w, unit, in->var, o->p->y)) goto done;
  for (size_t k = 0; k < nt; k++) {
    double *dst = o->p->x + k * (size_t)n;
    free(o->p->x_names[k]);
    if (!(o->p->x_names[k] = strdup(terms[k].name))) goto done;
    if (map_column(ctx, o->layer, o->w, unit, fields[terms[k].col[0]], dst)) goto done;
    for (size_t f = 1; f < terms[k].nf; f++) {
      if (map_column(ctx, o->layer, o->w, unit, fields[terms[k].col[f]], tmp)) goto done;
      for (int64_t i = 0; i < n; i++) dst[i] *= tmp[i];
    }
  }
  rc = 0;
done:
  free(unit);
  free(fields);
  free(tmp);
  spill_xterms_free(terms, nt);
  cli_free_list(xs);
  return rc;
}

int dep_load(spill_ctx *ctx, const dep_input *in, dep_loaded *o)
{
  char style = in->style ? in->style[0] : 'W';
  memset(o, 0, sizeof *o);
  if (in->map) {
    spill_read_opts ro = {.id_field = in->map_id};
    if (!(o->layer = spill_layer_read(ctx, in->map, &ro))) return cli_fail(ctx);
  }
  if (in->contiguity) {
    spill_contig_opts co = {0};
    co.rook = !strcmp(in->contiguity, "rook");
    o->w = spill_weights_contiguity(ctx, o->layer, &co);
  } else {
    o->w = spill_weights_read(ctx, in->w_path, SPILL_WFMT_AUTO);
  }
  if (!o->w || (style != 'G' && spill_weights_transform(ctx, o->w, style))) return cli_fail(ctx);
  if (in->data) {
    size_t nx = 0;
    char **xs = NULL;
    spill_panel_spec spec;
    if (in->x && !(xs = cli_split_list(in->x, &nx))) return CLI_FAIL;
    long from = 0, to = 0;
    spec = (spill_panel_spec){in->id, in->time, in->var, in->treat, in->adopt, (const char *const *)xs, nx,
                              in->drop_incomplete};
    if (in->years) cli_parse_years("dep", in->years, &from, &to); /* checked by dep_input_check */
    o->p = cli_read_panel(ctx, in->data, &spec, NULL, "--x", in->years, from, to);
    cli_free_list(xs);
    if (!o->p || spill_panel_align(ctx, o->p, o->w)) return cli_fail(ctx);
    return CLI_OK;
  }
  return load_map_panel(ctx, in, o) ? CLI_FAIL : CLI_OK;
}
