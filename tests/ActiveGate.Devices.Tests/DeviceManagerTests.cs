using System.Net;
using ActiveGate.Devices.Model;
using ActiveGate.Devices.Readings;
using ActiveGate.Devices.Registry;

namespace ActiveGate.Devices.Tests;

public sealed class DeviceManagerTests
{
    private static readonly IPAddress s_plug = IPAddress.Parse("fd00::212:4b00:60d:b2a1");
    private static readonly IPAddress s_din = IPAddress.Parse("fd00::212:4b00:60d:c3d4");

    private static DeviceManagerOptions FastOptions => new()
    {
        RetryDelay = TimeSpan.FromMilliseconds(10),
        MaxRetryDelay = TimeSpan.FromMilliseconds(40),
        FailuresBeforeOffline = 2,
        PollInterval = TimeSpan.FromSeconds(1),
    };

    [Fact]
    public void Device_id_is_the_EUI64_behind_the_interface_identifier()
    {
        Assert.Equal("00124b00060db2a1", DeviceManager.DeviceIdFor(s_plug));
    }

    [Fact]
    public async Task A_joining_plug_is_discovered_and_its_samples_reach_the_sink_once_each()
    {
        var client = new FakeDeviceClient();
        FakeDeviceClient.FakeDevice plug = client.Add(s_plug, "ActivePlug", 1);
        var sink = new RecordingSink();
        await using var manager = new DeviceManager(client, new DeviceRegistry(null), sink, FastOptions);

        manager.OnNodeJoined(s_plug);
        plug.Notify(1, 1);
        plug.Notify(1, 1); // the same measurement again after a re-registration
        plug.Notify(1, 2);
        await sink.WaitForAsync(s => s.Count >= 2);

        Assert.Equal(["00124b00060db2a1-1-0-1", "00124b00060db2a1-1-0-2"], sink.Samples.Select(s => s.Key));
        Assert.True(manager.Registry.TryGet("00124b00060db2a1", out DeviceRecord device));
        Assert.Equal(DeviceKind.ActivePlug, device.Kind);
        Assert.True(device.Online);
        Assert.Equal(1, manager.GetStatistics().Duplicates);
    }

    [Fact]
    public async Task A_DIN_is_observed_on_all_three_channels()
    {
        var client = new FakeDeviceClient();
        FakeDeviceClient.FakeDevice din = client.Add(s_din, "ActiveDIN", 3);
        var sink = new RecordingSink();
        await using var manager = new DeviceManager(client, new DeviceRegistry(null), sink, FastOptions);

        manager.OnNodeJoined(s_din);
        for (int channel = 1; channel <= 3; channel++)
        {
            din.Notify(channel, 10);
        }

        await sink.WaitForAsync(s => s.Count == 3);
        Assert.Equal([1, 2, 3], sink.Samples.Select(s => s.Channel).Order());
    }

    [Fact]
    public async Task A_bad_notification_is_counted_and_the_observation_goes_on()
    {
        var client = new FakeDeviceClient();
        FakeDeviceClient.FakeDevice plug = client.Add(s_plug, "ActivePlug", 1);
        var sink = new RecordingSink();
        await using var manager = new DeviceManager(client, new DeviceRegistry(null), sink, FastOptions);

        manager.OnNodeJoined(s_plug);
        plug.Notifications(1).Writer.TryWrite("""{"seq":"x"}""");
        plug.Notifications(1).Writer.TryWrite("garbage");
        plug.Notify(1, 5);
        await sink.WaitForAsync(s => s.Count == 1);

        Assert.Equal(2, manager.GetStatistics().PayloadErrors);
        Assert.Equal(1, plug.ObserveRegistrations);
    }

    [Fact]
    public async Task A_device_reboot_starts_a_new_epoch_so_keys_never_repeat()
    {
        var client = new FakeDeviceClient();
        FakeDeviceClient.FakeDevice plug = client.Add(s_plug, "ActivePlug", 1);
        var sink = new RecordingSink();
        await using var manager = new DeviceManager(client, new DeviceRegistry(null), sink, FastOptions);

        manager.OnNodeJoined(s_plug);
        plug.Notify(1, 7);
        plug.Notify(1, 0);
        await sink.WaitForAsync(s => s.Count == 2);

        Assert.Equal(["00124b00060db2a1-1-0-7", "00124b00060db2a1-1-1-0"], sink.Samples.Select(s => s.Key));
    }

