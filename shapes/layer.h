/* Private: the layer's contents, shared by shapes/ (reading, drawing,
 * writing) and spatial/ (contiguity). GEOS types are allowed here. */
#ifndef SPILL_LAYER_H
#define SPILL_LAYER_H

#include "core/internal.h"

enum { SPILL__SRC_SHP = 0, SPILL__SRC_GEOJSON = 1, SPILL__SRC_GPKG = 2 };

struct spill_layer {
  size_t n;                 /* units kept */
  spill_shape_kind kind;
  char **ids;               /* n unit ids (canonical text) */
  int64_t *records;         /* n 1-based shapefile record numbers */
  GEOSGeometry **geoms;     /* n geometries ((Multi)Polygon or Point), owned,
                               created with geos (below) */
  GEOSContextHandle_t geos; /* the GEOS handle the geometries belong to */
  int geographic;           /* 1: lon/lat degrees */
  int has_prj;
  double unit_m;            /* metres per unit (projected with .prj), else 0 */
  char *prj;                /* .prj WKT or NULL */
  char crs_name[128];
  size_t repaired, skipped;
  double bounds[4];         /* minx miny maxx maxy */
  size_t nfields;
  char **field_names;       /* nfields */
  char *field_types;        /* nfields: 'N' 'C' 'L' 'D' */
  int *field_widths, *field_decimals;
  char **cells;             /* n * nfields UTF-8 texts, row-major, owned */
  char *path;               /* the .shp (.geojson, .gpkg) path as given */
  char *cpg;                /* the .cpg text (encoding) or NULL */
  int source;               /* SPILL__SRC_SHP, _GEOJSON or _GPKG */
  char encoding[64];        /* the encoding attribute text was read in
                               ("UTF-8", "GBK", ...); cells are UTF-8 */
  /* Boundary vertices exactly as read (before any repair), for contiguity:
   * unit i's rings in file order, each closed, interleaved x,y at
   * vxy[2*vstart[i]] .. vxy[2*vstart[i+1]-1]. NULL when the layer was not
   * read from a file (contiguity then takes the GEOS coordinates). GeoJSON
   * and GeoPackage layers fill them from their geometries as read: per
   * polygon the exterior ring, then its holes. */
  int64_t *vstart;          /* n+1 */
  double *vxy;
};

/* SPILL_EINVAL naming what needs them when L was read for its vertices only
 * (spill_read_opts.vertices_only: no geometries); 0 otherwise. */
int spill__layer_check_geoms(spill_ctx *ctx, const spill_layer *L, const char *what);

#endif
