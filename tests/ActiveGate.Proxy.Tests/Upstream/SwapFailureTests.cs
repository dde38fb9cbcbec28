using System.Diagnostics;
using ActiveGate.OneM2m.Primitives;
using ActiveGate.OneM2m.Upstream;
using ActiveGate.Proxy.Upstream;
using ActiveGate.TestKit.OneM2m;

namespace ActiveGate.Proxy.Tests.Upstream;

/// <summary>Swaps that do not go smoothly: what the server that wrote the policy, and the platforms, then see.</summary>
public sealed class SwapFailureTests
{
    [Fact]
    public async Task Prepare_at_a_platform_that_is_down_fails_with_a_reason_while_readings_flow_on_then_completes_when_it_is_up()
    {
        await using TestCse a = TestCse.Start();
        await using TestCse b = TestCse.Start();
        await using SwapHarness h = await SwapHarness.StartAsync(a);
        // Its port is known and refuses connections. (Stopped only now: a TestCse stopped within milliseconds of its start
        // has once thrown ObjectDisposedException from its CoAP server's dispose under load.)
        b.Stop();

        Assert.Null(h.Service.RequestSwitch(SwapHarness.Policy(b)));
        await SwapHarness.Until(() => h.Service.Status.State == ServiceState.Failed, "state Failed");
        ServiceStatus failed = h.Service.Status;
        Assert.False(string.IsNullOrWhiteSpace(failed.Reason));
        Assert.StartsWith("failed: ", h.Service.History[^1].Outcome, StringComparison.Ordinal);
        Assert.True(h.Service.Cursor.PersistEveryAcknowledgement); // a crash now must not replay to B what A took

        // Meanwhile readings keep going to A (the policy being prepared does not stop delivery).
        List<long> duringFailure = await h.AppendAsync(20);
        await h.UntilDrained();
        Assert.Superset(duringFailure.ToHashSet(), SwapHarness.Stored(a).ToHashSet());
        Assert.True(h.Service.Current.Policy.SameTarget(SwapHarness.Policy(a)));
        Assert.Equal(ServiceState.Failed, h.Service.Status.State); // still retrying, not given up
        Assert.True(SwapHarness.Policy(b).SameTarget(h.Service.Desired)); // what a server reads back is what it wrote

        b.Restart();
        await SwapHarness.Until(() => h.SettledAt(b), "switch to B once it is up");
        Assert.Equal("active", h.Service.History[^1].Outcome);
        Assert.Single(h.Service.History); // the retries are one swap, not many
        Assert.Null(h.Service.Status.Reason);
        await SwapHarness.Until(() => !h.Service.Cursor.PersistEveryAcknowledgement, "eager persistence ended (after the old generation retired)");

        List<long> after = await h.AppendAsync(10);
        await h.UntilDrained();
        Assert.Equal(after, SwapHarness.Stored(b).Order());
        Assert.Empty(SwapHarness.Stored(a).Intersect(after));
        Assert.Empty(a.Violations);
        Assert.Empty(b.Violations);
    }

    [Fact]
    public async Task Writing_the_policy_in_force_back_while_the_new_platform_fails_cancels_the_swap()
    {
        await using TestCse a = TestCse.Start();
        await using TestCse b = TestCse.Start();
        await using SwapHarness h = await SwapHarness.StartAsync(a);
        b.Stop(); // after the harness started, as above
        UpstreamGeneration original = h.Service.Current;

        Assert.Null(h.Service.RequestSwitch(SwapHarness.Policy(b)));
        await SwapHarness.Until(() => h.Service.Status.State == ServiceState.Failed, "state Failed");
        Assert.True(h.Service.Cursor.PersistEveryAcknowledgement);

        // The server gives up on B and writes back what is in force (another source: only the target matters).
        Assert.Null(h.Service.RequestSwitch(SwapHarness.Policy(a, source: PolicySource.Lwm2m)));
        await SwapHarness.Until(() => h.Service.Preparing is null && h.Service.History[^1].Outcome is "cancelled" or "superseded" or "active", "swap ended");

        Assert.Equal("cancelled", h.Service.History[^1].Outcome);
        ServiceStatus status = h.Service.Status;
        Assert.Equal(ServiceState.Active, status.State);
        Assert.Null(status.Reason);
        Assert.Equal(0, status.SwitchCount);
        Assert.Same(original, h.Service.Current); // A's generation was never replaced
        await SwapHarness.Until(() => !h.Service.Cursor.PersistEveryAcknowledgement, "eager persistence ended with the swap");
        TrackedBinding toB = Assert.Single(h.Bindings.For(b.BaseUrl));
        await SwapHarness.Until(() => toB.Disposed, "B's generation disposed");

        // B coming up later changes nothing: the readings stay at A.
        b.Restart();
        List<long> after = await h.AppendAsync(10);
        await h.UntilDrained();
        Assert.Superset(after.ToHashSet(), SwapHarness.Stored(a).ToHashSet());
        Assert.Empty(b.Requests);
        Assert.Single(h.Bindings.For(b.BaseUrl)); // and no new attempt at B
    }

