/* SPDX-License-Identifier: Apache-2.0 */
/* The C API from C11: each check prints what failed and the test exits 1. */
/* setenv, unsetenv */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mlcarbon/mlcarbon.h"

static int failures = 0;

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "%s:%d: CHECK(%s) failed; last error: %s\n", __FILE__, \
              __LINE__, #cond, mlcarbon_last_error());                       \
      ++failures;                                                            \
    }                                                                        \
  } while (0)

static const char* tmp_dir;

static void spin(long n) {
  volatile double x = 0.0;
  for (long i = 0; i < n; ++i)
    x += (double)i;
}

/* Deterministic everywhere: the CPU and memory models, a fixed region. */
static mlcarbon_tracker_options model_options(void) {
  mlcarbon_tracker_options o;
  mlcarbon_tracker_options_init(&o);
  o.project = "capi-test";
  o.region = "FR";
  o.interval_s = 0.05;
  o.sensors = "cpu-model,memory-model";
  return o;
}

static void test_version_and_names(void) {
  CHECK(strcmp(mlcarbon_version(), "0.1.0") == 0 ||
        strchr(mlcarbon_version(), '.') != NULL);
  CHECK(strcmp(mlcarbon_status_name(MLCARBON_OK), "ok") == 0);
  CHECK(strcmp(mlcarbon_status_name(MLCARBON_ERROR_PARSE), "parse error") == 0);
  CHECK(strcmp(mlcarbon_status_name((mlcarbon_status)99), "unknown status") ==
        0);
  CHECK(strcmp(mlcarbon_method_name(MLCARBON_METHOD_MEASURED), "measured") ==
        0);
  CHECK(strcmp(mlcarbon_method_name(MLCARBON_METHOD_ESTIMATED), "estimated") ==
        0);
}

/* The model sensors are estimates: every figure has a band around it. */
static void test_bounds_of_an_estimated_run(void) {
  mlcarbon_tracker_options o = model_options();
  mlcarbon_tracker* t = NULL;
  CHECK(mlcarbon_tracker_create(&o, &t) == MLCARBON_OK);
  if (t == NULL)
    return;
  CHECK(mlcarbon_tracker_start(t) == MLCARBON_OK);
  CHECK(mlcarbon_tracker_window_begin(t, "w") == MLCARBON_OK);
  spin(5000000);
  mlcarbon_window w;
  mlcarbon_bounds wb;
  CHECK(mlcarbon_tracker_window_end_bounds(t, "w", &w, &wb) == MLCARBON_OK);
  CHECK(wb.energy_j_low < w.energy_j && w.energy_j < wb.energy_j_high);
  CHECK(wb.co2e_kg_low < w.co2e_kg && w.co2e_kg < wb.co2e_kg_high);
  CHECK(wb.embodied_co2e_kg == 0.0);
  mlcarbon_reading r;
  mlcarbon_bounds rb;
  CHECK(mlcarbon_tracker_read_bounds(t, &r, &rb) == MLCARBON_OK);
  CHECK(rb.energy_j_low < r.energy_j && r.energy_j < rb.energy_j_high);
  CHECK(rb.attributed_energy_j_low <= r.attributed_energy_j &&
        r.attributed_energy_j <= rb.attributed_energy_j_high);
  CHECK(rb.co2e_kg_low == 0.0 && rb.co2e_kg_high == 0.0);
  mlcarbon_run_summary s;
  mlcarbon_bounds b;
  CHECK(mlcarbon_tracker_stop_bounds(t, NULL, &s, &b) == MLCARBON_OK);
  CHECK(b.energy_j_low < s.energy_j && s.energy_j < b.energy_j_high);
  CHECK(b.co2e_kg_low < s.co2e_kg && s.co2e_kg < b.co2e_kg_high);
  CHECK(b.attributed_co2e_kg_low <= s.attributed_co2e_kg &&
        s.attributed_co2e_kg <= b.attributed_co2e_kg_high);
  CHECK(b.embodied_co2e_kg > 0.0);
  CHECK(b.embodied_co2e_kg_low <= b.embodied_co2e_kg &&
        b.embodied_co2e_kg <= b.embodied_co2e_kg_high);
  mlcarbon_tracker_free(t);
}

