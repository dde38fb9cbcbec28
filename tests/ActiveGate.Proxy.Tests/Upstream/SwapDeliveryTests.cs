using ActiveGate.Proxy.Upstream;
using ActiveGate.TestKit.OneM2m;

namespace ActiveGate.Proxy.Tests.Upstream;

/// <summary>What a platform owner sees of swaps: every reading at exactly one platform, in runs, nothing lost.</summary>
public sealed class SwapDeliveryTests
{
    [Fact]
    public async Task Thirty_swaps_under_continuous_appends_deliver_every_reading_once_in_one_run_per_swap()
    {
        await using TestCse a = TestCse.Start();
        await using TestCse b = TestCse.Start();
        await using SwapHarness h = await SwapHarness.StartAsync(a);
        const int swaps = 30;

        using var stop = new CancellationTokenSource();
        Task appender = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await h.AppendAsync();
                await Task.Delay(1);
            }
        });

        for (int i = 0; i < swaps; i++)
        {
            TestCse target = i % 2 == 0 ? b : a;
            Assert.Null(h.Service.RequestSwitch(SwapHarness.Policy(target)));
            await SwapHarness.Until(() => h.SettledAt(target), $"swap {i + 1} settled");

            // Each swap must carry readings, or "one platform change per swap" would prove nothing.
            await SwapHarness.Until(() => h.Service.Current.Delivered > 0, $"first reading after swap {i + 1}");
        }

        await stop.CancelAsync();
        await appender;
        await h.UntilDrained();

        List<long> atA = SwapHarness.Stored(a), atB = SwapHarness.Stored(b);
        Assert.Equal(atA.Count, atA.Distinct().Count()); // none twice at one platform
        Assert.Equal(atB.Count, atB.Distinct().Count());
        Assert.Empty(atA.Intersect(atB)); // none at both
        Assert.Equal(Enumerable.Range(1, h.Appended).Select(i => (long)i), atA.Concat(atB).Order()); // none lost

        // In outbox order the platform changes exactly once per swap: each platform holds contiguous runs.
        var where = atA.Select(s => (Seq: s, AtA: true)).Concat(atB.Select(s => (Seq: s, AtA: false))).OrderBy(x => x.Seq).ToList();
        int changes = where.Zip(where.Skip(1)).Count(p => p.First.AtA != p.Second.AtA);
        Assert.Equal(swaps, changes);

        Assert.Equal(swaps, h.Service.Status.SwitchCount);
        // The count of the last retired generation's final batch lands once its retirement has waited for it.
        await SwapHarness.Until(() => h.Service.Status.ReadingsDelivered == h.Appended, $"ReadingsDelivered {h.Service.Status.ReadingsDelivered} = {h.Appended}");
        Assert.All(h.Service.History, r => Assert.Equal("active", r.Outcome));
        await SwapHarness.Until(() => !h.Service.Cursor.PersistEveryAcknowledgement, "eager persistence ended with the last swap");
        await SwapHarness.Until(() => h.Bindings.Created.SkipLast(1).All(binding => binding.Disposed), "every retired generation let go");
        Assert.All(h.Bindings.Created, binding => Assert.Equal(0, binding.SentAfterDispose));
        Assert.Empty(a.Violations);
        Assert.Empty(b.Violations);
    }
}
