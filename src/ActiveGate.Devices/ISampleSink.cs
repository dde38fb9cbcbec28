using ActiveGate.Devices.Model;

namespace ActiveGate.Devices;

/// <summary>Where samples go: the durable outbox. Completes once the sample is stored durably.</summary>
public interface ISampleSink
{
    ValueTask AcceptAsync(ChannelSample sample, CancellationToken cancellationToken);
}
