/*
 * Freestanding printf engine (see format.h).
 *
 * One pass over the format: literal characters go straight to the sink; a conversion is
 * parsed into a fmt_spec, then rendered by fmt_integer/fmt_text. The parser only ever looks
 * at the character after one it has already checked to be non-NUL, so it cannot run past
 * the terminator, whatever the format contains.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kernel/format.h"
#include "kernel/string.h"

#define FMT_F_LEFT 0x01u
#define FMT_F_ZERO 0x02u
#define FMT_F_SPACE 0x04u
#define FMT_F_PLUS 0x08u
#define FMT_F_ALT 0x10u

enum fmt_len {
	FMT_LEN_DEFAULT,
	FMT_LEN_HH,
	FMT_LEN_H,
	FMT_LEN_L,
	FMT_LEN_LL,
	FMT_LEN_Z,
	FMT_LEN_T,
	FMT_LEN_J,
};

struct fmt_spec {
	unsigned int flags;
	unsigned int width;
	int precision; /* -1: none given */
	enum fmt_len len;
	char conv;
};

struct fmt_out {
	fmt_put_fn put;
	void *ctx;
	size_t count;
};

static void fmt_emit(struct fmt_out *out, char c)
{
	out->put(c, out->ctx);
	out->count++;
}

static void fmt_emit_n(struct fmt_out *out, char c, size_t n)
{
	while (n-- > 0) {
		fmt_emit(out, c);
	}
}

static void fmt_emit_range(struct fmt_out *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		fmt_emit(out, s[i]);
	}
}

static bool fmt_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static unsigned int fmt_clamp(unsigned int v)
{
	return v > FMT_MAX_WIDTH ? FMT_MAX_WIDTH : v;
}

/* Parses a decimal field; stops accumulating at the clamp so long digit runs cannot overflow. */
static unsigned int fmt_parse_num(const char **pp)
{
	const char *p = *pp;
	unsigned int v = 0;

	while (fmt_is_digit(*p)) {
		if (v <= FMT_MAX_WIDTH) {
			v = v * 10 + (unsigned int)(*p - '0');
		}
		p++;
	}
	*pp = p;
	return fmt_clamp(v);
}

/*
 * Parses flags, width, precision and length starting just after the '%'. Returns a pointer
 * to the conversion character, which is '\0' if the format ended early.
 */
static const char *fmt_parse_spec(const char *p, struct fmt_spec *sp, va_list *ap)
{
	sp->flags = 0;
	sp->width = 0;
	sp->precision = -1;
	sp->len = FMT_LEN_DEFAULT;

	for (;; p++) {
		if (*p == '-') {
			sp->flags |= FMT_F_LEFT;
		} else if (*p == '0') {
			sp->flags |= FMT_F_ZERO;
		} else if (*p == ' ') {
			sp->flags |= FMT_F_SPACE;
		} else if (*p == '+') {
			sp->flags |= FMT_F_PLUS;
		} else if (*p == '#') {
			sp->flags |= FMT_F_ALT;
		} else {
			break;
		}
	}

	if (*p == '*') {
		int w = va_arg(*ap, int);

		/* C: a negative '*' width is the '-' flag plus a positive width. */
		if (w < 0) {
			sp->flags |= FMT_F_LEFT;
			sp->width = fmt_clamp(0u - (unsigned int)w);
		} else {
			sp->width = fmt_clamp((unsigned int)w);
		}
		p++;
	} else {
		sp->width = fmt_parse_num(&p);
	}

	if (*p == '.') {
		p++;
		if (*p == '*') {
			int prec = va_arg(*ap, int);

			/* C: a negative '*' precision counts as no precision. */
			sp->precision = prec < 0 ? -1 : (int)fmt_clamp((unsigned int)prec);
			p++;
		} else {
			sp->precision = (int)fmt_parse_num(&p);
		}
	}

	if (*p == 'h') {
		p++;
		sp->len = FMT_LEN_H;
		if (*p == 'h') {
			p++;
			sp->len = FMT_LEN_HH;
		}
	} else if (*p == 'l') {
		p++;
		sp->len = FMT_LEN_L;
		if (*p == 'l') {
			p++;
			sp->len = FMT_LEN_LL;
		}
	} else if (*p == 'z') {
		p++;
		sp->len = FMT_LEN_Z;
	} else if (*p == 't') {
		p++;
		sp->len = FMT_LEN_T;
	} else if (*p == 'j') {
		p++;
		sp->len = FMT_LEN_J;
	}
	sp->conv = *p;
	return p;
}

