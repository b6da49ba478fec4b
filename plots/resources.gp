# resources.gp: speed and memory per sharing mode for one task: throughput of
# training, inference and decoding (bars), and the memory of a training step
# broken into parameters, gradients, AdamW moments, activations and backward
# scratch (stacked bars, the engine's accounting) with the measured peak RSS.
#   gnuplot -e "plotdir='plots'; out='fig/resources-copy'; data='res.dat'; ttl='copy'" plots/resources.gp
# data: one row per mode: "mode" then, for training, inference and decoding,
#   tokens/s (geometric mean over seeds) and its 95% interval low and high,
#   then params-MiB grads-MiB optim-MiB acts-MiB scratch-MiB peak-rss-MiB
load plotdir.'/style.gp'
W = 1150; H = 540
do for [fmt in 'png svg'] {
    load plotdir.'/term.gp'
    set multiplot layout 1,2 title ttl font ',13'
    set style data histogram
    set style histogram errorbars gap 1 lw 1.2
    set style fill solid 0.85 border rgb '#333333'
    set boxwidth 0.9
    unset xlabel   # the tics name the modes
    set ylabel 'tokens per second (geometric mean; bars: 95% interval over seeds)'
    set title 'Throughput'
    set key outside below center horizontal maxrows 2
    set yrange [0:*]
    set offsets 0, 0, graph 0.05, 0
    plot data using 2:3:4:xtic(1) title 'training' lc rgb '#0072B2', \
         '' using 5:6:7 title 'inference (full forward)' lc rgb '#E69F00', \
         '' using 8:9:10 title 'decoding (key/value cache)' lc rgb '#009E73'
    set style histogram rowstacked
    set boxwidth 0.6
    set ylabel 'memory of one training step (MiB)'
    set title 'Memory (engine accounting) and peak RSS'
    set key outside below center horizontal maxrows 2
    plot data using 11:xtic(1) title 'parameters' lc rgb '#0072B2', \
         '' using 12 title 'gradients' lc rgb '#56B4E9', \
         '' using 13 title 'AdamW moments' lc rgb '#CC79A7', \
         '' using 14 title 'activations' lc rgb '#E69F00', \
         '' using 15 title 'backward scratch' lc rgb '#999999', \
         '' using 0:16 with points pt 7 ps 1.6 lc rgb '#000000' title 'peak RSS (measured)'
    unset multiplot
    set output
}
