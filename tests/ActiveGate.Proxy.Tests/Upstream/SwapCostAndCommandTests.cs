using ActiveGate.Devices.Model;
using ActiveGate.Proxy.Interworking;
using ActiveGate.Proxy.Upstream;
using ActiveGate.TestKit.OneM2m;

namespace ActiveGate.Proxy.Tests.Upstream;

/// <summary>What a swap costs at a far platform (round trips), and whose commands are obeyed after it.</summary>
public sealed class SwapCostAndCommandTests
{
    private static readonly DeviceDescriptor s_din = SwapHarness.Devices.Single(d => d.Kind == DeviceKind.ActiveDin);

    // A far platform: on loopback an answer can come back before the next request of the same level is issued, which
    // counts as an extra round trip; with 200 ms per answer the count is what a real RTT would multiply, and a loaded
    // test machine's scheduling delays stay well below one RTT.
    private static readonly TimeSpan s_rtt = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task A_fresh_DIN_tree_costs_at_most_six_round_trips_and_going_back_waits_for_one()
    {
        await using TestCse a = TestCse.Start();
        await using TestCse b = TestCse.Start();
        await using SwapHarness h = await SwapHarness.StartAsync(a, devices: [s_din]);
        a.ResponseDelay = b.ResponseDelay = s_rtt;

        Assert.Null(h.Service.RequestSwitch(SwapHarness.Policy(b)));
        await SwapHarness.Until(() => h.SettledAt(b), "switch to fresh B");
        SwapRecord fresh = h.Service.History[^1];
        // AE (+ its read and discovery), pollingChannel, the meter, its 3 channels, their 9 containers, 3 subscriptions:
        // 18+ requests, one round trip per level.
        Assert.True(fresh.Requests >= 3 + 1 + 1 + 3 + 9 + 3, $"{fresh.Requests} requests");
        Assert.InRange(fresh.RoundTrips, 1, 6);
        Assert.NotNull(b.Find(SwapHarness.MeasPath(s_din, 3)));
        Assert.NotNull(b.Find(SwapHarness.CmdPath(s_din, 2) + "/cmdSub"));

        // A kept the tree: the AE create, its read and the discovery share one round trip, and the switch waits for
        // nothing else: no create beyond the AE's, no AE update, no pollingChannel.
        Assert.Null(h.Service.RequestSwitch(SwapHarness.Policy(a)));
        await SwapHarness.Until(() => h.SettledAt(a), "switch back to A");
        SwapRecord revisit = h.Service.History[^1];
        // The cost is the round trips it waited for (wall time under a loaded test run says little about the code).
        Assert.Equal(1, revisit.RoundTrips);
        Assert.True(revisit.Duration < 10 * s_rtt, $"revisit took {revisit.Duration}");
        TrackedBinding toA = h.Bindings.For(a.BaseUrl)[^1];
        SentRequest create = Assert.Single(toA.Sent, r => r.Operation == ActiveGate.OneM2m.Primitives.Operation.Create);
        Assert.Equal(ActiveGate.OneM2m.Primitives.ResourceType.AE, create.Type);
        Assert.DoesNotContain(toA.Sent, r => r.Operation == ActiveGate.OneM2m.Primitives.Operation.Update);
        Assert.Equal(2, toA.Sent.Count(r => r.Operation == ActiveGate.OneM2m.Primitives.Operation.Retrieve && r.To == "cse-in/ActiveGate01"));
        Assert.Empty(a.Violations);
        Assert.Empty(b.Violations);
    }

    [Fact]
    public async Task Revisiting_a_platform_is_recorded_as_one_round_trip_of_three_requests()
    {
        await using TestCse a = TestCse.Start();
        await using TestCse b = TestCse.Start();
        await using SwapHarness h = await SwapHarness.StartAsync(a, devices: [s_din]);
        a.ResponseDelay = b.ResponseDelay = s_rtt;
        Assert.Null(h.Service.RequestSwitch(SwapHarness.Policy(b)));
        await SwapHarness.Until(() => h.SettledAt(b), "switch to B");
        Assert.Null(h.Service.RequestSwitch(SwapHarness.Policy(a)));
        await SwapHarness.Until(() => h.SettledAt(a), "switch back to A");

        SwapRecord revisit = h.Service.History[^1];
        Assert.Equal(1, revisit.RoundTrips);
        Assert.Equal(3, revisit.Requests);
    }

