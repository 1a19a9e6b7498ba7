# Drawn by `mlcarbon experiment`; edit and rerun `gnuplot shape.gp` in this folder.
set title "Deep against wide networks of equal size"
set xlabel "trainable parameters"
set ylabel "training energy (J, estimated)"
set grid
set samples 120
set key below
set terminal svg size 720,460 dynamic enhanced font 'sans,11' background rgb 'white'
set output 'shape.svg'
plot 'shape.dat' index 0 using 1:2 with linespoints pointsize 1.2 title 'deep (width 25)', \
     'shape.dat' index 1 using 1:2 with linespoints pointsize 1.2 title 'wide (2 layers)'
set terminal pngcairo size 720,460 font 'sans,9' background rgb 'white'
set output 'shape.png'
replot
set output
