/* Private to shapes/: what map drawing (map.c), projection (project.c),
 * value matching (values.c) and shapefile writing (write.c) share. */
#ifndef SPILL_MAPS_H
#define SPILL_MAPS_H

#include <stddef.h>
#include <shapefil.h>
#include "core/internal.h"
#include "core/table.h"
#include "shapes/layer.h"

/* ---- project.c: the CRS a map is drawn in ---- */
typedef struct spill__map_crs {
  PJ *pj;          /* layer CRS -> drawing CRS (x east, y north), or NULL:
                      coordinates drawn as they are */
  double unit_m;   /* metres per drawing unit; 0 unknown (no scale bar) */
  char desc[160];  /* for the caption and stats */
  char note[96];   /* why unit_m is 0, or "" */
} spill__map_crs;

/* Choose the drawing CRS of layer: crs (PROJ string, EPSG:code, WKT) when
 * given; else geographic layers in an equal-area projection chosen from the
 * extent (Equal Earth for the globe, Albers conic with standard parallels
 * at 1/6 and 5/6 of the latitude range, Lambert azimuthal near the
 * equator), projected layers as they are. Clear with spill__map_crs_clear. */
int spill__map_crs_choose(spill_ctx *ctx, const spill_layer *layer, const char *crs,
                          spill__map_crs *out);
void spill__map_crs_clear(spill__map_crs *c);
/* Transform n points in place; points that fail become HUGE_VAL. */
void spill__map_crs_apply(const spill__map_crs *c, double *x, double *y, size_t n);

/* ---- values.c: CSV rows matched to layer units ---- */
/* unit_row[i] receives the CSV row of unit i or (size_t)-1; *id_col the
 * CSV id column used. Errors as spill_layer_values_csv documents. */
int spill__match_rows(spill_ctx *ctx, const spill_layer *layer, const spill__table *t,
                      const char *id_col, int allow_unmatched, size_t *unit_row, long *id_col_out,
                      spill_match_report *rep);

/* ---- write.c: shapefile sets written under temporary names ---- */
/* path without its extension / base + "." + ext (malloc'ed). */
char *spill__strip_ext(spill_ctx *ctx, const char *path);
char *spill__with_ext(spill_ctx *ctx, const char *base, const char *ext);
/* Rename tbase.{shp,shx,dbf,prj,cpg} to obase.*; an absent .prj/.cpg
 * removes a stale one at obase. */
int spill__shp_commit(spill_ctx *ctx, const char *tbase, const char *obase);
/* shapelib I/O hooks that stay silent (the library never prints); errors
 * are detected from return values. */
void spill__shp_hooks(SAHooks *hooks);
/* ---- write_geojson.c: join output as GeoJSON ---- */
/* The layer's units, attributes and cols as a GeoJSON FeatureCollection
 * at out (written atomically); rep as spill_layer_write_fields fills it. */
int spill__write_geojson(spill_ctx *ctx, const spill_layer *L, size_t ncols, const spill_field_column *cols,
                         const char *out, spill_write_report *rep);

/* Remove whatever tbase.{shp,shx,dbf,prj,cpg} exist. */
void spill__shp_abort(spill_ctx *ctx, const char *tbase);

#endif
