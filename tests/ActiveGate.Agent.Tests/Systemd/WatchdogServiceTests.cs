using ActiveGate.Agent.Health;
using ActiveGate.Agent.Systemd;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.Agent.Tests.Systemd;

public sealed class WatchdogServiceTests
{
    private sealed class RecordingNotifier : ISystemdNotifier
    {
        private int _watchdogPings;

        public bool IsEnabled => true;

        public int WatchdogPings => Volatile.Read(ref _watchdogPings);

        public void Notify(ServiceState state)
        {
            if (state.ToString() == "WATCHDOG=1")
            {
                Interlocked.Increment(ref _watchdogPings);
            }
        }
    }

    [Theory]
    [InlineData(null, null, null)]
    [InlineData("0", null, null)]
    [InlineData("junk", null, null)]
    [InlineData("30000000", null, 15_000)]
    [InlineData("30000000", "4242", 15_000)]
    [InlineData("30000000", "1", null)]
    public void Ping_interval_is_half_of_WATCHDOG_USEC_and_only_for_this_process(string? usec, string? pid, int? expectedMs)
    {
        TimeSpan? interval = WatchdogService.ReadPingInterval(
            name => name switch { "WATCHDOG_USEC" => usec, "WATCHDOG_PID" => pid, _ => null },
            processId: 4242);

        Assert.Equal(expectedMs is null ? null : TimeSpan.FromMilliseconds(expectedMs.Value), interval);
    }

    [Fact]
    public async Task Pings_stop_while_a_health_source_stalls_and_resume_when_it_progresses()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var health = new HealthRegistry(time);
        HealthSource radio = health.Register("radio", TimeSpan.FromSeconds(5));
        var notifier = new RecordingNotifier();
        using var watchdog = new WatchdogService(notifier, health, time, NullLogger<WatchdogService>.Instance,
            name => name == "WATCHDOG_USEC" ? "2000000" : null);
        Assert.Equal(TimeSpan.FromSeconds(1), watchdog.PingInterval);

        await watchdog.StartAsync(CancellationToken.None);
        await WaitForPingsAsync(notifier, 1);

        for (int second = 1; second <= 3; second++)
        {
            radio.ReportProgress();
            time.Advance(TimeSpan.FromSeconds(1));
            await WaitForPingsAsync(notifier, 1 + second);
        }

        // The radio loop wedges: after its 5 s allowance, no more pings.
        for (int second = 0; second < 5; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }

        int pingsWhenStalled = notifier.WatchdogPings;
        for (int second = 0; second < 10; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }

        Assert.Equal(pingsWhenStalled, notifier.WatchdogPings);
        Assert.Equal(HealthStatus.Stalled, Assert.Single(health.Snapshot()).Status);

        radio.ReportProgress();
        time.Advance(TimeSpan.FromSeconds(1));
        await WaitForPingsAsync(notifier, pingsWhenStalled + 1);

        await watchdog.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_degraded_part_still_counts_as_progress()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var health = new HealthRegistry(time);
        HealthSource radio = health.Register("radio", TimeSpan.FromSeconds(5));
        var notifier = new RecordingNotifier();
        using var watchdog = new WatchdogService(notifier, health, time, NullLogger<WatchdogService>.Instance,
            name => name == "WATCHDOG_USEC" ? "2000000" : null);
        await watchdog.StartAsync(CancellationToken.None);
        await WaitForPingsAsync(notifier, 1);

        for (int second = 1; second <= 8; second++)
        {
            radio.ReportDegraded("/dev/ttyUSB0 is gone; retrying");
            time.Advance(TimeSpan.FromSeconds(1));
            await WaitForPingsAsync(notifier, 1 + second);
        }

        Assert.Equal(HealthStatus.Degraded, Assert.Single(health.Snapshot()).Status);
        await watchdog.StopAsync(CancellationToken.None);
    }

    private static async Task WaitForPingsAsync(RecordingNotifier notifier, int atLeast)
    {
        for (int i = 0; i < 200 && notifier.WatchdogPings < atLeast; i++)
        {
            await Task.Delay(10);
        }

        Assert.True(notifier.WatchdogPings >= atLeast, $"expected at least {atLeast} pings, saw {notifier.WatchdogPings}");
    }
}
