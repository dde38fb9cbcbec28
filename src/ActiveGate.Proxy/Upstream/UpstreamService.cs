using ActiveGate.OneM2m.Notifications;
using ActiveGate.OneM2m.Primitives;
using ActiveGate.Outbox;
using ActiveGate.Proxy.Interworking;
using Microsoft.Extensions.Logging;

namespace ActiveGate.Proxy.Upstream;

/// <summary>What every upstream service of the agent shares.</summary>
public sealed class UpstreamServiceContext
{
    public required IUpstreamBindingFactory Bindings { get; init; }

    /// <summary>A fresh interworking configuration for each generation (AE name, mapping, point of access).</summary>
    public required Func<InterworkingOptions> InterworkingOptions { get; init; }

    public ISwitchActuator? Actuator { get; init; }

    public required OutboxOptions Outbox { get; init; }

    /// <summary>The devices known so far (the registry), prepared at a new platform before it takes readings.</summary>
    public Func<IEnumerable<DeviceDescriptor>> KnownDevices { get; init; } = () => [];

    /// <summary>
    /// Called on the swap's thread just before readings start to go to a new generation (service ID, its policy): the
    /// place to record durably that the swap is done. Throwing does not stop the switch.
    /// </summary>
    public Action<int, UpstreamPolicy>? Switching { get; init; }

