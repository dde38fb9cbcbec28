using ActiveGate.Devices.Model;
using ActiveGate.Devices.Readings;
using ActiveGate.Outbox;
using Microsoft.Extensions.Logging;

namespace ActiveGate.Proxy;

/// <summary>
/// The sender when no platform is configured: every reading is written to the log (so a demo shows
/// readings flowing) and then counts as delivered.
/// </summary>
public sealed partial class LoggingOutboxSender(ILogger<LoggingOutboxSender> logger) : IOutboxSender
{
    public ValueTask SendAsync(IReadOnlyList<OutboxEntry> batch, DeliveryOutcome[] outcomes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(outcomes);
        for (int i = 0; i < batch.Count; i++)
        {
            if (ReadingRecord.TryDecode(batch[i].Payload.Span, batch[i].Sequence, out Reading? reading))
            {
                ChannelSample s = reading!.Sample;
                LogReading(logger, batch[i].Sequence, reading.Kind, s.DeviceId, s.Channel, s.PowerWatts, s.EnergyWattHours, s.CurrentAmperes, s.VoltageVolts, s.RelayOn);
                outcomes[i] = DeliveryOutcome.Delivered;
            }
            else
            {
                outcomes[i] = DeliveryOutcome.Rejected;
            }
        }

        return ValueTask.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reading #{Sequence} {Kind} {DeviceId} ch{Channel}: {PowerW} W, {EnergyWh} Wh, {CurrentA} A, {VoltageV} V, relayOn={Relay} (no upstream configured: logged only)")]
    private static partial void LogReading(ILogger logger, long sequence, DeviceKind kind, string deviceId, int channel, double? powerW, double? energyWh, double? currentA, double? voltageV, bool? relay);
}
