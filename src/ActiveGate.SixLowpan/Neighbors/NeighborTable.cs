using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan.Neighbors;

/// <summary>What the interface knows about one directly heard 802.15.4 neighbour.</summary>
public sealed record NeighborInfo
{
    /// <summary>The neighbour's MAC address.</summary>
    public required MacAddress MacAddress { get; init; }

    /// <summary>Its link-local IPv6 address (derived from the MAC address).</summary>
    public required Ipv6Address LinkLocalAddress { get; init; }

    /// <summary>When a frame from it was last received.</summary>
    public DateTimeOffset? LastHeard { get; init; }

    /// <summary>RSSI of the last frame, when the radio reports it.</summary>
    public sbyte? Rssi { get; init; }

    /// <summary>LQI of the last frame, when the radio reports it.</summary>
    public byte? Lqi { get; init; }

    /// <summary>Frames received from it.</summary>
    public long FramesReceived { get; init; }

    /// <summary>Frames to it the radio reported as acknowledged.</summary>
    public long TransmitOk { get; init; }

    /// <summary>Frames to it that failed (no ACK, channel access failure).</summary>
    public long TransmitFailed { get; init; }

    /// <summary>Outcome of the last transmission to it.</summary>
    public FrameTransmitStatus? LastTransmitStatus { get; init; }
}