    /// <summary>How long a retiring generation's batch in flight is waited for (the binding's request timeout and a margin).</summary>
    public TimeSpan InFlightBound { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>First and longest wait between attempts to prepare a platform that failed.</summary>
    public TimeSpan PrepareRetryInitial { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan PrepareRetryMax { get; init; } = TimeSpan.FromSeconds(30);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public required ILoggerFactory Loggers { get; init; }

    private long _generations;

    internal long NextGenerationNumber() => Interlocked.Increment(ref _generations);
}

/// <summary>The state an LwM2M server or the CLI sees for a service.</summary>
public enum ServiceState
{
    /// <summary>A new policy was accepted and waits to be worked on.</summary>
    Pending,

    /// <summary>The new platform is being prepared; readings still go to the previous one.</summary>
    Preparing,

    /// <summary>Readings go to the policy in force.</summary>
    Active,

    /// <summary>The new platform could not be prepared (reason given); retried, readings still go to the previous one.</summary>
    Failed,
}

/// <summary>A snapshot of one service for the policy object and the CLI.</summary>
public sealed record ServiceStatus(ServiceState State, string? Reason, long? LastSwitchMilliseconds, long ReadingsDelivered, long SwitchCount);

/// <summary>One swap, as <c>activegate upstream</c> shows it.</summary>
public sealed class SwapRecord
{
    internal SwapRecord(long generation, string? from, UpstreamPolicy to, DateTimeOffset requestedAt)
    {
        Generation = generation;
        From = from;
        To = to;
        RequestedAt = requestedAt;
    }

    public long Generation { get; }

    public string? From { get; }

    public UpstreamPolicy To { get; }

    public DateTimeOffset RequestedAt { get; }

    /// <summary>The new tree was complete (and the proxy switched).</summary>
    public DateTimeOffset? ActivatedAt { get; internal set; }

    /// <summary>The new platform accepted its first reading.</summary>
    public DateTimeOffset? FirstDeliveredAt { get; internal set; }

    /// <summary>Requests and round trips to prepare the new platform.</summary>
    public long Requests { get; internal set; }

    public long RoundTrips { get; internal set; }

    /// <summary>Readings waiting in the outbox at the switch (they go to the new platform).</summary>
    public long ReadingsInFlight { get; internal set; }

    /// <summary>"active", "failed: …" (while retrying), "superseded" or "cancelled" (the policy in force was written back).</summary>
    public string Outcome { get; internal set; } = "preparing";

    public TimeSpan? Duration => ActivatedAt - RequestedAt;
}

/// <summary>
/// One upstream service (one instance of the Transport Management Policy object): its own outbox cursor, its delivery
/// loop, the generation readings go to, and the swap to a new one. A swap is make-before-break: the new generation
/// registers and builds its tree while readings still go to the current one; then the proxy switches between two
/// batches, so every reading is delivered by exactly one generation, the one active when it was delivered. While a
/// swap is pending every acknowledgement is persisted at once, so a crash cannot replay to the new platform a
/// reading the old one took.
/// </summary>
public sealed partial class UpstreamService : IAsyncDisposable
{
    private const int HistoryLength = 64;

    private readonly UpstreamServiceContext _context;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly LinkedList<SwapRecord> _history = new();
    private readonly OutboxDelivery _delivery;
    private UpstreamGeneration _current;
    private UpstreamGeneration? _preparing;
    private UpstreamPolicy _desired;
    private CancellationTokenSource? _prepareCts;
    private int _retiring; // generations switched away from whose last batch is still out
    private string? _unusable; // why the desired policy cannot be built at all (e.g. no binding for its scheme)
    private bool _currentUnusable; // the generation in force is that stand-in (see the constructor)
    private long _switchCount;
    private long? _lastSwitchMs;
    private long _deliveredBefore;
    private Task _run = Task.CompletedTask;
    private CancellationTokenSource? _runCts;

    public UpstreamService(int id, UpstreamPolicy active, OutboxCursor cursor, UpstreamServiceContext context)
    {
        ArgumentNullException.ThrowIfNull(active);
        Id = id;
        Cursor = cursor ?? throw new ArgumentNullException(nameof(cursor));
        _context = context ?? throw new ArgumentNullException(nameof(context));
        _logger = context.Loggers.CreateLogger<UpstreamService>();
        _desired = active;
        try
        {
            _current = CreateGeneration(active);
        }
        catch (Exception ex) when (ex is NotSupportedException or ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            // E.g. a coaps:// policy whose key file is gone: readings wait in the outbox (nothing is sent anywhere
            // else), the state says why, and a new policy can be written.
            _unusable = ex.Message;
            _currentUnusable = true;
            _current = new UpstreamGeneration(context.NextGenerationNumber(), active, new UnusableBinding(ex.Message), context.InterworkingOptions(),
                context.Actuator, context.Time, context.Loggers);
        }

        _current.State = GenerationState.Active;
        _delivery = new OutboxDelivery(cursor, new CurrentGenerationSender(this), context.Outbox, context.Time, context.Loggers.CreateLogger<OutboxDelivery>());
    }

    /// <summary>The instance ID of the service's policy (0 = the readings' platform).</summary>
    public int Id { get; }

    public string Name => Desired.ServiceName;

    public OutboxCursor Cursor { get; }

    /// <summary>The generation readings go to now.</summary>
    public UpstreamGeneration Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>The generation being prepared (null when none).</summary>
    public UpstreamGeneration? Preparing
    {
        get
        {
            lock (_gate)
            {
                return _preparing;
            }
        }
    }

    /// <summary>The policy the service is moving to or is at (what a server reads back).</summary>
    public UpstreamPolicy Desired
    {
        get
        {
            lock (_gate)
            {
                return _desired;
            }
        }
    }

    /// <summary>The latest swaps, newest last.</summary>
    public IReadOnlyList<SwapRecord> History
    {
        get
        {
            lock (_gate)
            {
                return [.. _history];
            }
        }
    }

    public int ConsecutiveFailures => _delivery.ConsecutiveFailures;

    /// <summary>Raised (on any thread) when the state, the policy or a swap changed.</summary>
    public event EventHandler? Changed;

    public ServiceStatus Status
    {
        get
        {
            lock (_gate)
            {
                long delivered = _deliveredBefore + _current.Delivered;
                ServiceState state = _preparing is { } p
                    ? p.State switch { GenerationState.Failed => ServiceState.Failed, GenerationState.Preparing => ServiceState.Preparing, _ => ServiceState.Pending }
                    : _desired.SameTarget(_current.Policy) ? ServiceState.Active : ServiceState.Pending;
                if (_unusable is not null && _preparing is null)
                {
                    return new ServiceStatus(ServiceState.Failed, _unusable, _lastSwitchMs, delivered, _switchCount);
                }

                return new ServiceStatus(state, _preparing?.Reason, _lastSwitchMs, delivered, _switchCount);
            }
        }
    }

    /// <summary>Runs delivery and swaps until cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken)
    {
        // Its own token too: a service removed at runtime stops while the agent goes on.
        _runCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cancellationToken = _runCts.Token;
        _current.StartCommands();
        // Best effort: the tree of every known device at once, instead of one device at a time as readings arrive.
        UpstreamGeneration initial = _current;
        _ = Task.Run(async () =>
        {
            await initial.PrepareAsync(KnownDevices(), cancellationToken).ConfigureAwait(false);
            initial.Interworking?.StartDeferredWork();
        }, cancellationToken);
        _run = Task.WhenAll(_delivery.RunAsync(cancellationToken), SwapLoopAsync(cancellationToken));
        return _run;
    }

    /// <summary>
    /// Makes <paramref name="policy"/> the one in force, asynchronously (the caller answers its requester at once).
    /// Writing the policy already in force cancels a swap in progress. Returns the validation problem, or null.
    /// </summary>
    public string? RequestSwitch(UpstreamPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.Validate() is { } problem)
        {
            return problem;
        }

        lock (_gate)
        {
            if (!policy.SameTarget(_desired))
            {
                _prepareCts?.Cancel(); // a different policy supersedes the one being prepared
            }

            _desired = policy;
            if (!(_currentUnusable && policy.SameTarget(_current.Policy)))
            {
                _unusable = null; // a different policy is worth trying; the same unusable one is not
            }
        }

        LogSwitchRequested(_logger, Id, policy.ServiceName, (object?)policy.Endpoint ?? "the log", policy.Source);
        _wake.Release();
        Changed?.Invoke(this, EventArgs.Empty);
        return null;
    }

    /// <summary>Routes a notification to the active generation (a retired platform's commands are not obeyed).</summary>
    public ValueTask<ResponseStatusCode> HandleNotificationAsync(NotificationMessage notification, CancellationToken cancellationToken)
        => Current.HandleNotificationAsync(notification, cancellationToken);

    private List<DeviceDescriptor> KnownDevices()
    {
        var devices = new Dictionary<string, DeviceDescriptor>(StringComparer.Ordinal);
        foreach (DeviceDescriptor d in _context.KnownDevices())
        {
            devices[d.Id] = d;
        }

        foreach (DeviceDescriptor d in Current.Interworking?.KnownDevices ?? [])
        {
            devices.TryAdd(d.Id, d);
        }

        return [.. devices.Values];
    }

    private UpstreamGeneration CreateGeneration(UpstreamPolicy policy)
    {
        IOneM2mBinding? binding = policy.Endpoint is null ? null : _context.Bindings.Create(policy.Endpoint);
        return new UpstreamGeneration(_context.NextGenerationNumber(), policy, binding, _context.InterworkingOptions(), _context.Actuator,
            _context.Time, _context.Loggers);
    }

    private async Task SwapLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await _wake.WaitAsync(cancellationToken).ConfigureAwait(false);
                UpstreamPolicy target = Desired;
                if (target.SameTarget(Current.Policy))
                {
                    continue; // nothing to build (only who set it may have changed: Desired says)
                }

                await SwapAsync(target, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task SwapAsync(UpstreamPolicy target, CancellationToken cancellationToken)
    {
        UpstreamGeneration next;
        try
        {
            next = CreateGeneration(target);
        }
        catch (Exception ex) when (ex is NotSupportedException or ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            LogSwapImpossible(_logger, Id, (object?)target.Endpoint ?? "the log", ex.Message);
            var impossible = new SwapRecord(0, Current.Policy.Endpoint?.ToString(), target, _context.Time.GetUtcNow()) { Outcome = "failed: " + ex.Message };
            lock (_gate)
            {
                Remember(impossible);
                _unusable = ex.Message;
            }

            Changed?.Invoke(this, EventArgs.Empty);
            return;
        }

        var record = new SwapRecord(next.Number, Current.Policy.Endpoint?.ToString(), target, _context.Time.GetUtcNow());
        using var prepareCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        lock (_gate)
        {
            if (!_desired.SameTarget(target))
            {
                prepareCts.Cancel(); // superseded before it started
            }

            _prepareCts = prepareCts;
            _preparing = next;
            next.State = GenerationState.Preparing;
            Remember(record);
        }

        // From now until the switch a crash must not lose the old platform's acknowledgements (see class remarks).
        Cursor.PersistEveryAcknowledgement = true;
        Cursor.PersistCursor();
        Changed?.Invoke(this, EventArgs.Empty);
        LogPreparing(_logger, Id, next.Number, (object?)target.Endpoint ?? "the log");

        bool prepared = false;
        TimeSpan backoff = _context.PrepareRetryInitial;
        try
        {
            while (true)
            {
                prepared = await next.PrepareAsync(KnownDevices(), prepareCts.Token).ConfigureAwait(false);
                if (prepared)
                {
                    break;
                }

                next.State = GenerationState.Failed;
                next.Reason ??= "the platform could not be prepared";
                record.Outcome = "failed: " + next.Reason;
                LogPrepareFailed(_logger, Id, next.Number, next.Reason, backoff);
                Changed?.Invoke(this, EventArgs.Empty);
                await Task.Delay(backoff, _context.Time, prepareCts.Token).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _context.PrepareRetryMax.Ticks));
                next.State = GenerationState.Preparing;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Superseded by a newer policy (or the one in force written back).
        }

        record.Requests = next.Requests;
        record.RoundTrips = next.RoundTrips;
        next.Interworking?.StartDeferredWork();
        if (prepared && Desired.SameTarget(target))
        {
            try
            {
                _context.Switching?.Invoke(Id, target);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogSwitchNotRecorded(_logger, Id, ex.Message);
            }
        }

        UpstreamGeneration old;
        long oldCounted = 0;
        lock (_gate)
        {
            _prepareCts = null;
            _preparing = null;
            if (!prepared || !_desired.SameTarget(target))
            {
                record.Outcome = _desired.SameTarget(_current.Policy) ? "cancelled" : "superseded";
                old = next; // dispose the unused one below
            }
            else
            {
                old = _current;
                oldCounted = old.Delivered; // its batch in flight is added once retiring has waited for it
                _deliveredBefore += oldCounted;
                _current = next;
                _currentUnusable = false;
                next.State = GenerationState.Active;
                next.Reason = null;
                _switchCount++;
                record.ActivatedAt = _context.Time.GetUtcNow();
                record.ReadingsInFlight = Cursor.GetStats().Depth;
                record.Outcome = "active";
                _lastSwitchMs = (long)(record.ActivatedAt.Value - record.RequestedAt).TotalMilliseconds;
            }
        }

        if (ReferenceEquals(old, next))
        {
            LogSwapAbandoned(_logger, Id, next.Number, record.Outcome);
            await next.DisposeAsync().ConfigureAwait(false);
            EndEagerPersistenceIfSettled();
            Changed?.Invoke(this, EventArgs.Empty);
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            _wake.Release(); // look at what superseded it
            return;
        }

        // Switched: the old platform starts no further reading of the batch it may have in flight (those go to the new
        // one), and the next batch goes to the new platform now (no back-off or linger left over from the old one).
        old.StopStarting();
        _delivery.RetryNow();
        next.StartCommands();
        LogSwitched(_logger, Id, old.Number, next.Number, (object?)target.Endpoint ?? "the log", _lastSwitchMs ?? 0, record.Requests, record.RoundTrips);
        Changed?.Invoke(this, EventArgs.Empty);
        _ = RecordFirstDeliveryAsync(next, record);
        // Retiring waits for the old platform's answers; the next policy need not wait for that.
        Interlocked.Increment(ref _retiring);
        _ = RetireAsync(old, oldCounted);
    }

    private async Task RetireAsync(UpstreamGeneration old, long counted)
    {
        try
        {
            await old.RetireAsync(_context.InFlightBound).ConfigureAwait(false);
            lock (_gate)
            {
                _deliveredBefore += old.Delivered - counted; // now final: its last batch has come back
            }

            await old.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _retiring);
            EndEagerPersistenceIfSettled();
            Changed?.Invoke(this, EventArgs.Empty);
        }
    }

