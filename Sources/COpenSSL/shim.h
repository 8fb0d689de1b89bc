#ifndef VITALGATE_COPENSSL_SHIM_H
#define VITALGATE_COPENSSL_SHIM_H
/* SHA256_Init/Update/Final are deprecated in OpenSSL 3 but part of every 3.x release. They run
 * the same assembly (SHA-NI where the CPU has it) without the provider dispatch of EVP_Digest*,
 * which cost more than the hashing itself for the short inputs of commitments, Merkle nodes and
 * HMACs (DECISIONS 25). This define only drops the deprecation attributes. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <string.h>

/* SHA-256 of `count` bytes into `out` (32 bytes). Returns 1 on success. */
static inline int vg_sha256(const void *data, size_t count, unsigned char *out) {
    SHA256_CTX context;
    return SHA256_Init(&context) && SHA256_Update(&context, data, count) && SHA256_Final(out, &context);
}

/* HMAC-SHA256 (RFC 2104) with the key schedule done once: the hash states after the inner and
 * outer padded key blocks. Holds key material: wipe it with OPENSSL_cleanse when done. */
typedef struct {
    SHA256_CTX inner;
    SHA256_CTX outer;
} vg_hmac_sha256_key;

/* Keys `state` with `key` (hashed first if longer than the 64-byte block). Returns 1 on success. */
static inline int vg_hmac_sha256_set_key(vg_hmac_sha256_key *state, const unsigned char *key, size_t length) {
    unsigned char block[64], pad[64];
    int ok = 1;
    memset(block, 0, sizeof block);
    if (length > sizeof block) {
        ok = vg_sha256(key, length, block);
    } else if (length > 0) {
        memcpy(block, key, length);
    }
    for (size_t i = 0; i < sizeof pad; i++) pad[i] = block[i] ^ 0x36;
    ok = ok && SHA256_Init(&state->inner) && SHA256_Update(&state->inner, pad, sizeof pad);
    for (size_t i = 0; i < sizeof pad; i++) pad[i] = block[i] ^ 0x5c;
    ok = ok && SHA256_Init(&state->outer) && SHA256_Update(&state->outer, pad, sizeof pad);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
    return ok;
}

/* Starts a code: `context` continues from the inner key state. Feed it with SHA256_Update. */
static inline void vg_hmac_sha256_begin(const vg_hmac_sha256_key *state, SHA256_CTX *context) {
    *context = state->inner;
}

/* Finishes the code begun in `context` into `out` (32 bytes) and wipes `context`. Returns 1 on success. */
static inline int vg_hmac_sha256_finish(const vg_hmac_sha256_key *state, SHA256_CTX *context, unsigned char *out) {
    unsigned char inner[32];
    int ok = SHA256_Final(inner, context);
    *context = state->outer;
    ok = ok && SHA256_Update(context, inner, sizeof inner) && SHA256_Final(out, context);
    OPENSSL_cleanse(inner, sizeof inner);
    OPENSSL_cleanse(context, sizeof *context);
    return ok;
}

#endif
