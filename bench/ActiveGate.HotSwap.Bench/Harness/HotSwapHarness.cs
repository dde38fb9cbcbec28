using System.Globalization;
using System.Text;
using ActiveGate.HotSwap.Bench.Measurement;
using ActiveGate.HotSwap.Bench.Proxy;
using ActiveGate.TestKit;

namespace ActiveGate.HotSwap.Bench.Harness;

/// <summary>
/// The hot swap run: platforms A and B (test CSE + delay proxy each), the simulator and the agent delivering to A;
/// after a warm-up, <see cref="HarnessOptions.Swaps"/> swaps through the <see cref="ISwapDriver"/> seam at a fixed
/// cadence; then the devices stop, the outbox drains, and the proxies' records are turned into the report.
/// </summary>
public static class HotSwapHarness
{
    public static async Task<int> RunAsync(HarnessOptions o, CancellationToken cancellationToken)
    {
        TimeProvider tp = TimeProvider.System;
        var link = new LatencyProxyOptions
        {
            RoundTrip = TimeSpan.FromMilliseconds(o.RttMs), BitsPerSecond = o.BandwidthMbit * 1e6, ModelHandshake = o.ModelHandshake, TimeProvider = tp,
        };
        string agentBinary = o.AgentBinary is not null ? Path.GetFullPath(o.AgentBinary) : Path.Combine(RepositoryLayout.Root, "src/ActiveGate.Agent/bin/Release/net10.0/activegate");
        string simulatorBinary = o.SimulatorBinary is not null ? Path.GetFullPath(o.SimulatorBinary) : Path.Combine(RepositoryLayout.Root, "src/ActiveGate.Simulator/bin/Release/net10.0/activegate-sim");
        string work = Path.Combine(Path.GetTempPath(), "ag-hotswap-" + Guid.NewGuid().ToString("N")[..8]);
        var platforms = new List<TestPlatform>();
        TestPlatform NewPlatform(string lane)
        {
            TestPlatform p = TestPlatform.Start(lane + (platforms.Count + 1).ToString(CultureInfo.InvariantCulture), lane, o.Binding, link);
            platforms.Add(p);
            return p;
        }

        try
        {
            TestPlatform a = NewPlatform("A");
            TestPlatform b = NewPlatform("B");
            Console.WriteLine(Inv($"hot swap: {o.Swaps} swaps every {o.IntervalSeconds} s{(o.Fresh ? " to a fresh CSE each" : " between A and B")}; link RTT {o.RttMs} ms, ") +
                (o.BandwidthMbit > 0 ? Inv($"{o.BandwidthMbit} Mbit/s") : "no bandwidth cap") + (o.ModelHandshake ? ", +1 RTT per new connection" : "") +
                Inv($"; {o.Devices} devices ({o.Dins} DIN + {o.Plugs} plugs), a reading per channel every {o.EffectiveReportInterval:0.###} s; {o.Binding}"));
            // The LwM2M server must exist before the agent starts: the agent registers with it at start.
            await using Lwm2mSwapDriver? lwm2m = o.Driver == "lwm2m" ? new Lwm2mSwapDriver(o.Service) : null;
            var agentEnvironment = new Dictionary<string, string>(lwm2m?.AgentEnvironment ?? new Dictionary<string, string>())
            {
                // The CSEs keep every reading (not the last mni = 100 per container), so the final union is complete.
                ["ACTIVEGATE__Upstream__ReadingsMaxInstances"] = "1000000",
            };
            await using AgentRig rig = await AgentRig.StartAsync(agentBinary, simulatorBinary, work, a.Address, o.Plugs, o.Dins, o.EffectiveReportInterval, agentEnvironment, cancellationToken);
            await using ISwapDriver driver = (ISwapDriver?)lwm2m ?? (o.Driver == "restart" ? new RestartSwapDriver(rig) : new CliSwapDriver(agentBinary, o.Service, rig.Environment));
            Console.WriteLine($"driver: {driver.Description}; agent logs in {work}");

            DateTimeOffset started = tp.GetUtcNow();
            while (!a.Recorder.Exchanges.Any(SwapAnalysis.IsAcceptedReading))
            {
                if (rig.AgentExited)
                {
                    throw new InvalidOperationException($"the agent exited; see {rig.AgentLogPath}");
                }

                if (tp.GetUtcNow() - started > o.StartupTimeout)
                {
                    throw new TimeoutException($"no reading reached platform A within {o.StartupTimeout.TotalSeconds} s; see {rig.AgentLogPath}");
                }

                await Task.Delay(100, cancellationToken);
            }

            Console.WriteLine(Inv($"first reading at A {(tp.GetUtcNow() - started).TotalSeconds:0.0} s after the agent started"));

            // Every channel reporting before the first swap, so a swap has the whole fleet's tree to move (100 devices
            // join the mesh over tens of seconds).
            int channels = o.Plugs + (3 * o.Dins), seen;
            while ((seen = ChannelsReporting(a)) < channels && tp.GetUtcNow() - started < o.StartupTimeout && !rig.AgentExited)
            {
                await Task.Delay(500, cancellationToken);
            }

            if (lwm2m is not null)
            {
                await lwm2m.WaitForRegistrationAsync(o.StartupTimeout, cancellationToken);
            }

            DateTimeOffset origin = tp.GetUtcNow();
            Console.WriteLine(Inv($"{seen} of {channels} channels reporting at A {(origin - started).TotalSeconds:0.0} s after the agent started; warming up {o.WarmupSeconds} s"));
            await Task.Delay(TimeSpan.FromSeconds(o.WarmupSeconds), cancellationToken);

            Console.WriteLine($"load average (1, 5, 15 min) at the first swap: {LoadSampler.Now()}");
            await using var load = new LoadSampler(TimeSpan.FromSeconds(5));
            var swaps = new List<SwapRecord>();
            TestPlatform current = a;
            string? failure = null;
            for (int k = 1; k <= o.Swaps; k++)
            {
                TestPlatform next = o.Fresh ? NewPlatform(k % 2 == 1 ? "B" : "A") : (current == a ? b : a);
                DateTimeOffset requested = tp.GetUtcNow();
                try
                {
                    DateTimeOffset ack = await driver.SwitchAsync(next.Address, tp, cancellationToken);
                    swaps.Add(new SwapRecord(k, current.Name, next.Name, requested, ack));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    failure = $"swap {k} failed: {ex.Message}";
                    Console.WriteLine(failure);
                    break;
                }

                current = next;
                if (k % 10 == 0)
                {
                    Console.WriteLine(Inv($"  {k} swaps, t = {(tp.GetUtcNow() - origin).TotalSeconds:0} s"));
                }

                TimeSpan wait = TimeSpan.FromSeconds(o.IntervalSeconds) - (tp.GetUtcNow() - requested);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, cancellationToken);
                }
            }

