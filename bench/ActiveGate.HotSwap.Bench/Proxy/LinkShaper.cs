namespace ActiveGate.HotSwap.Bench.Proxy;

/// <summary>
/// One direction of the emulated link: a FIFO transmitter of fixed capacity followed by a fixed propagation delay.
/// A chunk starts transmitting when the link is free (or at once), takes bytes*8/capacity, and arrives one-way delay
/// after its last bit left. All flows of a proxy share one shaper per direction, as they would share a real link, so
/// concurrent connections split the capacity and queue behind each other.
/// </summary>
public sealed class LinkShaper
{
    private readonly Lock _gate = new();
    private readonly long _oneWayTicks;
    private readonly double _ticksPerByte;
    private long _busyUntil;

    public LinkShaper(TimeSpan oneWay, double bitsPerSecond, TimeProvider timeProvider)
    {
        TimeProvider = timeProvider;
        _oneWayTicks = (long)(oneWay.TotalSeconds * timeProvider.TimestampFrequency);
        _ticksPerByte = bitsPerSecond > 0 ? 8.0 * timeProvider.TimestampFrequency / bitsPerSecond : 0;
    }

    public TimeProvider TimeProvider { get; }

    /// <summary>The delivery timestamp (<see cref="TimeProvider.GetTimestamp"/>) of a chunk that is ready to send at <paramref name="readyAt"/>.</summary>
    /// <remarks>Monotonic for calls in order on one flow, which is what keeps each flow's bytes in order.</remarks>
    public long Schedule(int bytes, long readyAt)
    {
        lock (_gate)
        {
            long start = Math.Max(readyAt, _busyUntil);
            long end = start + (long)Math.Ceiling(bytes * _ticksPerByte);
            _busyUntil = end;
            return end + _oneWayTicks;
        }
    }

    /// <summary>Waits until <paramref name="deliverAt"/> (a timestamp), give or take a millisecond.</summary>
    /// <remarks>
    /// One timer wait of the whole milliseconds left. Timers run on a millisecond tick and fire a little late, so the
    /// truncation roughly cancels out (self-test: 50 ms RTT measured 50.6 ms median, min 49.1). Topping up the
    /// remainder with a second 1 ms wait made every hop ~3 ms late instead; spinning would cost CPU on a shared machine.
    /// </remarks>
    public Task WaitUntilAsync(long deliverAt, CancellationToken cancellationToken)
    {
        double ms = (deliverAt - TimeProvider.GetTimestamp()) * 1000.0 / TimeProvider.TimestampFrequency;
        return ms < 1
            ? Task.CompletedTask
            : Task.Delay(TimeSpan.FromMilliseconds(Math.Floor(ms)), TimeProvider, cancellationToken);
    }
}
