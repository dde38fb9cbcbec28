using System.Buffers.Binary;

namespace ActiveGate.SixLowpan.Ipv6;

/// <summary>
/// The 8-byte UDP header (RFC 768): source port, destination port, length, checksum (all 16-bit, big-endian).
/// </summary>
public readonly record struct UdpHeader(ushort SourcePort, ushort DestinationPort, ushort Length, ushort Checksum)
{
    /// <summary>Header length.</summary>
    public const int Size = 8;

    /// <summary>Reads the header.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out UdpHeader header)
    {
        header = default;
        if (source.Length < Size)
        {
            return false;
        }

        header = new UdpHeader(
            BinaryPrimitives.ReadUInt16BigEndian(source),
            BinaryPrimitives.ReadUInt16BigEndian(source[2..]),
            BinaryPrimitives.ReadUInt16BigEndian(source[4..]),
            BinaryPrimitives.ReadUInt16BigEndian(source[6..]));
        return true;
    }

    /// <summary>Writes the header.</summary>
    public bool TryWrite(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], DestinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], Length);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], Checksum);
        return true;
    }
}
