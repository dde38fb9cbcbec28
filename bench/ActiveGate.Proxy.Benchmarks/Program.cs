using System.Diagnostics;
using System.Globalization;
using ActiveGate.Devices.Model;
using ActiveGate.Devices.Readings;
using ActiveGate.OneM2m;
using ActiveGate.OneM2m.Http;
using ActiveGate.OneM2m.Upstream;
using ActiveGate.Outbox;
using ActiveGate.Proxy;
using ActiveGate.Proxy.Interworking;
using ActiveGate.Proxy.Upstream;
using ActiveGate.TestKit.OneM2m;

// End-to-end proxy benchmark. Modes:
//   cse                         run the test CSE (child process) and print "PORT <n>"
//   [throughput] [readings N]   N readings appended by 64 concurrent producers → outbox (fsync) → CSE; readings/s
//   rate R seconds S            R readings/s for S seconds; CPU of THIS process (the agent side) in % of one core
//   all                         both, as bench/proxy.sh runs it
// The outbox runs with the agent's defaults (group-commit window, delivery linger); "window MS" and "linger MS" override.
return await BenchProgram.MainAsync(args);

internal static class BenchProgram
{
    // The seed fleet: 3 plugs and 2 DIN meters (9 channels). "devices N" simulates a larger fleet (every 3rd a DIN).
    private static DeviceDescriptor[] s_devices =
    [
        new("plug-a", DeviceKind.ActivePlug, 1), new("plug-b", DeviceKind.ActivePlug, 1), new("plug-c", DeviceKind.ActivePlug, 1),
        new("din-a", DeviceKind.ActiveDin, 3), new("din-b", DeviceKind.ActiveDin, 3),
    ];

    private static TimeSpan s_groupCommitWindow;
    private static TimeSpan s_deliveryLinger;

    private static int ChannelCount => s_devices.Sum(d => d.Channels);

    public static async Task<int> MainAsync(string[] args)
    {
        string mode = args.Length > 0 ? args[0] : "all";
        if (mode == "cse")
        {
            await using TestCse cse = TestCse.Start(new TestCseOptions { RequestLogCapacity = 0, DeliverNotifications = false });
            Console.WriteLine($"PORT {cse.Port}");
            await Console.In.ReadToEndAsync(); // parent closes stdin to stop us
            return 0;
        }

        int readings = IntArg(args, "readings", 50_000);
        double rate = DoubleArg(args, "rate", 44.5);
        int seconds = IntArg(args, "seconds", 20);
        bool fsync = !args.Contains("nofsync");
        int devices = IntArg(args, "devices", 0);
        s_groupCommitWindow = TimeSpan.FromMilliseconds(DoubleArg(args, "window", OutboxOptions.DefaultGroupCommitWindow.TotalMilliseconds));
        s_deliveryLinger = TimeSpan.FromMilliseconds(DoubleArg(args, "linger", OutboxOptions.DefaultDeliveryLinger.TotalMilliseconds));
        if (devices > 0)
        {
            s_devices = [.. Enumerable.Range(0, devices).Select(i => i % 3 == 2
                ? new DeviceDescriptor($"din-{i}", DeviceKind.ActiveDin, 3)
                : new DeviceDescriptor($"plug-{i}", DeviceKind.ActivePlug, 1))];
        }

        using Process cseProcess = StartCse(out int port);
        try
        {
            var endpoint = new UpstreamEndpoint(new Uri($"http://127.0.0.1:{port}/"), "/id-in", "cse-in", "Cbench01");
            if (mode is "all" or "throughput")
            {
                TimeSpan cseCpu0 = cseProcess.TotalProcessorTime;
                await ThroughputAsync(endpoint, readings, fsync);
                cseProcess.Refresh();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"            test CSE process CPU during the run (incl. warm-up): {(cseProcess.TotalProcessorTime - cseCpu0).TotalSeconds:0.00} s"));
            }

