#ifndef PGMIGRATE_CLIBCRYPTO_SHIM_H
#define PGMIGRATE_CLIBCRYPTO_SHIM_H
/* The system's libcrypto (OpenSSL), which libpq already links: one digest
   for migration checksums, instead of compiling a second TLS library. */
#include <stddef.h>
/* SHA256_Init/Update/Final: OpenSSL 3 marks them deprecated but keeps them,
   and unlike EVP_Digest they need no library initialisation. EVP's first
   call loads openssl.cnf and fetches the digest from a provider, which costs
   more CPU than hashing a few thousand small migration files. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>

/* SHA-256 of `count` bytes into `out` (32 bytes); 1 on success, 0 on failure. */
static inline int pgmigrate_sha256(const void *bytes, size_t count, unsigned char *out) {
    SHA256_CTX context;
    if (SHA256_Init(&context) != 1) return 0;
    if (SHA256_Update(&context, bytes, count) != 1) return 0;
    return SHA256_Final(out, &context) == 1;
}
#endif
