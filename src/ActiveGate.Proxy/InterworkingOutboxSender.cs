using ActiveGate.Devices.Model;
using ActiveGate.Devices.Readings;
using ActiveGate.Outbox;
using ActiveGate.Proxy.Interworking;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Proxy;

/// <summary>
/// Bridges the outbox to the oneM2M interworking: decodes each neutral record (<see cref="ReadingRecord"/>), uses the
/// outbox sequence to name the contentInstance (stable across retries and restarts), and maps the interworking
/// outcome onto the outbox's. Undecodable entries are rejected (counted), never retried forever.
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

    /// <summary>Once true, no further reading of a batch is started (see <see cref="OneM2mInterworking.DeliverBatchAsync"/>).</summary>
    public Func<bool>? StopStarting { get; init; }

    /// <summary>The interworking's view of a record: the device as it was when read, and the reading named by the outbox sequence.</summary>
    public static bool TryMap(OutboxEntry entry, out DeviceDescriptor? device, out DeviceReading? reading)
    {
        device = null;
        reading = null;
        if (!ReadingRecord.TryDecode(entry.Payload.Span, entry.Sequence, out Reading? record))
        {
            return false;
        }

        ChannelSample s = record!.Sample;
        device = new DeviceDescriptor(s.DeviceId, record.Kind, record.ChannelCount);
        reading = new DeviceReading(s.DeviceId, s.Channel, entry.Sequence, s.Timestamp, s.PowerWatts, s.EnergyWattHours,
            s.CurrentAmperes, s.VoltageVolts, s.RelayOn, s.Epoch, s.Sequence);
        return true;
    }

    public async ValueTask SendAsync(IReadOnlyList<OutboxEntry> batch, DeliveryOutcome[] outcomes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(outcomes);
        var readings = new List<DeviceReading>(batch.Count);
        var indexOf = new List<int>(batch.Count);
        for (int i = 0; i < batch.Count; i++)
        {
            if (TryMap(batch[i], out DeviceDescriptor? device, out DeviceReading? reading))
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

        ReadingDelivery?[] results = await _interworking.DeliverBatchAsync(readings, StopStarting, cancellationToken).ConfigureAwait(false);
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
