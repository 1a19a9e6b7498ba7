# SPDX-License-Identifier: Apache-2.0
# Helpers shared by every module: one static library per module, one test
# binary per module, warnings on our own targets only, embedded data tables.

function(mlcarbon_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast
    # Designated initializers (STYLE.md 5.7) leave fields at their defaults.
    -Wno-missing-field-initializers)
  mlcarbon_set_checks(${target})
endfunction()

# The build options every target of ours follows, C or C++: warnings as
# errors, sanitizers, fuzzing instrumentation, clang-tidy.
function(mlcarbon_set_checks target)
  if(MLCARBON_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(MLCARBON_SANITIZE)
    target_compile_options(${target} PRIVATE
      -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
    get_target_property(type ${target} TYPE)
    if(CMAKE_C_COMPILER_ID MATCHES "Clang" AND type STREQUAL "EXECUTABLE")
      # clang puts the sanitizer runtime in the executable; one that loads
      # our C++ library needs its C++ half and libstdc++, as clang++ links.
      set_target_properties(${target} PROPERTIES LINKER_LANGUAGE CXX)
    endif()
  endif()
  if(MLCARBON_FUZZ)
    # Coverage feedback for libFuzzer; the fuzz targets themselves link with
    # -fsanitize=fuzzer (tests/fuzz). UB aborts so the fuzzer sees it.
    target_compile_options(${target} PRIVATE
      -fsanitize=fuzzer-no-link,address,undefined
      -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(MLCARBON_TIDY_COMMAND)
    set_target_properties(${target} PROPERTIES
      CXX_CLANG_TIDY "${MLCARBON_TIDY_COMMAND}")
  endif()
endfunction()

# mlcarbon_add_module(NAME SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
# Creates mlcarbon_<NAME> (alias mlcarbon::<NAME>). DEPS must respect the
# one-way dependency rule of ARCHITECTURE.md.
function(mlcarbon_add_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(mlcarbon_${name} STATIC ${M_SOURCES})
  add_library(mlcarbon::${name} ALIAS mlcarbon_${name})
  target_include_directories(mlcarbon_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>)
  target_link_libraries(mlcarbon_${name}
    PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})
  target_compile_features(mlcarbon_${name} PUBLIC cxx_std_20)
  mlcarbon_set_warnings(mlcarbon_${name})
endfunction()

# mlcarbon_add_plugin(TARGET FILE NAME SOURCES ... [DEPS ...] [LOADER tgt])
# Builds the plugin lib/mlcarbon/libNAME.so (CMake target TARGET) that
# core/plugin.h finds and dlopens, so that the libraries in DEPS load only
# in the commands that need them. It exports only what is marked
# visibility("default") and is installed under lib/mlcarbon. LOADER, the
# module that opens it, gets MLCARBON_<NAME in capitals>_BUILD_DIR and
# _BUILD_PLUGIN (plugin_candidates' arguments) and builds it first.
function(mlcarbon_add_plugin target)
  cmake_parse_arguments(P "" "FILE;LOADER" "SOURCES;DEPS" ${ARGN})
  set(dir ${CMAKE_BINARY_DIR}/lib/mlcarbon)
  add_library(${target} MODULE ${P_SOURCES})
  target_link_libraries(${target} PRIVATE ${P_DEPS})
  mlcarbon_set_warnings(${target})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME ${P_FILE}
    PREFIX lib
    LIBRARY_OUTPUT_DIRECTORY ${dir}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  # The static module libraries linked in stay hidden too: the program
  # holds its own copy of them.
  target_link_options(${target} PRIVATE "LINKER:--exclude-libs,ALL")
  if(NOT MLCARBON_SANITIZE AND NOT MLCARBON_FUZZ)
    # An undefined symbol must fail the link, not the dlopen (clang's
    # sanitizer runtimes are resolved from the program at load time).
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
  install(TARGETS ${target} LIBRARY DESTINATION lib/mlcarbon)
  if(P_LOADER)
    string(REGEX REPLACE "^mlcarbon_" "" macro ${P_FILE})
    string(TOUPPER ${macro} macro)
    target_compile_definitions(${P_LOADER} PRIVATE
      MLCARBON_${macro}_BUILD_DIR="${CMAKE_BINARY_DIR}"
      MLCARBON_${macro}_BUILD_PLUGIN="${dir}/lib${P_FILE}.so")
    # Whatever links the loader finds the plugin built.
    add_dependencies(${P_LOADER} ${target})
  endif()
endfunction()

# mlcarbon_add_test(NAME SOURCES ... [DEPS ...] [LABELS ...])
# Creates the GoogleTest binary NAME and registers each test with CTest.
function(mlcarbon_add_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} mlcarbon_test_support
    GTest::gtest GTest::gmock GTest::gtest_main)
  mlcarbon_set_warnings(${name})
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS "${T_LABELS}"
               ENVIRONMENT "MLCARBON_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
    DISCOVERY_TIMEOUT 60)
endfunction()

# mlcarbon_embed_text(TARGET SYMBOL FILE)
# Compiles FILE into TARGET as `std::string_view mlcarbon::embedded::SYMBOL()`
# so data tables travel inside the binary and need no install path.
function(mlcarbon_embed_text target symbol file)
  get_filename_component(abs ${file} ABSOLUTE)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/embedded_${symbol}.cc)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DIN=${abs} -DOUT=${out} -DSYMBOL=${symbol}
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedText.cmake
    DEPENDS ${abs} ${PROJECT_SOURCE_DIR}/cmake/EmbedText.cmake
    COMMENT "Embedding ${file}")
  target_sources(${target} PRIVATE ${out})