/* Reads a signed argument of the size the length modifier names (promoted types for h/hh). */
static long long fmt_arg_signed(va_list *ap, enum fmt_len len)
{
	switch (len) {
	case FMT_LEN_HH:
		return (signed char)va_arg(*ap, int);
	case FMT_LEN_H:
		return (short)va_arg(*ap, int);
	case FMT_LEN_L:
		return va_arg(*ap, long);
	case FMT_LEN_LL:
		return va_arg(*ap, long long);
	case FMT_LEN_Z:
	case FMT_LEN_T:
		/* ptrdiff_t is the signed type of size_t's width, as %zd requires. */
		return va_arg(*ap, ptrdiff_t);
	case FMT_LEN_J:
		return va_arg(*ap, intmax_t);
	case FMT_LEN_DEFAULT:
		break;
	}
	return va_arg(*ap, int);
}

static unsigned long long fmt_arg_unsigned(va_list *ap, enum fmt_len len)
{
	switch (len) {
	case FMT_LEN_HH:
		return (unsigned char)va_arg(*ap, unsigned int);
	case FMT_LEN_H:
		return (unsigned short)va_arg(*ap, unsigned int);
	case FMT_LEN_L:
		return va_arg(*ap, unsigned long);
	case FMT_LEN_LL:
		return va_arg(*ap, unsigned long long);
	case FMT_LEN_Z:
	case FMT_LEN_T:
		/* %tu: the unsigned type of ptrdiff_t's width, i.e. size_t. */
		return va_arg(*ap, size_t);
	case FMT_LEN_J:
		return va_arg(*ap, uintmax_t);
	case FMT_LEN_DEFAULT:
		break;
	}
	return va_arg(*ap, unsigned int);
}

/*
 * Renders one integer conversion: [pad][sign or 0x][precision zeros][digits][pad].
 * sp->conv is one of d i u o x X p; p renders as %#lx, sign flags included, as glibc does.
 */
static void fmt_integer(struct fmt_out *out, const struct fmt_spec *sp, unsigned long long mag,
			bool negative)
{
	static const char lower[] = "0123456789abcdef";
	static const char upper[] = "0123456789ABCDEF";
	const char *set = sp->conv == 'X' ? upper : lower;
	bool is_signed = sp->conv == 'd' || sp->conv == 'i' || sp->conv == 'p';
	bool is_hex = sp->conv == 'x' || sp->conv == 'X' || sp->conv == 'p';
	bool alt = (sp->flags & FMT_F_ALT) != 0 || sp->conv == 'p';
	unsigned int base = sp->conv == 'o' ? 8 : is_hex ? 16 : 10;
	char digits[24]; /* 22 octal digits hold 64 bits */
	char prefix[3];
	size_t ndigits = 0;
	size_t nprefix = 0;
	size_t zeros = 0;
	size_t pad = 0;
	size_t body;
	bool zero_value = mag == 0;

	/* Generates significant digits only, least significant first: zero yields none. */
	while (mag != 0) {
		/* base is 8, 10 or 16 (the conversion table); cppcheck cannot see that far. */
		// cppcheck-suppress zerodivcond
		digits[ndigits++] = set[mag % base];
		mag /= base;
	}

	/* The default precision is 1; precision 0 with value 0 prints no digits at all. */
	if (sp->precision < 0) {
		zeros = ndigits == 0 ? 1 : 0;
	} else if ((size_t)sp->precision > ndigits) {
		zeros = (size_t)sp->precision - ndigits;
	}
	/* '#' with 'o' forces a leading 0 (our top digit is never 0, so add one if none). */
	if (alt && sp->conv == 'o' && zeros == 0) {
		zeros = 1;
	}

	if (negative) {
		prefix[nprefix++] = '-';
	} else if (is_signed && (sp->flags & FMT_F_PLUS) != 0) {
		prefix[nprefix++] = '+';
	} else if (is_signed && (sp->flags & FMT_F_SPACE) != 0) {
		prefix[nprefix++] = ' ';
	}
	if (alt && is_hex && !zero_value) {
		prefix[nprefix++] = '0';
		prefix[nprefix++] = sp->conv == 'X' ? 'X' : 'x';
	}

	body = nprefix + zeros + ndigits;
	if (sp->width > body) {
		pad = sp->width - body;
	}
	/* '0' pads between prefix and digits, but only without '-' and without a precision. */
	if ((sp->flags & (FMT_F_ZERO | FMT_F_LEFT)) == FMT_F_ZERO && sp->precision < 0) {
		zeros += pad;
		pad = 0;
	}

	if ((sp->flags & FMT_F_LEFT) == 0) {
		fmt_emit_n(out, ' ', pad);
	}
	fmt_emit_range(out, prefix, nprefix);
	fmt_emit_n(out, '0', zeros);
	while (ndigits > 0) {
		fmt_emit(out, digits[--ndigits]);
	}
	if ((sp->flags & FMT_F_LEFT) != 0) {
		fmt_emit_n(out, ' ', pad);
	}
}