    [Fact]
    public async Task Switching_puts_the_relay_and_confirms_by_reading_it_back()
    {
        var client = new FakeDeviceClient();
        FakeDeviceClient.FakeDevice din = client.Add(s_din, "ActiveDIN", 3);
        var sink = new RecordingSink();
        await using var manager = new DeviceManager(client, new DeviceRegistry(null), sink, FastOptions);
        manager.OnNodeJoined(s_din);
        din.Notify(2, 1);
        await sink.WaitForAsync(s => s.Count == 1);

        SwitchResult result = await manager.SwitchAsync("00124b00060dc3d4", 2, on: false, CancellationToken.None);

        Assert.True(result.Success, result.Detail);
        Assert.False(result.RelayOn);
        Assert.False(din.Relay[2]);
        Assert.True(din.Relay[1]);
        Assert.True(manager.Registry.TryGet("00124b00060dc3d4", out DeviceRecord device));
        Assert.False(device.Channels.Single(c => c.Number == 2).RelayOn);
    }

    [Fact]
    public async Task A_report_still_being_stored_does_not_undo_a_switch_read_back_meanwhile()
    {
        var client = new FakeDeviceClient();
        FakeDeviceClient.FakeDevice plug = client.Add(s_plug, "ActivePlug", 1);
        var sink = new GatedSink();
        await using var manager = new DeviceManager(client, new DeviceRegistry(null), sink, FastOptions);
        manager.OnNodeJoined(s_plug);
        plug.Notify(1, 1); // relay on, as the plug reports it; its durable accept is held (a group-commit window)
        await sink.Entered.Task.WaitAsync(TimeSpan.FromSeconds(5));

        SwitchResult result = await manager.SwitchAsync("00124b00060db2a1", 1, on: false, CancellationToken.None);
        Assert.True(result.Success, result.Detail);
        sink.Release.SetResult();
        await sink.Accepted.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await Task.Delay(50);

        Assert.True(manager.Registry.TryGet("00124b00060db2a1", out DeviceRecord device));
        Assert.False(device.Channels.Single().RelayOn);
    }

    [Fact]
    public async Task A_channel_reporting_faster_than_the_sink_commits_is_not_held_to_one_report_per_commit()
    {
        var client = new FakeDeviceClient();
        FakeDeviceClient.FakeDevice plug = client.Add(s_plug, "ActivePlug", 1);
        var sink = new SlowSink(TimeSpan.FromMilliseconds(300));
        await using var manager = new DeviceManager(client, new DeviceRegistry(null), sink, FastOptions);
        manager.OnNodeJoined(s_plug);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int seq = 1; seq <= 10; seq++)
        {
            plug.Notify(1, seq);
        }

