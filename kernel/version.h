/* Build identification, filled in by the Makefile. */
#pragma once

#ifndef BASTION_VERSION
#define BASTION_VERSION "0.1.0-unknown"
#endif

#ifdef CONFIG_DEBUG
#define BASTION_BUILD_KIND "debug"
#else
#define BASTION_BUILD_KIND "release"
#endif
