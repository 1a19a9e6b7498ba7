# SPDX-License-Identifier: Apache-2.0
# Run by CTest (tests/install/CMakeLists.txt) with BUILD_DIR, WORK_DIR,
# CONSUMER_DIR, GENERATOR, C_COMPILER and CXX_COMPILER.
cmake_minimum_required(VERSION 3.21)

function(run)
  execute_process(COMMAND ${ARGN}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK_DIR}/prefix)
set(consumer_build ${WORK_DIR}/consumer)
file(REMOVE_RECURSE ${WORK_DIR})

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(file bin/mlcarbon include/mlcarbon/mlcarbon.h
        lib/cmake/mlcarbon/mlcarbonConfig.cmake lib/pkgconfig/mlcarbon.pc)
  if(NOT EXISTS ${prefix}/${file})
    message(FATAL_ERROR "cmake --install did not install ${file}")
  endif()
endforeach()
file(GLOB libs ${prefix}/lib/libmlcarbon.so*)
if(NOT libs)
  message(FATAL_ERROR "cmake --install did not install libmlcarbon.so")
endif()
run(${prefix}/bin/mlcarbon --version)
message(STATUS "installed CLI: ${out}")

# Every plugin built is installed, and the installed CLI finds its own
# (PostgreSQL's: libpq itself then says that the port is closed).
file(GLOB plugins RELATIVE ${BUILD_DIR}/lib/mlcarbon
     ${BUILD_DIR}/lib/mlcarbon/libmlcarbon_*.so)
foreach(plugin IN LISTS plugins)
  if(NOT EXISTS ${prefix}/lib/mlcarbon/${plugin})
    message(FATAL_ERROR "cmake --install did not install lib/mlcarbon/${plugin}")
  endif()
endforeach()
if("libmlcarbon_postgres.so" IN_LIST plugins)
  execute_process(
    COMMAND ${prefix}/bin/mlcarbon history --db postgresql://127.0.0.1:1/runs
    RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
  if(rc EQUAL 0 OR NOT err MATCHES "cannot connect to the history")
    message(FATAL_ERROR "the installed CLI did not load its PostgreSQL "
                        "plugin (${rc}):\n${err}")
  endif()
endif()

# The consumer finds the package under the prefix alone.
run(${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${consumer_build}
    -G ${GENERATOR}
    -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
run(${CMAKE_COMMAND} --build ${consumer_build})

# Each consumer tracks a loop and prints its energy with the method.
foreach(program track_c track_cxx track_pkgconfig)
  run(${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${prefix}/lib
      ${consumer_build}/${program})
  if(NOT out MATCHES "tracked a loop: [0-9.e+-]+ J (measured|estimated)")
    message(FATAL_ERROR "${program} printed:\n${out}")
  endif()
  message(STATUS "${program}: ${out}")
endforeach()
