using ActiveGate.SixLowpan.Rpl.Trickle;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.SixLowpan.Tests.Rpl;

public class TrickleTimerTests
{
    private static readonly TimeSpan s_imin = TimeSpan.FromMilliseconds(4096);

    private sealed class Harness : IDisposable
    {
        public Harness(int doublings = 3, int k = 2, int seed = 1)
        {
            Timer = new TrickleTimer(new TrickleParameters(s_imin, doublings, k), Time, () => Transmissions.Add(Time.GetUtcNow()), new Random(seed));
        }

        public FakeTimeProvider Time { get; } = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

        public List<DateTimeOffset> Transmissions { get; } = [];

        public TrickleTimer Timer { get; }

        public void Dispose() => Timer.Dispose();
    }

    [Fact]
    public void Dio_parameters_map_to_rfc_6206_values()
    {
        TrickleParameters contiki = TrickleParameters.FromDio(12, 8, 10);
        Assert.Equal(s_imin, contiki.IntervalMin);
        Assert.Equal(TimeSpan.FromMilliseconds(4096 * 256), contiki.IntervalMax); // ≈ 17.5 min
        Assert.Equal(10, contiki.RedundancyConstant);
        Assert.Equal(TimeSpan.FromMilliseconds(8), TrickleParameters.FromDio(3, 20, 10).IntervalMin);
    }

    [Fact]
    public void Interval_doubles_up_to_imax_and_transmits_once_in_the_second_half_of_each()
    {
        using var h = new Harness(doublings: 3, k: 0);
        h.Timer.Start();
        var expected = new[] { 1, 2, 4, 8, 8, 8 };
        for (int i = 0; i < expected.Length; i++)
        {
            DateTimeOffset start = h.Timer.IntervalStartedAt;
            TimeSpan interval = h.Timer.CurrentInterval;
            Assert.Equal(s_imin * expected[i], interval);
            Assert.InRange(h.Timer.TransmitAt - start, interval / 2, interval);

            h.Time.Run(interval);
            Assert.Equal(i + 1, h.Transmissions.Count);
            Assert.InRange(h.Transmissions[^1] - start, interval / 2, interval);
            Assert.Equal(start + interval, h.Timer.IntervalStartedAt);
        }

        Assert.Equal(expected.Length + 1, h.Timer.IntervalCount);
    }

    [Fact]
    public void Hearing_k_consistent_messages_suppresses_the_transmission()
    {
        using var h = new Harness(doublings: 2, k: 2);
        h.Timer.Start();
        h.Timer.Consistent();
        h.Timer.Consistent();
        h.Time.Run(s_imin);
        Assert.Empty(h.Transmissions);
        Assert.Equal(1, h.Timer.SuppressionCount);

        // The counter restarts each interval: one consistent message (c = 1 < k) does not suppress.
        h.Timer.Consistent();
        h.Time.Run(s_imin * 2);
        Assert.Single(h.Transmissions);
    }

    [Fact]
    public void Redundancy_zero_never_suppresses()
    {
        using var h = new Harness(doublings: 1, k: 0);
        h.Timer.Start();
        for (int i = 0; i < 50; i++)
        {
            h.Timer.Consistent();
        }

        h.Time.Run(s_imin);
        Assert.Single(h.Transmissions);
    }

    [Fact]
    public void Inconsistency_resets_to_imin_but_not_when_already_there()
    {
        using var h = new Harness(doublings: 4, k: 0);
        h.Timer.Start();
        Assert.False(h.Timer.Inconsistent()); // I == Imin already
        h.Time.Run(s_imin * 7); // intervals 1 + 2 + 4: now in the 8·Imin interval
        Assert.Equal(s_imin * 8, h.Timer.CurrentInterval);
        int before = h.Transmissions.Count;

        h.Time.Run(TimeSpan.FromSeconds(1));
        Assert.True(h.Timer.Inconsistent());
        Assert.Equal(s_imin, h.Timer.CurrentInterval);
        Assert.Equal(h.Time.GetUtcNow(), h.Timer.IntervalStartedAt);
        Assert.Equal(1, h.Timer.ResetCount);

        // The next transmission comes within Imin of the reset, not at the old 8·Imin schedule.
        h.Time.Run(s_imin);
        Assert.Equal(before + 1, h.Transmissions.Count);
        Assert.Equal(s_imin * 2, h.Timer.CurrentInterval);
    }

    [Fact]
    public void Stop_silences_and_start_begins_again_at_imin()
    {
        using var h = new Harness(doublings: 3, k: 0);
        h.Timer.Start();
        h.Time.Run(s_imin * 3);
        h.Timer.Stop();
        int count = h.Transmissions.Count;
        h.Time.Run(TimeSpan.FromMinutes(5));
        Assert.Equal(count, h.Transmissions.Count);
        Assert.False(h.Timer.Inconsistent());

        h.Timer.Start();
        Assert.Equal(s_imin, h.Timer.CurrentInterval);
        h.Time.Run(s_imin);
        Assert.Equal(count + 1, h.Transmissions.Count);
    }

    [Fact]
    public void Transmission_rate_settles_at_one_per_imax()
    {
        using var h = new Harness(doublings: 8, k: 10, seed: 7);
        h.Timer.Start();
        TimeSpan imax = h.Timer.Parameters.IntervalMax;
        h.Time.Run(imax * 2, TimeSpan.FromSeconds(1)); // the climb to Imax takes Imin·(2^8 − 1) < Imax
        int settled = h.Transmissions.Count;
        h.Time.Run(imax * 10, TimeSpan.FromSeconds(1));
        Assert.InRange(h.Transmissions.Count - settled, 9, 11);
    }

    [Fact]
    public void Invalid_parameters_are_rejected()
    {
        var time = new FakeTimeProvider();
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrickleTimer(new TrickleParameters(TimeSpan.Zero, 3, 1), time, () => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrickleTimer(new TrickleParameters(s_imin, -1, 1), time, () => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrickleParameters.FromDio(41, 1, 1));
    }
}