    [Fact]
    public async Task A_newer_policy_supersedes_a_swap_whose_platform_hangs_without_waiting_for_its_timeout()
    {
        await using TestCse a = TestCse.Start();
        await using TestCse b = TestCse.Start();
        await using TestCse c = TestCse.Start();
        b.Hang = true; // accepts requests, never answers
        await using SwapHarness h = await SwapHarness.StartAsync(a, new TestBindings { RequestTimeout = TimeSpan.FromSeconds(6) });

        Assert.Null(h.Service.RequestSwitch(SwapHarness.Policy(b)));
        await SwapHarness.Until(() => h.Bindings.For(b.BaseUrl) is [{ InFlight: > 0 }], "prepare at B in flight");
        TrackedBinding toB = h.Bindings.For(b.BaseUrl)[0];

        var sw = Stopwatch.StartNew();
        Assert.Null(h.Service.RequestSwitch(SwapHarness.Policy(c)));
        // Well inside B's request timeout: the hung prepare is cancelled, not waited out.
        await SwapHarness.Until(() => h.SettledAt(c), "switch to C", seconds: 4);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(4));

        Assert.Equal(["superseded", "active"], h.Service.History.Select(r => r.Outcome));
        Assert.True(SwapHarness.Policy(b).SameTarget(h.Service.History[0].To));
        Assert.True(SwapHarness.Policy(c).SameTarget(h.Service.History[1].To));
        Assert.Equal(1, h.Service.Status.SwitchCount);
        await SwapHarness.Until(() => toB.Disposed, "B's generation disposed");
        int sentToB = toB.Sent.Count;

