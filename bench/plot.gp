# plot.gp - bench_io's ratios as a bar chart (docs/perf.png).
#
#   gnuplot -e "datafile='bench_io.dat'; outfile='perf.png'; subtitle='...'" \
#       bench/plot.gp
#
# datafile is what `bench_io --dat FILE` writes: a header row of sizes, then
# one row per workload with baseline time / mmapfile time for each size.
# The scale is logarithmic and every bar starts at 1, because the ratios run
# from 0.1 (open+map+close of a file read once) to 100 (the seek loop), and
# "2x faster" and "2x slower" should look equally far from even: a bar that
# goes up is a win for mmapfile, one that goes down a loss.

if (!exists("datafile")) datafile = 'bench_io.dat'
if (!exists("outfile")) outfile = 'perf.png'
if (!exists("subtitle")) subtitle = ''

# Size columns (the header's words minus "workload").
nsizes = int(system("head -n 1 '".datafile."' | wc -w")) - 1
width = 0.8 / nsizes

set terminal pngcairo size 1400,760 font 'DejaVu Sans,10' noenhanced
set output outfile
set title "mmapfile vs plain file I/O on page-cache-hot files (median ratios)\n".subtitle
set ylabel 'baseline time / mmapfile time   (up: mmapfile faster, down: slower)'
set logscale y 10
set yrange [0.05:400]
set ytics (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200)
set grid ytics
set xrange [-0.6:*]
set xtics rotate by -40 scale 0 font ',9' nomirror
set key top left box opaque
set datafile missing '-'
set style fill solid 0.85 border -1
set bmargin 11
set rmargin 8
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 1.5 lc rgb '#cc0000' front

x(i) = $0 - 0.4 + (i - 2 + 0.5) * width
plot for [i=2:nsizes+1] datafile skip 1 \
        using (x(i)):(1):(x(i) - width / 2):(x(i) + width / 2):(1):(column(i)) \
        with boxxyerror title word(system("head -n 1 '".datafile."'"), i), \
     datafile skip 1 using 0:(NaN):xtic(1) notitle