    [Fact]
    public async Task A_fresh_tree_costs_round_trips_per_level_not_per_device()
    {
        await using TestCse a = TestCse.Start();
        await using TestCse b = TestCse.Start();
        DeviceDescriptor[] many = [.. Enumerable.Range(0, 12).Select(i => new DeviceDescriptor($"plug-{i:00}", DeviceKind.ActivePlug, 1)), s_din];
        await using SwapHarness h = await SwapHarness.StartAsync(a, devices: many);
        a.ResponseDelay = b.ResponseDelay = s_rtt;

        Assert.Null(h.Service.RequestSwitch(SwapHarness.Policy(b)));
        await SwapHarness.Until(() => h.SettledAt(b), "switch to fresh B");
        SwapRecord fresh = h.Service.History[^1];
        Assert.True(fresh.Requests >= 12 * 5 + 16, $"{fresh.Requests} requests");
        Assert.InRange(fresh.RoundTrips, 1, 6); // 13 devices cost what one does
        Assert.All(many, d => Assert.NotNull(b.Find(SwapHarness.CmdPath(d, 1) + "/cmdSub")));

        Assert.Null(h.Service.RequestSwitch(SwapHarness.Policy(a)));
        await SwapHarness.Until(() => h.SettledAt(a), "switch back to A");
        Assert.Equal(1, h.Service.History[^1].RoundTrips);
        Assert.True(h.Service.History[^1].Duration < 10 * s_rtt, $"revisit took {h.Service.History[^1].Duration}");
    }

    [Fact]
    public async Task Swapping_between_http_and_coap_delivers_every_reading_once()
    {
        await using TestCse a = TestCse.Start();
        await using TestCse b = TestCse.Start();
        await using SwapHarness h = await SwapHarness.StartAsync(a);

        List<long> atHttp = await h.AppendAsync(10);
        await h.UntilDrained();
        Assert.Null(h.Service.RequestSwitch(SwapHarness.Policy(b, coap: true)));
        await SwapHarness.Until(() => h.Service.Current.Policy.SameTarget(SwapHarness.Policy(b, coap: true)) && h.Service.Status.State == ServiceState.Active, "switch to B over CoAP");
        List<long> atCoap = await h.AppendAsync(10);
        await h.UntilDrained();
        Assert.Null(h.Service.RequestSwitch(SwapHarness.Policy(a)));
        await SwapHarness.Until(() => h.SettledAt(a), "back to A over HTTP");
        List<long> back = await h.AppendAsync(10);
        await h.UntilDrained();

        Assert.Equal(atHttp.Concat(back), SwapHarness.Stored(a).Order());
        Assert.Equal(atCoap, SwapHarness.Stored(b).Order());
        Assert.Contains(b.Requests, r => r.Binding == "coap");
        Assert.DoesNotContain(b.Requests, r => r.Binding == "http");
        Assert.Empty(a.Violations);
        Assert.Empty(b.Violations);
    }

    [Fact]
    public async Task In_polling_mode_after_a_swap_the_new_platform_commands_and_the_old_one_does_not()
    {
        var cseOptions = new TestCseOptions { LongPollTimeout = TimeSpan.FromSeconds(1) };
        await using TestCse a = TestCse.Start(cseOptions);
        await using TestCse b = TestCse.Start(cseOptions);
        // No point of access: the platforms cannot reach the gateway, commands come by long-polling the pollingChannel.
        await using SwapHarness h = await SwapHarness.StartAsync(a, interworking: new InterworkingOptions { PollTimeout = TimeSpan.FromSeconds(1) });
        Assert.True(h.Service.Current.CommandsByPolling);
        DeviceDescriptor plugA = SwapHarness.Devices[0], plugB = SwapHarness.Devices[1];

        Assert.Null(h.Service.RequestSwitch(SwapHarness.Policy(b)));
        await SwapHarness.Until(() => h.SettledAt(b), "switch to B");

        b.PlatformCreateContentInstance(SwapHarness.CmdPath(plugA, 1), "{\"relay\":true}");
        await SwapHarness.Until(() => h.Actuator.Commands.Any(c => c.DeviceId == plugA.Id), "B's command executed");
        SwitchCommand fromB = Assert.Single(h.Actuator.Commands);
        Assert.Equal((plugA.Id, 1, true), (fromB.DeviceId, fromB.Channel, fromB.On));
        // Its outcome is reported where the command came from.
        await SwapHarness.Until(() => b.ChildrenOf(SwapHarness.DevicePath(plugA) + "/ch1/state", 4).Count == 1, "outcome written at B");
        Assert.Empty(a.ChildrenOf(SwapHarness.DevicePath(plugA) + "/ch1/state", 4));

        // The old platform still has our subscriptions; an app there writes a command. Then B writes another:
        // once B's second command has arrived, A's (written first) would have too if anything still polled A.
        a.PlatformCreateContentInstance(SwapHarness.CmdPath(plugB, 1), "{\"relay\":false}");
        b.PlatformCreateContentInstance(SwapHarness.CmdPath(s_din, 2), "{\"relay\":false}");
        await SwapHarness.Until(() => h.Actuator.Commands.Any(c => c.DeviceId == s_din.Id), "B's second command executed");
        Assert.DoesNotContain(h.Actuator.Commands, c => c.DeviceId == plugB.Id);
        Assert.Empty(a.ChildrenOf(SwapHarness.DevicePath(plugB) + "/ch1/state", 4));
        Assert.Equal(2, h.Actuator.Commands.Count);
    }
}
