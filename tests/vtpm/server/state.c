/*
 * -state FILE: the engine's NV image (vtpm.h vtpm_nv_image_*) kept in a file, so the TPM
 * survives a server restart like a real TPM survives a power cycle: seeds, hierarchy auth,
 * Clock, reset counters, the Shutdown(STATE) save area (and NV indices and persistent
 * objects as the engine grows them).
 *
 * Start: an existing FILE is loaded (a bad magic, version, size or checksum stops the server
 * with a message: it never silently replaces someone's TPM with a fresh one); a missing
 * FILE means a freshly manufactured TPM, written at once. After every command whose NV image
 * differs from the last one written, the image is written to FILE.tmp, fsync'ed and renamed
 * over FILE, so FILE is always either the old or the new image, never a torn one. A failed
 * write stops the server (exit 1): serving on while the file falls behind would lose data
 * at the next restart without anyone knowing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/vtpm/server/mssim.h"

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int write_image(const char *path, const uint8_t *img, size_t n)
{
	char tmp[4096];
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write_all(fd, img, n) != 0 || fsync(fd) != 0) {
		int e = errno;

		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

int mssim_state_open(struct mssim_tpm *tpm, const char *path)
{
	size_t n = vtpm_nv_image_size();
	uint8_t *buf;
	FILE *f;

	tpm->state_path = path;
	tpm->state_size = n;
	tpm->state_last = calloc(1, n);
	buf = calloc(1, n + 1);
	if (!tpm->state_last || !buf) {
		mssim_log("out of memory");
		free(buf);
		return -1;
	}
	f = fopen(path, "rb");
	if (!f) {
		if (errno != ENOENT) {
			mssim_log("-state %s: %s", path, strerror(errno));
			free(buf);
			return -1;
		}
		/* No file: the freshly manufactured TPM becomes the file's first content. */
		free(buf);
		mssim_info(tpm, "-state %s: no such file: new TPM (manufactured)", path);
		return mssim_state_sync(tpm);
	}
	{
		size_t got = fread(buf, 1, n + 1, f);
		int bad = ferror(f);

		fclose(f);
		if (bad || got != n || vtpm_nv_image_load(tpm->vtpm, buf, n) != 0) {
			mssim_log("-state %s: not a usable NV image of this build (%zu bytes, want "
				  "%zu; or bad magic, version or checksum); refusing to overwrite it "
				  "(move it away to start a new TPM)",
				  path, got, n);
			free(buf);
			return -1;
		}
	}
	memcpy(tpm->state_last, buf, n);
	free(buf);
	mssim_info(tpm, "-state %s: loaded (%zu bytes)", path, n);
	return 0;
}

int mssim_state_sync(struct mssim_tpm *tpm)
{
	uint8_t *img;

	if (!tpm->state_path)
		return 0;
	img = malloc(tpm->state_size);
	if (!img || vtpm_nv_image_save(tpm->vtpm, img, tpm->state_size) != 0) {
		mssim_log("-state %s: cannot make the NV image", tpm->state_path);
		free(img);
		return -1;
	}
	if (memcmp(img, tpm->state_last, tpm->state_size) != 0) {
		if (write_image(tpm->state_path, img, tpm->state_size) != 0) {
			mssim_log("-state %s: write failed: %s", tpm->state_path, strerror(errno));
			free(img);
			return -1;
		}
		memcpy(tpm->state_last, img, tpm->state_size);
	}
	free(img);
	return 0;
}
