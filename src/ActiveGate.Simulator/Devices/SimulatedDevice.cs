namespace ActiveGate.Simulator.Devices;

/// <summary>
/// An ActivePlug or ActiveDIN: its identity and metered channels. Network-free, so it can be tested on a
/// <see cref="TimeProvider"/> alone; <see cref="DeviceResources"/> puts it behind CoAP.
/// </summary>
public sealed class SimulatedDevice
{
    private readonly Dictionary<MeterChannel, (long Sequence, ChannelReading Reading)> _latest = [];
    private long _sequence;

    /// <summary>Creates a device with believable, seed-dependent load profiles.</summary>
    public SimulatedDevice(DeviceKind kind, int index, ulong extendedAddress, TimeProvider time, int seed)
    {
        ArgumentNullException.ThrowIfNull(time);
        Kind = kind;
        ExtendedAddress = extendedAddress;
        Serial = $"{(kind == DeviceKind.ActivePlug ? "AP" : "AD")}-{index:D4}";
#pragma warning disable CA5394 // Simulation, not security.
        var random = new Random(seed);
        double rated = DeviceModels.RatedCurrent(kind);
        Channels = [.. Enumerable.Range(1, DeviceModels.ChannelCount(kind)).Select(n =>
            new MeterChannel(n, rated, LoadProfile.Random(random, rated * 230 * 0.95), time, initialEnergyWh: random.Next(1_000, 500_000)))];
#pragma warning restore CA5394
    }

    /// <summary>Plug or DIN meter.</summary>
    public DeviceKind Kind { get; }

    /// <summary>The node's EUI-64.</summary>
    public ulong ExtendedAddress { get; }

    /// <summary>Serial number, e.g. AP-0001.</summary>
    public string Serial { get; }

    /// <summary>Firmware version reported in /dev/info.</summary>
    public string Firmware { get; } = "1.2.0";

    /// <summary>The channels, numbered from 1.</summary>
    public IReadOnlyList<MeterChannel> Channels { get; }

    /// <summary>
    /// When true every read takes a fresh measurement; otherwise reads return the latest measurement
    /// taken by <see cref="TakeMeasurement"/> (once per reporting period, like a metering chip), so all
    /// blocks of a block-wise transfer describe the same measurement.
    /// </summary>
    public bool MeasureOnRead { get; set; }

    /// <summary>The latest measurement of one channel; <paramref name="sequence"/> counts measurements and only grows.</summary>
    public ChannelReading Measure(MeterChannel channel, out long sequence)
    {
        ArgumentNullException.ThrowIfNull(channel);
        lock (_latest)
        {
            if (MeasureOnRead || !_latest.TryGetValue(channel, out (long Sequence, ChannelReading Reading) latest))
            {
                latest = TakeLocked(channel);
            }

            sequence = latest.Sequence;
            return latest.Reading;
        }
    }

    /// <summary>Takes a new measurement of one channel (the reporting period elapsed, or the relay switched).</summary>
    public void TakeMeasurement(MeterChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        lock (_latest)
        {
            TakeLocked(channel);
        }
    }

    private (long Sequence, ChannelReading Reading) TakeLocked(MeterChannel channel)
    {
        (long, ChannelReading) measurement = (++_sequence, channel.Read());
        _latest[channel] = measurement;
        return measurement;
    }
}
