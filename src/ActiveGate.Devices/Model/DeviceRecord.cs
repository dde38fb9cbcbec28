using System.Net;

namespace ActiveGate.Devices.Model;

/// <summary>What the gateway knows of one mesh device; persisted in the registry.</summary>
public sealed class DeviceRecord
{
    public required string Id { get; init; }

    /// <summary>The device's mesh IPv6 address (changes when the mesh prefix does).</summary>
    public required IPAddress Address { get; set; }

    public DeviceKind Kind { get; set; }

    public string? Model { get; set; }

    public string? Firmware { get; set; }

    public string? Serial { get; set; }

    /// <summary>Channels with a relay and meter; empty for generic devices.</summary>
    public List<ChannelRecord> Channels { get; set; } = [];

    /// <summary>The links from <c>/.well-known/core</c>, as text (kept for generic devices and diagnostics).</summary>
    public string? Links { get; set; }

    public DateTimeOffset FirstSeen { get; set; }

    public DateTimeOffset LastSeen { get; set; }

    public bool Online { get; set; }

    /// <summary>Why the device is offline or not observed, when it is.</summary>
    public string? Problem { get; set; }
}

/// <summary>One relay channel of a device.</summary>
public sealed class ChannelRecord
{
    public int Number { get; init; }

    public double RatedCurrentAmperes { get; init; }

    /// <summary>Observed combined resource (<c>/ch/N/meter</c>) or null when only single quantities exist.</summary>
    public string? MeterPath { get; init; }

    public string? RelayPath { get; init; }

    /// <summary>Single-quantity resources by quantity name (power, energy, current, voltage).</summary>
    public Dictionary<string, string> QuantityPaths { get; init; } = new(StringComparer.Ordinal);

    public bool? RelayOn { get; set; }

    /// <summary>Incremented when the device's sequence goes backwards (it rebooted).</summary>
    public int SequenceEpoch { get; set; }

    /// <summary>The highest device sequence seen in this epoch (persisted from time to time).</summary>
    public long LastSequence { get; set; } = -1;

    public ChannelSample? LastSample { get; set; }
}
