using System.Buffers.Binary;

namespace ActiveGate.SixLowpan.Fragmentation;

/// <summary>
/// RFC 4944 §5.3 fragment headers.
/// </summary>
/// <remarks>
/// <code>
/// FRAG1:  1 1 0 0 0 | datagram_size (11) | datagram_tag (16)                          4 bytes
/// FRAGN:  1 1 1 0 0 | datagram_size (11) | datagram_tag (16) | datagram_offset (8)    5 bytes
/// </code>
/// Size and offset count octets of the UNCOMPRESSED IPv6 datagram; the offset is in 8-octet units.
/// </remarks>
/// <param name="IsFirst">FRAG1 (true) or FRAGN.</param>
/// <param name="DatagramSize">Size of the whole uncompressed IPv6 datagram.</param>
/// <param name="Tag">Datagram tag, the same in every fragment of one datagram.</param>
/// <param name="Offset">Offset of this fragment's data in BYTES (0 for FRAG1).</param>
public readonly record struct FragmentHeader(bool IsFirst, int DatagramSize, ushort Tag, int Offset)
{
    /// <summary>FRAG1 header length.</summary>
    public const int FirstLength = 4;

    /// <summary>FRAGN header length.</summary>
    public const int SubsequentLength = 5;

    /// <summary>Length of this header on air.</summary>
    public int Length => IsFirst ? FirstLength : SubsequentLength;

    /// <summary>Reads a FRAG1 or FRAGN header.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out FragmentHeader header)
    {
        header = default;
        if (source.Length < FirstLength)
        {
            return false;
        }

        int dispatch = source[0] & 0xF8;
        bool first = dispatch == 0xC0;
        if (!first && dispatch != 0xE0)
        {
            return false;
        }

        if (!first && source.Length < SubsequentLength)
        {
            return false;
        }

        int size = BinaryPrimitives.ReadUInt16BigEndian(source) & 0x07FF;
        ushort tag = BinaryPrimitives.ReadUInt16BigEndian(source[2..]);
        header = new FragmentHeader(first, size, tag, first ? 0 : source[4] * 8);
        return true;
    }

    /// <summary>Writes the header; false when the destination is too small or a field is out of range.</summary>
    public bool TryWrite(Span<byte> destination)
    {
        if (destination.Length < Length || (uint)DatagramSize > 0x07FF || Offset % 8 != 0 || Offset / 8 > 255)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)((IsFirst ? 0xC000 : 0xE000) | DatagramSize));
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], Tag);
        if (!IsFirst)
        {
            destination[4] = (byte)(Offset / 8);
        }

        return true;
    }
}
