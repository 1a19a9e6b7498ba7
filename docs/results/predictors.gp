# Drawn by `mlcarbon experiment`; edit and rerun `gnuplot predictors.gp` in this folder.
set title "Predicted against measured training energy per sample"
set xlabel "measured training energy per sample (J, estimated)"
set ylabel "predicted training energy per sample (J)"
set grid
set samples 120
set logscale x
set logscale y
set key left top
same(x) = x
set terminal svg size 720,460 dynamic enhanced font 'sans,11' background rgb 'white'
set output 'predictors.svg'
plot 'predictors.dat' index 0 using 1:2 with points pointsize 1.2 title 'parameters', \
     'predictors.dat' index 1 using 1:2 with points pointsize 1.2 title 'flops', \
     'predictors.dat' index 2 using 1:2 with points pointsize 1.2 title 'per-layer', \
     same(x) title 'predicted = measured' dashtype 2 linecolor 'black'
set terminal pngcairo size 720,460 font 'sans,9' background rgb 'white'
set output 'predictors.png'
replot
set output
