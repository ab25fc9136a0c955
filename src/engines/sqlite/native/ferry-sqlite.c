/*
 * ferry's SQLite extension: the native functions SQLite runs for ferry, in one loadable library
 * (one build step, one load per connection). Each lives in its own file:
 *   - ferry-checksum.inc.c: ferry_checksum_native, the content checksum (verify, consolidate);
 *   - ferry-profile.inc.c: ferry_profile (what a column's values hold, for copy's type choice) and
 *     ferry_checksum_modes (the checksum with values normalised per logical type, for verify);
 *   - ferry-copy.inc.c: ferry_copy_rows, the binary COPY encoder feeding PostgreSQL.
 * `npm run build` compiles it when a C compiler is present (scripts/build-native.js); without it
 * ferry runs the same functions in JavaScript, with the same results.
 */
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry-checksum.inc.c"
#include "ferry-profile.inc.c"
#include "ferry-copy.inc.c"

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_ferrysqlite_init(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
  (void)err;
  SQLITE_EXTENSION_INIT2(api);
  int rc = sqlite3_create_function(db, "ferry_checksum_native", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, 0, 0, step, final);
  if (rc == SQLITE_OK) rc = sqlite3_create_function(db, "ferry_profile", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, 0, 0, profile_step, profile_final);
  if (rc == SQLITE_OK) rc = sqlite3_create_function(db, "ferry_checksum_modes", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, 0, 0, modes_step, modes_final);
  if (rc == SQLITE_OK) rc = sqlite3_create_function(db, "ferry_copy_rows", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, 0, 0, copy_step, copy_final);
  return rc;
}
