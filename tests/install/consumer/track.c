/* SPDX-License-Identifier: Apache-2.0 */
/* Tracks a loop with the installed library's C API. */
#include <stdio.h>

#include <mlcarbon/mlcarbon.h>

int main(void) {
  mlcarbon_tracker_options options;
  mlcarbon_tracker_options_init(&options);
  options.region = "FR";
  options.interval_s = 0.05;
  mlcarbon_tracker* tracker = NULL;
  if (mlcarbon_tracker_create(&options, &tracker) != MLCARBON_OK ||
      mlcarbon_tracker_start(tracker) != MLCARBON_OK) {
    fprintf(stderr, "%s\n", mlcarbon_last_error());
    return 1;
  }
  volatile double x = 0.0;
  for (long i = 0; i < 20000000; ++i)
    x += (double)i;
  mlcarbon_run_summary run;
  if (mlcarbon_tracker_stop(tracker, NULL, &run) != MLCARBON_OK) {
    fprintf(stderr, "%s\n", mlcarbon_last_error());
    return 1;
  }
  printf("mlcarbon %s tracked a loop: %g J %s\n", mlcarbon_version(),
         run.energy_j, mlcarbon_method_name(run.method));
  mlcarbon_tracker_free(tracker);
  return run.energy_j > 0.0 ? 0 : 1;
}
