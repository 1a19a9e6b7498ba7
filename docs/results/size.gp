# Drawn by `mlcarbon experiment`; edit and rerun `gnuplot size.gp` in this folder.
set title "Training energy against model size"
set xlabel "trainable parameters"
set ylabel "training energy (J, estimated)"
set grid
set samples 120
set key below
fit0(x) = 2.17439196e-05*x + 8.09828645
paper0(x) = 2.6824122e-05*x
set terminal svg size 720,460 dynamic enhanced font 'sans,11' background rgb 'white'
set output 'size.svg'
plot 'size.dat' index 0 using 1:2 with points pointsize 1.2 title 'width 25', \
     'size.dat' index 1 using 1:2 with points pointsize 1.2 title 'width 50', \
     'size.dat' index 2 using 1:2 with points pointsize 1.2 title 'width 100', \
     fit0(x) title 'fit, all models' dashtype 2, \
     paper0(x) title 'paper: almost linear' dashtype 3 linewidth 1.5
set terminal pngcairo size 720,460 font 'sans,9' background rgb 'white'
set output 'size.png'
replot
set output
