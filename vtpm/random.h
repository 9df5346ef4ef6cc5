/*
 * The TPM's random number generator (TPM 2.0 Part 1 §11.4.10 "Random Number Generator"):
 * an HMAC_DRBG (crypto/drbg.h, SHA-256) instantiated from the platform entropy hook at
 * vtpm_manufacture and at every vtpm_power_on, reseeded from the hook when its reseed
 * interval runs out. TPM2_StirRandom mixes caller data in as additional input.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct vtpm;

/* (Re)instantiates the DRBG from 48 bytes of platform entropy. 0, or -1 on entropy failure
 * (the DRBG is then unusable until the next successful call). */
int vtpm_rng_instantiate(struct vtpm *t);
/* out[len] random bytes. 0, or -1 (output zeroed). */
int vtpm_rng_generate(struct vtpm *t, uint8_t *out, size_t len);
/* Mixes data[len] (<= 128 bytes) into the DRBG state. 0 or -1. */
int vtpm_rng_stir(struct vtpm *t, const uint8_t *data, size_t len);
