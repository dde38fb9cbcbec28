using ActiveGate.OneM2m;
using ActiveGate.OneM2m.Notifications;
using ActiveGate.OneM2m.Primitives;
using ActiveGate.OneM2m.Upstream;
using ActiveGate.Outbox;
using ActiveGate.Proxy.Interworking;
using Microsoft.Extensions.Logging;

namespace ActiveGate.Proxy.Upstream;

/// <summary>Where a generation is in its life.</summary>
public enum GenerationState
{
    /// <summary>Created, nothing sent yet.</summary>
    Pending,

    /// <summary>Registering the AE and creating the tree at the platform (readings still go to the previous generation).</summary>
    Preparing,

    /// <summary>Readings go here; its commands are obeyed.</summary>
    Active,

    /// <summary>The platform could not be prepared (see the reason); retried while it is wanted.</summary>
    Failed,

    /// <summary>Replaced by a newer generation; its commands are no longer obeyed.</summary>
    Retired,
}

/// <summary>
/// One upstream, immutable in where it points: an endpoint and its binding, the interworking state at that platform
/// (AE, subscriptions, which trees exist), the sender the outbox delivers through, and its command path. A swap makes
/// a new generation and retires the old one; nothing of one leaks into the other.
/// </summary>
public sealed class UpstreamGeneration : IAsyncDisposable
{
    private readonly CountingBinding? _binding;
    private readonly IOutboxSender _sender;
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly CancellationTokenSource _commandsStop = new();
    private readonly ILogger _logger;
    private Task _commands = Task.CompletedTask;
    private long _delivered;
    private readonly TaskCompletionSource<DateTimeOffset> _firstDelivery = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _retired;
    private volatile bool _stopStarting;

    internal UpstreamGeneration(long number, UpstreamPolicy policy, IOneM2mBinding? binding, InterworkingOptions interworkingOptions,
        ISwitchActuator? actuator, TimeProvider time, ILoggerFactory loggerFactory)
    {
        Number = number;
        Policy = policy;
        Time = time;
        CreatedAt = time.GetUtcNow();
        _logger = loggerFactory.CreateLogger<UpstreamGeneration>();
        if (policy.Endpoint is null || binding is null)
        {
            _sender = new LoggingOutboxSender(loggerFactory.CreateLogger<LoggingOutboxSender>());
            return;
        }

        _binding = new CountingBinding(binding);
        // A fixed provider: this generation never points anywhere else (a re-target is a new generation).
        var client = new OneM2mClient(_binding, new UpstreamEndpointProvider(policy.Endpoint));
        Interworking = new OneM2mInterworking(client, interworkingOptions, actuator is null ? null : new RetirableActuator(this, actuator), time,
            loggerFactory.CreateLogger<OneM2mInterworking>());
        _sender = new InterworkingOutboxSender(Interworking, loggerFactory.CreateLogger<InterworkingOutboxSender>()) { StopStarting = () => _stopStarting };
    }

    /// <summary>Counts up with every generation of the agent (all services).</summary>
    public long Number { get; }

    public UpstreamPolicy Policy { get; }

    public DateTimeOffset CreatedAt { get; }

    internal TimeProvider Time { get; }

    public GenerationState State { get; internal set; }

    /// <summary>Why the generation failed (or null).</summary>
    public string? Reason { get; internal set; }

    /// <summary>The interworking at this platform (null for the log).</summary>
    public OneM2mInterworking? Interworking { get; }

    /// <summary>Requests sent to this platform so far.</summary>
    public long Requests => _binding?.Requests ?? 0;

    /// <summary>Round trips so far (see <see cref="CountingBinding"/>).</summary>
    public long RoundTrips => _binding?.RoundTrips ?? 0;

    /// <summary>Readings this generation delivered.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>When its first reading was accepted (null before).</summary>
    public DateTimeOffset? FirstDeliveredAt => _firstDelivery.Task.IsCompletedSuccessfully ? _firstDelivery.Task.Result : null;

    /// <summary>Completes when its first reading is accepted; cancelled if it retires before that.</summary>
    public Task<DateTimeOffset> FirstDelivery => _firstDelivery.Task;

    public bool CommandsByPolling => Interworking is not null && !Interworking.Options.Reachable;

