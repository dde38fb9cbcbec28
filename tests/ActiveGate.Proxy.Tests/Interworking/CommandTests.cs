using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ActiveGate.Devices;
using ActiveGate.Devices.Model;
using ActiveGate.Proxy.Interworking;
using ActiveGate.TestKit.OneM2m;
using Microsoft.Extensions.Logging;

namespace ActiveGate.Proxy.Tests.Interworking;

/// <summary>Commands from the platform: never lost, never carried out twice or late, always answered (issue 13).</summary>
public sealed class CommandTests
{
    private const string Device = "p1";
    private const string Commands = "cse-in/ActiveGate01/plug-p1/ch1/cmd";
    private const string States = "cse-in/ActiveGate01/plug-p1/ch1/state";

    private sealed class CountingActuator : ISwitchActuator
    {
        public ConcurrentQueue<SwitchCommand> Commands { get; } = new();

        public Task<SwitchResult> SwitchAsync(SwitchCommand command, CancellationToken cancellationToken)
        {
            Commands.Enqueue(command);
            return Task.FromResult(new SwitchResult(true, command.On, null));
        }
    }

    /// <summary>A device that stays silent until <see cref="ComeBack"/>; it switches then only if the exchange still runs.</summary>
    private sealed class SilentDeviceActuator : ISwitchActuator
    {
        private readonly TaskCompletionSource _back = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Switched;

        public TaskCompletionSource GaveUp { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void ComeBack() => _back.TrySetResult();

        public async Task<SwitchResult> SwitchAsync(SwitchCommand command, CancellationToken cancellationToken)
        {
            try
            {
                await _back.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                GaveUp.TrySetResult();
                throw;
            }

            Interlocked.Increment(ref Switched);
            return new SwitchResult(true, command.On, null);
        }
    }

    private sealed class ListLogger : ILogger<OneM2mInterworking>
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => Lines.Enqueue(formatter(state, exception));
    }

