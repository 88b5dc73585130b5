/* The spill pipeline through the public header only:
 * map -> queen contiguity W -> simulated staggered pilot panel -> SDM-DID with
 * city and year effects -> direct, indirect and total effects of the pilot.
 *
 * usage: example_pipeline [MAP.shp [ID_FIELD]]
 * Without arguments a generated network of 200 cities is used.
 */
#include <stdio.h>
#include <stdlib.h>
#include "spill.h"

static int fail(spill_ctx *ctx)
{
  fprintf(stderr, "example: %s\n", spill_ctx_error(ctx));
  return 1;
}

int main(int argc, char **argv)
{
  const char *map = argc > 1 ? argv[1] : "example_network.shp";
  spill_read_opts ro = {argc > 2 ? argv[2] : "id", 0, 0, 0};
  spill_contig_opts co = {0};
  spill_sim_opts so;
  spill_fit_opts fo;
  spill_effects_opts eo;
  spill_ctx *ctx = spill_ctx_new();
  spill_layer *layer = NULL;
  spill_weights *w = NULL;
  spill_panel *panel = NULL;
  spill_fit *fit = NULL;
  spill_effects *eff = NULL;
  int rc = 1;
  if (!ctx) return 1;

  if (argc < 2 && spill_voronoi_network(ctx, 200, 1, map)) goto done;
  if (!(layer = spill_layer_read(ctx, map, &ro))) goto done;
  if (!(w = spill_weights_contiguity(ctx, layer, &co))) goto done;
  if (spill_weights_transform(ctx, w, SPILL_STYLE_W)) goto done;

  spill_sim_opts_init(&so); /* 2011-2022, pilots in 2013, 2014, 2017 */
  if (!(panel = spill_simulate_did(ctx, w, &so, NULL))) goto done;

  spill_fit_opts_init(&fo); /* SDM, two-way fixed effects */
  if (!(fit = spill_fit_model(ctx, panel, w, &fo))) goto done;
  if (spill_fit_write(ctx, fit, stdout, SPILL_TABLE_TEXT)) goto done;

  spill_effects_opts_init(&eo); /* 1000 draws */
  if (!(eff = spill_effects_compute(ctx, fit, w, NULL, &eo))) goto done;
  if (spill_effects_print(ctx, eff, stdout, SPILL_TABLE_TEXT)) goto done;
  printf("true pilot effects: beta %.3f, theta %.3f, rho %.2f\n", so.beta, so.theta, so.rho);
  rc = 0;
done:
  if (rc) fail(ctx);
  spill_effects_free(eff);
  spill_fit_free(fit);
  spill_panel_free(panel);
  spill_weights_free(w);
  spill_layer_free(layer);
  spill_ctx_free(ctx);
  return rc;
}
