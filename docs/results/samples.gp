# Drawn by `mlcarbon experiment`; edit and rerun `gnuplot samples.gp` in this folder.
set title "Training energy against training-set size"
set xlabel "training samples"
set ylabel "training energy (J, estimated)"
set grid
set samples 120
set key below
fit0(x) = 0.000622390866*x + -1.18950528
paper0(x) = 0.000611099202*x
set terminal svg size 720,460 dynamic enhanced font 'sans,11' background rgb 'white'
set output 'samples.svg'
plot 'samples.dat' index 0 using 1:2 with points pointsize 1.2 title 'depth 20 x width 100', \
     fit0(x) title 'fit, depth 20 x width 100' dashtype 2, \
     paper0(x) title 'paper: proportional, depth 20 x width 100' dashtype 3 linewidth 1.5
set terminal pngcairo size 720,460 font 'sans,9' background rgb 'white'
set output 'samples.png'
replot
set output
