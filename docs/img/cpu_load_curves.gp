# SPDX-License-Identifier: Apache-2.0
# The CPU power curves against codecarbon's measured load profiles
# (data/cpu_load_profiles.csv), as fractions of each machine's TDP.
# Run from the repository root:
#   gnuplot docs/img/cpu_load_curves.gp > docs/img/cpu_load_curves.svg
set terminal svg size 900,560 font "sans,13" background "white"
set datafile separator ","
set key top left box opaque
set xlabel "CPU load (share of all logical CPUs)"
set ylabel "RAPL package power / TDP"
set xrange [0:1]
set yrange [0:1.45]
set grid
data = "data/cpu_load_profiles.csv"
# Columns: run, cpu, load_type, threads, cpu_load_pct, rapl_power_w, tdp_w,
# sockets. Rows of other runs become NaN (not drawn).
pick(name) = (strcol(1) eq name) ? column(6) / (column(7) * column(8)) : NaN
a = 0.10; b = 0.61; k = 0.88
fitted(u) = a + b * u**k
cubic(u) = 0.1 + 0.9 * u**3
linear(u) = u
plot \
  data every ::1 using ($5/100):(pick("epyc-8024p")) with points pt 7 ps 0.8 lc rgb "#1b9e77" title "AMD EPYC 8024P", \
  data every ::1 using ($5/100):(pick("tr-1950x")) with points pt 5 ps 0.8 lc rgb "#d95f02" title "Threadripper 1950X", \
  data every ::1 using ($5/100):(pick("e3-1240v2-a")) with points pt 9 ps 0.9 lc rgb "#7570b3" title "Xeon E3-1240 V2 (run a)", \
  data every ::1 using ($5/100):(pick("e3-1240v2-b")) with points pt 11 ps 0.9 lc rgb "#e7298a" title "Xeon E3-1240 V2 (run b)", \
  data every ::1 using ($5/100):(pick("e5-2620v3")) with points pt 13 ps 0.9 lc rgb "#66a61e" title "2 x Xeon E5-2620 v3", \
  fitted(x) with lines lw 3 lc rgb "black" title "fitted: 0.10 + 0.61 u^{0.88}", \
  linear(x) with lines lw 2 dt 2 lc rgb "#444444" title "linear: u", \
  cubic(x) with lines lw 2 dt 3 lc rgb "#444444" title "CodeCarbon: 0.1 + 0.9 u^3"
