/*
 * Levelled logging (levels as in TF-A: ERROR < NOTICE < WARN < INFO < VERBOSE).
 *
 * Each call prints one line "bastion: [level: ]message\n". Messages above LOG_LEVEL are
 * compiled out. Rules (docs/coding-style.md): ERROR never fires because of guest behaviour;
 * guest mistakes log at INFO or VERBOSE at most; secrets only ever at VERBOSE.
 */
#pragma once

#define LOG_LEVEL_ERROR 10
#define LOG_LEVEL_NOTICE 20
#define LOG_LEVEL_WARN 30
#define LOG_LEVEL_INFO 40
#define LOG_LEVEL_VERBOSE 50

#ifndef LOG_LEVEL
#define LOG_LEVEL LOG_LEVEL_INFO
#endif

void log_printf(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_AT_(level, ...)                                                                      \
	do {                                                                                     \
		if ((level) <= LOG_LEVEL) {                                                      \
			log_printf((level), __VA_ARGS__);                                        \
		}                                                                                \
	} while (0)

#define LOG_ERROR(...) LOG_AT_(LOG_LEVEL_ERROR, __VA_ARGS__)
#define LOG_NOTICE(...) LOG_AT_(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define LOG_WARN(...) LOG_AT_(LOG_LEVEL_WARN, __VA_ARGS__)
#define LOG_INFO(...) LOG_AT_(LOG_LEVEL_INFO, __VA_ARGS__)
#define LOG_VERBOSE(...) LOG_AT_(LOG_LEVEL_VERBOSE, __VA_ARGS__)
