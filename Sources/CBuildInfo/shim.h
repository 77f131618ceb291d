#ifndef PGMIGRATE_CBUILDINFO_SHIM_H
#define PGMIGRATE_CBUILDINFO_SHIM_H
/* The version scripts/package.sh derives from git at build time, passed as
   -Xcc -DPGMIGRATE_INJECTED_VERSION="\"...\"" (Swift compile conditions carry
   no values; a C macro does). Empty in a plain `swift build`, where
   PGMigrateVersion.current falls back to PGMigrateVersion.release. */
#ifdef PGMIGRATE_INJECTED_VERSION
#define PGMIGRATE_BUILD_VERSION PGMIGRATE_INJECTED_VERSION
#else
#define PGMIGRATE_BUILD_VERSION ""
#endif
#endif
