namespace ActiveGate.Outbox;

/// <summary>One accepted record: its outbox sequence number, when it was accepted, and the opaque payload.</summary>
public readonly record struct OutboxEntry(long Sequence, DateTimeOffset AcceptedAt, ReadOnlyMemory<byte> Payload);

/// <summary>What happened to one entry handed to an <see cref="IOutboxSender"/>.</summary>
public enum DeliveryOutcome
{
    /// <summary>The sender stopped before this entry (e.g. after a retryable failure).</summary>
    NotAttempted = 0,
    /// <summary>Stored upstream (or recognised as a duplicate of a stored one).</summary>
    Delivered,
    /// <summary>Permanently refused (malformed, forbidden): it would never succeed; dropped with a counter and a warning.</summary>
    Rejected,
    /// <summary>Failed for now (outage, timeout, 5xxx): retried later, in order.</summary>
    RetryLater,
}

/// <summary>Carries outbox entries upstream.</summary>
public interface IOutboxSender
{
    /// <summary>
    /// Delivers <paramref name="batch"/> (in sequence order) and fills <paramref name="outcomes"/> (same length).
    /// Entries after the first <see cref="DeliveryOutcome.RetryLater"/> are retried anyway, so a sender may stop there.
    /// </summary>
    ValueTask SendAsync(IReadOnlyList<OutboxEntry> batch, DeliveryOutcome[] outcomes, CancellationToken cancellationToken);
}

/// <summary>A point-in-time view of the outbox for <c>activegate outbox</c>.</summary>
public sealed record OutboxStats(
    long Depth,
    long PendingBytes,
    long DiskBytes,
    TimeSpan? OldestAge,
    long Appended,
    long Commits,
    long Delivered,
    long Dropped,
    long Rejected,
    double DeliveredPerSecond,
    long TruncatedBytesAtOpen,
    long Segments)
{
    /// <summary>Records refused because they could not be stored (full disk, I/O error, read-only file system).</summary>
    public long Refused { get; init; }

    /// <summary>The last storage error and when it happened (null when none since start).</summary>
    public string? LastAppendError { get; init; }

    public DateTimeOffset? LastAppendErrorAt { get; init; }
}
