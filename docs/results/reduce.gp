# Drawn by `mlcarbon experiment`; edit and rerun `gnuplot reduce.gp` in this folder.
set title "Pruning and distillation: when do they pay back?"
set xlabel "inference calls"
set ylabel "energy of reduction and inference (J, estimated)"
set grid
set samples 120
set key left top
set xrange [0:258587.967]
base(x) = 0.00169412649*x
pruning(x) = 19.1984963 + 0.000763379318*x
distillation(x) = 108.461298 + 0.000855252972*x
set terminal svg size 720,460 dynamic enhanced font 'sans,11' background rgb 'white'
set output 'reduce.svg'
plot base(x) title 'base model' linewidth 2, \
     pruning(x) title 'pruning: cost, then its inferences' dashtype 2 linewidth 2, \
     distillation(x) title 'distillation: cost, then its inferences' dashtype 2 linewidth 2
set terminal pngcairo size 720,460 font 'sans,9' background rgb 'white'
set output 'reduce.png'
replot
set output
