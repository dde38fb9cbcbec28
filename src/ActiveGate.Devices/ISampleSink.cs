using ActiveGate.Devices.Readings;

namespace ActiveGate.Devices;

/// <summary>Where readings go: the durable outbox. Completes once the reading is stored durably.</summary>
public interface ISampleSink
{
    ValueTask AcceptAsync(Reading reading, CancellationToken cancellationToken);
}
