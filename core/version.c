/* Versions of libspill and of the libraries it was built with, for
 * `spill --version` and bug reports. */
#include <stdio.h>
#include <cairo.h>
#include <csv.h>
#include <geos_c.h>
#include <jansson.h>
#include <proj.h>
#include <sqlite3.h>
#include <SuiteSparse_config.h>
#include <cholmod.h>
#include <fontconfig/fontconfig.h>
#include "spill.h"

#ifndef SPILL_SHAPELIB_VERSION
#define SPILL_SHAPELIB_VERSION "unknown"
#endif
#ifndef SPILL_READSTAT_VERSION
#define SPILL_READSTAT_VERSION "unknown"
#endif

int spill_version_info(char *buf, size_t size)
{
  /* build-time versions, with the run-time ones where a library reports them */
  return snprintf(buf, size,
                  "spill %s\n"
                  "GEOS %s (run time %s)\n"
                  "PROJ %d.%d.%d (run time %s)\n"
                  "shapelib %s\n"
                  "SuiteSparse %d.%d.%d (CHOLMOD %d.%d.%d)\n"
                  "cairo %s (run time %s)\n"
                  "ReadStat %s\n"
                  "SQLite %s (run time %s)\n"
                  "jansson %s\n"
                  "fontconfig %d.%d.%d\n"
                  "libcsv %d.%d.%d\n",
                  SPILL_VERSION, GEOS_VERSION, GEOSversion(), PROJ_VERSION_MAJOR,
                  PROJ_VERSION_MINOR, PROJ_VERSION_PATCH, proj_info().version,
                  SPILL_SHAPELIB_VERSION, SUITESPARSE_MAIN_VERSION, SUITESPARSE_SUB_VERSION,
                  SUITESPARSE_SUBSUB_VERSION, CHOLMOD_MAIN_VERSION, CHOLMOD_SUB_VERSION,
                  CHOLMOD_SUBSUB_VERSION, CAIRO_VERSION_STRING, cairo_version_string(),
                  SPILL_READSTAT_VERSION, SQLITE_VERSION, sqlite3_libversion(), JANSSON_VERSION,
                  FC_MAJOR, FC_MINOR, FC_REVISION, CSV_MAJOR, CSV_MINOR, CSV_RELEASE);
}