    private void EndEagerPersistenceIfSettled()
    {
        lock (_gate)
        {
            // Until no old generation has a batch out, its acknowledgements must reach the disk at once.
            if (_preparing is null && _desired.SameTarget(_current.Policy) && Volatile.Read(ref _retiring) == 0)
            {
                Cursor.PersistEveryAcknowledgement = false;
            }
        }
    }

    private async Task RecordFirstDeliveryAsync(UpstreamGeneration generation, SwapRecord record)
    {
        try
        {
            record.FirstDeliveredAt = await generation.FirstDelivery.ConfigureAwait(false);
            Changed?.Invoke(this, EventArgs.Empty);
        }
        catch (OperationCanceledException)
        {
            // Retired (or the agent stopped) before it delivered anything.
        }
    }

    private void Remember(SwapRecord record)
    {
        _history.AddLast(record);
        while (_history.Count > HistoryLength)
        {
            _history.RemoveFirst();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_runCts is not null)
        {
            await _runCts.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _runCts?.Dispose();

        UpstreamGeneration? preparing;
        lock (_gate)
        {
            preparing = _preparing;
        }

        if (preparing is not null)
        {
            await preparing.DisposeAsync().ConfigureAwait(false);
        }

        await _current.DisposeAsync().ConfigureAwait(false);
        _wake.Dispose();
    }

    /// <summary>Stands in for a binding that could not be made: every request fails locally, with the reason.</summary>
    private sealed class UnusableBinding(string reason) : IOneM2mBinding
    {
        public Task<ResponsePrimitive> SendAsync(OneM2m.Upstream.UpstreamSnapshot upstream, RequestPrimitive request, CancellationToken cancellationToken)
            => Task.FromResult(new ResponsePrimitive
            {
                StatusCode = ResponseStatusCode.TargetNotReachable,
                RequestIdentifier = request.RequestIdentifier ?? "",
                IsLocal = true,
                Diagnostic = reason,
                EndpointGeneration = upstream.Generation,
            });
    }

    /// <summary>The outbox delivers through whichever generation is current when a batch starts.</summary>
    private sealed class CurrentGenerationSender(UpstreamService service) : IOutboxSender
    {
        public ValueTask SendAsync(IReadOnlyList<OutboxEntry> batch, DeliveryOutcome[] outcomes, CancellationToken cancellationToken)
            => service.Current.SendAsync(batch, outcomes, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "upstream service {Service} ({Name}): switch to {Endpoint} requested by {Source}")]
    private static partial void LogSwitchRequested(ILogger logger, int service, string name, object endpoint, PolicySource source);

    [LoggerMessage(Level = LogLevel.Information, Message = "upstream service {Service}: preparing generation {Generation} at {Endpoint}; readings still go to the current platform")]
    private static partial void LogPreparing(ILogger logger, int service, long generation, object endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "upstream service {Service}: generation {Generation} could not be prepared ({Reason}); retrying in {Delay}, readings still go to the current platform")]
    private static partial void LogPrepareFailed(ILogger logger, int service, long generation, string reason, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "upstream service {Service}: cannot use {Endpoint}: {Reason}")]
    private static partial void LogSwapImpossible(ILogger logger, int service, object endpoint, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "upstream service {Service}: the completed swap could not be recorded ({Reason}); a restart would swap again")]
    private static partial void LogSwitchNotRecorded(ILogger logger, int service, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "upstream service {Service}: generation {Generation} abandoned ({Outcome})")]
    private static partial void LogSwapAbandoned(ILogger logger, int service, long generation, string outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "upstream service {Service}: switched from generation {Old} to {Next} at {Endpoint} in {Milliseconds} ms ({Requests} requests, {RoundTrips} round trips)")]
    private static partial void LogSwitched(ILogger logger, int service, long old, long next, object endpoint, long milliseconds, long requests, long roundTrips);
}
