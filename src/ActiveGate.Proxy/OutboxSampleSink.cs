using ActiveGate.Devices;
using ActiveGate.Devices.Readings;
using ActiveGate.Outbox;

namespace ActiveGate.Proxy;

/// <summary>
/// Accepts readings into the durable outbox as neutral records (<see cref="ReadingRecord"/>): a reading counts as
/// accepted only once its record is fsync'd, so nothing the device layer has taken is lost to a crash or power cut.
/// </summary>
public sealed class OutboxSampleSink(DurableOutbox outbox) : ISampleSink
{
    public async ValueTask AcceptAsync(Reading reading, CancellationToken cancellationToken)
        => await outbox.AppendAsync(ReadingRecord.Encode(reading)).WaitAsync(cancellationToken).ConfigureAwait(false);
}
