/*
 * Reading test-vector files for the crypto host tests.
 *
 * The NIST CAVP and RFC vectors come from Debian's python3-cryptography-vectors package
 * (installed by scripts/deps), not from copies in this repository. The files share one shape:
 * "Name = value" lines grouped into records separated by blank lines, "[section]" headers and
 * "#" comments. vec_next() returns one record at a time.
 *
 *   struct vec_file f;
 *   if (vec_open(&f, "hashes/SHA2/SHA256ShortMsg.rsp") != 0) { fail; }
 *   while (vec_next(&f)) {
 *       const char *msg = vec_get(&f, "Msg");          // NULL if absent
 *       size_t n = vec_hex(&f, "MD", buf, sizeof(buf)); // bytes decoded, or (size_t)-1
 *   }
 *   vec_close(&f);
 *
 * Host only (stdio). Values are kept as text; vec_hex decodes hex (an odd-length or non-hex
 * value is a test failure the caller sees as (size_t)-1).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define VEC_MAX_FIELDS 32
#define VEC_LINE_MAX 65536

/* Where the vectors are installed; override with the environment variable BASTION_VECTORS. */
#define VEC_DEFAULT_DIR "/usr/lib/python3/dist-packages/cryptography_vectors"

struct vec_field {
	char *name;
	char *value;
};

struct vec_file {
	FILE *fp;
	char path[512];
	char section[256];            /* the last "[...]" header seen, without brackets */
	char pending_section[256];
	bool has_pending_section;
	unsigned int line_no;
	unsigned int nfields;
	struct vec_field fields[VEC_MAX_FIELDS];
	char *line;                   /* scratch */
};

/* Opens VEC_DEFAULT_DIR/relpath (or $BASTION_VECTORS/relpath). Returns 0 or -1 (prints why). */
int vec_open(struct vec_file *f, const char *relpath);
/* Advances to the next record with at least one field. Returns false at end of file. */
bool vec_next(struct vec_file *f);
/* The value of field name in the current record (case-sensitive), or NULL. */
const char *vec_get(const struct vec_file *f, const char *name);
/* Decodes field name as hex into out[cap]. Returns the byte count, or (size_t)-1 if the field
 * is absent, not hex, or longer than cap. "00" with a "Len = 0" record decodes to 1 byte; the
 * caller applies Len. */
size_t vec_hex(const struct vec_file *f, const char *name, uint8_t *out, size_t cap);
/* Decodes a hex string (not a field). Same result convention as vec_hex. */
size_t vec_hex_str(const char *hex, uint8_t *out, size_t cap);
void vec_close(struct vec_file *f);
