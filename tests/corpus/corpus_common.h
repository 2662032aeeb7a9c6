/* Shared pieces of the loader test corpus: deliberately broken (and a few good) plugin
 * libraries, each in one small C file, built by tests/corpus/CMakeLists.txt. */
#ifndef VOLT_CORPUS_COMMON_H
#define VOLT_CORPUS_COMMON_H

#include <volt/volt.h>

#include <stdlib.h>

#define CORPUS_SCHEMA "{\"type\": \"object\", \"properties\": {}}"
#define CORPUS_DESCRIPTOR_SIZE VOLT_STRUCT_SIZE(volt_plugin_descriptor, config_schema)
#define CORPUS_ENTRY_SIZE VOLT_STRUCT_SIZE(volt_plugin_entry, create)

/* Build info of a plain C library: no LibTorch, so the host skips the LibTorch checks. */
#define CORPUS_PLAIN_BUILD \
  { VOLT_STRUCT_SIZE(volt_build_info, compiler), VOLT_SDK_VERSION, NULL, -1, 0, "corpus" }

/* Build info claiming the host's LibTorch build. The values come from CMake (the host's
 * find_package(Torch)) because a C compiler cannot see them. */
#define CORPUS_TORCH_BUILD(torch_version, cxx11_abi, cuda)                            \
  { VOLT_STRUCT_SIZE(volt_build_info, compiler), VOLT_SDK_VERSION, torch_version, cxx11_abi, \
    cuda, "corpus" }

/* The smallest valid instance: a callback that ignores every hook. */
static inline void corpus_callback_destroy(volt_callback* self) { free(self); }
static inline const char* corpus_state_key(volt_callback* self) {
  (void)self;
  return "corpus";
}
static inline volt_error* corpus_on_hook(volt_callback* self, int32_t hook,
                                         const volt_hook_args* args) {
  (void)self;
  (void)hook;
  (void)args;
  return NULL;
}
static inline volt_callback* corpus_new_callback(void) {
  volt_callback* cb = (volt_callback*)calloc(1, sizeof(volt_callback));
  if (cb == NULL) return NULL;
  cb->struct_size = VOLT_STRUCT_SIZE(volt_callback, load_state_json);
  cb->destroy = corpus_callback_destroy;
  cb->state_key = corpus_state_key;
  cb->on_hook = corpus_on_hook;
  return cb;
}

/* create() for libraries whose plugins are all such callbacks. */
static inline volt_error* corpus_create_callback(size_t index, const volt_create_args* args,
                                                 void** out) {
  (void)index;
  *out = corpus_new_callback();
  return *out != NULL ? NULL : args->host->error_new(VOLT_ERROR_INTERNAL, "out of memory");
}

/* One descriptor and the functions that list it, named `descriptor`. */
#define CORPUS_ONE_DESCRIPTOR(kind, id)                                                       \
  static const volt_plugin_descriptor descriptor = {CORPUS_DESCRIPTOR_SIZE, kind, id, "1.0.0", \
                                                    "corpus plugin " id, CORPUS_SCHEMA};       \
  static size_t plugin_count(void) { return 1; }                                              \
  static const volt_plugin_descriptor* plugin_descriptor(size_t index) {                      \
    return index == 0 ? &descriptor : NULL;                                                   \
  }

#endif /* VOLT_CORPUS_COMMON_H */