static void test_a_full_run_with_windows_and_history(void) {
  char db[512];
  snprintf(db, sizeof db, "%s/history.db", tmp_dir);
  mlcarbon_tracker_options o = model_options();
  const char* tags[] = {"a", "b"};
  o.tags = tags;
  o.tag_count = 2;
  o.history_db = db;
  mlcarbon_tracker* t = NULL;

  CHECK(mlcarbon_tracker_create(&o, &t) == MLCARBON_OK);
  if (t == NULL)
    return;
  CHECK(*mlcarbon_last_error() == '\0');
  CHECK(mlcarbon_tracker_start(t) == MLCARBON_OK);
  CHECK(mlcarbon_tracker_window_begin(t, "epoch-1") == MLCARBON_OK);
  spin(5000000);
  mlcarbon_window w;
  memset(&w, 0, sizeof w);
  CHECK(mlcarbon_tracker_window_end(t, "epoch-1", &w) == MLCARBON_OK);
  mlcarbon_reading r1, r2;
  CHECK(mlcarbon_tracker_read(t, &r1) == MLCARBON_OK);
  spin(5000000);
  CHECK(mlcarbon_tracker_read(t, &r2) == MLCARBON_OK);
  char* json = NULL;
  mlcarbon_run_summary s;
  CHECK(mlcarbon_tracker_stop(t, &json, &s) == MLCARBON_OK);

  CHECK(w.energy_j > 0.0 && w.duration_s > 0.0);
  CHECK(w.method == MLCARBON_METHOD_ESTIMATED);
  CHECK(w.co2e_kg > 0.0 && w.intensity_g_per_kwh > 0.0);
  CHECK(r2.energy_j > r1.energy_j && r1.energy_j >= w.energy_j);
  CHECK(r1.method == MLCARBON_METHOD_ESTIMATED);
  CHECK(s.energy_j >= r2.energy_j);
  CHECK(fabs(s.energy_kwh * 3.6e6 - s.energy_j) < 1e-9 * s.energy_j + 1e-12);
  CHECK(fabs(s.co2e_kg - s.energy_kwh * s.pue * s.intensity_g_per_kwh / 1000) <
        1e-12);
  CHECK(s.method == MLCARBON_METHOD_ESTIMATED);
  CHECK(strlen(s.run_id) == 36);
  CHECK(json != NULL);
  if (json != NULL) {
    CHECK(strstr(json, "\"kind\": \"run\"") != NULL);
    CHECK(strstr(json, s.run_id) != NULL);
    CHECK(strstr(json, "\"name\": \"epoch-1\"") != NULL);
    CHECK(strstr(json, "\"project_name\": \"capi-test\"") != NULL);
    CHECK(strstr(json, "\"b\"") != NULL);
  }
  mlcarbon_string_free(json);
  struct stat st;
  CHECK(stat(db, &st) == 0 && st.st_size > 0);

  /* A stopped tracker refuses what needs a running one. */
  CHECK(mlcarbon_tracker_stop(t, NULL, NULL) ==
        MLCARBON_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(mlcarbon_last_error(), "not running") != NULL);
  CHECK(mlcarbon_tracker_read(t, &r1) == MLCARBON_ERROR_INVALID_ARGUMENT);
  mlcarbon_tracker_free(t);
}

static void test_wrong_order_and_unknown_windows(void) {
  mlcarbon_tracker_options o = model_options();
  mlcarbon_tracker* t = NULL;
  CHECK(mlcarbon_tracker_create(&o, &t) == MLCARBON_OK);
  if (t == NULL)
    return;

  CHECK(mlcarbon_tracker_window_begin(t, "w") ==
        MLCARBON_ERROR_INVALID_ARGUMENT);
  CHECK(mlcarbon_tracker_start(t) == MLCARBON_OK);
  CHECK(mlcarbon_tracker_start(t) == MLCARBON_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(mlcarbon_last_error(), "already running") != NULL);
  CHECK(mlcarbon_tracker_window_end(t, "never-opened", NULL) ==
        MLCARBON_ERROR_NOT_FOUND);
  CHECK(strstr(mlcarbon_last_error(), "never-opened") != NULL);
  CHECK(mlcarbon_tracker_window_begin(t, "w") == MLCARBON_OK);
  CHECK(mlcarbon_tracker_window_begin(t, "w") ==
        MLCARBON_ERROR_INVALID_ARGUMENT);
  /* The next successful call clears the error. */
  CHECK(mlcarbon_tracker_window_end(t, "w", NULL) == MLCARBON_OK);
  CHECK(*mlcarbon_last_error() == '\0');
  /* Freed while running: the run is discarded, nothing leaks. */
  mlcarbon_tracker_free(t);
  mlcarbon_tracker_free(NULL);
}