/// <summary>
/// Neighbours heard on the radio: last-heard time, link quality, transmit outcomes and duplicate
/// detection by (source, DSN). Bounded; entries not heard for <see cref="Lifetime"/> expire.
/// Time comes from an injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class NeighborTable
{
    private readonly TimeProvider _timeProvider;
    private readonly Dictionary<MacAddress, Entry> _entries = [];
    private readonly Dictionary<Ipv6Address, MacAddress> _addresses = [];
    private readonly Lock _lock = new();

    /// <summary>Creates a table.</summary>
    /// <param name="capacity">Most neighbours kept; the least recently heard is dropped beyond it.</param>
    /// <param name="lifetime">Entries not heard (nor sent to successfully) for this long expire.</param>
    /// <param name="duplicateWindow">A frame with the same source and DSN as the previous one within this window is a duplicate.</param>
    public NeighborTable(TimeProvider? timeProvider = null, int capacity = 256, TimeSpan? lifetime = null, TimeSpan? duplicateWindow = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _timeProvider = timeProvider ?? TimeProvider.System;
        Capacity = capacity;
        Lifetime = lifetime ?? TimeSpan.FromMinutes(30);
        DuplicateWindow = duplicateWindow ?? TimeSpan.FromSeconds(5);
    }

    /// <summary>Most neighbours kept.</summary>
    public int Capacity { get; }

    /// <summary>How long an entry lives without being heard.</summary>
    public TimeSpan Lifetime { get; }

    /// <summary>Duplicate detection window.</summary>
    public TimeSpan DuplicateWindow { get; }

    /// <summary>Neighbours currently known.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// Records a received frame. Returns false when it is a duplicate (same source and DSN as the
    /// previous frame from that source, within <see cref="DuplicateWindow"/>): a retransmission whose
    /// ACK was lost.
    /// </summary>
    public bool RecordReceived(MacAddress source, byte sequenceNumber, sbyte? rssi = null, byte? lqi = null)
    {
        if (source.Mode == AddressingMode.None)
        {
            return true;
        }

        DateTimeOffset now = _timeProvider.GetUtcNow();
        lock (_lock)
        {
            Entry entry = GetOrAdd(source, now);
            bool duplicate = entry.LastSequence == sequenceNumber && entry.LastHeard is { } last && now - last < DuplicateWindow;
            entry.LastSequence = sequenceNumber;
            entry.LastHeard = now;
            entry.Rssi = rssi ?? entry.Rssi;
            entry.Lqi = lqi ?? entry.Lqi;
            entry.FramesReceived++;
            return !duplicate;
        }
    }

    /// <summary>Records the outcome of a unicast transmission to <paramref name="destination"/>.</summary>
    public void RecordTransmit(MacAddress destination, FrameTransmitStatus status)
    {
        if (destination.Mode == AddressingMode.None || destination.IsBroadcast)
        {
            return;
        }

        DateTimeOffset now = _timeProvider.GetUtcNow();
        lock (_lock)
        {
            Entry entry = GetOrAdd(destination, now);
            entry.LastStatus = status;
            if (status == FrameTransmitStatus.Ok)
            {
                entry.TransmitOk++;
                entry.LastConfirmed = now;
            }
            else
            {
                entry.TransmitFailed++;
            }
        }
    }

    /// <summary>Remembers that <paramref name="address"/> is reached directly at <paramref name="mac"/> (e.g. an address whose IID is not MAC-derived).</summary>
    public void LearnAddress(Ipv6Address address, MacAddress mac)
    {
        lock (_lock)
        {
            GetOrAdd(mac, _timeProvider.GetUtcNow());
            _addresses[address] = mac;
        }
    }

    /// <summary>The MAC address learned for <paramref name="address"/>, if any.</summary>
    public bool TryResolve(Ipv6Address address, out MacAddress mac)
    {
        lock (_lock)
        {
            return _addresses.TryGetValue(address, out mac) && _entries.ContainsKey(mac);
        }
    }

    /// <summary>A snapshot of one neighbour.</summary>
    public NeighborInfo? Get(MacAddress mac)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(mac, out Entry? entry) ? entry.ToInfo() : null;
        }
    }

    /// <summary>A snapshot of all neighbours, most recently heard first.</summary>
    public IReadOnlyList<NeighborInfo> Snapshot()
    {
        lock (_lock)
        {
            return _entries.Values.OrderByDescending(e => e.LastActivity).Select(e => e.ToInfo()).ToArray();
        }
    }

    /// <summary>Removes entries not heard for <see cref="Lifetime"/>; returns the removed neighbours.</summary>
    public IReadOnlyList<MacAddress> Expire()
    {
        DateTimeOffset cutoff = _timeProvider.GetUtcNow() - Lifetime;
        lock (_lock)
        {
            MacAddress[] expired = _entries.Values.Where(e => e.LastActivity < cutoff).Select(e => e.Mac).ToArray();
            foreach (MacAddress mac in expired)
            {
                RemoveLocked(mac);
            }

            return expired;
        }
    }

    /// <summary>Forgets a neighbour.</summary>
    public bool Remove(MacAddress mac)
    {
        lock (_lock)
        {
            return RemoveLocked(mac);
        }
    }

    private Entry GetOrAdd(MacAddress mac, DateTimeOffset now)
    {
        if (_entries.TryGetValue(mac, out Entry? entry))
        {
            return entry;
        }

        if (_entries.Count >= Capacity)
        {
            Entry stalest = _entries.Values.MinBy(e => e.LastActivity)!;
            RemoveLocked(stalest.Mac);
        }

        entry = new Entry(mac, now);
        _entries[mac] = entry;
        return entry;
    }

    private bool RemoveLocked(MacAddress mac)
    {
        if (!_entries.Remove(mac))
        {
            return false;
        }

        foreach (KeyValuePair<Ipv6Address, MacAddress> pair in _addresses.Where(p => p.Value == mac).ToArray())
        {
            _addresses.Remove(pair.Key);
        }

        return true;
    }

    private sealed class Entry(MacAddress mac, DateTimeOffset created)
    {
        public MacAddress Mac { get; } = mac;

        public DateTimeOffset Created { get; } = created;

        public DateTimeOffset? LastHeard { get; set; }

        public DateTimeOffset? LastConfirmed { get; set; }

        public int LastSequence { get; set; } = -1;

        public sbyte? Rssi { get; set; }

        public byte? Lqi { get; set; }

        public long FramesReceived { get; set; }

        public long TransmitOk { get; set; }

        public long TransmitFailed { get; set; }

        public FrameTransmitStatus? LastStatus { get; set; }

        public DateTimeOffset LastActivity =>
            new[] { Created, LastHeard ?? DateTimeOffset.MinValue, LastConfirmed ?? DateTimeOffset.MinValue }.Max();

        public NeighborInfo ToInfo() => new()
        {
            MacAddress = Mac,
            LinkLocalAddress = Ipv6Address.LinkLocal(Mac),
            LastHeard = LastHeard,
            Rssi = Rssi,
            Lqi = Lqi,
            FramesReceived = FramesReceived,
            TransmitOk = TransmitOk,
            TransmitFailed = TransmitFailed,
            LastTransmitStatus = LastStatus,
        };
    }
}
