# SPDX-License-Identifier: Apache-2.0
# Runs `mlcarbon COMMAND...` and compares its stdout with EXPECTED. With
# MLCARBON_UPDATE_GOLDEN=1 in the environment it rewrites EXPECTED instead
# (review the diff before committing).
# -DMLCARBON=... -DCOMMAND="a|b|c" -DEXPECTED=...
string(REPLACE "|" ";" command "${COMMAND}")
execute_process(
  COMMAND ${MLCARBON} ${command}
  OUTPUT_VARIABLE actual
  ERROR_VARIABLE errors
  RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "mlcarbon ${command} exited ${status}:\n${errors}")
endif()
if(DEFINED ENV{MLCARBON_UPDATE_GOLDEN})
  file(WRITE ${EXPECTED} "${actual}")
  message(STATUS "updated ${EXPECTED}")
  return()
endif()
file(READ ${EXPECTED} expected)
if(NOT actual STREQUAL expected)
  file(WRITE ${EXPECTED}.actual "${actual}")
  message(FATAL_ERROR "output differs from ${EXPECTED}; see ${EXPECTED}.actual "
    "(diff -u ${EXPECTED} ${EXPECTED}.actual)")
endif()
