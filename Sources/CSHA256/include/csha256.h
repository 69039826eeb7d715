#ifndef CRM_CSHA256_H
#define CRM_CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// FIPS 180-4's 64 round constants K, for the portable code as for the CPU's instructions.
const uint32_t *crm_sha256_round_constants(void);

/// 1 when this CPU has the SHA extensions, SSSE3 and SSE4.1 (x86-64), so that crm_sha256_blocks may be called; else 0.
int crm_sha256_hardware_available(void);

/// Compresses `blocks` 64-byte blocks of `data` into `state` (the eight working variables a…h) with the CPU's SHA
/// instructions. Call only when crm_sha256_hardware_available() returned 1.
void crm_sha256_blocks(uint32_t state[8], const void *data, size_t blocks);

#endif
