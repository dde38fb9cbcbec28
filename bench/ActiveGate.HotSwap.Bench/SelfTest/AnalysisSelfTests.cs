using ActiveGate.HotSwap.Bench.Measurement;
using ActiveGate.HotSwap.Bench.Proxy;

namespace ActiveGate.HotSwap.Bench.SelfTest;

/// <summary>The swap analysis and statistics on hand-made records whose answers are known.</summary>
internal static class AnalysisSelfTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static string Quantiles()
    {
        double[] hundred = [.. Enumerable.Range(1, 100).Select(i => (double)i)];
        Check(Stats.Median(hundred) == 50.5, "median of 1..100");
        Check(Math.Abs(Stats.P99(hundred) - 99.01) < 1e-9, "p99 of 1..100 (type 7)");
        Check(Stats.Median([3.0]) == 3.0 && double.IsNaN(Stats.Median([])), "one sample, empty");
        Check(Stats.Summarize([double.NaN, 1, 2]).Count == 2, "NaN ignored");
        return "median 50.5 and p99 99.01 of 1..100; NaN and empty handled";
    }

    public static string Swaps()
    {
        // Swap at 10.000 s, acked at 10.050 s, from A to B. At B: a connection (flow 7) does AE → 2 containers in
        // parallel → subscription, then the first reading; at A one reading spans the ack and one is accepted after it.
        SwapRecord swap = new(1, "A", "B", At(10_000), At(10_050));
        HttpExchange[] b =
        [
            X(7, 2, "ae", 10_100, 10_150),
            X(7, 3, "c1", 10_160, 10_210),
            X(8, 3, "c2", 10_160, 10_215),
            X(7, 23, "sub", 10_220, 10_270),
            X(7, 4, "plug-ch1-41", 10_280, 10_330),
            X(8, 4, "plug-ch1-42", 10_290, 10_340),
        ];
        HttpExchange[] a = [X(1, 4, "plug-ch1-39", 9_990, 10_060), X(1, 4, "plug-ch1-40", 10_065, 10_080)];
        SwapResult r = SwapAnalysis.Analyze([swap], new Dictionary<string, IReadOnlyList<HttpExchange>> { ["A"] = a, ["B"] = b }, At(20_000))[0];
        Check(r.FirstReadingMs == 280, $"first reading {r.FirstReadingMs}");
        Check(r.TreeCompleteMs == 220, $"tree complete {r.TreeCompleteMs}");
        Check(r.TreeCreates == 4 && r.SetupRequests == 4, $"tree creates {r.TreeCreates}, setup requests {r.SetupRequests}");
        Check(r.RoundTrips == 4, $"round trips {r.RoundTrips} (AE, containers in parallel, sub, reading)");
        Check(r.NewConnections == 2, $"new connections {r.NewConnections}");
        Check(r.InFlightAtAck == 1 && r.OldAcceptedAfterAck == 2, $"in flight {r.InFlightAtAck}, old after ack {r.OldAcceptedAfterAck}");

        var accepted = new Dictionary<string, IReadOnlySet<string>>
        {
            ["A"] = new HashSet<string> { "p-ch1-1", "p-ch1-2", "p-ch1-3" },
            ["B"] = new HashSet<string> { "p-ch1-3", "p-ch1-5" },
        };
        LossReport loss = SwapAnalysis.Losses(accepted, produced: 6, stillQueued: 1, unanswered: 0);
        Check(loss.Duplicated == 1 && loss.Accepted == 4 && loss.Lost == 1 && loss.SequenceGaps == 1, $"loss {loss}");
        return "first reading 280 ms, tree 220 ms, 4 round trips, 2 new connections, 1 in flight; lost 1 / duplicated 1 / gap 1 found";
    }

    private static DateTimeOffset At(int ms) => s_t0.AddMilliseconds(ms);

    private static HttpExchange X(long flow, int ty, string rn, int requestMs, int responseMs)
        => new(flow, "POST", "/cse-in/x", ty, rn, At(requestMs), At(responseMs), 201, 2001);

    private static void Check(bool ok, string message)
    {
        if (!ok)
        {
            throw new InvalidOperationException(message);
        }
    }
}
