namespace ActiveGate.HotSwap.Bench.Measurement;

/// <summary>Order statistics over a sample.</summary>
public static class Stats
{
    /// <summary>
    /// The q-quantile (0..1) by linear interpolation between the closest ranks (Hyndman–Fan type 7, as numpy's default):
    /// with 100 samples p99 lies between the 99th and the 100th, so one outlier among 100 swaps shows.
    /// NaN for an empty sample.
    /// </summary>
    public static double Quantile(IEnumerable<double> samples, double q)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(q, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(q, 1.0);
        double[] sorted = [.. samples.Where(s => !double.IsNaN(s)).Order()];
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        double h = (sorted.Length - 1) * q;
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + ((h - lo) * (sorted[hi] - sorted[lo]));
    }

    public static double Median(IEnumerable<double> samples) => Quantile(samples, 0.5);

    public static double P99(IEnumerable<double> samples) => Quantile(samples, 0.99);

    public static Summary Summarize(IEnumerable<double> samples)
    {
        double[] s = [.. samples.Where(x => !double.IsNaN(x))];
        return s.Length == 0
            ? new Summary(0, double.NaN, double.NaN, double.NaN, double.NaN)
            : new Summary(s.Length, s.Min(), Median(s), P99(s), s.Max());
    }

    /// <summary>Count, minimum, median, p99 and maximum of a sample.</summary>
    public readonly record struct Summary(int Count, double Min, double Median, double P99, double Max)
    {
        public override string ToString()
            => Count == 0 ? "no samples" : FormattableString.Invariant($"median {Median:0.#}, p99 {P99:0.#} (min {Min:0.#}, max {Max:0.#}, n={Count})");
    }
}
