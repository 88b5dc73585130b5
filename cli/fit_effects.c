/* spill fit: the effects table, per-city effects and several W side by side.
 * Called from cli/fit.c (see fit_effects.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "fit_effects.h"
#include "files.h"

const char cli_effects_help[] =
    "effects (LeSage-Pace direct, indirect and total, per period):\n"
    "  --draws N           simulation draws for the effects' SEs and intervals\n"
    "                      (default 1000; 0: delta-method SEs only)\n"
    "  --seed S            seed of the draws and of the Monte Carlo traces (default 1)\n"
    "  --effects-method M  auto (default: eigenvalues up to n = 1500, else\n"
    "                      Monte Carlo traces), eigen or mc\n"
    "  --effects-out FILE  also write the effects table (.txt .csv .tex .json)\n"
    "  --no-effects        skip the effects\n"
    "  --city-effects FILE.csv|FILE.dta\n"
    "                      per-city effects of the treatment: own, received from\n"
    "                      other pilots, sent to others, total, with intervals\n"
    "  --at YEAR           period of the pilot set for --city-effects (default: last)\n"
    "several weight matrices (the seeds' Table 8):\n"
    "  --w FILE            repeat to fit once per W; one column per W\n"
    "  --w-name NAME       column titles, in the order of --w (default: file names)\n"
    "  --effects-of NAME   regressor shown in the table (default: the treatment)\n"
    "  --table-out FILE    also write the table (.txt .csv .tex (booktabs) .json)\n"
    "\n"
    "examples:\n"
    "  spill fit --data panel.csv --id city --time year --y lgdp --adopt pilot_year \\\n"
    "      --x lpop,lfdi --w queen.gal --draws 2000 --seed 7 \\\n"
    "      --city-effects city_effects.csv --at 2017\n"
    "  spill fit --data panel.csv --id city --time year --y lgdp --adopt pilot_year \\\n"
    "      --w queen.gal --w-name Queen --w knn5.gwt --w-name kNN-5 \\\n"
    "      --w econ.mtx --w-name Economic --table-out table8.tex\n";

void cli_effects_args_init(cli_effects_args *a)
{
  memset(a, 0, sizeof *a);
  spill_effects_opts_init(&a->opts);
}

int cli_table_fmt_from_path(const char *path)
{
  const char *dot = strrchr(path, '.');
  if (!dot) return -1;
  if (!strcmp(dot, ".txt") || !strcmp(dot, ".text")) return SPILL_TABLE_TEXT;
  if (!strcmp(dot, ".csv")) return SPILL_TABLE_CSV;
  if (!strcmp(dot, ".tex")) return SPILL_TABLE_LATEX;
  if (!strcmp(dot, ".json")) return SPILL_TABLE_JSON;
  return -1;
}

int cli_effects_add_w(const char *cmd, cli_effects_args *a, const char *path)
{
  if (a->n_w >= CLI_MAX_W) {
    cli_usage_error(cmd, "at most %d --w", CLI_MAX_W);
    return -1;
  }
  a->w_paths[a->n_w++] = path;
  return 0;
}

static int known_ext(const char *cmd, const char *opt, const char *path)
{
  if (cli_table_fmt_from_path(path) >= 0) return 0;
  cli_usage_error(cmd, "%s: cannot tell the format of '%s': use .txt, .csv, .tex or .json", opt, path);
  return -1;
}

int cli_effects_parse(const char *cmd, int argc, char **argv, int *i, cli_effects_args *a)
{
  const char *arg = argv[*i], *val;
  long v;
  static const char *with_value[] = {"--draws", "--seed", "--effects-method", "--city-effects",
                                     "--at", "--effects-out", "--table-out", "--w-name",
                                     "--effects-of"};
  int known = 0;
  if (!strcmp(arg, "--no-effects")) {
    a->no_effects = 1;
    return 1;
  }
  for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
    if (!strcmp(arg, with_value[k])) known = 1;
  if (!known) return 0;
  if (*i + 1 >= argc) {
    cli_usage_error(cmd, "%s needs a value", arg);
    return -1;
  }
  val = argv[++*i];
  if (!strcmp(arg, "--draws")) {
    if (cli_parse_long(cmd, arg, val, &v)) return -1;
    if (v < 0 || v > 1000000) {
      cli_usage_error(cmd, "--draws must be between 0 and 1000000, got %ld", v);
      return -1;
    }
    a->opts.draws = (int)v;
  } else if (!strcmp(arg, "--seed")) {
    char *end;
    errno = 0;
    a->opts.seed = strtoull(val, &end, 10);
    if (errno || end == val || *end || val[0] == '-') {
      cli_usage_error(cmd, "--seed expects a whole number >= 0, got '%s'", val);
      return -1;
    }
  } else if (!strcmp(arg, "--effects-method")) {
    if (!strcmp(val, "auto")) a->opts.method = SPILL_TRACE_AUTO;
    else if (!strcmp(val, "eigen")) a->opts.method = SPILL_TRACE_EIGEN;
    else if (!strcmp(val, "mc")) a->opts.method = SPILL_TRACE_MC;
    else {
      cli_usage_error(cmd, "--effects-method expects auto, eigen or mc, got '%s'", val);
      return -1;
    }
  } else if (!strcmp(arg, "--city-effects")) {
    a->city_csv = val;
  } else if (!strcmp(arg, "--at")) {
    if (cli_parse_long(cmd, arg, val, &a->at)) return -1;
    a->has_at = 1;
  } else if (!strcmp(arg, "--effects-out")) {
    if (known_ext(cmd, arg, val)) return -1;
    a->effects_out = val;
  } else if (!strcmp(arg, "--table-out")) {
    if (known_ext(cmd, arg, val)) return -1;
    a->table_out = val;
  } else if (!strcmp(arg, "--effects-of")) {
    a->regressor = val;
  } else { /* --w-name */
    if (a->n_names >= CLI_MAX_W) {
      cli_usage_error(cmd, "at most %d --w-name", CLI_MAX_W);
      return -1;
    }
    a->w_names[a->n_names++] = val;
  }
  return 1;
}

