/*
 * igvmdump: validate an IGVM file and print a readable listing of it.
 *
 * Usage: igvmdump FILE
 * Exit status: 0 if the file is valid (listing on stdout); 1 if it is invalid or unreadable
 * ("igvmdump: FILE: offset 0x...: reason" on stderr); 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igvm/igvm_dump.h"
#include "igvm/igvm_parse.h"

/* IGVM sizes are u32 (ABI 5.1), so nothing valid is larger than 4 GiB. */
#define IGVMDUMP_MAX_FILE 0xFFFFFFFFu

/* Inputs: one file name. Output: listing or error line. Returns the exit status (0, 1, 2). */
int main(int argc, char **argv)
{
	uint8_t *data;
	size_t size;
	char err[256];
	int rc;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("usage: igvmdump FILE.igvm\n");
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: igvmdump FILE.igvm\n");
		return 2;
	}
	if (igvm_read_file(argv[1], IGVMDUMP_MAX_FILE, &data, &size, err, sizeof(err)) != 0) {
		fprintf(stderr, "igvmdump: %s: %s\n", argv[1], err);
		return 1;
	}
	rc = igvm_dump_file(data, size, argv[1], stdout, stderr);
	free(data);
	return rc;
}
