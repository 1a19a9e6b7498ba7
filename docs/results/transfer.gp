# Drawn by `mlcarbon experiment`; edit and rerun `gnuplot transfer.gp` in this folder.
set title "Transfer learning against a small dedicated model"
set xlabel "way to a classifier of the target classes"
set ylabel "training energy (J, estimated)"
set grid
set samples 120
set boxwidth 0.6
set xrange [-0.6:2.6]
set yrange [0:*]
set key off
set xtics ("fine-tuning only\n80.1 %% accurate" 0, "with pre-training\n80.1 %% accurate" 1, "small dedicated\n92.8 %% accurate" 2)
set terminal svg size 720,460 dynamic enhanced font 'sans,11' background rgb 'white'
set output 'transfer.svg'
plot 'transfer.dat' index 0 using 1:2 with boxes fill solid 0.5 title 'training energy'
set terminal pngcairo size 720,460 font 'sans,9' background rgb 'white'
set output 'transfer.png'
replot
set output