static void test_bad_arguments_name_themselves(void) {
  mlcarbon_tracker_options o = model_options();
  mlcarbon_tracker* t = NULL;
  mlcarbon_reading r;

  CHECK(mlcarbon_tracker_create(&o, NULL) == MLCARBON_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(mlcarbon_last_error(), "tracker is NULL") != NULL);
  CHECK(mlcarbon_tracker_start(NULL) == MLCARBON_ERROR_INVALID_ARGUMENT);
  CHECK(mlcarbon_tracker_read(NULL, &r) == MLCARBON_ERROR_INVALID_ARGUMENT);
  CHECK(mlcarbon_tracker_window_begin(NULL, "x") ==
        MLCARBON_ERROR_INVALID_ARGUMENT);
  CHECK(mlcarbon_estimate(NULL, NULL) == MLCARBON_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(mlcarbon_last_error(), "scenario_yaml") != NULL);

  o.region = "Germny";
  CHECK(mlcarbon_tracker_create(&o, &t) == MLCARBON_ERROR_NOT_FOUND);
  CHECK(t == NULL);
  CHECK(strstr(mlcarbon_last_error_message(),
               "options.region: unknown region 'Germny'") != NULL);
  CHECK(strstr(mlcarbon_last_error_message(), "Germany") != NULL);

  o = model_options();
  o.interval_s = 0.0;
  CHECK(mlcarbon_tracker_create(&o, &t) == MLCARBON_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(mlcarbon_last_error(), "interval") != NULL);

  o = model_options();
  o.sensors = "no-such-sensor";
  CHECK(mlcarbon_tracker_create(&o, &t) != MLCARBON_OK);
  CHECK(strstr(mlcarbon_last_error(), "no-such-sensor") != NULL);

  o = model_options();
  o.tag_count = 1;
  CHECK(mlcarbon_tracker_create(&o, &t) == MLCARBON_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(mlcarbon_last_error(), "tags") != NULL);

  o = model_options();
  o.pue = 0.5;
  CHECK(mlcarbon_tracker_create(&o, &t) == MLCARBON_ERROR_INVALID_ARGUMENT);

  o = model_options();
  o.carbon_intensity = NAN;
  CHECK(mlcarbon_tracker_create(&o, &t) == MLCARBON_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(mlcarbon_last_error(), "intensity") != NULL);

  /* A history that is not a database fails at create, with a remedy. */
  char bad_db[512];
  snprintf(bad_db, sizeof bad_db, "%s/not-a-db", tmp_dir);
  FILE* f = fopen(bad_db, "w");
  if (f != NULL) {
    fputs("this is not SQLite\n", f);
    fclose(f);
  }
  o = model_options();
  o.history_db = bad_db;
  CHECK(mlcarbon_tracker_create(&o, &t) != MLCARBON_OK);
  CHECK(strstr(mlcarbon_last_error_message(), "not-a-db") != NULL);
  CHECK(*mlcarbon_last_error_remedy() != '\0');
  CHECK(strstr(mlcarbon_last_error(), "\nhint: ") != NULL);
}

