using System.Collections.Concurrent;

namespace ActiveGate.Agent.Health;

/// <summary>
/// Long-running parts register here and report progress. The watchdog pets systemd only while
/// every source is progressing, so a wedged radio loop gets the service restarted.
/// </summary>
public sealed class HealthRegistry
{
    private readonly ConcurrentDictionary<string, HealthSource> _sources = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;

    public HealthRegistry(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
    }

    /// <summary>Registers a part that must report progress at least every <paramref name="stallAfter"/>.</summary>
    public HealthSource Register(string name, TimeSpan stallAfter)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(stallAfter, TimeSpan.Zero);
        var source = new HealthSource(name, stallAfter, _timeProvider);
        return _sources.TryAdd(name, source)
            ? source
            : throw new InvalidOperationException($"A health source named '{name}' is already registered.");
    }

    /// <summary>Removes a part that has stopped on purpose (a stopped part is not a stalled one).</summary>
    public void Unregister(HealthSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        _sources.TryRemove(new KeyValuePair<string, HealthSource>(source.Name, source));
    }

    public IReadOnlyList<HealthSnapshot> Snapshot()
    {
        DateTimeOffset now = _timeProvider.GetUtcNow();
        return _sources.Values.Select(s => s.Snapshot(now)).OrderBy(s => s.Name, StringComparer.Ordinal).ToArray();
    }

    /// <summary>True when no registered source has stalled. Degraded parts still count: an unplugged radio
    /// retrying its port is healthy as a process, and a restart would not bring the device back.</summary>
    public bool AllProgressing(out string? firstUnhealthy)
    {
        DateTimeOffset now = _timeProvider.GetUtcNow();
        foreach (HealthSource source in _sources.Values)
        {
            HealthSnapshot snapshot = source.Snapshot(now);
            if (snapshot.Status == HealthStatus.Stalled)
            {
                firstUnhealthy = $"{snapshot.Name}: {snapshot.Status}{(snapshot.Detail is null ? "" : " (" + snapshot.Detail + ")")}";
                return false;
            }
        }

        firstUnhealthy = null;
        return true;
    }
}

public enum HealthStatus
{
    Ok,
    Degraded,
    Stalled,
}

public sealed record HealthSnapshot(string Name, HealthStatus Status, string? Detail, TimeSpan SinceProgress, TimeSpan StallAfter);

/// <summary>One part's progress reports. Thread-safe; reporting is cheap enough for a hot loop.</summary>
public sealed class HealthSource
{
    private readonly TimeProvider _timeProvider;
    private long _lastProgressTicks;
    private volatile string? _detail;
    private volatile string? _degradedReason;

    internal HealthSource(string name, TimeSpan stallAfter, TimeProvider timeProvider)
    {
        Name = name;
        StallAfter = stallAfter;
        _timeProvider = timeProvider;
        _lastProgressTicks = timeProvider.GetUtcNow().UtcTicks;
    }

    public string Name { get; }

    public TimeSpan StallAfter { get; }

    /// <summary>The part did useful work or went round its loop; <paramref name="detail"/> is shown by <c>activegate status</c>.</summary>
    public void ReportProgress(string? detail = null)
    {
        Volatile.Write(ref _lastProgressTicks, _timeProvider.GetUtcNow().UtcTicks);
        _degradedReason = null;
        if (detail is not null)
        {
            _detail = detail;
        }
    }

    /// <summary>
    /// The part keeps running but cannot do its job until something outside changes (a port gone, a
    /// server unreachable). Counts as progress; shown by <c>activegate status</c> until the next
    /// plain <see cref="ReportProgress"/>.
    /// </summary>
    public void ReportDegraded(string reason)
    {
        Volatile.Write(ref _lastProgressTicks, _timeProvider.GetUtcNow().UtcTicks);
        _degradedReason = reason;
    }

    internal HealthSnapshot Snapshot(DateTimeOffset now)
    {
        TimeSpan since = now - new DateTimeOffset(Volatile.Read(ref _lastProgressTicks), TimeSpan.Zero);
        if (since > StallAfter)
        {
            return new HealthSnapshot(Name, HealthStatus.Stalled, _detail, since, StallAfter);
        }

        string? degraded = _degradedReason;
        return degraded is not null
            ? new HealthSnapshot(Name, HealthStatus.Degraded, degraded, since, StallAfter)
            : new HealthSnapshot(Name, HealthStatus.Ok, _detail, since, StallAfter);
    }
}
