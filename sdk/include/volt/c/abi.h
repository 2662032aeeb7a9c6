/* Volt plugin C ABI: versions, export macro, errors and build attributes.
 *
 * Conventions for every header under volt/c/ (read once, they apply everywhere):
 *  - C99 only: <stdint.h>, <stddef.h>, <stdbool.h>. No enum types inside structs: enums are
 *    anonymous and stored as int32_t, so their size never depends on the compiler.
 *  - Strings are NUL-terminated UTF-8. A `const char*` argument is borrowed for the call only;
 *    a returned `const char*` states its lifetime next to the function.
 *  - Every struct that may grow starts with `size_t struct_size`, set by whoever fills the struct
 *    to the constant beside it (VOLT_<STRUCT>_SIZE, i.e. VOLT_STRUCT_SIZE(type, last_field) of
 *    the version it was built with; never sizeof, whose trailing padding would cover a field
 *    appended later). The reader touches a field only when struct_size covers it
 *    (VOLT_HAS_FIELD); a missing optional field or a NULL optional function pointer means "use
 *    the documented default". The host completes each plugin table once when it receives it
 *    (fields of later minors read as NULL) and passes the plugin's own table as `self`.
 *  - Fallible functions return `volt_error*`: NULL is success, anything else is an error the
 *    caller owns and frees with host->error_free. Errors are always allocated by the host
 *    (host->error_new), so they can cross in either direction. Nothing throws across this ABI.
 *  - Thread tags: [main-thread] = the trainer thread that created the instance;
 *    [thread-safe] = any thread, concurrently. Unless a function says otherwise it is
 *    [main-thread] and not re-entrant: the host never calls into an instance again before the
 *    call returns, and a plugin must not call back into the host's trainer functions (log,
 *    collectives, save_checkpoint) from a function of its own table that the host is running,
 *    unless that function's comment allows it (the hooks and steps of modules and callbacks do).
 *  - Ranks: with several processes every function of an instance runs on every rank, unless
 *    its comment names the ranks (loggers exist on rank 0 only). A function that says "every
 *    rank calls it" is a collective: the ranks call it in the same order.
 *  - Ownership: pointer arguments are borrowed for the call (the callee retains a volt_tensor*
 *    with host->tensor_retain to keep it, copies a string); `volt_tensor** out` results are
 *    new references that the caller releases with host->tensor_release; an in/out array of
 *    handles (a batch) has each replaced handle released by whoever replaces it. Instances are
 *    owned by the host, which calls destroy() once.
 */
#ifndef VOLT_C_ABI_H
#define VOLT_C_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ABI version of these headers.
 * Compatibility rule (checked by the host before it calls anything in a plugin):
 *  - the major versions must be equal; a major bump means a field was removed, reordered or
 *    retyped, or a function changed meaning;
 *  - the minor versions may differ in either direction; a minor bump only appends fields to
 *    the end of structs, appends hook ids, or appends functions to tables. Each side reads
 *    only what the other side's struct_size covers, so an older plugin runs on a newer host
 *    and a newer plugin on an older host (its newer fields are simply not read).
 */
#define VOLT_ABI_MAJOR 1
#define VOLT_ABI_MINOR 10

/* Version of the SDK package itself (headers, C++ layer, CMake helpers). */
#define VOLT_SDK_VERSION "0.1.0"

#ifdef __cplusplus
#define VOLT_EXTERN_C extern "C"
#else
#define VOLT_EXTERN_C
#endif

#if defined(_WIN32)
#define VOLT_EXPORT VOLT_EXTERN_C __declspec(dllexport)
#else
#define VOLT_EXPORT VOLT_EXTERN_C __attribute__((visibility("default")))
#endif

/* Size of a struct up to and including `last_field`: trailing padding is never counted, so
 * appending a field always changes the value. */
#define VOLT_STRUCT_SIZE(type, last_field) \
  (offsetof(type, last_field) + sizeof(((type*)0)->last_field))

/* True when a struct filled by the other side contains `field`. */
#define VOLT_HAS_FIELD(ptr, type, field) \
  ((ptr)->struct_size >= VOLT_STRUCT_SIZE(type, field))

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes (absl-style). Stored as int32_t. */
typedef int32_t volt_error_code;
enum {
  VOLT_OK = 0,
  VOLT_ERROR_CANCELLED = 1,
  VOLT_ERROR_UNKNOWN = 2,
  VOLT_ERROR_INVALID_ARGUMENT = 3,
  VOLT_ERROR_NOT_FOUND = 5,
  VOLT_ERROR_ALREADY_EXISTS = 6,
  VOLT_ERROR_FAILED_PRECONDITION = 9,
  VOLT_ERROR_OUT_OF_RANGE = 11,
  VOLT_ERROR_UNIMPLEMENTED = 12,
  VOLT_ERROR_INTERNAL = 13,
  VOLT_ERROR_UNAVAILABLE = 14,
  VOLT_ERROR_DATA_LOSS = 15
};

/* Opaque error, created and freed only through the host table (volt/c/host.h). */
typedef struct volt_error volt_error;

/* Build attributes of a plugin library. The host compares them with its own before it calls
 * anything else in the library and refuses a library whose LibTorch differs, naming both. All
 * strings are static (lifetime of the loaded library). */
typedef struct volt_build_info {
  size_t struct_size;
  const char* sdk_version;   /* VOLT_SDK_VERSION the library was built with */
  /* "MAJOR.MINOR.PATCH" of the LibTorch headers used, or NULL for a plain C library that does
   * not link LibTorch (then cxx11_abi and cuda are not checked). */
  const char* torch_version;
  int32_t cxx11_abi; /* value of _GLIBCXX_USE_CXX11_ABI, or -1 when not libstdc++ */
  int32_t cuda;      /* 1 when built against a CUDA LibTorch, else 0 */
  const char* compiler;      /* free text, for messages only */
} volt_build_info;
/* The struct_size of a volt_build_info of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_BUILD_INFO_SIZE VOLT_STRUCT_SIZE(volt_build_info, compiler)

#ifdef __cplusplus
}
#endif

#endif /* VOLT_C_ABI_H */
