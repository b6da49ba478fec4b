# attack.gp: accuracy under an embedding-space PGD attack against the size of
# the perturbation (epsilon, relative to the mean embedding norm), per sharing
# mode for one task: mean over seeds with min-max bars. Accuracy here is per
# example (every scored position of the example right), from size 0 (clean).
#   gnuplot -e "plotdir='plots'; out='fig/attack-copy'; data='pgd.dat'; modes='none all'; ttl='copy'" plots/attack.gp
# data: one block per mode: epsilon mean min max
load plotdir.'/style.gp'
W = 820; H = 540
n = words(modes)
do for [fmt in 'png svg'] {
    load plotdir.'/term.gp'
    set title ttl.': accuracy under attack' font ',13'
    set xlabel 'perturbation size ε (fraction of the mean embedding norm)'
    set ylabel 'per-example accuracy (mean over seeds; bars: min to max)'
    set key top right
    set xrange [0:*]
    set yrange [0:*]
    set offsets 0, graph 0.03, graph 0.05, 0
    plot for [i=0:n-1] data index i using 1:2:3:4 with yerrorlines lc i+1 title word(modes, i+1)
    set output
}
