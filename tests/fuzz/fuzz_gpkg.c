/* Fuzz the GeoPackage map reader (spill_layer_read on a .gpkg: SQLite bytes), with and
 * without an id property, then centroids and queen contiguity of what was read. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1) return 0;
  int flags = data[0];
  const char *path = fuzz_file(0, "m.gpkg", data + 1, size - 1);
  spill_ctx *ctx = fuzz_ctx();
  spill_read_opts ro = {.id_field = flags & 1 ? "id" : NULL, .skip_null = flags >> 1 & 1,
                        .no_repair = flags >> 2 & 1};
  spill_layer *layer = spill_layer_read(ctx, path, &ro);
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
