namespace ActiveGate.Outbox;

/// <summary>
/// One reader's position in a <see cref="DurableOutbox"/>: every upstream service has its own, so a second platform
/// gets the same records at its own pace, and a record leaves the log only once every cursor has passed it. The
/// position is persisted (fsync'd) at most every <see cref="OutboxOptions.CursorPersistInterval"/>, at once by
/// <see cref="PersistCursor"/>, and after every acknowledgement while <see cref="PersistEveryAcknowledgement"/> is set
/// (an upstream swap: no record may be delivered again to a platform other than the one that took it).
/// </summary>
public sealed class OutboxCursor
{
    private readonly DurableOutbox _outbox;
    private readonly Queue<(long Ticks, long Delivered)> _rateSamples = new();

    internal OutboxCursor(DurableOutbox outbox, string name, OutboxCursorFile file)
    {
        _outbox = outbox;
        Name = name;
        File = file;
        Acknowledged = file.Sequence;
    }

    /// <summary>The cursor's name ("default" for the outbox's first reader, which keeps the file <c>cursor</c>).</summary>
    public string Name { get; }

    internal OutboxCursorFile File { get; }

    /// <summary>Highest sequence delivered, rejected or dropped for this reader (guarded by the outbox's gate).</summary>
    internal long Acknowledged { get; set; }

    internal long Delivered { get; set; }

    internal long Rejected { get; set; }

    internal long Dropped { get; set; }

    internal long LastPersistTicks { get; set; }

    internal TaskCompletionSource? DepthWaiter { get; set; }

    internal int DepthWanted { get; set; }

    internal bool Removed { get; set; }

    /// <summary>Persist after every <see cref="Acknowledge"/> (set while a swap of this reader's upstream is pending).</summary>
    public bool PersistEveryAcknowledgement { get; set; }

    /// <summary>The sequence up to which this reader is done (what a restart resumes after).</summary>
    public long Position => _outbox.PositionOf(this);

    /// <summary>Completes when at least one record waits for this reader.</summary>
    public Task WaitForPendingAsync(CancellationToken cancellationToken) => _outbox.WaitForPendingAsync(this, cancellationToken);

    /// <summary>Completes once at least <paramref name="depth"/> records wait for this reader (one waiter at a time).</summary>
    public Task WaitForDepthAsync(int depth, CancellationToken cancellationToken) => _outbox.WaitForDepthAsync(this, depth, cancellationToken);

    /// <summary>
    /// How long until a delivery batch is worth sending: zero once <paramref name="batchSize"/> records wait or the oldest
    /// has waited <paramref name="linger"/>; null when nothing waits.
    /// </summary>
    public TimeSpan? TimeUntilBatchDue(int batchSize, TimeSpan linger) => _outbox.TimeUntilBatchDue(this, batchSize, linger);

    /// <summary>Copies up to <paramref name="max"/> of the oldest records this reader has not acknowledged into <paramref name="into"/>.</summary>
    public int PeekBatch(int max, List<OutboxEntry> into) => _outbox.PeekBatch(this, max, into);

    /// <summary>
    /// Marks every record up to and including <paramref name="sequence"/> as handled by this reader:
    /// <paramref name="delivered"/> of them were delivered and <paramref name="rejected"/> permanently refused.
    /// </summary>
    public void Acknowledge(long sequence, int delivered, int rejected = 0) => _outbox.Acknowledge(this, sequence, delivered, rejected);

    /// <summary>Writes this reader's position (fsync) and deletes segments no reader needs any more.</summary>
    public void PersistCursor() => _outbox.PersistCursor(this);

    /// <summary>Applies the outbox's size and age bounds now.</summary>
    public void EnforceBounds() => _outbox.EnforceBounds();

    public OutboxCursorStats GetStats() => _outbox.GetStats(this);

    /// <summary>Delivered-per-second over the last ten seconds (guarded by the outbox's gate).</summary>
    internal double SampleRate(TimeProvider time, bool record)
    {
        long now = time.GetTimestamp();
        if (record && (_rateSamples.Count == 0 || time.GetElapsedTime(_rateSamples.Last().Ticks, now) >= TimeSpan.FromSeconds(1)))
        {
            _rateSamples.Enqueue((now, Delivered));
            while (_rateSamples.Count > 11)
            {
                _rateSamples.Dequeue();
            }
        }

        if (_rateSamples.Count == 0)
        {
            return 0;
        }

        (long ticks, long delivered) = _rateSamples.Peek();
        TimeSpan elapsed = time.GetElapsedTime(ticks, now);
        return elapsed > TimeSpan.FromMilliseconds(500) ? (Delivered - delivered) / elapsed.TotalSeconds : 0;
    }
}

/// <summary>One reader's view of the outbox.</summary>
public sealed record OutboxCursorStats(
    string Name,
    long Position,
    long Depth,
    TimeSpan? OldestAge,
    long Delivered,
    long Rejected,
    long Dropped,
    double DeliveredPerSecond);
