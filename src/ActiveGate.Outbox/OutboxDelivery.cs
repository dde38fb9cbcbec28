using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Outbox;

/// <summary>
/// Drains one reader (<see cref="OutboxCursor"/>) of a <see cref="DurableOutbox"/> through an <see cref="IOutboxSender"/>:
/// in sequence order, at least once.
/// A retryable failure stops the batch at that entry and retries from it after an exponential back-off
/// (TimeProvider-driven), so nothing is skipped or reordered during an outage; permanently refused entries are
/// counted as rejected and logged, so one bad record cannot block the queue.
/// </summary>
public sealed class OutboxDelivery
{
    private static readonly TimeSpan s_idleBoundsCheck = TimeSpan.FromMinutes(1);

    /// <summary>How long a batch in flight may still take once stopping was asked (well inside systemd's stop timeout).</summary>
    private static readonly TimeSpan s_stopGrace = TimeSpan.FromSeconds(2);

    private readonly OutboxCursor _outbox;
    private readonly IOutboxSender _sender;
    private CancellationTokenSource? _backoffCts;
    private volatile bool _retryRequested;
    private TaskCompletionSource _nudge = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Delivered beyond the acknowledged prefix (other channels went on while one failed). They are not sent again: after
    // a swap that would store them at a second platform.
    private readonly HashSet<long> _deliveredAhead = [];
    private readonly OutboxOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public OutboxDelivery(DurableOutbox outbox, IOutboxSender sender, OutboxOptions options, TimeProvider? timeProvider = null, ILogger<OutboxDelivery>? logger = null)
        : this((outbox ?? throw new ArgumentNullException(nameof(outbox))).DefaultCursor, sender, options, timeProvider, logger)
    {
    }

