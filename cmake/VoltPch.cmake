# One precompiled header built once and reused by every C++ target: the part of LibTorch the
# SDK and the host use (volt/sdk/torch_core.hpp) and nlohmann/json: about 500 MB, ~5.5 s to load
# per translation unit. All of torch/torch.h precompiled took 11 s per file, which the files
# that include torch/torch.h (plugins, through volt/sdk.hpp) still pay.
add_library(volt_pch OBJECT ${CMAKE_CURRENT_LIST_DIR}/volt_pch.cpp)
target_link_libraries(volt_pch PUBLIC volt_sdk)
if(VOLT_USE_PCH)
  target_precompile_headers(volt_pch PRIVATE ${CMAKE_CURRENT_LIST_DIR}/volt_pch.hpp)
endif()

# volt_use_pch(target): reuse the shared precompiled header. Shared libraries get no
# <target>_EXPORTS define so that their flags match the header's.
function(volt_use_pch target)
  get_target_property(_type ${target} TYPE)
  if(_type STREQUAL "SHARED_LIBRARY" OR _type STREQUAL "MODULE_LIBRARY")
    set_target_properties(${target} PROPERTIES DEFINE_SYMBOL "")
  elseif(_type STREQUAL "EXECUTABLE")
    # Executables compile with -fPIE, which GCC treats as incompatible with the -fPIC header;
    # a trailing -fPIC makes the header usable (the code still links as a PIE).
    target_compile_options(${target} PRIVATE -fPIC)
  endif()
  if(VOLT_USE_PCH)
    target_precompile_headers(${target} REUSE_FROM volt_pch)
  endif()
endfunction()
