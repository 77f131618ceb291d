#ifndef PGMIGRATE_CLIBPQ_SHIM_H
#define PGMIGRATE_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
