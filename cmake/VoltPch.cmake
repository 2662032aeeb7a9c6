# One precompiled header (LibTorch, JSON, spdlog) built once and reused by every C++ target:
# torch/torch.h alone costs ~25 s per translation unit without it.
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