static void test_estimate_text_and_file(void) {
  const char* yaml =
      "name: s\n"
      "carbon_intensity_kg_per_kwh: 0.5\n"
      "training:\n"
      "  devices: 2\n"
      "  power_w: 300\n"
      "  hours: 10\n";
  char* json = NULL;

  CHECK(mlcarbon_estimate(yaml, &json) == MLCARBON_OK);
  CHECK(json != NULL && strstr(json, "\"schema_version\"") != NULL);
  mlcarbon_string_free(json);
  json = NULL;

  /* A misspelt field is an error at its line. */
  CHECK(mlcarbon_estimate("name: s\nregion: FR\ntraining:\n  devcies: 2\n",
                          &json) != MLCARBON_OK);
  CHECK(json == NULL);
  CHECK(strstr(mlcarbon_last_error(), "scenario:4") != NULL);

  char path[512];
  snprintf(path, sizeof path, "%s/scenario.yaml", tmp_dir);
  FILE* f = fopen(path, "w");
  if (f != NULL) {
    fputs(yaml, f);
    fclose(f);
  }
  CHECK(mlcarbon_estimate_file(path, &json) == MLCARBON_OK);
  CHECK(json != NULL && strstr(json, "\"total\"") != NULL);
  mlcarbon_string_free(json);
  json = NULL;
  CHECK(mlcarbon_estimate_file("/no/such/scenario.yaml", &json) ==
        MLCARBON_ERROR_NOT_FOUND);
  CHECK(strstr(mlcarbon_last_error(), "/no/such/scenario.yaml") != NULL);

  /* A model whose I is predicted from a machine profile is resolved here
     as `mlcarbon estimate` resolves it. */
  const char* fixtures = getenv("CAPI_FIXTURES");
  CHECK(fixtures != NULL);
  if (fixtures != NULL) {
    char predicted[1024];
    snprintf(predicted, sizeof predicted,
             "name: p\n"
             "carbon_intensity_g_per_kwh: 400\n"
             "profile: %s/profiles/small.json\n"
             "training:\n"
             "  model: mlp:depth=4,width=100,inputs=100\n"
             "  samples: 60000\n"
             "  epochs: 10\n"
             "  energy_per_inference_j: predict\n",
             fixtures);
    CHECK(mlcarbon_estimate(predicted, &json) == MLCARBON_OK);
    CHECK(json != NULL && strstr(json, "predicted per-layer") != NULL);
    mlcarbon_string_free(json);
    json = NULL;
  }
}

/* The last error belongs to the thread that made the call. */
/* A run of the CPU model alone on the fixture of a 2-vCPU KVM guest whose
 * /proc/stat stands still: the load is 0, so the power is 2 x MIN watts. */
static double fixture_cpu_watts(double min_w, double max_w, char** json) {
  mlcarbon_tracker_options o = model_options();
  o.sensors = "cpu-model";
  mlcarbon_tracker* t = NULL;
  double watts = -1.0;
  CHECK(mlcarbon_tracker_create(&o, &t) == MLCARBON_OK);
  if (t == NULL)
    return watts;
  CHECK(mlcarbon_tracker_set_cpu_watts(t, min_w, max_w) == MLCARBON_OK);
  CHECK(mlcarbon_tracker_start(t) == MLCARBON_OK);
  spin(2000000);
  mlcarbon_run_summary s;
  CHECK(mlcarbon_tracker_stop(t, json, &s) == MLCARBON_OK);
  if (s.duration_s > 0.0)
    watts = s.energy_j / s.duration_s;
  mlcarbon_tracker_free(t);
  return watts;
}

