// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <dlfcn.h>

#include <gtest/gtest.h>

namespace mlcarbon::testing {

/// The fake libnvidia-ml built by the test suite (tests/sensors/fake_nvml),
/// held open so that its scripted state survives a sensor's own
/// dlopen/dlclose, with its control functions (see fake_nvml.c).
class FakeNvml {
 public:
  explicit FakeNvml(const char* path)
      : handle_(::dlopen(path, RTLD_NOW | RTLD_LOCAL)) {
    EXPECT_NE(handle_, nullptr) << ::dlerror();
    if (handle_ == nullptr)
      return;
    reset = fn<void (*)(unsigned)>("fake_nvml_reset");
    set_device = fn<void (*)(unsigned, const char*, const char*, int)>(
        "fake_nvml_set_device");
    push_energy_mj =
        fn<void (*)(unsigned, unsigned long long)>("fake_nvml_push_energy_mj");
    push_power_mw = fn<void (*)(unsigned, unsigned)>("fake_nvml_push_power_mw");
    add_process = fn<void (*)(unsigned, unsigned, unsigned long long)>(
        "fake_nvml_add_process");
    set_init_error = fn<void (*)(int)>("fake_nvml_set_init_error");
    set_read_error = fn<void (*)(int)>("fake_nvml_set_read_error");
  }
  FakeNvml(const FakeNvml&) = delete;
  FakeNvml& operator=(const FakeNvml&) = delete;
  ~FakeNvml() {
    if (handle_ != nullptr)
      ::dlclose(handle_);
  }
  [[nodiscard]] bool loaded() const { return handle_ != nullptr; }

  /// `count` scripted devices with energy counters and no readings.
  void (*reset)(unsigned count) = nullptr;
  void (*set_device)(unsigned i, const char* name, const char* uuid,
                     int energy_supported) = nullptr;
  /// Queues readings; each read takes the next and the last one sticks.
  void (*push_energy_mj)(unsigned i, unsigned long long mj) = nullptr;
  void (*push_power_mw)(unsigned i, unsigned mw) = nullptr;
  void (*add_process)(unsigned i, unsigned pid,
                      unsigned long long memory) = nullptr;
  void (*set_init_error)(int code) = nullptr;
  /// Later energy, power and process reads fail with `code` (0: succeed).
  void (*set_read_error)(int code) = nullptr;

 private:
  template <typename F>
  F fn(const char* name) {
    void* p = ::dlsym(handle_, name);
    EXPECT_NE(p, nullptr) << name;
    return reinterpret_cast<F>(p);
  }

  void* handle_ = nullptr;
};

}  // namespace mlcarbon::testing
