# SPDX-License-Identifier: Apache-2.0
# libmlcarbon.so exports the C API alone: every defined dynamic symbol is
# an mlcarbon_* function of mlcarbon.h. Run with LIB, HEADER and NM.
cmake_minimum_required(VERSION 3.21)
execute_process(COMMAND ${NM} -D --defined-only --format=posix ${LIB}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} failed on ${LIB}: ${err}")
endif()
file(READ ${HEADER} header)
string(REGEX MATCHALL "(mlcarbon_[a-z_]+)\\(" declared "${header}")
list(TRANSFORM declared REPLACE "\\($" "")
string(REPLACE "\n" ";" lines "${out}")
set(exported "")
foreach(line IN LISTS lines)
  if(line STREQUAL "")
    continue()
  endif()
  string(REGEX REPLACE " .*" "" symbol "${line}")
  if(NOT symbol IN_LIST declared)
    message(FATAL_ERROR "${LIB} exports ${symbol}, which mlcarbon.h does "
                        "not declare")
  endif()
  list(APPEND exported ${symbol})
endforeach()
foreach(symbol IN LISTS declared)
  if(NOT symbol IN_LIST exported)
    message(FATAL_ERROR "mlcarbon.h declares ${symbol}, which ${LIB} does "
                        "not export")
  endif()
endforeach()
list(LENGTH exported n)
message(STATUS "${n} symbols, all of mlcarbon.h")
