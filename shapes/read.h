/* Private to shapes/: the steps of spill_layer_read, one file per topic
 * (layer.c geometry, dbf.c attributes and ids, prj.c coordinate system). */
#ifndef SPILL_SHAPES_READ_H
#define SPILL_SHAPES_READ_H

#include <shapefil.h>
#include "shapes/layer.h"

/* Read the attributes of the kept records (layer->records, 1-based) from an
 * open DBF into layer->field_* and layer->cells, converting text to UTF-8
 * from: encoding (iconv name) when given; else the code page cpg_path
 * names (if that file exists); else the DBF's language-driver byte; else
 * UTF-8 when every text is valid UTF-8, GB18030 when every text decodes as
 * Chinese text in it (with a notice), CP1252 otherwise (with a notice).
 * layer->encoding receives the encoding used. */
int spill__layer_read_dbf(spill_ctx *ctx, spill_layer *layer, DBFHandle dbf, const char *dbf_path,
                          const char *cpg_path, const char *encoding, const char *only);
/* (only: NULL reads every field; else only the field of that name, none
 * when it is "" or absent.) */

/* Fill layer->ids: from the field named id_field (case-insensitive; numbers
 * canonical), or the 1-based record numbers when id_field is NULL. Fails on
 * an unknown field, an empty id or two records with the same id. */
int spill__layer_set_ids(spill_ctx *ctx, spill_layer *layer, const char *id_field,
                         const char *dbf_path);

/* Read prj_path (absent: planar) into layer->prj, has_prj, geographic, unit_m
 * and crs_name using PROJ. */
int spill__layer_read_prj(spill_ctx *ctx, spill_layer *layer, const char *prj_path);
/* The same from a CRS definition (WKT, EPSG:code, URN, PROJ string) that
 * where names (for the notice when PROJ cannot read it); takes ownership of
 * def (malloc'ed) as layer->prj. */
int spill__layer_set_crs(spill_ctx *ctx, spill_layer *layer, char *def, const char *where);
/* A CRS from a definition found in a file: WKT (ESRI or OGC), a PROJ string,
 * PROJJSON or AUTHORITY:CODE / URN; NULL for anything else. Unlike
 * proj_create, never searches PROJ's database by object name (a free text
 * such as a corrupt .prj would take seconds). */
PJ *spill__crs_from_file_text(PJ_CONTEXT *pc, const char *def);

/* ---- attribute text (dbf.c) ---- */
/* 1 if s (len bytes) is well-formed UTF-8. */
int spill__attr_valid_utf8(const char *s, size_t len);
/* s (len bytes) in encoding enc (iconv name) as a new UTF-8 string; NULL
 * when it is not valid in enc (or iconv does not know enc). */
char *spill__attr_to_utf8(const char *enc, const char *s, size_t len);
/* 1 if s decodes as GB18030 into what looks like Chinese text: most
 * two-byte characters in the GB2312 range (both bytes >= 0xA1). Text in
 * CP1252 (an accented letter before an ASCII one) fails this. */
int spill__attr_looks_gb18030(const char *s, size_t len);
/* 0 if iconv can convert from enc to UTF-8; else an error naming what
 * (e.g. "--encoding"). */
int spill__attr_check_encoding(spill_ctx *ctx, const char *enc, const char *what);

/* ---- layers built from GEOS geometries (build.c) ---- */
/* Room for n units in layer->geoms, records, vstart (n+1). */
int spill__layer_alloc(spill_ctx *ctx, spill_layer *layer, size_t n);
/* Append geometry g (taken over; a Polygon, MultiPolygon or Point, its
 * coordinates finite) as unit layer->n with record number record; its
 * rings' vertices are appended to layer->vxy (*vcap: their capacity) for
 * contiguity. Fails naming what ("feature 12") on other types and mixes
 * of points and polygons; g is destroyed on failure. */
int spill__layer_add_geom(spill_ctx *ctx, spill_layer *layer, GEOSGeometry *g, int64_t record, size_t *vcap,
                          const char *what);
/* A number as attribute text: integers without decimals, others as the
 * shortest %g text that reads back the same. */
void spill__number_text(double v, char buf[32]);
/* Field f's width and decimals for a DBF copy of the text cells. */
void spill__layer_field_sizes(spill_layer *layer);
/* Check there are units, repair invalid polygons (unless no_repair), set the
 * ids from id_field. path names the file in messages. */
int spill__layer_finish(spill_ctx *ctx, spill_layer *layer, const char *path, const spill_read_opts *o);
/* shapes/layer.c: invalid polygons repaired with GEOS MakeValid. */
int spill__layer_repair(spill_ctx *ctx, spill_layer *layer, const char *path);

/* ---- the other readers ---- */
spill_layer *spill__geojson_read(spill_ctx *ctx, const char *path, const spill_read_opts *o); /* geojson.c */
spill_layer *spill__gpkg_read(spill_ctx *ctx, const char *path, const spill_read_opts *o);    /* gpkg.c */

/* The vertices of a polygon shapefile (already opened as shp, its records
 * checked against the file size) read from the raw .shp bytes into
 * layer->vxy, vstart, records, bounds and n, without GEOS geometries
 * (layer->geoms all NULL): the vertices-only read (shapes/shpraw.c). The
 * same vertices as SHPReadObject gives; corrupt records are refused naming
 * the file and record. */
int spill__shp_read_vertices(spill_ctx *ctx, spill_layer *layer, SHPHandle shp, int nrec, const char *shp_path,
                             const spill_read_opts *o);

/* shapelib hooks that read each file whole into memory (read-only;
 * shapes/memfile.c): no system call per record. */
void spill__memfile_hooks(SAHooks *hooks);

#endif
