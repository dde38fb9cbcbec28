using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ActiveGate.Devices;
using ActiveGate.Devices.Model;
using ActiveGate.OneM2m.Notifications;
using ActiveGate.OneM2m.Primitives;
using ActiveGate.Proxy.Interworking;
using ActiveGate.TestKit.OneM2m;

namespace ActiveGate.Proxy.Tests.Interworking;

public sealed class InterworkingTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 24, 20, 0, 0, TimeSpan.Zero);

    private sealed class FakeActuator : ISwitchActuator
    {
        public ConcurrentQueue<SwitchCommand> Commands { get; } = new();

        public Task<SwitchResult> SwitchAsync(SwitchCommand command, CancellationToken cancellationToken)
        {
            Commands.Enqueue(command);
            return Task.FromResult(new SwitchResult(true, command.On, null));
        }
    }

    private static DeviceReading Reading(string device, int ch, long seq, double p = 10) =>
        new(device, ch, seq, s_t0.AddSeconds(seq), PowerW: p, EnergyWh: 1000 + seq, CurrentA: 0.05, VoltageV: 230.1, RelayOn: true);

    private static async Task<(bool Ok, T Value)> WaitFor<T>(Func<T?> probe, TimeSpan within) where T : class
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (sw.Elapsed < within)
        {
            if (probe() is { } v)
            {
                return (true, v);
            }

            await Task.Delay(20);
        }

        return (false, default!);
    }

    [Fact]
    public async Task Container_tree_for_plug_and_din_is_created_without_violations()
    {
        await using var f = new CseFixture();
        using var iw = new OneM2mInterworking(f.Client, new InterworkingOptions());
        Assert.True(await iw.EnsureDeviceAsync(new DeviceDescriptor("0012:4b00:0001:0001", DeviceKind.ActivePlug, 1)));
        Assert.True(await iw.EnsureDeviceAsync(new DeviceDescriptor("0012:4b00:0002:0002", DeviceKind.ActiveDin, 3)));
        f.AssertNoViolations();
        foreach (string path in (string[])["cse-in/ActiveGate01/plug-0012-4b00-0001-0001/ch1/meas", "cse-in/ActiveGate01/plug-0012-4b00-0001-0001/ch1/cmd/cmdSub",
            "cse-in/ActiveGate01/meter-0012-4b00-0002-0002/ch3/state", "cse-in/ActiveGate01/meter-0012-4b00-0002-0002/ch2/cmd"])
        {
            Assert.NotNull(f.Cse.Find(path));
        }

        TestCseResource sub = f.Cse.Find("cse-in/ActiveGate01/plug-0012-4b00-0001-0001/ch1/cmd/cmdSub")!;
        Assert.Equal("Cactivegate01", (string?)sub.Attributes["nu"]![0]);
        Assert.Equal(3, (int)sub.Attributes["enc"]!["net"]![0]!);
        Assert.Equal(100, (int)f.Cse.Find("cse-in/ActiveGate01/plug-0012-4b00-0001-0001/ch1/meas")!.Attributes["mni"]!);
        TestCseResource ae = f.Cse.Find("cse-in/ActiveGate01")!;
        Assert.False((bool)ae.Attributes["rr"]!);
        Assert.StartsWith("N", (string?)ae.Attributes["api"], StringComparison.Ordinal);

        // A second ensure (e.g. after a restart) is idempotent: conflicts are fine, no new resources.
        int before = f.Cse.AllPaths().Count;
        using var again = new OneM2mInterworking(f.Client, new InterworkingOptions());
        Assert.True(await again.EnsureDeviceAsync(new DeviceDescriptor("0012:4b00:0001:0001", DeviceKind.ActivePlug, 1)));
        Assert.Equal(before, f.Cse.AllPaths().Count);
        f.AssertNoViolations();
    }

    [Fact]
    public async Task Reading_is_one_content_instance_with_stable_name_and_duplicates_are_not_stored_twice()
    {
        await using var f = new CseFixture();
        using var iw = new OneM2mInterworking(f.Client, new InterworkingOptions());
        await iw.EnsureDeviceAsync(new DeviceDescriptor("p1", DeviceKind.ActivePlug, 1));
        Assert.Equal(ReadingDelivery.Delivered, await iw.DeliverAsync(Reading("p1", 1, 7, 123.4)));
        Assert.Equal(ReadingDelivery.Delivered, await iw.DeliverAsync(Reading("p1", 1, 7, 123.4)));
        IReadOnlyList<TestCseResource> cins = f.Cse.ChildrenOf("cse-in/ActiveGate01/plug-p1/ch1/meas", 4);
        TestCseResource cin = Assert.Single(cins);
        Assert.Equal("plug-p1-ch1-7", cin.Rn);
        Assert.Equal("application/json:0", (string?)cin.Attributes["cnf"]);
        JsonNode con = JsonNode.Parse((string)cin.Attributes["con"]!)!;
        Assert.Equal(123.4, (double)con["p_W"]!);
        Assert.Equal(7, (long)con["seq"]!);
        Assert.Equal("20261124T200007,000000", (string?)con["ts"]);
        Assert.True((bool)con["relay"]!);
        Assert.Equal(409, f.Cse.Requests[^1].HttpStatus);
        f.AssertNoViolations();
    }

    [Fact]
    public async Task Create_whose_response_was_lost_counts_as_delivered_on_retry()
    {
        await using var f = new CseFixture(timeout: TimeSpan.FromMilliseconds(300));
        using var iw = new OneM2mInterworking(f.Client, new InterworkingOptions());
        await iw.EnsureDeviceAsync(new DeviceDescriptor("p1", DeviceKind.ActivePlug, 1));
        f.Cse.ResponseDelay = TimeSpan.FromMilliseconds(600); // stored, but the answer comes too late
        Assert.Equal(ReadingDelivery.RetryLater, await iw.DeliverAsync(Reading("p1", 1, 1)));
        f.Cse.ResponseDelay = TimeSpan.Zero;
        await Task.Delay(700);
        Assert.Equal(ReadingDelivery.Delivered, await iw.DeliverAsync(Reading("p1", 1, 1)));
        Assert.Single(f.Cse.ContentsOf("cse-in/ActiveGate01/plug-p1/ch1/meas"));
    }

    [Fact]
    public async Task Error_codes_map_to_retry_or_reject_and_missing_tree_is_rebuilt()
    {
        await using var f = new CseFixture();
        using var iw = new OneM2mInterworking(f.Client, new InterworkingOptions());
        await iw.EnsureDeviceAsync(new DeviceDescriptor("p1", DeviceKind.ActivePlug, 1));

        f.Cse.FailNext(1, 5000, 500);
        Assert.Equal(ReadingDelivery.RetryLater, await iw.DeliverAsync(Reading("p1", 1, 1)));
        f.Cse.FailNext(1, 4000, 400);
        Assert.Equal(ReadingDelivery.Rejected, await iw.DeliverAsync(Reading("p1", 1, 2)));
        Assert.Equal(ReadingDelivery.Rejected, await iw.DeliverAsync(Reading("p1", 5, 3)));

        f.Cse.Stop();
        Assert.Equal(ReadingDelivery.RetryLater, await iw.DeliverAsync(Reading("p1", 1, 4)));
        f.Cse.Restart();

        // Someone deletes the device subtree: the next reading rebuilds it (4004 → re-ensure → create).
        Assert.True((await f.Client.DeleteAsync("ActiveGate01/plug-p1")).IsSuccess);
        Assert.Equal(ReadingDelivery.Delivered, await iw.DeliverAsync(Reading("p1", 1, 5)));
        Assert.NotNull(f.Cse.Find("cse-in/ActiveGate01/plug-p1/ch1/cmd/cmdSub"));
        Assert.Single(f.Cse.ContentsOf("cse-in/ActiveGate01/plug-p1/ch1/meas"));
    }

    [Fact]
    public async Task Batch_keeps_order_per_channel()
    {
        await using var f = new CseFixture();
        using var iw = new OneM2mInterworking(f.Client, new InterworkingOptions());
        await iw.EnsureDeviceAsync(new DeviceDescriptor("d1", DeviceKind.ActiveDin, 3));
        var readings = Enumerable.Range(1, 30).Select(i => Reading("d1", ((i - 1) % 3) + 1, i)).ToList();
        ReadingDelivery?[] outcomes = await iw.DeliverBatchAsync(readings);
        Assert.All(outcomes, o => Assert.Equal(ReadingDelivery.Delivered, o));
        for (int ch = 1; ch <= 3; ch++)
        {
            IReadOnlyList<TestCseResource> cins = f.Cse.ChildrenOf($"cse-in/ActiveGate01/meter-d1/ch{ch}/meas", 4);
            long[] seqs = [.. cins.Select(c => (long)JsonNode.Parse((string)c.Attributes["con"]!)!["seq"]!)];
            Assert.Equal(10, seqs.Length);
            Assert.Equal(seqs.Order(), seqs);
        }

        f.AssertNoViolations();
    }

    [Fact]
    public async Task Command_content_instance_switches_relay_and_outcome_is_written_back()
    {
        int port = FreePort();
        string poa = $"http://127.0.0.1:{port}/notify";
        await using var f = new CseFixture();
        var actuator = new FakeActuator();
        using var iw = new OneM2mInterworking(f.Client, new InterworkingOptions { PointOfAccess = [poa] }, actuator);
        await using var listener = new HttpNotificationListener(poa + "/", iw.HandleNotificationAsync);
        listener.Start();
        await iw.EnsureDeviceAsync(new DeviceDescriptor("p1", DeviceKind.ActivePlug, 1));
        Assert.True((bool)f.Cse.Find("cse-in/ActiveGate01")!.Attributes["rr"]!);

        var sw = System.Diagnostics.Stopwatch.StartNew();
        f.Cse.PlatformCreateContentInstance("cse-in/ActiveGate01/plug-p1/ch1/cmd", "{\"relay\":false}");
        (bool ok, IReadOnlyList<string> state) = await WaitFor(() => f.Cse.ContentsOf("cse-in/ActiveGate01/plug-p1/ch1/state") is { Count: > 0 } s ? s : null, TimeSpan.FromSeconds(5));
        Assert.True(ok);
        // The issue asks for ≤ 1 s from command to switched relay; quiet machines take tens of ms. The bound is
        // looser here because test machines are shared (load averages of 30 were seen on 2 cores).
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"took {sw.Elapsed}");
        SwitchCommand cmd = Assert.Single(actuator.Commands);
        Assert.False(cmd.On);
        Assert.Equal(("p1", 1), (cmd.DeviceId, cmd.Channel));
        JsonNode outcome = JsonNode.Parse(Assert.Single(state))!;
        Assert.False((bool)outcome["relay"]!);
        Assert.True((bool)outcome["ok"]!);
        // The CSE delivered to <poa>/<AE-ID> and got 2000 back.
        TestCseNotification sent = Assert.Single(f.Cse.Notifications);
        Assert.Equal(poa + "/Cactivegate01", sent.Target);
        Assert.Equal(2000, sent.Rsc);
        f.AssertNoViolations();
    }

    [Fact]
    public async Task Command_after_restart_is_executed_once_subscriptions_are_relearnt()
    {
        int port = FreePort();
        string poa = $"http://127.0.0.1:{port}/notify";
        await using var f = new CseFixture();
        using (var before = new OneM2mInterworking(f.Client, new InterworkingOptions { PointOfAccess = [poa] }))
        {
            await before.EnsureDeviceAsync(new DeviceDescriptor("p1", DeviceKind.ActivePlug, 1));
        }

        // A new process: the device is known from the registry, but no subscription ri has been seen yet.
        var actuator = new FakeActuator();
        using var after = new OneM2mInterworking(f.Client, new InterworkingOptions { PointOfAccess = [poa] }, actuator);
        after.RegisterDevice(new DeviceDescriptor("p1", DeviceKind.ActivePlug, 1));
        await using var listener = new HttpNotificationListener(poa + "/", after.HandleNotificationAsync);
        listener.Start();
        f.Cse.PlatformCreateContentInstance("cse-in/ActiveGate01/plug-p1/ch1/cmd", "{\"relay\":true}");
        (bool ok, SwitchCommand cmd) = await WaitFor(() => actuator.Commands.TryPeek(out SwitchCommand? c) ? c : null, TimeSpan.FromSeconds(5));
        Assert.True(ok);
        Assert.True(cmd.On);
        f.AssertNoViolations();
    }

    [Fact]
    public async Task Url_subscriber_gets_verification_request_answered_by_listener()
    {
        int port = FreePort();
        string poa = $"http://127.0.0.1:{port}/notify";
        await using var f = new CseFixture();
        using var iw = new OneM2mInterworking(f.Client, new InterworkingOptions { PointOfAccess = [poa] });
        await using var listener = new HttpNotificationListener(poa + "/", iw.HandleNotificationAsync);
        listener.Start();
        await iw.EnsureRegisteredAsync();
        ResponsePrimitive r = await f.Client.CreateSubscriptionAsync("ActiveGate01", new ActiveGate.OneM2m.Resources.Subscription { ResourceName = "urlSub", NotificationUris = [poa + "/direct"] });
        Assert.True(r.IsSuccess, r.ToString());
        Assert.Contains(f.Cse.Notifications, n => n.Body.Contains("\"vrq\":true", StringComparison.Ordinal) && n.Rsc == 2000);

        await listener.DisposeAsync();
        ResponsePrimitive refused = await f.Client.CreateSubscriptionAsync("ActiveGate01", new ActiveGate.OneM2m.Resources.Subscription { ResourceName = "urlSub2", NotificationUris = [poa + "/direct"] });
        Assert.Equal(ResponseStatusCode.SubscriptionVerificationInitiationFailed, refused.StatusCode);
    }

    [Fact]
    public async Task Smart_device_mapping_updates_energy_and_switches_on_binary_switch_update_without_loop()
    {
        int port = FreePort();
        string poa = $"http://127.0.0.1:{port}/notify";
        await using var f = new CseFixture();
        var actuator = new FakeActuator();
        using var iw = new OneM2mInterworking(f.Client, new InterworkingOptions { PointOfAccess = [poa], Mode = MappingMode.SmartDevice }, actuator);
        await using var listener = new HttpNotificationListener(poa + "/", iw.HandleNotificationAsync);
        listener.Start();
        Assert.True(await iw.EnsureDeviceAsync(new DeviceDescriptor("p2", DeviceKind.ActivePlug, 1)));
        f.AssertNoViolations();
        TestCseResource outlet = f.Cse.Find("cse-in/ActiveGate01/plug-p2/outlet1")!;
        Assert.Equal("cod:sDPOt", outlet.RootKey);
        Assert.Equal("org.onem2m.common.moduleclass.binarySwitch", (string?)f.Cse.Find("cse-in/ActiveGate01/plug-p2/outlet1/binarySwitch")!.Attributes["cnd"]);

        Assert.Equal(ReadingDelivery.Delivered, await iw.DeliverAsync(Reading("p2", 1, 1, 55.5)));
        JsonObject energy = f.Cse.Find("cse-in/ActiveGate01/plug-p2/outlet1/energyConsumption")!.Attributes;
        Assert.Equal(55.5, (double)energy["power"]!);
        Assert.Equal(1.001, (double)energy["abECn"]!, 6);
        Assert.True((bool)f.Cse.Find("cse-in/ActiveGate01/plug-p2/outlet1/binarySwitch")!.Attributes["state"]!); // reading said relay on

        await Task.Delay(300); // let the notification of our own state write arrive: it must not actuate
        Assert.Empty(actuator.Commands);

        f.Cse.PlatformUpdate("cse-in/ActiveGate01/plug-p2/outlet1/binarySwitch", new JsonObject { ["state"] = false });
        (bool ok, SwitchCommand cmd) = await WaitFor(() => actuator.Commands.TryPeek(out SwitchCommand? c) ? c : null, TimeSpan.FromSeconds(2));
        Assert.True(ok);
        Assert.False(cmd.On);
        await WaitFor(() => iw.CommandsExecuted > 0 ? "done" : null, TimeSpan.FromSeconds(2));
        await Task.Delay(300);
        Assert.Single(actuator.Commands);
        f.AssertNoViolations();
    }

    [Fact]
    public async Task Unreachable_gateway_uses_polling_channel()
    {
        await using var f = new CseFixture();
        var actuator = new FakeActuator();
        using var iw = new OneM2mInterworking(f.Client, new InterworkingOptions { PollTimeout = TimeSpan.FromSeconds(2) }, actuator);
        await iw.EnsureDeviceAsync(new DeviceDescriptor("p3", DeviceKind.ActivePlug, 1));
        Assert.NotNull(f.Cse.Find("cse-in/ActiveGate01/pch"));
        using var cts = new CancellationTokenSource();
        Task polling = iw.RunPollingAsync(cts.Token);
        f.Cse.PlatformCreateContentInstance("cse-in/ActiveGate01/plug-p3/ch1/cmd", "ON");
        (bool ok, SwitchCommand cmd) = await WaitFor(() => actuator.Commands.TryPeek(out SwitchCommand? c) ? c : null, TimeSpan.FromSeconds(5));
        Assert.True(ok);
        Assert.True(cmd.On);
        await cts.CancelAsync();
        await polling;
        f.AssertNoViolations();
    }

    [Fact]
    public async Task Retarget_mid_stream_loses_and_duplicates_nothing()
    {
        await using var a = new CseFixture();
        await using var b = TestCse.Start();
        using var iw = new OneM2mInterworking(a.Client, new InterworkingOptions());
        iw.RegisterDevice(new DeviceDescriptor("p1", DeviceKind.ActivePlug, 1));
        for (int seq = 1; seq <= 60; seq++)
        {
            if (seq == 31)
            {
                a.Provider.Set(CseFixture.EndpointFor(b));
            }

            Assert.Equal(ReadingDelivery.Delivered, await iw.DeliverAsync(Reading("p1", 1, seq)));
        }

        IReadOnlyList<string> onA = a.Cse.ChildrenOf("cse-in/ActiveGate01/plug-p1/ch1/meas", 4).Select(c => c.Rn).ToList();
        IReadOnlyList<string> onB = b.ChildrenOf("cse-in/ActiveGate01/plug-p1/ch1/meas", 4).Select(c => c.Rn).ToList();
        Assert.Equal(Enumerable.Range(1, 30).Select(i => $"plug-p1-ch1-{i}"), onA);
        Assert.Equal(Enumerable.Range(31, 30).Select(i => $"plug-p1-ch1-{i}"), onB);
        Assert.NotNull(b.Find("cse-in/ActiveGate01/plug-p1/ch1/cmd/cmdSub"));
        a.AssertNoViolations();
        Assert.Empty(b.Violations);
    }

    [Fact]
    public async Task Restart_adopts_existing_ae_and_updates_reachability_without_empty_poa()
    {
        await using var f = new CseFixture();
        using (var reachable = new OneM2mInterworking(f.Client, new InterworkingOptions { PointOfAccess = ["http://127.0.0.1:1/notify"] }))
        {
            Assert.True(await reachable.EnsureRegisteredAsync());
        }

        // Restart behind NAT: the AE exists (4117), rr becomes false and the poa is deleted (null), not emptied.
        using var unreachable = new OneM2mInterworking(f.Client, new InterworkingOptions());
        Assert.True(await unreachable.EnsureRegisteredAsync());
        TestCseResource ae = f.Cse.Find("cse-in/ActiveGate01")!;
        Assert.False((bool)ae.Attributes["rr"]!);
        Assert.Null(ae.Attributes["poa"]);
        Assert.Contains(f.Cse.Requests, r => r.Method == "PUT" && r.Body.Contains("\"poa\":null", StringComparison.Ordinal));
        Assert.NotNull(f.Cse.Find("cse-in/ActiveGate01/pch"));

        // And once more behind NAT: the pollingChannel exists (ACME: 400 "only one PCH per AE"), which is fine.
        using var again = new OneM2mInterworking(f.Client, new InterworkingOptions());
        Assert.True(await again.EnsureRegisteredAsync());
        Assert.Single(f.Cse.ChildrenOf("cse-in/ActiveGate01", 15));
        f.AssertNoViolations();
    }

    [Fact]
    public async Task Resource_lifetime_sets_et_on_every_created_resource()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(s_t0);
        await using var f = new CseFixture();
        using var iw = new OneM2mInterworking(f.Client, new InterworkingOptions { ResourceLifetime = TimeSpan.FromHours(2) }, timeProvider: time);
        Assert.True(await iw.EnsureDeviceAsync(new DeviceDescriptor("p1", DeviceKind.ActivePlug, 1)));
        foreach (string path in (string[])["cse-in/ActiveGate01", "cse-in/ActiveGate01/plug-p1", "cse-in/ActiveGate01/plug-p1/ch1/meas", "cse-in/ActiveGate01/plug-p1/ch1/cmd/cmdSub"])
        {
            Assert.Equal("20261124T220000", (string?)f.Cse.Find(path)!.Attributes["et"]);
        }

        f.AssertNoViolations();
    }

    [Theory]
    [InlineData("{\"relay\":true}", true)]
    [InlineData("{\"relay\":false}", false)]
    [InlineData("ON", true)]
    [InlineData("off", false)]
    [InlineData("[{\"n\":\"relay\",\"v\":1.0}]", true)]
    [InlineData("{\"state\":0}", false)]
    [InlineData("{\"powSe\":true}", true)]
    public void Switch_commands_parse(string content, bool expected)
    {
        Assert.True(ReadingJson.TryParseSwitchCommand(content, out bool on));
        Assert.Equal(expected, on);
    }

    [Theory]
    [InlineData("")]
    [InlineData("maybe")]
    [InlineData("{\"relay\":\"perhaps\"}")]
    [InlineData("{\"x\":1}")]
    [InlineData("{not json")]
    public void Bad_switch_commands_are_refused(string content)
        => Assert.False(ReadingJson.TryParseSwitchCommand(content, out _));

    [Theory]
    [InlineData(DeviceKind.ActivePlug, "0012:4B00:AA", "plug-0012-4b00-aa")]
    [InlineData(DeviceKind.ActiveDin, "x/y z", "meter-x-y-z")]
    [InlineData(DeviceKind.Generic, "n_1", "dev-n_1")]
    public void Device_names_are_safe_and_stable(DeviceKind kind, string id, string expected)
        => Assert.Equal(expected, ResourceNames.Device(kind, id));

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }
}
