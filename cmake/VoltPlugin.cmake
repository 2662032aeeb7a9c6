# volt_add_plugin(<name> SOURCES <files...> [OUTPUT_DIRECTORY <dir>] [LINK <libs...>])
#
# Builds a Volt plugin library <name>.so: a module library against the Volt SDK and LibTorch,
# with hidden visibility so that only the entry symbol (volt_entry) is exported.
# Works in the Volt source tree and, after find_package(Volt), out of tree.
function(volt_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES;LINK" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "volt_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  if(TARGET Volt::sdk)
    target_link_libraries(${name} PRIVATE Volt::sdk)
  else()
    target_link_libraries(${name} PRIVATE volt_sdk)
  endif()
  if(ARG_LINK)
    target_link_libraries(${name} PRIVATE ${ARG_LINK})
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  # Template instantiations from LibTorch headers keep default visibility: a version script
  # makes the entry symbol the only export.
  set(_script ${CMAKE_CURRENT_BINARY_DIR}/${name}.exports)
  file(WRITE ${_script} "{ global: volt_entry; local: *; };\n")
  target_link_options(${name} PRIVATE "LINKER:--version-script=${_script}")
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  elseif(DEFINED VOLT_PLUGIN_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${VOLT_PLUGIN_OUTPUT_DIR})
  endif()
  if(COMMAND volt_use_pch AND TARGET volt_pch)
    volt_use_pch(${name})
  endif()
endfunction()