endfunction()

# mlcarbon_add_cli_golden(NAME EXPECTED ARG...)
# Runs `mlcarbon ARG...` from the source tree and compares its output with
# tests/cli/EXPECTED (tests/cli/golden.cmake; MLCARBON_UPDATE_GOLDEN=1
# rewrites the file).
function(mlcarbon_add_cli_golden name expected)
  string(REPLACE ";" "|" command "${ARGN}")
  add_test(NAME ${name}
    COMMAND ${CMAKE_COMMAND}
      -DMLCARBON=$<TARGET_FILE:mlcarbon>
      "-DCOMMAND=${command}"
      -DEXPECTED=${PROJECT_SOURCE_DIR}/tests/cli/${expected}
      -P ${PROJECT_SOURCE_DIR}/tests/cli/golden.cmake
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(${name} PROPERTIES LABELS cli)
endfunction()

# mlcarbon_add_pytest(PREFIX DIR LABEL ENVIRONMENT...)
# One CTest test per DIR/test_*.py (PREFIX.<file>), so ctest spreads them over
# the cores, plus PREFIX.serial for the tests marked `serial` (they compare
# CPU time with the machine's, or calibrate on it, and want the CPUs to
# themselves). A file whose first mark is `pytestmark = pytest.mark.serial`
# runs only there.
function(mlcarbon_add_pytest prefix dir label)
  set(python /usr/bin/python3)
  if(Python_EXECUTABLE)
    set(python ${Python_EXECUTABLE})
  endif()
  set(pytest ${python} -m pytest -q -p no:cacheprovider)
  file(GLOB files CONFIGURE_DEPENDS ${dir}/test_*.py)
  set(serial_files)
  foreach(file IN LISTS files)
    get_filename_component(stem ${file} NAME_WE)
    file(STRINGS ${file} marks REGEX "pytest\\.mark\\.serial")
    file(STRINGS ${file} whole REGEX "^pytestmark = pytest\\.mark\\.serial")
    if(marks)
      list(APPEND serial_files ${file})
    endif()
    if(whole)
      continue()
    endif()
    add_test(NAME ${prefix}.${stem}
      COMMAND ${pytest} -m "not serial" ${file}
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(${prefix}.${stem} PROPERTIES
      LABELS "${label}" ENVIRONMENT "${ARGN}" TIMEOUT 600)
  endforeach()
  if(serial_files)
    add_test(NAME ${prefix}.serial
      COMMAND ${pytest} -m serial ${serial_files}
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(${prefix}.serial PROPERTIES
      LABELS "${label}" ENVIRONMENT "${ARGN}" TIMEOUT 600 RUN_SERIAL TRUE)
  endif()
endfunction()
