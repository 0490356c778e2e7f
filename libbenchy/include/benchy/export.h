/* export.h — the one export macro every public header uses. Build as a
 * shared library with hidden visibility; only BENCHY_API symbols are
 * exported. Define BENCHY_STATIC when linking the static library. */
#ifndef BENCHY_EXPORT_H
#define BENCHY_EXPORT_H

#if defined(BENCHY_STATIC)
#define BENCHY_API
#elif defined(_WIN32)
#if defined(BENCHY_BUILDING)
#define BENCHY_API __declspec(dllexport)
#else
#define BENCHY_API __declspec(dllimport)
#endif
#else
#define BENCHY_API __attribute__((visibility("default")))
#endif

#endif
