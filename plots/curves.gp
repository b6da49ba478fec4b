# curves.gp: training and validation curves per sharing mode for one task:
# training loss, validation loss and the validation headline metric (the
# report's quality measure, with the task's chance level).
# Called by `sharebench report` (or by hand) with
#   gnuplot -e "plotdir='plots'; out='fig/curves-copy'; train='train.dat';
#               valid='valid.dat'; vmetric='metric.dat'; mlab='validation accuracy';
#               chance=0.0625; bounded=1; modes='none cycle:2 all'; ttl='copy'" plots/curves.gp
# train, valid, vmetric: one block per mode (in the order of modes), rows
#   step  mean-over-seeds  min  max
# chance: NaN when the task states none; bounded: 1 when the metric lies in [0, 1].
load plotdir.'/style.gp'
W = 1500; H = 470
n = words(modes)
do for [fmt in 'png svg'] {
    load plotdir.'/term.gp'
    set multiplot layout 1,3 title ttl font ',13'
    set xlabel 'training step'
    set ylabel 'training loss (nats per scored token)'
    set title 'Training loss (line: mean over seeds; band: min to max)'
    set key top right
    set style fill transparent solid 0.18 noborder
    plot for [i=0:n-1] train index i using 1:3:4 with filledcurves lc i+1 notitle, \
         for [i=0:n-1] train index i using 1:2 with lines lc i+1 title word(modes, i+1)
    set ylabel 'validation loss (nats per scored token)'
    set title 'Validation loss (mean over seeds; band: min to max)'
    plot for [i=0:n-1] valid index i using 1:3:4 with filledcurves lc i+1 notitle, \
         for [i=0:n-1] valid index i using 1:2 with linespoints lc i+1 title word(modes, i+1)
    set ylabel mlab
    set title mlab.' (mean over seeds; band: min to max)'
    set key bottom right
    if (bounded) { set yrange [0:1] } else { set yrange [*:*] }
    plot for [i=0:n-1] vmetric index i using 1:3:4 with filledcurves lc i+1 notitle, \
         for [i=0:n-1] vmetric index i using 1:2 with linespoints lc i+1 title word(modes, i+1), \
         (chance == chance ? chance : NaN) with lines dt 3 lw 1.5 lc rgb '#aa0000' title 'chance level'
    unset multiplot
    set output
}
