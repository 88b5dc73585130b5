/* Private to shapes/: a figure file written with cairo, atomically. The
 * format comes from the extension (.png, .svg, .pdf); drawing goes to a
 * temporary beside the output, renamed over it only when complete. Used by
 * the maps (map.c) and the statistical figures (chart.c). */
#ifndef SPILL_FIGURE_H
#define SPILL_FIGURE_H

#include <cairo.h>
#include "core/internal.h"

enum { SPILL__FIG_PNG, SPILL__FIG_SVG, SPILL__FIG_PDF };

typedef struct spill__figure {
  int fmt;               /* SPILL__FIG_* */
  const char *path;      /* the output, as given */
  char *tmp;             /* the temporary being written */
  cairo_surface_t *surf; /* after spill__figure_surface */
} spill__figure;

/* Choose the format from path's extension and check the folder is writable
 * (a temporary is created there), before any drawing work. */
int spill__figure_open(spill_ctx *ctx, spill__figure *f, const char *path);
/* The drawing surface, w x h (pixels for PNG, points for SVG/PDF). */
int spill__figure_surface(spill_ctx *ctx, spill__figure *f, double w, double h);
/* Finish the drawing (every cairo_t on the surface destroyed first), write
 * it and rename it over the output. Everything is released either way. */
int spill__figure_close(spill_ctx *ctx, spill__figure *f);
/* Abandon the figure: release it and remove the temporary. */
void spill__figure_discard(spill__figure *f);

#endif
