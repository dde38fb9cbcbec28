namespace ActiveGate.Ieee802154.Pcap;

/// <summary>One captured packet read from a pcap file.</summary>
/// <param name="Timestamp">Capture time (UTC), microsecond or nanosecond resolution as stored.</param>
/// <param name="Data">The captured bytes (for link type 195 including the FCS).</param>
/// <param name="OriginalLength">Length of the packet on the wire; larger than <c>Data.Length</c> when truncated by the snap length.</param>
public readonly record struct PcapRecord(DateTimeOffset Timestamp, ReadOnlyMemory<byte> Data, int OriginalLength);
