# Drawn by `mlcarbon experiment`; edit and rerun `gnuplot layertype.gp` in this folder.
set title "Convolutional against dense networks of equal size"
set xlabel "trainable parameters"
set ylabel "training energy (J, estimated)"
set grid
set samples 120
set key below
set terminal svg size 720,460 dynamic enhanced font 'sans,11' background rgb 'white'
set output 'layertype.svg'
plot 'layertype.dat' index 0 using 1:2 with linespoints pointsize 1.2 title 'dense', \
     'layertype.dat' index 1 using 1:2 with linespoints pointsize 1.2 title 'convolutional'
set terminal pngcairo size 720,460 font 'sans,9' background rgb 'white'
set output 'layertype.png'
replot
set output
