// SPDX-License-Identifier: Apache-2.0
// A fake libnvidia-ml for tests: exports the NVML symbols mlcarbon binds,
// with values scripted through fake_nvml_* control functions (found by the
// test with dlsym) or, for other processes, FAKE_NVML_GPUS=<n> (n devices
// with energy counters). Without either it shows one device.
#include <stdlib.h>
#include <string.h>

#define FAKE_MAX_GPUS 8
#define FAKE_MAX_SEQ 16
#define FAKE_MAX_PROCS 8

typedef struct FakeDevice* nvmlDevice_t;

struct FakeProcess {
  unsigned int pid;
  unsigned long long used_gpu_memory;
  unsigned int gpu_instance_id;
  unsigned int compute_instance_id;
};

struct FakeDevice {
  char name[64];
  char uuid[64];
  int energy_supported;
  unsigned long long energy_mj[FAKE_MAX_SEQ];
  int energy_len, energy_pos;
  unsigned int power_mw[FAKE_MAX_SEQ];
  int power_len, power_pos;
  struct FakeProcess procs[FAKE_MAX_PROCS];
  unsigned int nprocs;
};

static struct FakeDevice devices[FAKE_MAX_GPUS];
static unsigned int device_count;
static int init_error;
static int read_error;
static int scripted;

static void default_devices(void) {
  const char* env = getenv("FAKE_NVML_GPUS");
  unsigned int n = env ? (unsigned int)atoi(env) : 1;
  if (n > FAKE_MAX_GPUS)
    n = FAKE_MAX_GPUS;
  memset(devices, 0, sizeof devices);
  device_count = n;
  for (unsigned int i = 0; i < n; ++i) {
    strcpy(devices[i].name, "Fake NVIDIA A100");
    strcpy(devices[i].uuid, "GPU-00000000-fake-0000-0000-00000000000");
    devices[i].uuid[strlen(devices[i].uuid) - 1] = (char)('0' + i);
    devices[i].energy_supported = 1;
    devices[i].energy_mj[0] = 1000000;
    devices[i].energy_len = 1;
  }
}

// Control API.
void fake_nvml_reset(unsigned int count) {
  memset(devices, 0, sizeof devices);
  device_count = count > FAKE_MAX_GPUS ? FAKE_MAX_GPUS : count;
  init_error = 0;
  read_error = 0;
  scripted = 1;
  for (unsigned int i = 0; i < device_count; ++i) {
    strcpy(devices[i].name, "Fake GPU");
    strcpy(devices[i].uuid, "GPU-fake");
    devices[i].energy_supported = 1;
  }
}
void fake_nvml_set_device(unsigned int i, const char* name, const char* uuid,
                          int energy_supported) {
  strncpy(devices[i].name, name, sizeof devices[i].name - 1);
  strncpy(devices[i].uuid, uuid, sizeof devices[i].uuid - 1);
  devices[i].energy_supported = energy_supported;
}
void fake_nvml_push_energy_mj(unsigned int i, unsigned long long mj) {
  if (devices[i].energy_len < FAKE_MAX_SEQ)
    devices[i].energy_mj[devices[i].energy_len++] = mj;
}
void fake_nvml_push_power_mw(unsigned int i, unsigned int mw) {
  if (devices[i].power_len < FAKE_MAX_SEQ)
    devices[i].power_mw[devices[i].power_len++] = mw;
}
void fake_nvml_add_process(unsigned int i, unsigned int pid,
                           unsigned long long used_memory) {
  if (devices[i].nprocs < FAKE_MAX_PROCS) {
    devices[i].procs[devices[i].nprocs].pid = pid;
    devices[i].procs[devices[i].nprocs].used_gpu_memory = used_memory;
    devices[i].nprocs++;
  }
}
void fake_nvml_set_init_error(int code) {
  init_error = code;
}
// Makes every later energy, power and process read fail with `code` (0:
// succeed again), like a GPU that falls off the bus mid-run.
void fake_nvml_set_read_error(int code) {
  read_error = code;
}

// NVML symbols. Sequences advance per call and stick at their last value.
int nvmlInit_v2(void) {
  if (!scripted)
    default_devices();
  return init_error;
}
int nvmlShutdown(void) {
  return 0;
}
const char* nvmlErrorString(int r) {
  switch (r) {
    case 0:
      return "Success";
    case 3:
      return "Not Supported";
    case 9:
      return "Driver Not Loaded";
    case 15:
      return "GPU is lost";
    default:
      return "Unknown Error";
  }
}
int nvmlDeviceGetCount_v2(unsigned int* count) {
  *count = device_count;
  return 0;
}
int nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t* device) {
  if (i >= device_count)
    return 2;  // NVML_ERROR_INVALID_ARGUMENT
  *device = &devices[i];
  return 0;
}
int nvmlDeviceGetName(nvmlDevice_t d, char* name, unsigned int length) {
  strncpy(name, d->name, length - 1);
  name[length - 1] = '\0';
  return 0;
}
int nvmlDeviceGetUUID(nvmlDevice_t d, char* uuid, unsigned int length) {
  strncpy(uuid, d->uuid, length - 1);
  uuid[length - 1] = '\0';
  return 0;
}
int nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t d,
                                        unsigned long long* energy) {
  if (!d->energy_supported)
    return 3;
  if (read_error)
    return read_error;
  *energy = d->energy_len ? d->energy_mj[d->energy_pos] : 0;
  if (d->energy_pos + 1 < d->energy_len)
    d->energy_pos++;
  return 0;
}
int nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int* power) {
  if (read_error)
    return read_error;
  *power = d->power_len ? d->power_mw[d->power_pos] : 0;
  if (d->power_pos + 1 < d->power_len)
    d->power_pos++;
  return 0;
}
static int list_processes(nvmlDevice_t d, unsigned int* count,
                          struct FakeProcess* infos) {
  if (read_error)
    return read_error;
  if (*count < d->nprocs) {
    *count = d->nprocs;
    return 7;  // NVML_ERROR_INSUFFICIENT_SIZE
  }
  memcpy(infos, d->procs, d->nprocs * sizeof *infos);
  *count = d->nprocs;
  return 0;
}

// Built three ways (tests/sensors/CMakeLists.txt): a current driver with
// both process queries, one before R510 (FAKE_NVML_NO_V3) and one without
// any (FAKE_NVML_NO_PROCESSES).
#if !defined(FAKE_NVML_NO_V3) && !defined(FAKE_NVML_NO_PROCESSES)
int nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int* count,
                                            struct FakeProcess* infos) {
  return list_processes(d, count, infos);
}
#endif
#if !defined(FAKE_NVML_NO_PROCESSES)
int nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t d, unsigned int* count,
                                            struct FakeProcess* infos) {
  return list_processes(d, count, infos);
}
#endif
