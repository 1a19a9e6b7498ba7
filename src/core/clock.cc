// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/clock.h"

namespace mlcarbon {

const SystemClock& SystemClock::instance() {
  static const SystemClock clock;
  return clock;
}

}  // namespace mlcarbon