/* Renders len characters of s space-padded to the width; '0' does not apply to text. */
static void fmt_text(struct fmt_out *out, const struct fmt_spec *sp, const char *s, size_t len)
{
	size_t pad = sp->width > len ? sp->width - len : 0;

	if ((sp->flags & FMT_F_LEFT) == 0) {
		fmt_emit_n(out, ' ', pad);
	}
	fmt_emit_range(out, s, len);
	if ((sp->flags & FMT_F_LEFT) != 0) {
		fmt_emit_n(out, ' ', pad);
	}
}

static void fmt_string(struct fmt_out *out, const struct fmt_spec *sp, const char *s)
{
	size_t len;

	if (s == NULL) {
		/* glibc prints nothing rather than a cut "(null)" when the precision is under 6. */
		s = sp->precision >= 0 && sp->precision < 6 ? "" : "(null)";
	}
	/* With a precision, s need not be terminated: never look beyond precision bytes. */
	if (sp->precision >= 0) {
		len = bastion_strnlen(s, (size_t)sp->precision);
	} else {
		len = bastion_strlen(s);
	}
	fmt_text(out, sp, s, len);
}

/* Renders one conversion. Returns false if sp->conv is not a conversion we know. */
static bool fmt_convert(struct fmt_out *out, struct fmt_spec *sp, va_list *ap)
{
	switch (sp->conv) {
	case '%':
		/* glibc ignores flags and width here: "%5%" prints a bare "%". */
		fmt_emit(out, '%');
		return true;
	case 'c': {
		char c = (char)va_arg(*ap, int);

		fmt_text(out, sp, &c, 1);
		return true;
	}
	case 's':
		fmt_string(out, sp, va_arg(*ap, const char *));
		return true;
	case 'd':
	case 'i': {
		long long v = fmt_arg_signed(ap, sp->len);
		unsigned long long mag = (unsigned long long)v;

		/* Negate in unsigned arithmetic so LLONG_MIN does not overflow. */
		fmt_integer(out, sp, v < 0 ? 0ull - mag : mag, v < 0);
		return true;
	}
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		fmt_integer(out, sp, fmt_arg_unsigned(ap, sp->len), false);
		return true;
	case 'p': {
		const void *ptr = va_arg(*ap, const void *);

		if (ptr == NULL) {
			fmt_text(out, sp, "(nil)", 5);
		} else {
			fmt_integer(out, sp, (unsigned long long)(uintptr_t)ptr, false);
		}
		return true;
	}
	default:
		return false;
	}
}

size_t fmt_vformat(fmt_put_fn put, void *ctx, const char *fmt, va_list ap)
{
	struct fmt_out out = { .put = put, .ctx = ctx, .count = 0 };
	const char *p = fmt;
	va_list aq;

	if (fmt == NULL) {
		return 0;
	}
	/* A local copy, so helpers can take its address (C11 7.16 footnote 253). */
	va_copy(aq, ap);
	while (*p != '\0') {
		const char *start = p;
		struct fmt_spec sp;

		if (*p != '%') {
			fmt_emit(&out, *p++);
			continue;
		}
		p = fmt_parse_spec(p + 1, &sp, &aq);
		if (*p == '\0') {
			/* Truncated conversion: show what there is and stop at the terminator. */
			fmt_emit_range(&out, start, (size_t)(p - start));
			break;
		}
		if (!fmt_convert(&out, &sp, &aq)) {
			/* Unknown conversion: print it verbatim so the mistake is visible. */
			fmt_emit_range(&out, start, (size_t)(p - start) + 1);
		}
		p++;
	}
	va_end(aq);
	return out.count;
}

size_t fmt_format(fmt_put_fn put, void *ctx, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = fmt_vformat(put, ctx, fmt, ap);
	va_end(ap);
	return n;
}

struct fmt_buf {
	char *buf;
	size_t size;
	size_t pos;
};

/* Stores while there is room for the character and the terminator; always counts. */
static void fmt_buf_put(char c, void *ctx)
{
	struct fmt_buf *b = ctx;

	if (b->size > 0 && b->pos < b->size - 1) {
		b->buf[b->pos] = c;
	}
	b->pos++;
}

size_t fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_buf b = { .buf = buf, .size = size, .pos = 0 };
	size_t n = fmt_vformat(fmt_buf_put, &b, fmt, ap);

	if (size > 0) {
		buf[n < size ? n : size - 1] = '\0';
	}
	return n;
}

size_t fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