    public OutboxDelivery(OutboxCursor cursor, IOutboxSender sender, OutboxOptions options, TimeProvider? timeProvider = null, ILogger<OutboxDelivery>? logger = null)
    {
        _outbox = cursor ?? throw new ArgumentNullException(nameof(cursor));
        _sender = sender ?? throw new ArgumentNullException(nameof(sender));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Consecutive failed attempts (0 while healthy).</summary>
    public int ConsecutiveFailures { get; private set; }

    /// <summary>The reader this loop drains.</summary>
    public OutboxCursor Cursor => _outbox;

    /// <summary>
    /// Ends a back-off wait now and starts again from the initial delay: the sender changed (a new upstream), so the
    /// failures so far say nothing about the next attempt.
    /// </summary>
    public void RetryNow()
    {
        ConsecutiveFailures = 0;
        _retryRequested = true; // also covers a back-off or linger that has not started waiting yet
        Volatile.Read(ref _nudge).TrySetResult();
        Volatile.Read(ref _backoffCts)?.Cancel();
    }

    /// <summary>Runs until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var batch = new List<OutboxEntry>(_options.DeliveryBatchSize);
        DeliveryOutcome[] outcomes = new DeliveryOutcome[_options.DeliveryBatchSize];
        TimeSpan backoff = _options.RetryInitialDelay;
        bool lastBatchFull = false;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    // Wake up at least once a minute to apply the age bound while idle.
                    await _outbox.WaitForPendingAsync(cancellationToken).WaitAsync(s_idleBoundsCheck, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    _outbox.EnforceBounds();
                    continue;
                }

                if (!lastBatchFull && _options.DeliveryLinger > TimeSpan.Zero)
                {
                    await LingerAsync(cancellationToken).ConfigureAwait(false);
                }

                _outbox.EnforceBounds();
                batch.Clear();
                if (_outbox.PeekBatch(_options.DeliveryBatchSize, batch) == 0)
                {
                    continue;
                }

                lastBatchFull = batch.Count == _options.DeliveryBatchSize;

                Array.Clear(outcomes);
                // Stopping lets the batch in flight finish (bounded): cut off, the platform may have stored readings whose
                // acknowledgement is then lost, and after a restart they would be sent again, perhaps to another platform.
                using var sendCts = new CancellationTokenSource();
                using (cancellationToken.Register(static state => ((CancellationTokenSource)state!).CancelAfter(s_stopGrace), sendCts))
                {
                    try
                    {
                        await SendAsync(batch, outcomes, sendCts.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (sendCts.IsCancellationRequested)
                    {
                        Array.Clear(outcomes);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // A sender bug counts as a retryable failure of the whole batch.
                        _logger.LogError(ex, "outbox: sender failed");
                        Array.Clear(outcomes);
                    }
                }

                if (cancellationToken.IsCancellationRequested)
                {
                    Acknowledge(batch, outcomes);
                    break;
                }

                if (Acknowledge(batch, outcomes))
                {
                    backoff = _options.RetryInitialDelay;
                    ConsecutiveFailures = 0;
                    continue;
                }

                ConsecutiveFailures++;
                if (ConsecutiveFailures == 1 || ConsecutiveFailures % 10 == 0)
                {
                    _logger.LogWarning("outbox: delivery failed ({Failures} in a row), retrying in {Delay}", ConsecutiveFailures, backoff);
                }

                using (var backoffCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    Volatile.Write(ref _backoffCts, backoffCts);
                    try
                    {
                        if (_retryRequested)
                        {
                            backoffCts.Cancel();
                        }

                        await Task.Delay(backoff, _time, backoffCts.Token).ConfigureAwait(false);
                        backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.RetryMaxDelay.Ticks));
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        TakeRetryRequest();
                        backoff = _options.RetryInitialDelay;
                    }
                    finally
                    {
                        Volatile.Write(ref _backoffCts, null);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            _outbox.PersistCursor();
        }
    }

    /// <summary>
    /// A trickle (the previous batch was not full) waits until a batch fills or the oldest record has waited
    /// <see cref="OutboxOptions.DeliveryLinger"/>, so it goes upstream in bursts; under load nothing waits.
    /// </summary>
    private async Task LingerAsync(CancellationToken cancellationToken)
    {
        if (TakeRetryRequest())
        {
            return; // a new sender: what waits goes now
        }

        if (_outbox.TimeUntilBatchDue(_options.DeliveryBatchSize, _options.DeliveryLinger) is not { } due || due <= TimeSpan.Zero)
        {
            return;
        }

        using var lingerCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task full = _outbox.WaitForDepthAsync(_options.DeliveryBatchSize, lingerCts.Token);
        Task elapsed = Task.Delay(due, _time, lingerCts.Token);
        await Task.WhenAny(full, elapsed, Volatile.Read(ref _nudge).Task).ConfigureAwait(false);
        await lingerCts.CancelAsync().ConfigureAwait(false);
        TakeRetryRequest();
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Consumes a <see cref="RetryNow"/>; true if there was one.</summary>
    private bool TakeRetryRequest()
    {
        if (!_retryRequested)
        {
            return false;
        }

        _retryRequested = false;
        Interlocked.Exchange(ref _nudge, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        return true;
    }

    /// <summary>Sends what of the batch was not delivered already (see _deliveredAhead); those count as delivered.</summary>
    private async ValueTask SendAsync(List<OutboxEntry> batch, DeliveryOutcome[] outcomes, CancellationToken cancellationToken)
    {
        if (_deliveredAhead.Count == 0)
        {
            await _sender.SendAsync(batch, outcomes, cancellationToken).ConfigureAwait(false);
            return;
        }

        var rest = new List<OutboxEntry>(batch.Count);
        var restIndex = new List<int>(batch.Count);
        for (int i = 0; i < batch.Count; i++)
        {
            if (_deliveredAhead.Contains(batch[i].Sequence))
            {
                outcomes[i] = DeliveryOutcome.Delivered;
            }
            else
            {
                rest.Add(batch[i]);
                restIndex.Add(i);
            }
        }

        if (rest.Count == 0)
        {
            return;
        }

        var restOutcomes = new DeliveryOutcome[rest.Count];
        await _sender.SendAsync(rest, restOutcomes, cancellationToken).ConfigureAwait(false);
        for (int k = 0; k < rest.Count; k++)
        {
            outcomes[restIndex[k]] = restOutcomes[k];
        }
    }

    /// <summary>Acknowledges the handled prefix; returns false if the batch stopped at a failure.</summary>
    private bool Acknowledge(List<OutboxEntry> batch, DeliveryOutcome[] outcomes)
    {
        int delivered = 0, rejected = 0, handled = 0;
        for (; handled < batch.Count; handled++)
        {
            DeliveryOutcome outcome = outcomes[handled];
            if (outcome == DeliveryOutcome.Delivered)
            {
                delivered++;
            }
            else if (outcome == DeliveryOutcome.Rejected)
            {
                rejected++;
                _logger.LogWarning("outbox: record {Sequence} was permanently refused upstream and is dropped", batch[handled].Sequence);
            }
            else
            {
                break;
            }
        }

        if (handled > 0)
        {
            _outbox.Acknowledge(batch[handled - 1].Sequence, delivered, rejected);
            _deliveredAhead.RemoveWhere(sequence => sequence <= batch[handled - 1].Sequence);
        }

        for (int i = handled; i < batch.Count; i++)
        {
            if (outcomes[i] == DeliveryOutcome.Delivered)
            {
                _deliveredAhead.Add(batch[i].Sequence);
            }
        }

        return handled == batch.Count;
    }
}
