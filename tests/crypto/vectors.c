#include "tests/crypto/vectors.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static void vec_free_fields(struct vec_file *f)
{
	for (unsigned int i = 0; i < f->nfields; i++) {
		free(f->fields[i].name);
		free(f->fields[i].value);
	}
	f->nfields = 0;
}

int vec_open(struct vec_file *f, const char *relpath)
{
	const char *dir = getenv("BASTION_VECTORS");

	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s/%s", dir != NULL ? dir : VEC_DEFAULT_DIR, relpath);
	f->line = malloc(VEC_LINE_MAX);
	if (f->line == NULL) {
		return -1;
	}
	f->fp = fopen(f->path, "r");
	if (f->fp == NULL) {
		printf("  cannot open test vectors %s (is python3-cryptography-vectors installed? "
		       "scripts/deps installs it)\n",
		       f->path);
		free(f->line);
		f->line = NULL;
		return -1;
	}
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s)) {
		s++;
	}
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1])) {
		*--end = '\0';
	}
	return s;
}

bool vec_next(struct vec_file *f)
{
	vec_free_fields(f);
	if (f->has_pending_section) {
		memcpy(f->section, f->pending_section, sizeof(f->section));
		f->has_pending_section = false;
	}
	while (fgets(f->line, VEC_LINE_MAX, f->fp) != NULL) {
		char *s = trim(f->line);
		char *eq;

		f->line_no++;
		if (*s == '#') {
			continue;
		}
		if (*s == '\0') {
			if (f->nfields > 0) {
				return true;
			}
			continue;
		}
		if (*s == '[') {
			char *close = strchr(s, ']');

			if (close != NULL) {
				*close = '\0';
			}
			if (f->nfields > 0) {
				/* A header right after a record ends it; it applies from the next one. */
				snprintf(f->pending_section, sizeof(f->pending_section), "%s", s + 1);
				f->has_pending_section = true;
				return true;
			}
			snprintf(f->section, sizeof(f->section), "%s", s + 1);
			continue;
		}
		eq = strchr(s, '=');
		if (eq == NULL || f->nfields == VEC_MAX_FIELDS) {
			continue;
		}
		*eq = '\0';
		f->fields[f->nfields].name = strdup(trim(s));
		f->fields[f->nfields].value = strdup(trim(eq + 1));
		f->nfields++;
	}
	return f->nfields > 0;
}

const char *vec_get(const struct vec_file *f, const char *name)
{
	for (unsigned int i = 0; i < f->nfields; i++) {
		if (strcmp(f->fields[i].name, name) == 0) {
			return f->fields[i].value;
		}
	}
	return NULL;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	c = tolower(c);
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	return -1;
}

size_t vec_hex_str(const char *hex, uint8_t *out, size_t cap)
{
	size_t len = strlen(hex);

	if (len % 2 != 0 || len / 2 > cap) {
		return (size_t)-1;
	}
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hexval((unsigned char)hex[2 * i]);
		int lo = hexval((unsigned char)hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			return (size_t)-1;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return len / 2;
}

size_t vec_hex(const struct vec_file *f, const char *name, uint8_t *out, size_t cap)
{
	const char *v = vec_get(f, name);

	return v == NULL ? (size_t)-1 : vec_hex_str(v, out, cap);
}

void vec_close(struct vec_file *f)
{
	vec_free_fields(f);
	if (f->fp != NULL) {
		fclose(f->fp);
	}
	free(f->line);
	memset(f, 0, sizeof(*f));
}
