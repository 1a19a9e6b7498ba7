# SPDX-License-Identifier: Apache-2.0
# Runs `mlcarbon estimate SCENARIO EXTRA...` and compares its stdout with
# EXPECTED. With MLCARBON_UPDATE_GOLDEN=1 in the environment it rewrites
# EXPECTED instead (review the diff before committing).
# -DMLCARBON=... -DSCENARIO=... -DEXPECTED=... -DEXTRA="a|b|c"
string(REPLACE "|" ";" extra "${EXTRA}")
execute_process(
  COMMAND ${MLCARBON} estimate ${SCENARIO} ${extra}
  OUTPUT_VARIABLE actual
  ERROR_VARIABLE errors
  RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "mlcarbon estimate ${SCENARIO} exited ${status}:\n${errors}")
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
