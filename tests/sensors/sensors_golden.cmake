# SPDX-License-Identifier: Apache-2.0
# Runs `mlcarbon sensors --json` with fixture roots and compares its stdout
# with the golden file. Set UPDATE=1 to rewrite the golden file.
cmake_minimum_required(VERSION 3.21)
set(ENV{MLCARBON_POWERCAP_ROOT} ${POWERCAP})
set(ENV{MLCARBON_NVML_LIBRARY} ${FAKE_NVML})
set(ENV{MLCARBON_MSR_ROOT} /nonexistent/msr)
set(ENV{FAKE_NVML_GPUS} 2)
# The machine block comes from a fixture, not from the machine running the
# test; no config file pins figures.
set(ENV{MLCARBON_PROC_ROOT} ${MACHINE}/proc)
set(ENV{MLCARBON_DMI_ROOT} ${MACHINE}/dmi)
set(ENV{MLCARBON_HYPERVISOR_ROOT} ${MACHINE}/hypervisor)
set(ENV{XDG_CONFIG_HOME} /nonexistent/xdg-config)
execute_process(
  COMMAND ${MLCARBON} sensors --json
  OUTPUT_VARIABLE got RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "mlcarbon sensors --json exited with ${rc}")
endif()
# Paths differ between checkouts: mask them.
string(REPLACE "${POWERCAP}" "<POWERCAP>" got "${got}")
string(REPLACE "${FAKE_NVML}" "<FAKE_NVML>" got "${got}")
file(WRITE ${OUT} "${got}")
if(UPDATE)
  file(COPY_FILE ${OUT} ${GOLDEN})
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT} ${GOLDEN}
                RESULT_VARIABLE differ)
if(differ)
  message(FATAL_ERROR "output differs from ${GOLDEN}:\n${got}")
endif()
