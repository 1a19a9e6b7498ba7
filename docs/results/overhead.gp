# Drawn by `mlcarbon experiment`; edit and rerun `gnuplot overhead.gp` in this folder.
set title "Training overhead: (training − inference) ÷ training"
set xlabel "trainable parameters (log scale)"
set ylabel "overhead (% of training energy, estimated)"
set grid
set samples 120
set logscale x
set yrange [0:100]
set key below
fit0(x) = 100*(0.822077087 - 969.516212/x)
fit1(x) = 100*(0.878680474 - 6036.75673/x)
paper(x) = 80
set terminal svg size 720,460 dynamic enhanced font 'sans,11' background rgb 'white'
set output 'overhead.svg'
plot 'overhead.dat' index 0 using 1:2 with points pointsize 1.2 title '4k samples', \
     'overhead.dat' index 1 using 1:2 with points pointsize 1.2 title '1k samples', \
     fit0(x) title 'fit a − b/x, 4k samples' dashtype 2, \
     fit1(x) title 'fit a − b/x, 1k samples' dashtype 2, \
     paper(x) title 'paper: about 80 % (θ ≈ 5)' dashtype 3 linewidth 1.5
set terminal pngcairo size 720,460 font 'sans,9' background rgb 'white'
set output 'overhead.png'
replot
set output