static void test_power_figures_set_per_tracker(void) {
  const char* fixtures = getenv("CAPI_FIXTURES");
  CHECK(fixtures != NULL);
  if (fixtures == NULL)
    return;
  char proc[4096], dmi[4096];
  snprintf(proc, sizeof proc, "%s/machine/kvm/proc", fixtures);
  snprintf(dmi, sizeof dmi, "%s/machine/kvm/dmi", fixtures);
  setenv("MLCARBON_PROC_ROOT", proc, 1);
  setenv("MLCARBON_DMI_ROOT", dmi, 1);

  char* json = NULL;
  const double base = fixture_cpu_watts(1.0, 4.0, &json);
  CHECK(fabs(base - 2.0) < 0.1);
  CHECK(json != NULL &&
        strstr(json, "(C API mlcarbon_tracker_set_cpu_watts)") != NULL);
  mlcarbon_string_free(json);
  json = NULL;
  const double doubled = fixture_cpu_watts(2.0, 8.0, &json);
  CHECK(fabs(doubled / base - 2.0) < 0.05);
  mlcarbon_string_free(json);

  mlcarbon_tracker_options o = model_options();
  mlcarbon_tracker* t = NULL;
  CHECK(mlcarbon_tracker_create(&o, &t) == MLCARBON_OK);
  if (t != NULL) {
    CHECK(mlcarbon_tracker_set_tdp(t, NAN) == MLCARBON_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(mlcarbon_last_error(),
                 "C API mlcarbon_tracker_set_tdp: expected a TDP in watts "
                 "(above 0 and at most 10000), got 'nan'") != NULL);
    CHECK(mlcarbon_tracker_set_memory_watts_per_gb(t, 0.0) ==
          MLCARBON_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(mlcarbon_last_error(), "got '0'") != NULL);
    CHECK(mlcarbon_tracker_set_cpu_watts(t, 4.0, 1.0) ==
          MLCARBON_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(mlcarbon_last_error(), "expected MIN <= MAX") != NULL);
    CHECK(mlcarbon_tracker_set_cpu_watts(t, -1.0, 1.0) ==
          MLCARBON_ERROR_INVALID_ARGUMENT);
    CHECK(mlcarbon_tracker_set_tdp(t, 65.0) == MLCARBON_OK);
    CHECK(mlcarbon_tracker_set_cpu_watts(t, 1.0, 4.0) ==
          MLCARBON_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(mlcarbon_last_error(), "two CPU models") != NULL);
    CHECK(mlcarbon_tracker_set_memory_watts_per_gb(t, 0.5) == MLCARBON_OK);
    CHECK(mlcarbon_tracker_start(t) == MLCARBON_OK);
    CHECK(mlcarbon_tracker_set_tdp(t, 100.0) ==
          MLCARBON_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(mlcarbon_last_error(), "running") != NULL);
    json = NULL;
    CHECK(mlcarbon_tracker_stop(t, &json, NULL) == MLCARBON_OK);
    CHECK(json != NULL && strstr(json, "(C API mlcarbon_tracker_set_tdp)"));
    mlcarbon_string_free(json);
    mlcarbon_tracker_free(t);
  }
  CHECK(mlcarbon_tracker_set_tdp(NULL, 65.0) ==
        MLCARBON_ERROR_INVALID_ARGUMENT);
  unsetenv("MLCARBON_PROC_ROOT");
  unsetenv("MLCARBON_DMI_ROOT");
}

static void* fail_in_thread(void* arg) {
  (void)arg;
  mlcarbon_tracker_start(NULL);
  return strstr(mlcarbon_last_error(), "NULL") != NULL ? arg : NULL;
}

static void test_last_error_is_per_thread(void) {
  mlcarbon_tracker_options o = model_options();
  o.region = "Germny";
  mlcarbon_tracker* t = NULL;
  CHECK(mlcarbon_tracker_create(&o, &t) != MLCARBON_OK);
  pthread_t thread;
  void* result = NULL;
  static int token;

  CHECK(pthread_create(&thread, NULL, fail_in_thread, &token) == 0);
  CHECK(pthread_join(thread, &result) == 0);

  CHECK(result == &token);
  CHECK(strstr(mlcarbon_last_error(), "Germny") != NULL);
}

int main(void) {
  tmp_dir = getenv("CAPI_TEST_DIR");
  if (tmp_dir == NULL) {
    fprintf(stderr, "set CAPI_TEST_DIR to a writable folder\n");
    return 2;
  }
  test_version_and_names();
  test_a_full_run_with_windows_and_history();
  test_bounds_of_an_estimated_run();
  test_wrong_order_and_unknown_windows();
  test_bad_arguments_name_themselves();
  test_estimate_text_and_file();
  test_last_error_is_per_thread();
  test_power_figures_set_per_tracker();
  if (failures > 0) {
    fprintf(stderr, "%d checks failed\n", failures);
    return 1;
  }
  puts("all C API checks passed");
  return 0;
}