int cli_effects_check(const char *cmd, const cli_effects_args *a)
{
  if (a->n_names > a->n_w)
    return cli_usage_error(cmd, "%zu --w-name for %zu --w: give one name per weight matrix",
                           a->n_names, a->n_w);
  if (a->n_w > 1 && a->city_csv)
    return cli_usage_error(cmd, "--city-effects needs a single --w (got %zu)", a->n_w);
  if (a->n_w > 1 && a->no_effects)
    return cli_usage_error(cmd, "several --w make a table of effects: drop --no-effects");
  if (a->has_at && !a->city_csv)
    return cli_usage_error(cmd, "--at chooses the period of --city-effects: give --city-effects too");
  if (a->no_effects && (a->city_csv || a->effects_out))
    return cli_usage_error(cmd, "--no-effects cannot be combined with --city-effects or --effects-out");
  if (a->table_out && a->n_w < 2)
    return cli_usage_error(cmd, "--table-out writes the several-W table: give two or more --w "
                           "(use --effects-out for one)");
  return CLI_OK;
}

static int city_effects(spill_ctx *ctx, const spill_fit *fit, const spill_weights *w,
                        const spill_panel *panel, const cli_effects_args *a, FILE *out)
{
  spill_city_effects *c;
  int64_t at = a->has_at ? (int64_t)a->at : INT64_MIN;
  double own = 0.0, rec = 0.0;
  int64_t pilots = 0;
  if (!panel) {
    fprintf(stderr, "spill: --city-effects needs the panel\n");
    return CLI_FAIL;
  }
  c = spill_city_effects_from_panel(ctx, fit, w, panel, at, &a->opts);
  if (!c) return cli_fail(ctx);
  {
    size_t len = strlen(a->city_csv);
    int dta = len > 4 && !strcmp(a->city_csv + len - 4, ".dta");
    if (dta ? spill_city_effects_write_dta(ctx, c, a->city_csv) : spill_city_effects_write_csv(ctx, c, a->city_csv)) {
      spill_city_effects_free(c);
      return cli_fail(ctx);
    }
  }
  for (int64_t i = 0; i < c->n; i++) {
    own += c->own[i];
    rec += c->received[i];
    pilots += c->pilot[i] != 0.0;
  }
  fprintf(out, "City effects of %s in %lld: %lld pilot%s of %lld units; summed over cities: own %.6g, "
          "received %.6g, total %.6g (= N x average total effect of the pilot set)\n",
          c->name, (long long)c->period, (long long)pilots, pilots == 1 ? "" : "s", (long long)c->n,
          own, rec, c->sum_total);
  fprintf(out, "Written: %s\n", a->city_csv);
  spill_city_effects_free(c);
  return CLI_OK;
}

