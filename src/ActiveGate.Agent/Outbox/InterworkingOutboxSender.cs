using ActiveGate.OneM2m.Interworking;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Agent.Outbox;

/// <summary>
/// Bridges the outbox to the oneM2M interworking: decodes each entry (<see cref="ReadingRecordCodec"/>), uses the
/// outbox sequence as the reading sequence (so the contentInstance name is stable across retries and restarts), and
/// maps the interworking outcome onto the outbox's. Undecodable entries are rejected (counted), never retried forever.
/// </summary>
public sealed class InterworkingOutboxSender : IOutboxSender
{
    private readonly OneM2mInterworking _interworking;
    private readonly ILogger _logger;

    public InterworkingOutboxSender(OneM2mInterworking interworking, ILogger<InterworkingOutboxSender>? logger = null)
    {
        _interworking = interworking ?? throw new ArgumentNullException(nameof(interworking));
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    public async ValueTask SendAsync(IReadOnlyList<OutboxEntry> batch, DeliveryOutcome[] outcomes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(outcomes);
        var readings = new List<DeviceReading>(batch.Count);
        var indexOf = new List<int>(batch.Count);
        for (int i = 0; i < batch.Count; i++)
        {
            if (ReadingRecordCodec.TryDecode(batch[i].Payload.Span, batch[i].Sequence, out DeviceDescriptor? device, out DeviceReading? reading))
            {
                _interworking.RegisterDeviceIfUnknown(device!);
                readings.Add(reading!);
                indexOf.Add(i);
            }
            else
            {
                _logger.LogWarning("outbox: entry {Sequence} is not a reading record", batch[i].Sequence);
                outcomes[i] = DeliveryOutcome.Rejected;
            }
        }

        ReadingDelivery?[] results = await _interworking.DeliverBatchAsync(readings, cancellationToken).ConfigureAwait(false);
        for (int k = 0; k < results.Length; k++)
        {
            outcomes[indexOf[k]] = results[k] switch
            {
                ReadingDelivery.Delivered => DeliveryOutcome.Delivered,
                ReadingDelivery.Rejected => DeliveryOutcome.Rejected,
                ReadingDelivery.RetryLater => DeliveryOutcome.RetryLater,
                _ => DeliveryOutcome.NotAttempted,
            };
        }
    }
}