        List<long> after = await h.AppendAsync(20);
        await h.UntilDrained();
        Assert.Equal(sentToB, toB.Sent.Count); // nothing sent to B after it was superseded
        Assert.Equal(0, toB.SentAfterDispose);
        Assert.Single(h.Bindings.For(b.BaseUrl));
        Assert.Superset(after.ToHashSet(), SwapHarness.Stored(c).ToHashSet());
        Assert.Empty(SwapHarness.Stored(b));
        Assert.Empty(a.Violations);
        Assert.Empty(c.Violations);
    }

    [Fact]
    public async Task Readings_queued_for_a_platform_that_is_down_at_the_swap_go_to_the_new_one_none_lost_or_doubled()
    {
        await using TestCse a = TestCse.Start();
        await using TestCse b = TestCse.Start();
        await using SwapHarness h = await SwapHarness.StartAsync(a);

        List<long> before = await h.AppendAsync(10);
        await h.UntilDrained();
        a.Stop();
        List<long> queued = await h.AppendAsync(30);
        await SwapHarness.Until(() => h.Service.ConsecutiveFailures > 0, "delivery to A failing");

        Assert.Null(h.Service.RequestSwitch(SwapHarness.Policy(b)));
        await SwapHarness.Until(() => h.SettledAt(b), "switch to B");
        List<long> after = await h.AppendAsync(10);
        await h.UntilDrained();

        List<long> atA = SwapHarness.Stored(a), atB = SwapHarness.Stored(b);
        Assert.Equal(before, atA.Order());
        Assert.Equal(queued.Concat(after), atB.Order()); // each exactly once, all at B
        Assert.Equal(0, h.Service.ConsecutiveFailures); // B's delivery is not held back by A's failures
        Assert.Empty(b.Violations);
    }

    [Fact]
    public async Task A_batch_in_flight_to_the_old_platform_completes_there_before_anything_goes_to_the_new_one()
    {
        await using TestCse a = TestCse.Start();
        await using TestCse b = TestCse.Start();
        await using SwapHarness h = await SwapHarness.StartAsync(a, batchSize: 8);
        await h.AppendAsync(8);
        await h.UntilDrained();

        a.ResponseDelay = TimeSpan.FromMilliseconds(400); // a slow platform: the next batch is in flight for a while
        TrackedBinding toA = h.Bindings.For(a.BaseUrl)[0];
        await h.AppendAsync(8);
        await SwapHarness.Until(() => toA.Sent.Any(r => r.Type == ResourceType.ContentInstance && r.AnsweredAt is null), "a batch in flight to A");

        Assert.Null(h.Service.RequestSwitch(SwapHarness.Policy(b)));
        bool switchedWhileInFlight = false;
        await SwapHarness.Until(() =>
        {
            switchedWhileInFlight |= h.SettledAt(b) && toA.Sent.Any(r => r.Type == ResourceType.ContentInstance && r.AnsweredAt is null);
            return h.SettledAt(b);
        }, "switch to B");
        List<long> after = await h.AppendAsync(16);
        await h.UntilDrained();

        Assert.True(switchedWhileInFlight, "the switch should have happened while A's batch was in flight (else this test proves nothing)");
        List<long> atA = SwapHarness.Stored(a), atB = SwapHarness.Stored(b);
        Assert.Empty(atA.Intersect(atB));
        Assert.Equal(Enumerable.Range(1, h.Appended).Select(i => (long)i), atA.Concat(atB).Order());

        // Every reading sent to A (the batch in flight included) was stored there: it was not abandoned and re-sent.
        Assert.Equal(atA.Count, toA.Sent.Count(r => r.Type == ResourceType.ContentInstance));
        Assert.Superset(after.ToHashSet(), atB.ToHashSet());

        // Nothing went to B before A had answered the last reading it was sent.
        long lastAnswerAtA = toA.Sent.Where(r => r.Type == ResourceType.ContentInstance).Max(r => r.AnsweredAt!.Value);
        long firstReadingToB = h.Bindings.For(b.BaseUrl).SelectMany(x => x.Sent).Where(r => r.Type == ResourceType.ContentInstance).Min(r => r.StartedAt);
        Assert.True(lastAnswerAtA <= firstReadingToB);
        await SwapHarness.Until(() => h.Service.Status.ReadingsDelivered == h.Appended, "the in-flight batch counted too");
    }

    [Fact]
    public async Task A_scheme_the_agent_cannot_speak_fails_with_the_reason_and_keeps_the_current_platform()
    {
        await using TestCse a = TestCse.Start();
        await using SwapHarness h = await SwapHarness.StartAsync(a);

        // Valid as a policy (coaps is a oneM2M binding), but this agent's factory has no PSK for it.
        var coaps = new UpstreamPolicy(SwapHarness.ServiceName, new UpstreamEndpoint(new Uri("coaps://127.0.0.1:5684/"), "/id-in", "cse-in", "Cactivegate01"), PolicySource.Lwm2m);
        Assert.Null(h.Service.RequestSwitch(coaps));
        await SwapHarness.Until(() => h.Service.Status.State == ServiceState.Failed, "state Failed");
        Assert.Contains("not supported", h.Service.Status.Reason, StringComparison.Ordinal);
        Assert.StartsWith("failed: ", h.Service.History[^1].Outcome, StringComparison.Ordinal);
        Assert.True(h.Service.Current.Policy.SameTarget(SwapHarness.Policy(a)));

        List<long> after = await h.AppendAsync(10);
        await h.UntilDrained();
        Assert.Superset(after.ToHashSet(), SwapHarness.Stored(a).ToHashSet());

        // Writing A back clears the failure.
        Assert.Null(h.Service.RequestSwitch(SwapHarness.Policy(a)));
        await SwapHarness.Until(() => h.Service.Status.State == ServiceState.Active, "state Active");
        Assert.Null(h.Service.Status.Reason);
    }
}