    /// <summary>Makes the platform ready (AE, tree, subscriptions or polling channel) for <paramref name="devices"/>.</summary>
    internal async Task<bool> PrepareAsync(IEnumerable<DeviceDescriptor> devices, CancellationToken cancellationToken)
    {
        if (Interworking is null)
        {
            return true;
        }

        bool ok = await Interworking.PrepareAsync(devices, cancellationToken).ConfigureAwait(false);
        Reason = ok ? null : Interworking.LastProblem;
        return ok;
    }

    /// <summary>Starts obeying this platform's commands (the polling loop when the platform cannot reach us).</summary>
    internal void StartCommands()
    {
        if (CommandsByPolling)
        {
            _commands = Interworking!.RunPollingAsync(_commandsStop.Token);
        }
    }

    /// <summary>A notification for this generation (only the active one gets them).</summary>
    internal ValueTask<ResponseStatusCode> HandleNotificationAsync(NotificationMessage notification, CancellationToken cancellationToken)
        => Interworking is null || State != GenerationState.Active
            ? ValueTask.FromResult(ResponseStatusCode.Ok)
            : Interworking.HandleNotificationAsync(notification, cancellationToken);

    /// <summary>Delivers a batch here, one batch at a time, so retiring can wait for the batch in flight.</summary>
    internal async ValueTask SendAsync(IReadOnlyList<OutboxEntry> batch, DeliveryOutcome[] outcomes, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _retired) == 1)
            {
                // Picked just before a swap: nothing is sent to a platform that is no longer in force; the batch goes
                // to the new one (the outcomes stay NotAttempted).
                return;
            }

            await _sender.SendAsync(batch, outcomes, cancellationToken).ConfigureAwait(false);

            // Counted before the batch is let go: once RetireAsync has waited for it, Delivered is final.
            long delivered = 0;
            for (int i = 0; i < batch.Count; i++)
            {
                if (outcomes[i] == DeliveryOutcome.Delivered)
                {
                    delivered++;
                }
            }

            if (delivered > 0)
            {
                _firstDelivery.TrySetResult(Time.GetUtcNow());
                Interlocked.Add(ref _delivered, delivered);
            }
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>
    /// No further reading of a batch in flight here is started (those in flight finish): called at the switch, so what
    /// this platform has not started goes to the new one instead of waiting for the whole batch.
    /// </summary>
    internal void StopStarting() => _stopStarting = true;

    /// <summary>
    /// Stops obeying this platform's commands and waits (bounded) for a batch still in flight here to finish, so its
    /// outcome is known before anything is sent elsewhere.
    /// </summary>
    internal async Task RetireAsync(TimeSpan inFlightBound)
    {
        if (Interlocked.Exchange(ref _retired, 1) == 1)
        {
            return;
        }

        State = GenerationState.Retired;
        _firstDelivery.TrySetCanceled();
        _stopStarting = true;
        await _commandsStop.CancelAsync().ConfigureAwait(false);
        if (await _sending.WaitAsync(inFlightBound).ConfigureAwait(false))
        {
            _sending.Release();
        }
        else
        {
            _logger.LogWarning("upstream: a batch to retired generation {Generation} ({Endpoint}) is still in flight after {Bound}", Number, Policy.Endpoint, inFlightBound);
        }

        try
        {
            await _commands.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Obeys this platform's commands only until the generation retires: a long poll that the swap cancelled can still
    /// be answered with a command before the cancellation reaches the connection, and that platform is no longer in force.
    /// </summary>
    private sealed class RetirableActuator(UpstreamGeneration generation, ISwitchActuator inner) : ISwitchActuator
    {
        public Task<ActiveGate.Devices.SwitchResult> SwitchAsync(SwitchCommand command, CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref generation._retired) == 1)
            {
                // Cancelled, not failed: the interworking then neither switches nor writes an outcome to the old platform.
                throw new OperationCanceledException($"command {command.CommandId} came from retired generation {generation.Number}");
            }

            return inner.SwitchAsync(command, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await RetireAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        Interworking?.Dispose();
        if (_binding is not null)
        {
            await _binding.DisposeAsync().ConfigureAwait(false);
        }

        _commandsStop.Dispose();
    }
}
