/* Fuzz the shapefile reader: .shp, .shx, .dbf, .prj and .cpg together (the
 * input is split into five parts, see fuzz_split), read with and without an
 * id field, whole or vertices only, then centroids and queen contiguity of
 * what was read. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char *names[] = {"m.shp", "m.shx", "m.dbf", "m.prj", "m.cpg"};
  const uint8_t *part[5];
  size_t len[5];
  if (size < 1) return 0;
  int flags = data[0];
  fuzz_split(data + 1, size - 1, 5, part, len);
  const char *shp = NULL;
  for (int k = 0; k < 5; k++) {
    const char *p = fuzz_file(k, names[k], part[k], len[k]);
    if (k == 0) shp = p;
    if (k >= 3 && len[k] == 0) remove(p); /* .prj and .cpg are optional */
  }
  spill_ctx *ctx = fuzz_ctx();
  /* bit 3: the vertices-only read of `spill weights` (the raw .shp parser of
   * shapes/shpraw.c), bit 4 with it: only the id attribute */
  spill_read_opts ro = {.id_field = flags & 1 ? "id" : NULL, .skip_null = flags >> 1 & 1,
                        .no_repair = flags >> 2 & 1, .vertices_only = flags >> 3 & 1,
                        .ids_only = flags >> 3 & flags >> 4 & 1};
  spill_layer *layer = spill_layer_read(ctx, shp, &ro);
  if (layer) {
    size_t n = spill_layer_count(layer);
    double *x = malloc((n ? n : 1) * sizeof *x), *y = malloc((n ? n : 1) * sizeof *y);
    if (x && y) spill_layer_centroids(ctx, layer, x, y);
    free(x);
    free(y);
    spill_contig_opts co = {0};
    spill_weights_free(spill_weights_contiguity(ctx, layer, &co));
  }
  spill_layer_free(layer);
  return 0;
}
