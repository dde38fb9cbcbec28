using ActiveGate.Agent.Outbox;
using ActiveGate.Devices;
using ActiveGate.Devices.Model;
using ActiveGate.Devices.Registry;
using ActiveGate.OneM2m.Interworking;
using DeviceKind = ActiveGate.OneM2m.Interworking.DeviceKind;
using MeshDeviceKind = ActiveGate.Devices.Model.DeviceKind;

namespace ActiveGate.Agent.Proxy;

/// <summary>
/// Accepts device samples into the durable outbox: a sample counts as accepted only once its record
/// is fsync'd, so nothing the device layer has taken is lost to a crash or power cut.
/// </summary>
public sealed class OutboxSampleSink(DurableOutbox outbox, DeviceRegistry registry) : ISampleSink
{
    public async ValueTask AcceptAsync(ChannelSample sample, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sample);
        DeviceDescriptor device = Describe(sample.DeviceId);
        var reading = new DeviceReading(sample.DeviceId, sample.Channel, 0, sample.Timestamp,
            sample.PowerWatts, sample.EnergyWattHours, sample.CurrentAmperes, sample.VoltageVolts, sample.RelayOn);
        await outbox.AppendAsync(ReadingRecordCodec.Encode(device, reading)).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private DeviceDescriptor Describe(string deviceId)
    {
        if (!registry.TryGet(deviceId, out DeviceRecord record))
        {
            return new DeviceDescriptor(deviceId, DeviceKind.Generic, 0);
        }

        DeviceKind kind = record.Kind switch
        {
            MeshDeviceKind.ActivePlug => DeviceKind.Plug,
            MeshDeviceKind.ActiveDin => DeviceKind.Din,
            _ => DeviceKind.Generic,
        };
        return new DeviceDescriptor(deviceId, kind, record.Channels.Count);
    }
}