            DateTimeOffset end = tp.GetUtcNow();
            Console.WriteLine(load.Summary());
            if (lwm2m is not null)
            {
                // The agent's own view of the last swap (a failed swap shows here, not in the 2.04).
                Console.WriteLine("policy /26241/0 at the end: " + await lwm2m.DescribeStateAsync(cancellationToken));
            }

            if (o.Driver != "restart")
            {
                Console.WriteLine(await rig.UpstreamHistoryAsync(v => Stats.Summarize(v.Where(x => !double.IsNaN(x))).ToString(), cancellationToken) ?? "activegate upstream --json did not answer");
            }

            await rig.StopDevicesAsync();
            OutboxCounters? counters = await DrainAsync(rig, o.DrainTimeout, cancellationToken);
            Report(o, platforms, swaps, counters, rig.AgentStarts, origin, end, failure);
            return failure is null && swaps.Count == o.Swaps ? 0 : 1;
        }
        finally
        {
            foreach (TestPlatform p in platforms)
            {
                await p.DisposeAsync();
            }

            if (!o.Keep && Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    /// <summary>Distinct device channels with an accepted reading: names are <c>device-chN-sequence</c>.</summary>
    private static int ChannelsReporting(TestPlatform platform)
        => platform.Recorder.Exchanges.Where(SwapAnalysis.IsAcceptedReading)
            .Select(x => x.ResourceName!).Select(n => n[..Math.Max(0, n.LastIndexOf('-'))]).Distinct(StringComparer.Ordinal).Count();

    /// <summary>Waits until the agent's outbox is empty (the devices have stopped), or the timeout; the last counters.</summary>
    private static async Task<OutboxCounters?> DrainAsync(AgentRig rig, TimeSpan timeout, CancellationToken cancellationToken)
    {
        OutboxCounters? last = null;
        DateTime deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !rig.AgentExited)
        {
            last = await rig.OutboxAsync(cancellationToken) ?? last;
            if (last is { Depth: 0 })
            {
                break;
            }

            await Task.Delay(500, cancellationToken);
        }

        return last;
    }

    private static void Report(HarnessOptions o, List<TestPlatform> platforms, List<SwapRecord> swaps, OutboxCounters? counters, int agentStarts,
        DateTimeOffset origin, DateTimeOffset end, string? failure)
    {
        var exchanges = platforms.ToDictionary(p => p.Name, p => p.Recorder.Exchanges);
        IReadOnlyList<SwapResult> results = SwapAnalysis.Analyze(swaps, exchanges, end);
        Stats.Summary first = Stats.Summarize(results.Select(r => r.FirstReadingMs));
        Stats.Summary tree = Stats.Summarize(results.Select(r => r.TreeCompleteMs));
        Console.WriteLine();
        Console.WriteLine($"swaps completed: {swaps.Count} of {o.Swaps}{(failure is null ? "" : " (stopped: see above)")}");
        Console.WriteLine(Inv($"first reading accepted by the new platform after the ack (ms): {first}; swaps without one: {results.Count(r => double.IsNaN(r.FirstReadingMs))}"));
        Console.WriteLine(Inv($"new tree complete after the ack (ms): {tree}; swaps that created no tree: {results.Count(r => r.TreeCreates == 0)}"));
        Console.WriteLine(Inv($"per swap until settled: requests (not readings) {Stats.Summarize(results.Select(r => (double)r.SetupRequests))}; ") +
            Inv($"round trips {Stats.Summarize(results.Select(r => (double)r.RoundTrips))}; new connections {Stats.Summarize(results.Select(r => (double)r.NewConnections))}; tree CREATEs {Stats.Summarize(results.Select(r => (double)r.TreeCreates))}"));
        Console.WriteLine(Inv($"readings in flight to the old platform at the ack: {Stats.Summarize(results.Select(r => (double)r.InFlightAtAck))}; ") +
            Inv($"accepted by the old platform after the ack: {Stats.Summarize(results.Select(r => (double)r.OldAcceptedAfterAck))}"));

        var accepted = platforms.ToDictionary(
            p => p.Name,
            p => (IReadOnlySet<string>)p.Recorder.Exchanges.Where(SwapAnalysis.IsAcceptedReading).Select(x => x.ResourceName!).Concat(p.ReadingNames()).ToHashSet(StringComparer.Ordinal));
        int unanswered = platforms.Sum(p => p.Recorder.Unanswered.Count(x => x.ResourceType == SwapAnalysis.ContentInstance));
        // After a restart the outbox counters start again: then only the sequence gaps count.
        long? produced = agentStarts == 1 ? counters?.Appended : null;
        LossReport loss = SwapAnalysis.Losses(accepted, produced, counters?.Depth ?? 0, unanswered);
        // Readings still queued leave gaps in the sequence that are not losses (yet): then only a bound can be given.
        string lost = loss.StillQueued == 0 ? Inv($"lost {loss.Lost}") : Inv($"lost ? (≤ {loss.Lost}: the outbox did not drain within --drain {o.DrainTimeout.TotalSeconds:0} s)");
        Console.WriteLine(Inv($"{lost}, duplicated {loss.Duplicated}") +
            Inv($"   (the agent took in {(produced?.ToString(CultureInfo.InvariantCulture) ?? (counters is null ? "? (outbox CLI did not answer)" : $"? ({agentStarts} agent starts)"))}, still queued {loss.StillQueued}, ") +
            Inv($"dropped {counters?.Dropped.ToString(CultureInfo.InvariantCulture) ?? "?"}, rejected {counters?.Rejected.ToString(CultureInfo.InvariantCulture) ?? "?"}; accepted at the platforms {loss.Accepted}; ") +
            Inv($"gaps in the sequence {loss.SequenceGaps}; reading CREATEs whose connection closed unanswered {loss.Unanswered})"));
        if (loss.Duplicated > 0)
        {
            // A few examples with where and when each copy was accepted, to tell a swap's resend from a restart's.
            var when = platforms.SelectMany(p => p.Recorder.Exchanges.Where(SwapAnalysis.IsAcceptedReading).Select(x => (x.ResourceName, p.Name, x.ResponseAt)))
                .ToLookup(x => x.ResourceName, StringComparer.Ordinal);
            foreach (string name in accepted.Values.SelectMany(n => n).GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).Take(3))
            {
                Console.WriteLine($"  duplicated {name}: " + string.Join(", ", when[name].Select(x => Inv($"{x.Name} at t = {(x.ResponseAt - origin).TotalSeconds:0.000} s"))) +
                    $" (swap acks at t = {string.Join(", ", swaps.Select(s => Inv($"{(s.AckAt - origin).TotalSeconds:0.0}")).Take(5))}{(swaps.Count > 5 ? ", …" : "")} s)");
            }
        }

        int violations = platforms.Sum(p => p.Violations.Count);
        Console.WriteLine($"requests the CSEs rejected as protocol violations: {violations}{(violations > 0 ? " (first: " + platforms.SelectMany(p => p.Violations).First() + ")" : "")}");
        Console.WriteLine(Goals(o, first, tree));

        var lanes = platforms.GroupBy(p => p.Lane).Select(g => new TimelineSvg.Lane(
            "platform " + g.Key, [.. g.SelectMany(p => p.Recorder.Exchanges.Where(SwapAnalysis.IsAcceptedReading).Select(x => x.ResponseAt)).Order()])).ToList();
        DateTimeOffset from = origin - TimeSpan.FromSeconds(2);
        TimeSpan bin = TimeSpan.FromSeconds(o.IntervalSeconds >= 2 ? 0.5 : 0.25);
        Directory.CreateDirectory(o.OutDirectory);
        string svg = Path.Combine(o.OutDirectory, "timeline.svg");
        TimelineSvg.Write(svg, Inv($"Hot swap: readings accepted per platform (RTT {o.RttMs} ms, {(o.BandwidthMbit > 0 ? $"{o.BandwidthMbit} Mbit/s" : "no cap")}, {o.Devices} devices); dashed = swap ack"),
            from, end, lanes, [.. swaps.Select(s => s.AckAt)], bin);
        string csv = Path.Combine(o.OutDirectory, "swaps.csv");
        File.WriteAllText(csv, Csv(results, origin));
        // Every exchange, for finding where a slow swap's time went (which request waited for which).
        File.WriteAllText(Path.Combine(o.OutDirectory, "exchanges.csv"), ExchangesCsv(platforms, origin));
        Console.WriteLine(TimelineSvg.Summary(from, end, lanes, TimeSpan.FromSeconds(1)));
        Console.WriteLine($"timeline: {Path.GetFullPath(svg)}; per swap: {Path.GetFullPath(csv)}");
    }

    private static string Goals(HarnessOptions o, Stats.Summary first, Stats.Summary tree)
    {
        static string Verdict(double value, double goal) => double.IsNaN(value) ? "not measured" : value <= goal ? "met" : "MISSED";
        if (o.Devices >= 100)
        {
            return Inv($"goal (100 devices): settled within 3 s: first reading p99 {first.P99:0} ms {Verdict(first.P99, 3000)}, tree complete p99 {tree.P99:0} ms {Verdict(tree.P99, 3000)}");
        }

        if (o.RttMs >= 300)
        {
            return Inv($"goal (300 ms RTT, 5 Mbit/s, 1 DIN + 2 plugs): first reading ≤ 1 s: p99 {first.P99:0} ms {Verdict(first.P99, 1000)}; ") +
                Inv($"tree complete ≤ 1.5 s: p99 {tree.P99:0} ms {Verdict(tree.P99, 1500)} (the original system: 59.5 s)");
        }

        return o.RttMs == 0
            ? Inv($"goal (loopback): first reading p99 ≤ 100 ms: {first.P99:0} ms {Verdict(first.P99, 100)}")
            : "no goal stated for this link; the goals are for loopback, 300 ms RTT at 5 Mbit/s, and 100 devices";
    }

    private static string Csv(IReadOnlyList<SwapResult> results, DateTimeOffset origin)
    {
        var sb = new StringBuilder("swap,from,to,ack_s,ack_after_request_ms,first_reading_ms,tree_complete_ms,tree_creates,setup_requests,round_trips,new_connections,in_flight_at_ack,old_accepted_after_ack\n");
        foreach (SwapResult r in results)
        {
            sb.AppendLine(Inv($"{r.Swap.Index},{r.Swap.From},{r.Swap.To},{(r.Swap.AckAt - origin).TotalSeconds:0.000},{(r.Swap.AckAt - r.Swap.RequestedAt).TotalMilliseconds:0.0},") +
                Inv($"{r.FirstReadingMs:0.0},{r.TreeCompleteMs:0.0},{r.TreeCreates},{r.SetupRequests},{r.RoundTrips},{r.NewConnections},{r.InFlightAtAck},{r.OldAcceptedAfterAck}"));
        }

        return sb.ToString();
    }

    private static string ExchangesCsv(List<TestPlatform> platforms, DateTimeOffset origin)
    {
        var sb = new StringBuilder("platform,flow,method,target,ty,rn,request_s,response_s,status,rsc\n");
        foreach (TestPlatform p in platforms)
        {
            foreach (HttpExchange x in p.Recorder.Exchanges.OrderBy(x => x.RequestAt))
            {
                sb.AppendLine(Inv($"{p.Name},{x.Flow},{x.Method},{x.Target.Split('?')[0]},{x.ResourceType},{x.ResourceName},{(x.RequestAt - origin).TotalSeconds:0.0000},{(x.ResponseAt - origin).TotalSeconds:0.0000},{x.Status},{x.Rsc}"));
            }
        }

        return sb.ToString();
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
