using System.Buffers.Binary;

namespace ActiveGate.SixLowpan.Ipv6;

/// <summary>
/// The fixed 40-byte IPv6 header (RFC 8200 §3).
/// </summary>
/// <remarks>
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// |Version| Traffic Class |           Flow Label                  |
/// |         Payload Length        |  Next Header  |   Hop Limit   |
/// |                    Source Address (128)                       |
/// |                 Destination Address (128)                     |
/// </code>
/// </remarks>
public readonly record struct Ipv6Header
{
    /// <summary>Length of the fixed header.</summary>
    public const int Length = 40;

    /// <summary>Traffic class: DSCP (6 bits) then ECN (2 bits).</summary>
    public byte TrafficClass { get; init; }

    /// <summary>Flow label (20 bits).</summary>
    public uint FlowLabel { get; init; }

    /// <summary>Bytes after the fixed header.</summary>
    public ushort PayloadLength { get; init; }

    /// <summary>Next header.</summary>
    public byte NextHeader { get; init; }

    /// <summary>Hop limit.</summary>
    public byte HopLimit { get; init; }

    /// <summary>Source address.</summary>
    public Ipv6Address Source { get; init; }

    /// <summary>Destination address.</summary>
    public Ipv6Address Destination { get; init; }

    /// <summary>Reads the header; fails when shorter than 40 bytes or the version is not 6.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out Ipv6Header header)
    {
        header = default;
        if (source.Length < Length)
        {
            return false;
        }

        uint first = BinaryPrimitives.ReadUInt32BigEndian(source);
        if ((first >> 28) != 6)
        {
            return false;
        }

        header = new Ipv6Header
        {
            TrafficClass = (byte)(first >> 20),
            FlowLabel = first & 0xFFFFF,
            PayloadLength = BinaryPrimitives.ReadUInt16BigEndian(source[4..]),
            NextHeader = source[6],
            HopLimit = source[7],
            Source = Ipv6Address.Read(source[8..]),
            Destination = Ipv6Address.Read(source[24..]),
        };
        return true;
    }

    /// <summary>Writes the header; false (nothing written) when the destination is too small.</summary>
    public bool TryWrite(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination, (6u << 28) | ((uint)TrafficClass << 20) | (FlowLabel & 0xFFFFF));
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], PayloadLength);
        destination[6] = NextHeader;
        destination[7] = HopLimit;
        Source.Write(destination[8..]);
        Destination.Write(destination[24..]);
        return true;
    }
}