int cli_fit_effects(spill_ctx *ctx, const spill_fit *fit, const spill_weights *w,
                    const spill_panel *panel, const cli_effects_args *a, spill_table_fmt fmt,
                    FILE *out, spill_effects **keep)
{
  spill_effects *e;
  int status = CLI_OK;
  if (keep) *keep = NULL;
  if (a->no_effects) return CLI_OK;
  /* a non-spatial model has no spillover to decompose: direct = beta */
  if (fit->model == SPILL_MODEL_OLS) {
    if (a->city_csv || a->effects_out) {
      fprintf(stderr, "spill: --model ols has no spatial terms, so no effects to write; "
                      "use sdm, sar or slx\n");
      return CLI_USAGE;
    }
    return CLI_OK;
  }
  e = spill_effects_compute(ctx, fit, w, NULL, &a->opts);
  if (!e) return cli_fail(ctx);
  if (fmt != SPILL_TABLE_JSON) {
    if (spill_effects_print(ctx, e, out, fmt)) status = cli_fail(ctx);
  }
  if (status == CLI_OK && a->effects_out) {
    if (spill_effects_save(ctx, e, a->effects_out, (spill_table_fmt)cli_table_fmt_from_path(a->effects_out)))
      status = cli_fail(ctx);
    else
      fprintf(fmt == SPILL_TABLE_TEXT ? out : stderr, "Written: %s\n", a->effects_out);
  }
  if (status == CLI_OK && a->city_csv)
    status = city_effects(ctx, fit, w, panel, a, fmt == SPILL_TABLE_TEXT ? out : stderr);
  if (keep && status == CLI_OK) *keep = e;
  else spill_effects_free(e);
  return status;
}

int cli_fit_write_json(spill_ctx *ctx, const spill_fit *fit, const spill_effects *e, FILE *out)
{
  return spill_fit_write_json_effects(ctx, fit, e, out) ? cli_fail(ctx) : CLI_OK;
}

/* "dir/queen.gal" -> "queen" into buf. */
static void base_name(const char *path, char *buf, size_t size)
{
  const char *s = strrchr(path, '/'), *dot;
  size_t len;
  s = s ? s + 1 : path;
  dot = strrchr(s, '.');
  len = dot && dot != s ? (size_t)(dot - s) : strlen(s);
  if (len >= size) len = size - 1;
  memcpy(buf, s, len);
  buf[len] = '\0';
}

int cli_fit_multi(spill_ctx *ctx, spill_panel *panel, const spill_wmatch_opts *mopts,
                  const spill_fit_opts *fopts, const cli_effects_args *a, spill_table_fmt fmt,
                  FILE *out)
{
  spill_multiw *r = spill_multiw_new(ctx);
  int status = CLI_OK;
  unsigned char *all = malloc((size_t)panel->n);
  if (!r || !all) {
    spill_multiw_free(r);
    free(all);
    fputs("spill: out of memory\n", stderr);
    return CLI_FAIL;
  }
  memset(all, 1, (size_t)panel->n);
  for (size_t k = 0; k < a->n_w && status == CLI_OK; k++) {
    spill_weights *w = NULL, *raw = NULL;
    spill_panel *p = NULL;
    spill_fit *fit = NULL;
    spill_effects *e = NULL;
    char name[256];
    if (k < a->n_names) snprintf(name, sizeof name, "%s", a->w_names[k]);
    else base_name(a->w_paths[k], name, sizeof name);
    /* each W is matched to its own copy of the sample (W follows the sample) */
    raw = cli_files_read_w(ctx, a->w_paths[k], SPILL_WFMT_AUTO, a->files);
    if (!raw) status = cli_fail(ctx);
    else if (!(p = spill_panel_subset_units(ctx, panel, all))) status = cli_fail(ctx);
    else if (spill_panel_match_weights(ctx, p, raw, mopts, &w, NULL)) status = cli_fail(ctx);
    else if (!(fit = spill_fit_model(ctx, p, w, fopts))) status = cli_fail(ctx);
    else if (!(e = spill_effects_compute(ctx, fit, w, NULL, &a->opts))) status = cli_fail(ctx);
    else if (spill_multiw_add(ctx, r, name, fit, e, a->regressor)) status = cli_fail(ctx);
    if (status != CLI_OK && raw) fprintf(stderr, "spill: (that was with W %zu of %zu, %s)\n", k + 1, a->n_w, a->w_paths[k]);
    spill_effects_free(e);
    spill_fit_free(fit);
    spill_weights_free(w);
    spill_weights_free(raw);
    spill_panel_free(p);
  }
  free(all);
  if (status == CLI_OK) {
    if (spill_multiw_print(ctx, r, out, fmt)) status = cli_fail(ctx);
    else if (fmt == SPILL_TABLE_JSON) fputc('\n', out);
  }
  if (status == CLI_OK && a->table_out) {
    if (spill_multiw_save(ctx, r, a->table_out, (spill_table_fmt)cli_table_fmt_from_path(a->table_out)))
      status = cli_fail(ctx);
    else
      fprintf(fmt == SPILL_TABLE_TEXT ? out : stderr, "Written: %s\n", a->table_out);
  }
  spill_multiw_free(r);
  return status;
}
