# SPDX-License-Identifier: Apache-2.0
# The installed package: `find_package(mlcarbon)` gives mlcarbon::mlcarbon
# (libmlcarbon.so and include/mlcarbon/mlcarbon.h), and mlcarbon.pc serves
# pkg-config. The data tables are compiled into the binaries: nothing to
# install for them. docs/install.md describes the layout.
include(CMakePackageConfigHelpers)

set(MLCARBON_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/mlcarbon)
if(TARGET mlcarbon_shared)
  install(EXPORT mlcarbonTargets
    NAMESPACE mlcarbon::
    DESTINATION ${MLCARBON_CMAKE_DIR})
endif()
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/mlcarbonConfig.cmake.in
  ${PROJECT_BINARY_DIR}/mlcarbonConfig.cmake
  INSTALL_DESTINATION ${MLCARBON_CMAKE_DIR})
# 0.x: a minor release may change the C API; the soname says the same.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/mlcarbonConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/mlcarbonConfig.cmake
  ${PROJECT_BINARY_DIR}/mlcarbonConfigVersion.cmake
  DESTINATION ${MLCARBON_CMAKE_DIR})

# lib/pkgconfig -> ../.. (lib/x86_64-linux-gnu/pkgconfig -> ../../..)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR
   IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  message(FATAL_ERROR "mlcarbon.pc is relocatable: give CMAKE_INSTALL_LIBDIR "
                      "and CMAKE_INSTALL_INCLUDEDIR relative to the prefix")
endif()
string(REGEX REPLACE "[^/]+" ".." MLCARBON_PC_UP
       "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
configure_file(${PROJECT_SOURCE_DIR}/cmake/mlcarbon.pc.in
  ${PROJECT_BINARY_DIR}/mlcarbon.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/mlcarbon.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE
  DESTINATION ${CMAKE_INSTALL_DOCDIR})
