# pareto.gp: quality against unique parameters, one point per sharing mode with
# its 95% confidence interval across seeds, and the quality-per-parameter
# frontier (the modes significantly better than every mode with fewer
# parameters: the report's verdicts decide which).
#   gnuplot -e "plotdir='plots'; out='fig/pareto-copy'; data='pareto.dat'; front='front.dat';
#               modes='none all'; ttl='copy'; ylab='test accuracy'; chance=0.0625; bounded=1" plots/pareto.gp
# bounded: 1 when the metric lies in [0, 1] (the axis stays inside).
# data: one row per mode, in the order of modes: unique-params mean ci-low ci-high
# front: the frontier's points, by parameters: unique-params mean
load plotdir.'/style.gp'
W = 820; H = 560
n = words(modes)
do for [fmt in 'png svg'] {
    load plotdir.'/term.gp'
    set title ttl font ',13'
    set xlabel 'unique parameters (thousands)'
    set ylabel ylab
    set key outside right top
    set offsets graph 0.1, graph 0.1, graph 0.12, graph 0.12
    if (bounded) { set yrange [0<*:*<1] }
    set format x '%.0f'
    plot for [i=0:n-1] data every ::i::i using ($1/1000):2:3:4 with yerrorbars lc i+1 pt (i%8 == 0 ? 7 : i%8 == 1 ? 5 : 9) ps 1.8 title word(modes, i+1), \
         front using ($1/1000):2 with linespoints dt 2 lw 1.5 pt 6 ps 3 lc rgb '#666666' title 'frontier (circled)', \
         (chance == chance ? chance : NaN) with lines dt 3 lw 1.5 lc rgb '#aa0000' title 'chance level'
    set output
}
