namespace ActiveGate.Devices.Model;

/// <summary>
/// One measurement of one channel: every quantity the device reported at once. Identified by
/// (device, channel, sequence), which stays the same when the sample is delivered again — the
/// upstream uses it as an idempotency key.
/// </summary>
/// <param name="DeviceId">The device's EUI-64 as 16 lowercase hex digits.</param>
/// <param name="Channel">Channel number, from 1.</param>
/// <param name="Epoch">Counts the device's counter restarts (reboots), so that (device, channel, epoch, sequence) never repeats.</param>
/// <param name="Sequence">The device's measurement counter (or the agent's, when polling).</param>
/// <param name="Timestamp">When the device measured it, if it said so (<c>"t"</c>, a synchronised clock), else when the gateway received it.</param>
/// <param name="PowerWatts">Active power, W.</param>
/// <param name="EnergyWattHours">Energy counter, Wh; never decreases.</param>
/// <param name="CurrentAmperes">RMS current, A.</param>
/// <param name="VoltageVolts">RMS voltage, V.</param>
/// <param name="RelayOn">Relay state, when reported.</param>
public sealed record ChannelSample(
    string DeviceId,
    int Channel,
    int Epoch,
    long Sequence,
    DateTimeOffset Timestamp,
    double? PowerWatts,
    double? EnergyWattHours,
    double? CurrentAmperes,
    double? VoltageVolts,
    bool? RelayOn)
{
    /// <summary>A name that identifies this sample wherever it is delivered, e.g. <c>00124b00060db2a1-1-0-42</c>.</summary>
    public string Key => $"{DeviceId}-{Channel}-{Epoch}-{Sequence}";
}
