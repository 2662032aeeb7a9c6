# Installs the host, the shipped plugins, the SDK headers and a CMake package so that an
# out-of-tree plugin builds with:
#   find_package(Volt CONFIG REQUIRED)
#   volt_add_plugin(my_plugin SOURCES my_plugin.cpp)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS volt RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${VOLT_PLUGIN_OUTPUT_DIR}/ DESTINATION ${VOLT_PLUGIN_SUBDIR}
        FILES_MATCHING PATTERN "*.so")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The distributed toolkit (Volt::distributed) that ddp and fsdp are built from.
set(VOLT_HAVE_DISTRIBUTED OFF)
if(TARGET volt_distributed)
  install(TARGETS volt_distributed ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  set(VOLT_HAVE_DISTRIBUTED ON)
endif()
set(VOLT_DISTRIBUTED_ARCHIVE
    ${CMAKE_INSTALL_LIBDIR}/${CMAKE_STATIC_LIBRARY_PREFIX}volt_distributed${CMAKE_STATIC_LIBRARY_SUFFIX})

set(VOLT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Volt)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/VoltConfig.cmake.in
  ${CMAKE_BINARY_DIR}/VoltConfig.cmake INSTALL_DESTINATION ${VOLT_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/VoltConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/VoltConfig.cmake ${CMAKE_BINARY_DIR}/VoltConfigVersion.cmake
              ${CMAKE_CURRENT_LIST_DIR}/VoltPlugin.cmake
        DESTINATION ${VOLT_CMAKE_DIR})
