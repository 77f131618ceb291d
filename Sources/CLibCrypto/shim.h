#ifndef PGMIGRATE_CLIBCRYPTO_SHIM_H
#define PGMIGRATE_CLIBCRYPTO_SHIM_H
/* The system's libcrypto (OpenSSL), which libpq already links: one digest
   for migration checksums, instead of compiling a second TLS library. */
#include <openssl/evp.h>
#endif
