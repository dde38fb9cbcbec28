namespace ActiveGate.Outbox;

/// <summary>Settings of the durable outbox (section <c>Outbox</c>).</summary>
public sealed class OutboxOptions
{
    /// <summary>The agent's default <see cref="GroupCommitWindow"/> (config <c>Outbox:GroupCommitWindow</c>).</summary>
    public static readonly TimeSpan DefaultGroupCommitWindow = TimeSpan.FromMilliseconds(200);

    /// <summary>The agent's default <see cref="DeliveryLinger"/> (config <c>Outbox:DeliveryLinger</c>).</summary>
    public static readonly TimeSpan DefaultDeliveryLinger = TimeSpan.FromSeconds(1);

    /// <summary>Directory of the segment files and the cursor (under the state directory).</summary>
    public string Directory { get; set; } = "outbox";

    /// <summary>A segment is closed and a new one started once it reaches this size.</summary>
    public long SegmentBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Upper bound of undelivered data; the oldest records are dropped (counted, logged) beyond it.</summary>
    public long MaxBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Undelivered records older than this are dropped (counted, logged).</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Largest payload accepted by <see cref="DurableOutbox.AppendAsync"/>.</summary>
    public int MaxRecordBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// How long the writer gathers a trickle of appends into one fsync: an append is durable at most this long plus two
    /// fsyncs after the call. At a few dozen readings a second each fsync then carries several records instead of one;
    /// under load (appends waiting when an fsync ends) the next commit starts at once, so it never limits throughput.
    /// 0 = always commit as soon as the previous fsync finished.
    /// </summary>
    public TimeSpan GroupCommitWindow { get; set; } = TimeSpan.Zero;

    /// <summary>The delivery cursor is written (fsync'd) at most this often; a crash re-delivers at most this much (idempotently).</summary>
    public TimeSpan CursorPersistInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Records handed to the sender at once.</summary>
    public int DeliveryBatchSize { get; set; } = 64;

    /// <summary>
    /// While fewer than <see cref="DeliveryBatchSize"/> records wait, delivery waits until the oldest has waited this
    /// long, so a trickle of readings goes upstream in small bursts rather than one wake-up and request at a time.
    /// 0 = deliver as soon as a record is durable. Bounds the added upstream latency.
    /// </summary>
    public TimeSpan DeliveryLinger { get; set; } = TimeSpan.Zero;

    /// <summary>First retry delay after a failed delivery; doubles up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Disable fsync (benchmarks of the non-durable path only; never in production).</summary>
    public bool UnsafeSkipFsync { get; set; }
}
