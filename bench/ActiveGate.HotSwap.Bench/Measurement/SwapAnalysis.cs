using System.Globalization;
using ActiveGate.HotSwap.Bench.Proxy;

namespace ActiveGate.HotSwap.Bench.Measurement;

/// <summary>One swap as the harness drove it: asked at <see cref="RequestedAt"/>, acknowledged by the agent at <see cref="AckAt"/>.</summary>
public sealed record SwapRecord(int Index, string From, string To, DateTimeOffset RequestedAt, DateTimeOffset AckAt);

/// <summary>
/// What one swap cost, from the proxies' records. Times are milliseconds after the acknowledgement (negative if the
/// agent was faster than its own ack); NaN where there was nothing to measure.
/// </summary>
/// <param name="FirstReadingMs">Until the first reading the new platform accepted (2001 back at the agent).</param>
/// <param name="TreeCompleteMs">Until the last resource-tree CREATE (AE, container, subscription, …) answered; NaN when the swap created none.</param>
/// <param name="TreeCreates">Tree CREATEs at the new platform during the swap.</param>
/// <param name="SetupRequests">Requests other than readings the new platform answered until it was settled (first reading and tree complete).</param>
/// <param name="RoundTrips">Longest chain of requests each sent after the previous one's answer, until settled (HTTP critical path).</param>
/// <param name="NewConnections">Connections first used for the new platform until settled (each adds a handshake RTT).</param>
/// <param name="InFlightAtAck">Readings sent to the old platform and not yet answered at the ack.</param>
/// <param name="OldAcceptedAfterAck">Readings the old platform accepted after the ack (the old queue draining).</param>
public sealed record SwapResult(
    SwapRecord Swap,
    double FirstReadingMs,
    double TreeCompleteMs,
    int TreeCreates,
    int SetupRequests,
    int RoundTrips,
    int NewConnections,
    int InFlightAtAck,
    int OldAcceptedAfterAck);

/// <summary>
/// Readings produced against readings the platforms accepted, by name (each reading's name is unique and ends in the
/// outbox sequence, which counts all channels). <see cref="Lost"/> is the larger of the gaps in the accepted sequences
/// and, when the agent's count covers the whole run, produced − still queued − accepted (which also sees a lost tail).
/// </summary>
public sealed record LossReport(long? Produced, long StillQueued, int Accepted, int Duplicated, long Lost, int SequenceGaps, int Unanswered);

public static class SwapAnalysis
{
    public const int ContentInstance = 4;

    /// <param name="exchanges">Per platform name, what its proxy recorded.</param>
    /// <param name="end">End of the last swap's window (the end of the run).</param>
    public static IReadOnlyList<SwapResult> Analyze(IReadOnlyList<SwapRecord> swaps, IReadOnlyDictionary<string, IReadOnlyList<HttpExchange>> exchanges, DateTimeOffset end)
    {
        var results = new List<SwapResult>(swaps.Count);
        for (int k = 0; k < swaps.Count; k++)
        {
            SwapRecord s = swaps[k];
            DateTimeOffset windowEnd = k + 1 < swaps.Count ? swaps[k + 1].RequestedAt : end;
            IReadOnlyList<HttpExchange> target = exchanges.GetValueOrDefault(s.To) ?? [];
            IReadOnlyList<HttpExchange> old = exchanges.GetValueOrDefault(s.From) ?? [];
            HttpExchange[] inWindow = [.. target.Where(x => x.RequestAt >= s.RequestedAt && x.ResponseAt < windowEnd)];

            HttpExchange? first = inWindow.Where(IsAcceptedReading).MinBy(x => x.ResponseAt);
            HttpExchange[] tree = [.. inWindow.Where(x => x.IsCreate && x.ResourceType != ContentInstance)];
            DateTimeOffset? treeDone = tree.Length > 0 ? tree.Max(x => x.ResponseAt) : null;
            DateTimeOffset settled = Max(first?.ResponseAt, treeDone) ?? windowEnd;
            HttpExchange[] setup = [.. inWindow.Where(x => x.ResponseAt <= settled)];
            var flowsBefore = target.Where(x => x.RequestAt < s.RequestedAt).Select(x => x.Flow).ToHashSet();

            results.Add(new SwapResult(
                s,
                first is null ? double.NaN : (first.ResponseAt - s.AckAt).TotalMilliseconds,
                treeDone is null ? double.NaN : (treeDone.Value - s.AckAt).TotalMilliseconds,
                tree.Length,
                setup.Count(x => x.ResourceType != ContentInstance),
                CriticalPath(setup),
                setup.Select(x => x.Flow).Distinct().Count(f => !flowsBefore.Contains(f)),
                old.Count(x => x.ResourceType == ContentInstance && x.RequestAt < s.AckAt && x.ResponseAt > s.AckAt),
                old.Count(x => IsAcceptedReading(x) && x.ResponseAt > s.AckAt && x.ResponseAt < windowEnd)));
        }

        return results;
    }

    /// <summary>A reading the platform stored: a contentInstance CREATE answered 2001 Created.</summary>
    public static bool IsAcceptedReading(HttpExchange x) => x.ResourceType == ContentInstance && x.IsCreate && (x.Rsc == 2001 || (x.Rsc is null && x.Status == 201));

    /// <summary>
    /// The longest chain of exchanges in which each request reached the platform after the previous answer reached the
    /// agent: the number of round trips the work needed however many ran in parallel.
    /// </summary>
    public static int CriticalPath(IReadOnlyList<HttpExchange> exchanges)
    {
        HttpExchange[] byStart = [.. exchanges.OrderBy(x => x.RequestAt)];
        int[] depth = new int[byStart.Length];
        int best = 0;
        for (int i = 0; i < byStart.Length; i++)
        {
            depth[i] = 1;
            for (int j = 0; j < i; j++)
            {
                if (byStart[j].ResponseAt <= byStart[i].RequestAt)
                {
                    depth[i] = Math.Max(depth[i], depth[j] + 1);
                }
            }

            best = Math.Max(best, depth[i]);
        }

        return best;
    }

    /// <param name="accepted">Per platform, the names of the readings it accepted (answered 2001, or found stored at the end).</param>
    /// <param name="produced">Readings the agent took in over the whole run (outbox appended), if known.</param>
    /// <param name="stillQueued">Readings still in the agent's outbox at the end (not lost, not delivered).</param>
    public static LossReport Losses(IReadOnlyDictionary<string, IReadOnlySet<string>> accepted, long? produced, long stillQueued, int unanswered)
    {
        var count = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (IReadOnlySet<string> names in accepted.Values)
        {
            foreach (string n in names)
            {
                count[n] = count.GetValueOrDefault(n) + 1;
            }
        }

        int duplicated = count.Values.Sum(c => c - 1);
        long[] sequences = [.. count.Keys.Select(SequenceOf).Where(q => q >= 0).Order()];
        int gaps = 0;
        for (int i = 1; i < sequences.Length; i++)
        {
            gaps += (int)(sequences[i] - sequences[i - 1] - 1);
        }

        long lost = Math.Max(gaps, produced is null ? 0 : produced.Value - stillQueued - count.Count);
        return new LossReport(produced, stillQueued, count.Count, duplicated, lost, gaps, unanswered);
    }

    /// <summary><c>plug-a-ch1-17</c> → 17 (the outbox sequence, unique over all channels); -1 if not of that form.</summary>
    public static long SequenceOf(string readingName)
    {
        int dash = readingName.LastIndexOf('-');
        return dash >= 0 && long.TryParse(readingName.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long q) ? q : -1;
    }

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b)
        => a is null ? b : b is null ? a : (a > b ? a : b);
}
