# compress.gp: quality against bytes on disk, one point per configuration
# with its 95% confidence interval across seeds, coloured by what it does
# (reference, sharing alone, compression alone, both), and the quality-per-byte
# frontier (the configurations no smaller one beats). Bytes on a log scale.
#   gnuplot -e "plotdir='plots'; out='fig/compress-copy'; data='compress.dat'; front='front.dat';
#               ttl='copy'; ylab='test accuracy'; chance=0.0625" plots/compress.gp
# data: one row per configuration: KiB-on-disk mean ci-low ci-high kind (0 reference,
#       1 sharing alone, 2 compression alone, 3 both)
# front: the frontier's points, by size: KiB-on-disk mean
load plotdir.'/style.gp'
W = 820; H = 560
kname(k) = k == 0 ? 'reference' : k == 1 ? 'sharing alone' : k == 2 ? 'compression alone' : 'sharing and compression'
do for [fmt in 'png svg'] {
    load plotdir.'/term.gp'
    set title ttl font ',13'
    set xlabel 'bytes on disk (KiB, log scale)'
    set ylabel ylab
    set logscale x 2
    set key outside right top
    set offsets graph 0.05, graph 0.05, graph 0.12, graph 0.12
    plot for [k=0:3] data using ($5 == k ? $1 : NaN):2:3:4 with yerrorbars lc k+1 pt (k == 0 ? 7 : k == 1 ? 5 : k == 2 ? 9 : 13) ps 1.6 title kname(k), \
         front using 1:2 with lines dt 2 lw 1.5 lc rgb '#666666' title 'frontier', \
         (chance == chance ? chance : NaN) with lines dt 3 lw 1.5 lc rgb '#aa0000' title 'chance level'
    set output
}
