# Drawn by `mlcarbon experiment`; edit and rerun `gnuplot epochs.gp` in this folder.
set title "Training energy against epochs"
set xlabel "epochs"
set ylabel "training energy (J, estimated)"
set grid
set samples 120
set key below
fit0(x) = 3.05695065*x + -0.0382879099
paper0(x) = 3.05483833*x
fit1(x) = 1.45331612*x + -0.114522222
paper1(x) = 1.40716141*x
set terminal svg size 720,460 dynamic enhanced font 'sans,11' background rgb 'white'
set output 'epochs.svg'
plot 'epochs.dat' index 0 using 1:2 with points pointsize 1.2 title '100 layers of 25', \
     'epochs.dat' index 1 using 1:2 with points pointsize 1.2 title '50 layers of 25', \
     fit0(x) title 'fit, 100 layers of 25' dashtype 2, \
     paper0(x) title 'paper: proportional, 100 layers of 25' dashtype 3 linewidth 1.5, \
     fit1(x) title 'fit, 50 layers of 25' dashtype 2, \
     paper1(x) title 'paper: proportional, 50 layers of 25' dashtype 3 linewidth 1.5
set terminal pngcairo size 720,460 font 'sans,9' background rgb 'white'
set output 'epochs.png'
replot
set output
