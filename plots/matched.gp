# matched.gp: quality at equal parameters and at equal compute, three panels
# sharing the quality axis: test metric (mean, 95% CI over seeds) against
# unique parameters, against training FLOPs per token and against inference
# FLOPs per token, each point labelled with its configuration, so that
# configurations level on one axis and apart on another are seen side by side.
#   gnuplot -e "plotdir='plots'; out='fig/matched-copy'; data='matched.dat'; ttl='copy';
#               ylab='test accuracy'; bounded=1" plots/matched.gp
# data: one row per configuration: params train-FLOPs infer-FLOPs mean ci-low ci-high "label"
# bounded: 1 when the metric lies in [0, 1] (the axis stays inside).
load plotdir.'/style.gp'
W = 1500; H = 560
xl(c) = c == 1 ? 'unique parameters (thousands)' : c == 2 ? 'training FLOPs per token (millions)' : 'inference FLOPs per token (millions)'
sc(c) = c == 1 ? 1000.0 : 1e6
do for [fmt in 'png svg'] {
    load plotdir.'/term.gp'
    set multiplot layout 1,3 title ttl font ',13'
    do for [c=1:3] {
        set xlabel xl(c)
        if (c == 1) { set ylabel ylab } else { unset ylabel }
        unset key
        set offsets graph 0.15, graph 0.15, graph 0.12, graph 0.12
        set format x '%.4g'
        set xtics rotate by -30
        if (bounded) { set yrange [0<*:*<1] }
        plot data using (column(c)/sc(c)):4:5:6 with yerrorbars lc 1 pt 7 ps 1.4, \
             data using (column(c)/sc(c)):4:7 with labels offset 0,1 font ',9'
    }
    unset multiplot
    set output
}
