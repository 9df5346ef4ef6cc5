/*
 * igvmload: load an IGVM file into a QEMU that has no IGVM support (NATIVE platform only).
 *
 * Usage: igvmload --mem-mib N [--smp N] --out DIR [--rom PATH] FILE.igvm
 *   --mem-mib N  guest RAM in MiB; pass the same value to QEMU as -m N
 *   --smp N      vCPU count (default 1); pass the same value to QEMU as -smp N
 *   --out DIR    where rom.bin and blob-NNN.bin are written (created if missing)
 *   --rom PATH   reset ROM template (default: qemu_reset_rom.bin next to this program)
 * Prints the QEMU arguments to stdout, one per line (for `mapfile -t` or `xargs -d '\n'`).
 * Exit status: 0 on success, 1 on any error (message on stderr), 2 on a usage error.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "igvm/igvm_load.h"
#include "igvm/igvm_parse.h"

#define IGVMLOAD_MAX_MEM_MIB (16ull * 1024 * 1024) /* 16 TiB */
#define IGVMLOAD_MAX_SMP 4096u
#define IGVMLOAD_ROM_NAME "qemu_reset_rom.bin"

/* Prints the usage line to out. No errors. */
static void usage(FILE *out)
{
	fprintf(out, "usage: igvmload --mem-mib N [--smp N] --out DIR [--rom PATH] FILE.igvm\n");
}

/*
 * parse_number: strict decimal parse of a command-line value.
 * Inputs: s, [min, max]. Output: *v. Returns 0, or -1 (not a number, out of range).
 */
static int parse_number(const char *s, unsigned long long min, unsigned long long max, unsigned long long *v)
{
	char *end;

	if (s[0] < '0' || s[0] > '9') {
		return -1;
	}
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || *v < min || *v > max) {
		return -1;
	}
	return 0;
}

/*
 * default_rom_path: "<directory of this program>/qemu_reset_rom.bin". Uses argv[0] when it
 * names a path, else /proc/self/exe (found via PATH), else the current directory.
 * Output: malloc'ed string (NULL when out of memory).
 */
static char *default_rom_path(const char *argv0)
{
	char exe[PATH_MAX];
	const char *dir = ".";
	size_t dir_len = 1;
	const char *slash = strrchr(argv0, '/');
	char *path;

	if (slash != NULL) {
		dir = argv0;
		dir_len = (size_t)(slash - argv0);
		if (dir_len == 0) {
			dir = "/";
			dir_len = 1;
		}
	} else {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		if (n > 0) {
			exe[n] = '\0';
			slash = strrchr(exe, '/');
			if (slash != NULL && slash != exe) {
				dir = exe;
				dir_len = (size_t)(slash - exe);
			}
		}
	}
	path = malloc(dir_len + sizeof(IGVMLOAD_ROM_NAME) + 1);
	if (path != NULL) {
		memcpy(path, dir, dir_len);
		path[dir_len] = '/';
		memcpy(path + dir_len + 1, IGVMLOAD_ROM_NAME, sizeof(IGVMLOAD_ROM_NAME));
	}
	return path;
}

/* Inputs: command line (see the file comment). Output: files in DIR, QEMU args. Returns the exit status. */
int main(int argc, char **argv)
{
	const char *file_path = NULL, *out_dir = NULL, *rom_arg = NULL;
	unsigned long long mem_mib = 0, smp = 1;
	char *rom_path;
	uint8_t *file = NULL, *rom = NULL;
	size_t file_size, rom_size;
	struct igvm_load_options opt;
	struct igvm_load_result res;
	char err[512];
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--mem-mib") == 0 && i + 1 < argc) {
			if (parse_number(argv[++i], 1, IGVMLOAD_MAX_MEM_MIB, &mem_mib) != 0) {
				fprintf(stderr, "igvmload: --mem-mib '%s' is not a number of MiB in 1..%llu\n", argv[i],
					IGVMLOAD_MAX_MEM_MIB);
				return 2;
			}
		} else if (strcmp(a, "--smp") == 0 && i + 1 < argc) {
			if (parse_number(argv[++i], 1, IGVMLOAD_MAX_SMP, &smp) != 0) {
				fprintf(stderr, "igvmload: --smp '%s' is not a vCPU count in 1..%u\n", argv[i],
					IGVMLOAD_MAX_SMP);
				return 2;
			}
		} else if (strcmp(a, "--out") == 0 && i + 1 < argc) {
			out_dir = argv[++i];
		} else if (strcmp(a, "--rom") == 0 && i + 1 < argc) {
			rom_arg = argv[++i];
		} else if (a[0] != '-' && file_path == NULL) {
			file_path = a;
		} else {
			fprintf(stderr, "igvmload: unexpected argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (file_path == NULL || out_dir == NULL || mem_mib == 0) {
		usage(stderr);
		return 2;
	}
	rom_path = rom_arg != NULL ? strdup(rom_arg) : default_rom_path(argv[0]);
	if (rom_path == NULL) {
		fprintf(stderr, "igvmload: out of memory\n");
		return 1;
	}
	if (igvm_read_file(file_path, 0xFFFFFFFFu, &file, &file_size, err, sizeof(err)) != 0) {
		fprintf(stderr, "igvmload: %s: %s\n", file_path, err);
		goto out;
	}
	if (igvm_read_file(rom_path, RESET_ROM_SIZE, &rom, &rom_size, err, sizeof(err)) != 0) {
		fprintf(stderr, "igvmload: reset ROM template %s: %s\n", rom_path, err);
		goto out;
	}
	opt.mem_bytes = mem_mib << 20;
	opt.smp = (uint32_t)smp;
	if (igvm_load(file, file_size, rom, rom_size, &opt, &res, err, sizeof(err)) != 0) {
		fprintf(stderr, "igvmload: %s: %s\n", file_path, err);
		goto out;
	}
	if (igvm_load_write(&res, out_dir, stdout, err, sizeof(err)) != 0) {
		fprintf(stderr, "igvmload: %s\n", err);
	} else if (fflush(stdout) != 0) {
		fprintf(stderr, "igvmload: writing the QEMU arguments failed: %s\n", strerror(errno));
	} else {
		rc = 0;
	}
	igvm_load_result_free(&res);
out:
	free(rom_path);
	free(file);
	free(rom);
	return rc;
}
