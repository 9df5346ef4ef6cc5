/*
 * igvmbuild: build Bastion's IGVM image from the kernel ELF.
 *
 * Usage: igvmbuild --elf build/bastion.elf -o build/bastion.igvm [--firmware FIRMWARE.fd]
 *   --firmware FILE  a flat guest firmware image (e.g. OVMF.fd) to place so that it ends at
 *                    4 GiB, measured, and describe in the boot_firmware_info page
 *                    (igvm/firmware.h lists the rules the image must meet)
 * Exit status: 0 on success, 1 on any error (message on stderr), 2 on a usage error.
 * The output is written to OUT.tmp and renamed, so a failed build never leaves a partial OUT.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igvm/firmware.h"
#include "igvm/igvm_build.h"
#include "igvm/igvm_parse.h"

#define IGVMBUILD_MAX_ELF (512u * 1024u * 1024u)

/* Prints the usage line to out. No errors. */
static void usage(FILE *out)
{
	fprintf(out, "usage: igvmbuild --elf KERNEL.elf -o OUTPUT.igvm [--firmware FIRMWARE.fd]\n");
}

/*
 * write_atomically: write data to path via path.tmp and rename().
 * Inputs: path, data/size. Returns 0, or -1 after printing an error to stderr.
 */
static int write_atomically(const char *path, const uint8_t *data, size_t size)
{
	size_t tmp_len = strlen(path) + 5;
	char *tmp = malloc(tmp_len);
	FILE *fp;

	if (tmp == NULL) {
		fprintf(stderr, "igvmbuild: out of memory\n");
		return -1;
	}
	snprintf(tmp, tmp_len, "%s.tmp", path);
	fp = fopen(tmp, "wb");
	if (fp == NULL) {
		fprintf(stderr, "igvmbuild: %s: cannot create: %s\n", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	if (fwrite(data, 1, size, fp) != size || fclose(fp) != 0) {
		fprintf(stderr, "igvmbuild: %s: write failed: %s\n", tmp, strerror(errno));
		remove(tmp);
		free(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		fprintf(stderr, "igvmbuild: %s: cannot rename to %s: %s\n", tmp, path, strerror(errno));
		remove(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

/* Inputs: command line (see the file comment). Output: the image file. Returns the exit status. */
int main(int argc, char **argv)
{
	const char *elf_path = NULL;
	const char *out_path = NULL;
	const char *fw_path = NULL;
	uint8_t *elf = NULL;
	uint8_t *fw = NULL;
	uint8_t *image = NULL;
	size_t elf_size, image_size, fw_size = 0;
	char err[512];
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--elf") == 0 && i + 1 < argc) {
			elf_path = argv[++i];
		} else if (strcmp(argv[i], "--firmware") == 0 && i + 1 < argc) {
			fw_path = argv[++i];
		} else if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) && i + 1 < argc) {
			out_path = argv[++i];
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "igvmbuild: unexpected argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (elf_path == NULL || out_path == NULL) {
		usage(stderr);
		return 2;
	}
	if (igvm_read_file(elf_path, IGVMBUILD_MAX_ELF, &elf, &elf_size, err, sizeof(err)) != 0) {
		fprintf(stderr, "igvmbuild: %s: %s\n", elf_path, err);
		return 1;
	}
	/* The size limit makes igvm_read_file stop early on e.g. a disk image passed by mistake. */
	if (fw_path != NULL &&
	    igvm_read_file(fw_path, IGVM_BUILD_FIRMWARE_MAX_SIZE, &fw, &fw_size, err, sizeof(err)) != 0) {
		fprintf(stderr, "igvmbuild: --firmware %s: %s\n", fw_path, err);
		free(elf);
		return 1;
	}
	if (fw_path != NULL) {
		/* Check the firmware first so its errors name the firmware file, not the ELF. */
		if (igvm_firmware_check(fw, fw_size, err, sizeof(err)) != 0) {
			fprintf(stderr, "igvmbuild: --firmware %s: %s\n", fw_path, err);
			free(elf);
			free(fw);
			return 1;
		}
	}
	rc = igvm_build_from_elf_with_firmware(elf, elf_size, fw_path != NULL ? fw : NULL, fw_size, &image,
					       &image_size, err, sizeof(err));
	free(elf);
	free(fw);
	if (rc != 0) {
		fprintf(stderr, "igvmbuild: %s: %s\n", elf_path, err);
		return 1;
	}
	rc = write_atomically(out_path, image, image_size);
	free(image);
	return rc == 0 ? 0 : 1;
}