        // One at a time, ten 300 ms commits would take 3 s; overlapped they take about one.
        for (int i = 0; i < 300 && manager.GetStatistics().Samples < 10; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(10, manager.GetStatistics().Samples);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"ten samples took {clock.Elapsed}");
        Assert.Equal(Enumerable.Range(1, 10).Select(n => $"00124b00060db2a1-1-0-{n}"), sink.Order);
    }

    /// <summary>Takes each sample at once (in call order) and completes it a fixed time later, as a group commit does.</summary>
    private sealed class SlowSink(TimeSpan latency) : ISampleSink
    {
        private readonly List<string> _order = [];

        public IReadOnlyList<string> Order
        {
            get
            {
                lock (_order)
                {
                    return [.. _order];
                }
            }
        }

        public async ValueTask AcceptAsync(Reading reading, CancellationToken cancellationToken)
        {
            lock (_order)
            {
                _order.Add(reading.Sample.Key);
            }

            await Task.Delay(latency, cancellationToken);
        }
    }

    /// <summary>Holds the first accept until released, as a group commit holds a trickle for its window.</summary>
    private sealed class GatedSink : ISampleSink
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Accepted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask AcceptAsync(Reading reading, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
            Accepted.TrySetResult();
        }
    }

    [Fact]
    public async Task Switching_reports_refusals_unknown_devices_and_channels()
    {
        var client = new FakeDeviceClient();
        FakeDeviceClient.FakeDevice plug = client.Add(s_plug, "ActivePlug", 1);
        var sink = new RecordingSink();
        await using var manager = new DeviceManager(client, new DeviceRegistry(null), sink, FastOptions);
        manager.OnNodeJoined(s_plug);
        plug.Notify(1, 1);
        await sink.WaitForAsync(s => s.Count == 1);

        Assert.Contains("no device", (await manager.SwitchAsync("ffff", 1, true, default)).Detail, StringComparison.Ordinal);
        Assert.Contains("no relay channel 2", (await manager.SwitchAsync("00124b00060db2a1", 2, true, default)).Detail, StringComparison.Ordinal);
        plug.RefuseSwitch = true;
        SwitchResult refused = await manager.SwitchAsync("00124b00060db2a1", 1, false, default);
        Assert.False(refused.Success);
        Assert.Contains("5.00", refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_switch_to_a_silent_device_is_unreachable_and_does_not_report_the_cached_relay_as_read_back()
    {
        var client = new FakeDeviceClient();
        FakeDeviceClient.FakeDevice plug = client.Add(s_plug, "ActivePlug", 1);
        var sink = new RecordingSink();
        await using var manager = new DeviceManager(client, new DeviceRegistry(null), sink, FastOptions);
        manager.OnNodeJoined(s_plug);
        plug.Notify(1, 1); // the cached relay state is on
        await sink.WaitForAsync(s => s.Count == 1);

        plug.Gone = true;
        SwitchResult result = await manager.SwitchAsync("00124b00060db2a1", 1, on: false, CancellationToken.None);

        Assert.False(result.Success);
        Assert.Null(result.RelayOn);
        Assert.Equal(SwitchFailure.Unreachable, result.Failure);

        plug.Gone = false;
        plug.RefuseSwitch = true;
        SwitchResult refused = await manager.SwitchAsync("00124b00060db2a1", 1, on: false, CancellationToken.None);
        Assert.Equal(SwitchFailure.Refused, refused.Failure);
        Assert.Null(refused.RelayOn);
    }

    [Fact]
    public async Task A_device_that_stops_answering_is_shown_offline_and_comes_back()
    {
        var client = new FakeDeviceClient();
        FakeDeviceClient.FakeDevice plug = client.Add(s_plug, "ActivePlug", 1);
        var sink = new RecordingSink();
        await using var manager = new DeviceManager(client, new DeviceRegistry(null), sink, FastOptions);
        manager.OnNodeJoined(s_plug);
        plug.Notify(1, 1);
        await sink.WaitForAsync(s => s.Count == 1);

        plug.Gone = true;
        plug.Notifications(1).Writer.TryWrite("TIMEOUT");
        await WaitUntilAsync(() => manager.Registry.TryGet("00124b00060db2a1", out DeviceRecord d) && !d.Online);

        plug.Gone = false;
        plug.Notify(1, 2);
        await sink.WaitForAsync(s => s.Count == 2);
        await WaitUntilAsync(() => manager.Registry.TryGet("00124b00060db2a1", out DeviceRecord d) && d.Online);
    }

    [Fact]
    public async Task A_node_that_leaves_is_offline_and_no_longer_observed()
    {
        var client = new FakeDeviceClient();
        FakeDeviceClient.FakeDevice plug = client.Add(s_plug, "ActivePlug", 1);
        var sink = new RecordingSink();
        await using var manager = new DeviceManager(client, new DeviceRegistry(null), sink, FastOptions);
        manager.OnNodeJoined(s_plug);
        plug.Notify(1, 1);
        await sink.WaitForAsync(s => s.Count == 1);

        await manager.OnNodeLeftAsync(s_plug, "DAO lifetime expired");
        plug.Notify(1, 2);
        await Task.Delay(100);

        Assert.Single(sink.Samples);
        Assert.True(manager.Registry.TryGet("00124b00060db2a1", out DeviceRecord device));
        Assert.False(device.Online);
        Assert.Equal("DAO lifetime expired", device.Problem);
        Assert.Equal(0, manager.GetStatistics().SupervisedDevices);
    }

    [Fact]
    public async Task Without_a_meter_resource_the_single_quantities_are_polled()
    {
        var client = new FakeDeviceClient();
        FakeDeviceClient.FakeDevice plug = client.Add(s_plug, "ActivePlug", 1);
        plug.HasMeter = false;
        var sink = new RecordingSink();
        await using var manager = new DeviceManager(client, new DeviceRegistry(null), sink, FastOptions);

        manager.OnNodeJoined(s_plug);
        await sink.WaitForAsync(s => s.Count >= 1);

        ChannelSample sample = sink.Samples[0];
        Assert.Equal(123.5, sample.PowerWatts);
        Assert.Equal(1000, sample.EnergyWattHours);
        Assert.True(sample.RelayOn);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (int i = 0; i < 300 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}
