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

    /// <summary>HTTP framing fed one byte at a time: a chunked request with a trailer, a Content-Length response, a 204 and a HEAD.</summary>
    public static string HttpFraming()
    {
        var recorder = new HttpExchangeRecorder();
        recorder.OnOpened(1, At(0));
        string body = """{"m2m:cin":{"rn":"plug-a-ch1-9","con":"1"}}""";
        string chunked = $"POST /cse-in/ae/meas HTTP/1.1\r\nHost: x\r\nContent-Type: application/json;ty=4\r\nTransfer-Encoding: chunked\r\n\r\n" +
            $"{10:x}\r\n{body[..10]}\r\n{body.Length - 10:x};ext=1\r\n{body[10..]}\r\n0\r\nX-Trailer: y\r\n\r\n";
        Feed(recorder, FlowDirection.Upstream, chunked + "DELETE /cse-in/x HTTP/1.1\r\nHost: x\r\n\r\nHEAD /cse-in HTTP/1.1\r\nHost: x\r\n\r\n", 10);
        Check(recorder.Exchanges.Count == 0 && recorder.Pending.Count == 3, $"pending {recorder.Pending.Count}");
        Feed(recorder, FlowDirection.Downstream, "HTTP/1.1 201 Created\r\nX-M2M-RSC: 2001\r\nContent-Length: 2\r\n\r\n{}" +
            "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", 20);
        IReadOnlyList<HttpExchange> x = recorder.Exchanges;
        Check(x.Count == 3, $"{x.Count} exchanges");
        Check(x[0].IsCreate && x[0].ResourceType == 4 && x[0].ResourceName == "plug-a-ch1-9" && x[0].Rsc == 2001 && SwapAnalysis.IsAcceptedReading(x[0]), "chunked cin");
        Check(x[1].Method == "DELETE" && x[1].Status == 204 && x[2].Method == "HEAD" && x[2].Status == 200, "204 and HEAD have no body");
        Check(x[0].RequestAt == At(10) && x[0].ResponseAt > x[0].RequestAt, "timestamps: first request byte, last response byte");
        recorder.OnClosed(1, At(99));
        Check(recorder.UnparsableFlows == 0 && recorder.Unanswered.Count == 0, "unparsable or unanswered");
        return "chunked request with extension and trailer, Content-Length, 204 and HEAD responses framed byte by byte; names, types and RSC read";
    }

    private static void Feed(HttpExchangeRecorder recorder, FlowDirection direction, string text, int startMs)
    {
        byte[] bytes = System.Text.Encoding.ASCII.GetBytes(text);
        for (int i = 0; i < bytes.Length; i++)
        {
            recorder.OnData(1, direction, At(startMs + (i / 100)), bytes.AsSpan(i, 1));
        }
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
