/* build.c — how this benchy was built: the compiler, the CMake build type
 * and the git commit of its sources, all fixed at configure time. */
#include "meta.h"

#ifndef BENCHY_BUILD_TYPE
#define BENCHY_BUILD_TYPE ""
#endif
#ifndef BENCHY_GIT_SHA
#define BENCHY_GIT_SHA ""
#endif
#ifndef BENCHY_GIT_DIRTY
#define BENCHY_GIT_DIRTY -1
#endif

#if defined(__clang__)
#define COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define COMPILER "gcc " __VERSION__
#else
#define COMPILER "unknown"
#endif

void meta_build(cJSON *md) {
  cJSON *b = cJSON_AddObjectToObject(md, "build");
  if (!b) return;
  cJSON_AddStringToObject(b, "version", benchy_version_string());
  cJSON_AddStringToObject(b, "compiler", COMPILER);
  cJSON_AddStringToObject(b, "build_type", BENCHY_BUILD_TYPE[0] ? BENCHY_BUILD_TYPE : "unspecified");
  /* Known only when built from a git checkout; as of the last cmake run. */
  if (BENCHY_GIT_SHA[0]) cJSON_AddStringToObject(b, "git_sha", BENCHY_GIT_SHA);
  else cJSON_AddNullToObject(b, "git_sha");
  if (BENCHY_GIT_DIRTY >= 0) cJSON_AddBoolToObject(b, "git_dirty", BENCHY_GIT_DIRTY);
  /* A debug or sanitised client adds its own delay to every figure. */
#ifdef __OPTIMIZE__
  cJSON_AddBoolToObject(b, "optimized", 1);
#else
  cJSON_AddBoolToObject(b, "optimized", 0);
#endif
#if defined(__SANITIZE_ADDRESS__)
  cJSON_AddBoolToObject(b, "sanitized", 1);
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  cJSON_AddBoolToObject(b, "sanitized", 1);
#else
  cJSON_AddBoolToObject(b, "sanitized", 0);
#endif
#else
  cJSON_AddBoolToObject(b, "sanitized", 0);
#endif
}
