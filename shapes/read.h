/* Private to shapes/: the steps of spill_layer_read, one file per topic
 * (layer.c geometry, dbf.c attributes and ids, prj.c coordinate system). */
#ifndef SPILL_SHAPES_READ_H
#define SPILL_SHAPES_READ_H

#include <shapefil.h>
#include "shapes/layer.h"

/* Read the attributes of the kept records (layer->records, 1-based) from an
 * open DBF into layer->field_* and layer->cells, converting text to UTF-8
 * from the encoding named by cpg_path (if that file exists; else the text is
 * kept when it is valid UTF-8 and read as CP1252 otherwise). */
int spill__layer_read_dbf(spill_ctx *ctx, spill_layer *layer, DBFHandle dbf, const char *dbf_path,
                          const char *cpg_path);

/* Fill layer->ids: from the field named id_field (case-insensitive; numbers
 * canonical), or the 1-based record numbers when id_field is NULL. Fails on
 * an unknown field, an empty id or two records with the same id. */
int spill__layer_set_ids(spill_ctx *ctx, spill_layer *layer, const char *id_field,
                         const char *dbf_path);

/* Read prj_path (absent: planar) into layer->prj, has_prj, geographic, unit_m
 * and crs_name using PROJ. */
int spill__layer_read_prj(spill_ctx *ctx, spill_layer *layer, const char *prj_path);

/* shapelib hooks that read each file whole into memory (read-only;
 * shapes/memfile.c): no system call per record. */
void spill__memfile_hooks(SAHooks *hooks);

#endif