            if (mode is "all" or "rate")
            {
                await RateAsync(endpoint, rate, seconds, IntArg(args, "rounds", 3), IntArg(args, "warmup", 30), fsync, args.Contains("outbox-only"));
            }
        }
        finally
        {
            cseProcess.StandardInput.Close();
            if (!cseProcess.WaitForExit(5000))
            {
                cseProcess.Kill();
            }
        }

        return 0;
    }

    private static Process StartCse(out int port)
    {
        string self = typeof(BenchProgram).Assembly.Location;
        var psi = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            psi.ArgumentList.Add(self);
        }

        psi.ArgumentList.Add("cse");
        Process p = Process.Start(psi)!;
        string line = p.StandardOutput.ReadLine() ?? throw new InvalidOperationException("CSE child did not start");
        port = int.Parse(line.AsSpan(5), CultureInfo.InvariantCulture);
        return p;
    }

    /// <summary>Acknowledges everything: isolates the outbox's own cost ("rate ... outbox-only").</summary>
    private sealed class NullSender : IOutboxSender
    {
        public ValueTask SendAsync(IReadOnlyList<OutboxEntry> batch, DeliveryOutcome[] outcomes, CancellationToken cancellationToken)
        {
            Array.Fill(outcomes, DeliveryOutcome.Delivered, 0, batch.Count);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class Pipeline : IAsyncDisposable
    {
        private readonly HttpClient _http;
        private readonly CancellationTokenSource _cts = new();
        private readonly Task _delivery;
        private readonly string _dir;

        private readonly bool _keepDirectory;

        /// <param name="directory">An outbox directory to continue (its sequence numbers, hence reading names, go on), or null for a new one.</param>
        /// <param name="speedUp">Divides the group-commit window and delivery linger (JIT warm-up of the trickle paths only).</param>
        public Pipeline(UpstreamEndpoint endpoint, bool fsync, bool outboxOnly = false, string? directory = null, int speedUp = 1)
        {
            _keepDirectory = directory is null && speedUp > 1;
            _dir = directory ?? Path.Combine(Path.GetTempPath(), "ag-proxy-bench-" + Guid.NewGuid().ToString("N"));
            var options = new OutboxOptions
            {
                Directory = _dir, UnsafeSkipFsync = !fsync, MaxBytes = 512L * 1024 * 1024,
                GroupCommitWindow = s_groupCommitWindow / speedUp, DeliveryLinger = s_deliveryLinger / speedUp,
            };
            Outbox = DurableOutbox.Open(options);
            _http = new HttpClient(HttpBinding.CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan }; // as the agent's ProxyService
            if (outboxOnly)
            {
                _delivery = new OutboxDelivery(Outbox, new NullSender(), options).RunAsync(_cts.Token);
                return;
            }

            // The agent's route: an upstream service delivering its cursor through the current generation.
            _service = new UpstreamService(0, new UpstreamPolicy("readings", endpoint, PolicySource.Configuration), Outbox.DefaultCursor, new UpstreamServiceContext
            {
                Bindings = new SharedHttpBindings(_http),
                // A point of access (never called: no commands are written) keeps the command long poll out of the measurement,
                // as before the reshaping.
                InterworkingOptions = () => new InterworkingOptions
                {
                    AeName = "Bench01", MaxParallelChannels = Math.Min(ChannelCount, 32), ReadingsMaxInstances = 100, PointOfAccess = ["http://127.0.0.1:9/unused"],
                },
                Outbox = options,
                Loggers = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
            });
            _delivery = _service.RunAsync(_cts.Token);
        }

        private readonly UpstreamService? _service;

        private sealed class SharedHttpBindings(HttpClient http) : IUpstreamBindingFactory
        {
            public ActiveGate.OneM2m.Primitives.IOneM2mBinding Create(UpstreamEndpoint endpoint) => new HttpBinding(http);
        }

        public DurableOutbox Outbox { get; }

        public OneM2mInterworking Interworking => _service?.Current.Interworking ?? throw new InvalidOperationException("outbox-only pipeline");

        public async Task EnsureTreeAsync()
        {
            if (_service is null)
            {
                return; // outbox only: nothing upstream
            }

            foreach (DeviceDescriptor d in s_devices)
            {
                if (!await Interworking.EnsureDeviceAsync(d))
                {
                    throw new InvalidOperationException("could not create the resource tree at the CSE");
                }
            }
        }

        /// <summary>Appends reading <paramref name="i"/> of a round-robin over the fleet's channels.</summary>
        public Task<long> AppendAsync(int i)
        {
            DeviceDescriptor d = s_devices[i % s_devices.Length];
            int channel = (i / s_devices.Length % d.Channels) + 1;
            var sample = new ChannelSample(d.Id, channel, 0, i, DateTimeOffset.UtcNow, 100 + (i % 50), 1000 + i, 0.4, 230.0, true);
            return Outbox.AppendAsync(ReadingRecord.Encode(new Reading(d.Kind, d.Channels, sample)));
        }

        public async Task WaitDeliveredAsync(long count)
        {
            while (Outbox.GetStats().Delivered < count)
            {
                await Task.Delay(5);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _cts.CancelAsync();
            await _delivery;
            if (_service is not null)
            {
                await _service.DisposeAsync();
            }

            await Outbox.DisposeAsync();
            _http.Dispose();
            _cts.Dispose();
            if (!_keepDirectory)
            {
                Directory.Delete(_dir, recursive: true);
            }
        }

        public string DirectoryPath => _dir;
    }

    private static async Task ThroughputAsync(UpstreamEndpoint endpoint, int readings, bool fsync)
    {
        await using var pipeline = new Pipeline(endpoint, fsync);
        await pipeline.EnsureTreeAsync();
        // Warm-up (tiered JIT of the load paths, connections).
        const int warmup = 5000;
        await Task.WhenAll(Enumerable.Range(0, warmup).Select(pipeline.AppendAsync));
        await pipeline.WaitDeliveredAsync(warmup);

        var process = Process.GetCurrentProcess();
        TimeSpan cpu0 = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        const int producers = 64;
        int next = warmup;
        await Task.WhenAll(Enumerable.Range(0, producers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) <= readings + warmup)
            {
                await pipeline.AppendAsync(i);
            }
        })));
        double appendSeconds = wall.Elapsed.TotalSeconds;
        await pipeline.WaitDeliveredAsync(readings + warmup);
        double totalSeconds = wall.Elapsed.TotalSeconds;
        process.Refresh();
        double cpuSeconds = (process.TotalProcessorTime - cpu0).TotalSeconds;
        OutboxStats stats = pipeline.Outbox.GetStats();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"throughput: {readings} readings, fsync={fsync}: accepted (durable) {readings / appendSeconds:0} /s, delivered end to end {readings / totalSeconds:0} /s (goal >= 5,000) " +
            $"({totalSeconds:0.00} s); agent-side CPU {cpuSeconds:0.00} s = {cpuSeconds / totalSeconds * 100:0}% of one core; " +
            $"dropped {stats.Dropped}, rejected {stats.Rejected}, depth {stats.Depth}; {s_devices.Length} devices / {ChannelCount} channels; cores {Environment.ProcessorCount}"));
    }

    private static async Task RateAsync(UpstreamEndpoint endpoint, double rate, int seconds, int rounds, int warmupSeconds, bool fsync, bool outboxOnly)
    {
        // JIT warm-up. A burst runs the load paths; then the trickle paths (group-commit window, delivery linger) run at
        // 10x their cadence for a while: the tiered JIT needs ~60 calls of a method to finish with it, which at one
        // delivery burst a second takes a real agent minutes. The measured pipeline then continues the same outbox (so
        // sequence numbers, hence reading names, go on) with the real settings.
        string directory;
        await using (var jit = new Pipeline(endpoint, fsync, outboxOnly, speedUp: 10))
        {
            await jit.EnsureTreeAsync();
            await Task.WhenAll(Enumerable.Range(0, 2000).Select(jit.AppendAsync));
            await jit.WaitDeliveredAsync(2000);
            int trickle = (int)(rate * warmupSeconds);
            Pace(rate, trickle, i => _ = jit.AppendAsync(2000 + i));
            await jit.WaitDeliveredAsync(2000 + trickle);
            directory = jit.DirectoryPath;
        }

        await using var pipeline = new Pipeline(endpoint, fsync, outboxOnly, directory);
        await pipeline.EnsureTreeAsync();
        long delivered0 = pipeline.Outbox.GetStats().Delivered;
        int warm = (int)(rate * 10);
        Pace(rate, warm, i => _ = pipeline.AppendAsync(i));
        await pipeline.WaitDeliveredAsync(delivered0 + warm);
        GC.Collect();

        // Baseline: the same process idle (pipeline up, nothing to do). On a shared or sandboxed machine an idle .NET
        // process is not free, so the reading rate's cost is reported on top of it as well.
        var process = Process.GetCurrentProcess();
        process.Refresh();
        TimeSpan idle0 = process.TotalProcessorTime;
        var idleWall = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(10));
        process.Refresh();
        double idlePercent = (process.TotalProcessorTime - idle0).TotalSeconds / idleWall.Elapsed.TotalSeconds * 100;

        // Second baseline: the producer alone (the pacing thread waking at the reading rate, no work): in the agent the
        // equivalent wake-up is the radio's receive; it is the floor of any per-reading cost on this machine.
        var tickWall = Stopwatch.StartNew();
        TimeSpan bareProducerCpu = Pace(rate, (int)(rate * 10), _ => { });
        double timerPercent = bareProducerCpu.TotalSeconds / tickWall.Elapsed.TotalSeconds * 100;

        // Measured rounds back to back (a shared 2-vCPU machine is noisy); the median is the result.
        int total = (int)(rate * seconds);
        int sent = warm;
        var percents = new List<double>();
        for (int round = 1; round <= rounds; round++)
        {
            process.Refresh();
            TimeSpan cpu0 = process.TotalProcessorTime;
            TimeSpan user0 = process.UserProcessorTime;
            var wall = Stopwatch.StartNew();
            int first = sent;
            TimeSpan producerCpu = Pace(rate, total, i => _ = pipeline.AppendAsync(first + i));
            sent += total;
            await pipeline.WaitDeliveredAsync(delivered0 + sent);
            double wallSeconds = wall.Elapsed.TotalSeconds;
            process.Refresh();
            double cpuSeconds = (process.TotalProcessorTime - cpu0).TotalSeconds;
            percents.Add(cpuSeconds / wallSeconds * 100);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"rate{(outboxOnly ? " (outbox only, no HTTP)" : "")} round {round}: {rate} readings/s for {wallSeconds:0.0} s ({total} readings, fsync={fsync}, " +
                $"group commit {s_groupCommitWindow.TotalMilliseconds:0} ms, linger {s_deliveryLinger.TotalMilliseconds:0} ms): agent-side CPU {cpuSeconds:0.000} s = " +
                $"{percents[^1]:0.00}% of one core ({cpuSeconds / total * 1e6:0} µs per reading, {(process.UserProcessorTime - user0).TotalSeconds / cpuSeconds * 100:0}% user), " +
                $"of which the producer thread {producerCpu.TotalSeconds / wallSeconds * 100:0.00}%"));
        }

        percents.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rate: agent-side CPU at {rate} readings/s, median of {rounds} rounds: {percents[percents.Count / 2]:0.00}% of one core (goal <= 1 %); " +
            $"same process idle: {idlePercent:0.00}%; the producer alone with no work: {timerPercent:0.00}%"));
    }

    /// <summary>
    /// Calls <paramref name="produce"/> <paramref name="count"/> times at <paramref name="rate"/> per second from one
    /// dedicated thread (absolute schedule, so no drift); returns that thread's own CPU time (schedstat, ns resolution).
    /// </summary>
    private static TimeSpan Pace(double rate, int count, Action<int> produce)
    {
        TimeSpan cpu = TimeSpan.Zero;
        var thread = new Thread(() =>
        {
            TimeSpan cpu0 = ThreadCpu();
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < count; i++)
            {
                TimeSpan due = TimeSpan.FromSeconds(i / rate) - Stopwatch.GetElapsedTime(start);
                if (due > TimeSpan.Zero)
                {
                    Thread.Sleep(due);
                }

                produce(i);
            }

            cpu = ThreadCpu() - cpu0;
        })
        { IsBackground = true, Name = "bench-producer" };
        thread.Start();
        thread.Join();
        return cpu;
    }

    private static TimeSpan ThreadCpu()
        => TimeSpan.FromTicks(long.Parse(File.ReadAllText("/proc/thread-self/schedstat").Split(' ')[0], CultureInfo.InvariantCulture) / 100);

    private static int IntArg(string[] args, string name, int fallback)
    {
        int i = args.Length > 1 ? Array.IndexOf(args, name, 1) : -1;
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static double DoubleArg(string[] args, string name, double fallback)
    {
        int i = args.Length > 1 ? Array.IndexOf(args, name, 1) : -1;
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