    private static async Task<bool> WaitUntil(Func<bool> condition, TimeSpan within)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (sw.Elapsed < within)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return condition();
    }

    /// <summary>The outcome of a command (its cin in chN/state is named s-&lt;command name&gt;), or null.</summary>
    private static JsonNode? Outcome(TestCse cse, string commandPath)
    {
        string name = commandPath[(commandPath.LastIndexOf('/') + 1)..];
        TestCseResource? state = cse.Find(States + "/s-" + name);
        return state is null ? null : JsonNode.Parse((string)state.Attributes["con"]!);
    }

    [Fact]
    public async Task Commands_written_every_second_across_a_restart_with_an_empty_database_are_all_executed_once_with_an_outcome()
    {
        // The CSE drops what was queued for the pollingChannel after 2 s, as ACME does after its request expiration.
        await using var f = new CseFixture(options: new TestCseOptions { LongPollTimeout = TimeSpan.FromSeconds(2), PollingQueueExpiration = TimeSpan.FromSeconds(2) },
            timeout: TimeSpan.FromSeconds(2));
        var actuator = new CountingActuator();
        using var iw = new OneM2mInterworking(f.Client, new InterworkingOptions { PollTimeout = TimeSpan.FromSeconds(2) }, actuator);
        Assert.True(await iw.EnsureDeviceAsync(new DeviceDescriptor(Device, DeviceKind.ActivePlug, 1)));
        using var stop = new CancellationTokenSource();
        Task polling = iw.RunPollingAsync(stop.Token);

        // The agent's readings keep going (the outbox retries them), as in the field.
        Task readings = Task.Run(async () =>
        {
            long seq = 0;
            while (!stop.IsCancellationRequested)
            {
                await iw.DeliverAsync(new DeviceReading(Device, 1, ++seq, DateTimeOffset.UtcNow, PowerW: 5), CancellationToken.None);
                await Task.Delay(200, CancellationToken.None);
            }
        });

        var before = new List<string>();
        var after = new List<string>();
        bool up = true;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int second = 0; second < 18; second++)
        {
            if (second == 3)
            {
                Assert.True(await WaitUntil(() => before.All(c => Outcome(f.Cse, c) is not null), TimeSpan.FromSeconds(5)), "outcomes before the outage");
                f.Cse.Stop();
                up = false; // 8 s down: long enough for a doubling back-off to sleep far past the platform's return
            }
            else if (second == 11)
            {
                f.Cse.Wipe();
                f.Cse.Restart();
                up = true;
            }

            if (up)
            {
                try
                {
                    (second < 3 ? before : after).Add(f.Cse.PlatformCreateContentInstance(Commands, second % 2 == 0 ? "{\"relay\":true}" : "{\"relay\":false}"));
                }
                catch (InvalidOperationException)
                {
                    // 404 for the platform: the agent has not re-created the tree yet; it writes again next second.
                }
            }

            TimeSpan next = TimeSpan.FromSeconds(second + 1) - clock.Elapsed;
            if (next > TimeSpan.Zero)
            {
                await Task.Delay(next);
            }
        }

        Assert.True(after.Count >= 4, $"only {after.Count} commands could be written after the restart");
        bool allDone = await WaitUntil(() => after.All(c => Outcome(f.Cse, c) is not null), TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await polling;
        await readings;

        var executed = actuator.Commands.GroupBy(c => c.CommandId).ToDictionary(g => g.Key, g => g.Count());
        string[] lost = [.. before.Concat(after).Select(p => p[(p.LastIndexOf('/') + 1)..]).Where(n => !executed.ContainsKey(n))];
        Assert.True(allDone && lost.Length == 0, $"lost: {string.Join(", ", lost)} of {before.Count + after.Count}");
        Assert.All(executed, e => Assert.Equal(1, e.Value));
        Assert.Equal(before.Count + after.Count, executed.Count);
        Assert.All(after, c => Assert.True((bool)Outcome(f.Cse, c)!["ok"]!));
        f.AssertNoViolations();
    }

    [Fact]
    public async Task A_command_notified_twice_is_carried_out_once()
    {
        await using var f = new CseFixture(options: new TestCseOptions { LongPollTimeout = TimeSpan.FromSeconds(2) });
        var actuator = new CountingActuator();
        using var iw = new OneM2mInterworking(f.Client, new InterworkingOptions(), actuator);
        Assert.True(await iw.EnsureDeviceAsync(new DeviceDescriptor(Device, DeviceKind.ActivePlug, 1)));
        string ri = f.Cse.Find("cse-in/ActiveGate01/plug-p1/ch1/cmd/cmdSub")!.Ri;
        var cin = new JsonObject { ["rn"] = "cmd-7", ["cnf"] = "application/json:0", ["con"] = "{\"relay\":true}", ["ct"] = "20261203T120000" };
        var notification = ActiveGate.OneM2m.Notifications.NotificationMessage.TryCreate(
            new ActiveGate.OneM2m.Resources.Notification
            {
                SubscriptionReference = ri,
                Event = new ActiveGate.OneM2m.Resources.NotificationEvent
                {
                    Representation = System.Text.Json.JsonDocument.Parse(new JsonObject { ["m2m:cin"] = cin }.ToJsonString()).RootElement.Clone(),
                    NotificationEventType = 3,
                },
            }, out var message, "/id-in", "r1");
        Assert.True(notification);

        // Handed out again (a long poll answered after the client gave up, a retried notification): still one switch.
        await iw.HandleNotificationAsync(message!);
        await iw.HandleNotificationAsync(message!);
        Assert.True(await WaitUntil(() => f.Cse.Find(States + "/s-cmd-7") is not null, TimeSpan.FromSeconds(5)));
        await Task.Delay(300);
        Assert.Single(actuator.Commands);
    }

    [Fact]
    public async Task A_command_to_a_silent_device_times_out_with_the_reason_and_is_not_carried_out_when_the_device_returns()
    {
        await using var f = new CseFixture();
        var actuator = new SilentDeviceActuator();
        var logger = new ListLogger();
        using var iw = new OneM2mInterworking(f.Client, new InterworkingOptions { CommandTimeout = TimeSpan.FromSeconds(1) }, actuator, logger: logger);
        Assert.True(await iw.EnsureDeviceAsync(new DeviceDescriptor(Device, DeviceKind.ActivePlug, 1)));

        SwitchResult result = await iw.ExecuteCommandAsync(new SwitchCommand(Device, 1, false, "c1"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(SwitchFailure.TimedOut, result.Failure);
        Assert.True(actuator.GaveUp.Task.IsCompleted, "the exchange with the device must stop at the deadline");
        actuator.ComeBack();
        await Task.Delay(200);
        Assert.Equal(0, actuator.Switched);

        JsonNode outcome = JsonNode.Parse(Assert.Single(f.Cse.ContentsOf(States)))!;
        Assert.False((bool)outcome["ok"]!);
        Assert.False((bool)outcome["requested"]!);
        Assert.Equal("timed-out", (string?)outcome["reason"]);
        Assert.Null(outcome["relay"]); // nothing was read back: no relay state is invented
        Assert.Contains(logger.Lines, l => l.Contains("c1", StringComparison.Ordinal) && l.Contains("timed-out", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_command_whose_deadline_has_passed_is_not_carried_out()
    {
        await using var f = new CseFixture();
        var actuator = new CountingActuator();
        using var iw = new OneM2mInterworking(f.Client, new InterworkingOptions(), actuator);
        Assert.True(await iw.EnsureDeviceAsync(new DeviceDescriptor(Device, DeviceKind.ActivePlug, 1)));

        SwitchResult result = await iw.ExecuteCommandAsync(new SwitchCommand(Device, 1, true, "old", DateTimeOffset.UtcNow.AddSeconds(-1)), CancellationToken.None);

        Assert.Equal(SwitchFailure.TimedOut, result.Failure);
        Assert.Empty(actuator.Commands);
        Assert.Equal("timed-out", (string?)JsonNode.Parse(Assert.Single(f.Cse.ContentsOf(States)))!["reason"]);
    }

    [Fact]
    public async Task A_refused_or_unreachable_switch_says_so_in_the_outcome()
    {
        await using var f = new CseFixture();
        var actuator = new ScriptedActuator(new SwitchResult(false, null, "device refused the switch with 5.00", SwitchFailure.Refused));
        using var iw = new OneM2mInterworking(f.Client, new InterworkingOptions(), actuator);
        Assert.True(await iw.EnsureDeviceAsync(new DeviceDescriptor(Device, DeviceKind.ActivePlug, 1)));

        await iw.ExecuteCommandAsync(new SwitchCommand(Device, 1, true, "r1"), CancellationToken.None);
        actuator.Result = new SwitchResult(false, null, "no answer", SwitchFailure.Unreachable);
        await iw.ExecuteCommandAsync(new SwitchCommand(Device, 1, true, "u1"), CancellationToken.None);

        JsonNode refused = JsonNode.Parse((string)f.Cse.Find(States + "/s-r1")!.Attributes["con"]!)!;
        JsonNode unreachable = JsonNode.Parse((string)f.Cse.Find(States + "/s-u1")!.Attributes["con"]!)!;
        Assert.Equal("refused", (string?)refused["reason"]);
        Assert.Contains("5.00", (string?)refused["detail"], StringComparison.Ordinal);
        Assert.Equal("unreachable", (string?)unreachable["reason"]);
        Assert.Null(unreachable["relay"]);
    }

    private sealed class ScriptedActuator(SwitchResult result) : ISwitchActuator
    {
        public SwitchResult Result { get; set; } = result;

        public Task<SwitchResult> SwitchAsync(SwitchCommand command, CancellationToken cancellationToken) => Task.FromResult(Result);
    }

    [Fact]
    public async Task A_command_the_agent_does_not_understand_gets_a_failed_outcome_with_the_reason_and_a_bounded_log_line()
    {
        await using var f = new CseFixture(options: new TestCseOptions { LongPollTimeout = TimeSpan.FromSeconds(2) });
        var actuator = new CountingActuator();
        var logger = new ListLogger();
        using var iw = new OneM2mInterworking(f.Client, new InterworkingOptions { PollTimeout = TimeSpan.FromSeconds(2) }, actuator, logger: logger);
        Assert.True(await iw.EnsureDeviceAsync(new DeviceDescriptor(Device, DeviceKind.ActivePlug, 1)));
        using var stop = new CancellationTokenSource();
        Task polling = iw.RunPollingAsync(stop.Token);

        string huge = "{\"relay\":\"" + new string('x', 100_000) + "\"}";
        string[] written = [.. ((string[])["{not json", "maybe", "{}", huge]).Select(c => f.Cse.PlatformCreateContentInstance(Commands, c))];
        bool answered = await WaitUntil(() => written.All(c => Outcome(f.Cse, c) is not null), TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await polling;

        Assert.True(answered, string.Join(", ", f.Cse.ContentsOf(States)));
        Assert.Empty(actuator.Commands);
        foreach (string c in written)
        {
            JsonNode outcome = Outcome(f.Cse, c)!;
            Assert.False((bool)outcome["ok"]!);
            Assert.Equal("malformed", (string?)outcome["reason"]);
            Assert.Null(outcome["relay"]);
            Assert.True(((string?)outcome["detail"])!.Length < 300);
        }

        // The 100 KB content is in the log as its beginning and its size, not as a 100 KB line.
        Assert.All(logger.Lines, l => Assert.True(l.Length < 1000, $"log line of {l.Length} characters"));
        Assert.Contains(logger.Lines, l => l.Contains("(100012 bytes)", StringComparison.Ordinal));
        f.AssertNoViolations();
    }

    [Fact]
    public async Task Readings_a_fifth_of_a_second_apart_have_different_timestamps()
    {
        await using var f = new CseFixture();
        using var iw = new OneM2mInterworking(f.Client, new InterworkingOptions());
        Assert.True(await iw.EnsureDeviceAsync(new DeviceDescriptor(Device, DeviceKind.ActivePlug, 1)));
        var t0 = new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(ReadingDelivery.Delivered, await iw.DeliverAsync(new DeviceReading(Device, 1, i + 1, t0.AddMilliseconds(200 * i), PowerW: 1)));
        }

        string[] ts = [.. f.Cse.ContentsOf("cse-in/ActiveGate01/plug-p1/ch1/meas").Select(c => (string)JsonNode.Parse(c)!["ts"]!)];
        Assert.Equal(5, ts.Distinct().Count());
        Assert.Equal("20261203T120000,200000", ts[1]);
    }
}
