using ActiveGate.Devices.Model;
using ActiveGate.Devices.Readings;
using ActiveGate.Outbox;
using ActiveGate.Proxy.Interworking;
using ActiveGate.TestKit.OneM2m;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.Proxy.Tests.Interworking;

/// <summary>The whole proxy path: durable outbox → delivery → interworking → HTTP → strict test CSE.</summary>
public sealed class OutboxToCseTests : IDisposable
{
    private static readonly DeviceDescriptor[] s_devices =
    [
        new("plug-a", DeviceKind.ActivePlug, 1), new("plug-b", DeviceKind.ActivePlug, 1), new("plug-c", DeviceKind.ActivePlug, 1),
        new("din-a", DeviceKind.ActiveDin, 3), new("din-b", DeviceKind.ActiveDin, 3),
    ];

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ag-e2e-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }

    private OutboxOptions Options() => new() { Directory = _dir, DeliveryBatchSize = 32, RetryMaxDelay = TimeSpan.FromSeconds(60) };

    private static (DeviceDescriptor Device, int Channel) Target(int i)
    {
        DeviceDescriptor d = s_devices[i % s_devices.Length];
        return (d, (i / s_devices.Length % d.Channels) + 1);
    }

    private static Task<long> Append(DurableOutbox outbox, int i)
    {
        (DeviceDescriptor d, int ch) = Target(i);
        return outbox.AppendAsync(ReadingRecord.Encode(new Reading(d.Kind, d.Channels,
            new ChannelSample(d.Id, ch, 0, i, DateTimeOffset.UnixEpoch.AddSeconds(i), i, null, null, null, null))));
    }

    /// <summary>All readings stored at a CSE: (container path, sequence) in creation order per container.</summary>
    private static Dictionary<string, List<long>> Stored(TestCse cse)
    {
        var result = new Dictionary<string, List<long>>();
        foreach (DeviceDescriptor d in s_devices)
        {
            for (int ch = 1; ch <= d.Channels; ch++)
            {
                string path = $"cse-in/ActiveGate01/{ResourceNames.Device(d.Kind, d.Id)}/ch{ch}/meas";
                result[path] = [.. cse.ChildrenOf(path, 4).Select(c => long.Parse(c.Rn[(c.Rn.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture))];
            }
        }

        return result;
    }

    private static async Task Until(Func<bool> condition, FakeTimeProvider? time = null, int seconds = 30)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(seconds), "timed out");
            time?.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Minutes_long_outage_then_recovery_delivers_every_reading_in_order_once()
    {
        var time = new FakeTimeProvider();
        await using var f = new CseFixture();
        using var interworking = new OneM2mInterworking(f.Client, new InterworkingOptions { ReadingsMaxInstances = 1000 });
        using var outbox = DurableOutbox.Open(Options(), time);
        var delivery = new OutboxDelivery(outbox, new InterworkingOutboxSender(interworking), Options(), time);
        using var cts = new CancellationTokenSource();
        Task run = delivery.RunAsync(cts.Token);

        for (int i = 0; i < 100; i++)
        {
            await Append(outbox, i);
        }

        await Until(() => outbox.GetStats().Delivered == 100);
        f.Cse.Stop(); // the platform goes away for "minutes" (fake time drives the back-off)
        var seqs = new List<long>();
        for (int i = 100; i < 300; i++)
        {
            seqs.Add(await Append(outbox, i));
        }

        for (int minute = 0; minute < 5 * 60; minute++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Yield();
        }

        Assert.True(outbox.GetStats().Depth > 0);
        Assert.True(delivery.ConsecutiveFailures > 0);
        f.Cse.Restart();
        await Until(() => outbox.GetStats().Delivered == 300, time);

        Dictionary<string, List<long>> stored = Stored(f.Cse);
        Assert.Equal(300, stored.Values.Sum(l => l.Count));
        Assert.All(stored.Values, l => Assert.Equal(l.Order(), l)); // in order per channel
        Assert.Equal(300, stored.Values.SelectMany(l => l).Distinct().Count()); // none twice
        f.AssertNoViolations();
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Restart_after_crash_and_retarget_lose_and_duplicate_nothing()
    {
        await using var a = new CseFixture();
        await using var b = TestCse.Start();
        var stored = new HashSet<long>();

        // Phase 1: deliver some, then "crash" with undelivered readings on disk (CSE hung: nothing acknowledged).
        using (var interworking = new OneM2mInterworking(a.Client, new InterworkingOptions { ReadingsMaxInstances = 1000 }))
        using (var outbox = DurableOutbox.Open(Options()))
        {
            var delivery = new OutboxDelivery(outbox, new InterworkingOutboxSender(interworking), Options());
            using var cts = new CancellationTokenSource();
            Task run = delivery.RunAsync(cts.Token);
            for (int i = 0; i < 60; i++)
            {
                await Append(outbox, i);
            }

            await Until(() => outbox.GetStats().Delivered == 60);
            a.Cse.Stop();
            for (int i = 60; i < 120; i++)
            {
                await Append(outbox, i);
            }

            await cts.CancelAsync();
            await run;
        }

        a.Cse.Restart();

        // Phase 2: a new process (new interworking, reopened outbox); half-way the upstream is re-targeted to B.
        using (var interworking = new OneM2mInterworking(a.Client, new InterworkingOptions { ReadingsMaxInstances = 1000 }))
        using (var outbox = DurableOutbox.Open(Options()))
        {
            Assert.Equal(60, outbox.GetStats().Depth);
            var delivery = new OutboxDelivery(outbox, new InterworkingOutboxSender(interworking), Options());
            using var cts = new CancellationTokenSource();
            Task run = delivery.RunAsync(cts.Token);
            await Until(() => outbox.GetStats().Delivered >= 60);
            a.Provider.Set(CseFixture.EndpointFor(b));
            for (int i = 120; i < 180; i++)
            {
                await Append(outbox, i);
            }

            await Until(() => outbox.GetStats().Depth == 0);
            await cts.CancelAsync();
            await run;
        }

        List<long> onA = [.. Stored(a.Cse).Values.SelectMany(l => l)];
        List<long> onB = [.. Stored(b).Values.SelectMany(l => l)];
        Assert.Equal(onA.Count, onA.Distinct().Count());
        Assert.Equal(onB.Count, onB.Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 180).Select(i => (long)i), onA.Concat(onB).Order());
        Assert.Equal(120, onA.Count);
        Assert.Equal(60, onB.Count);
        a.AssertNoViolations();
        Assert.Empty(b.Violations);
    }
}
