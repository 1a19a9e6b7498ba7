# SPDX-License-Identifier: Apache-2.0
# Script mode: writes OUT, a C++ file holding the text of IN as SYMBOL().
file(READ ${IN} content)
string(FIND "${content}" ")mlcdata\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter")
endif()
file(WRITE ${OUT}.tmp
"// Generated from ${IN}; do not edit.\n#include <string_view>\n\nnamespace mlcarbon::embedded {\nstd::string_view ${SYMBOL}() {\n  static constexpr std::string_view kText = R\"mlcdata(${content})mlcdata\";\n  return kText;\n}\n}  // namespace mlcarbon::embedded\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
