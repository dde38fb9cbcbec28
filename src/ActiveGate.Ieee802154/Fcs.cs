using System.Buffers.Binary;

namespace ActiveGate.Ieee802154;

/// <summary>
/// The IEEE 802.15.4 frame check sequence: CRC-16/KERMIT (ITU-T polynomial x^16+x^12+x^5+1,
/// reflected 0x8408, init 0x0000, no final XOR), sent least-significant byte first.
/// check("123456789") = 0x2189. Same routine as Contiki's <c>crc16_data</c>.
/// </summary>
/// <remarks>
/// The radio normally computes and checks the FCS; the host needs it for pcap files with
/// link type 195 and for radios that hand frames up with the FCS still attached.
/// </remarks>
public static class Fcs
{
    /// <summary>Length of the FCS in bytes.</summary>
    public const int Length = 2;

    private static readonly ushort[] s_table = BuildTable();

    /// <summary>Computes the CRC-16/KERMIT of <paramref name="data"/>.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Update(0, data);

    /// <summary>Continues a CRC computation; start with <c>crc = 0</c>.</summary>
    public static ushort Update(ushort crc, ReadOnlySpan<byte> data)
    {
        ushort[] table = s_table;
        foreach (byte b in data)
        {
            crc = (ushort)((crc >> 8) ^ table[(crc ^ b) & 0xFF]);
        }

        return crc;
    }

    /// <summary>
    /// Writes the FCS of <paramref name="mpdu"/> (little-endian) into <paramref name="destination"/>.
    /// Returns false and writes nothing when the destination is shorter than 2 bytes.
    /// </summary>
    public static bool TryWrite(ReadOnlySpan<byte> mpdu, Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16LittleEndian(destination, Compute(mpdu));
        return true;
    }

    /// <summary>
    /// True when the last two bytes of <paramref name="frameWithFcs"/> are the correct FCS of the
    /// bytes before them. Frames shorter than the FCS are never valid.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> frameWithFcs)
    {
        if (frameWithFcs.Length < Length)
        {
            return false;
        }

        ReadOnlySpan<byte> body = frameWithFcs[..^Length];
        ushort carried = BinaryPrimitives.ReadUInt16LittleEndian(frameWithFcs[^Length..]);
        return Compute(body) == carried;
    }

    private static ushort[] BuildTable()
    {
        var table = new ushort[256];
        for (int i = 0; i < table.Length; i++)
        {
            ushort crc = (ushort)i;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (ushort)((crc >> 1) ^ 0x8408) : (ushort)(crc >> 1);
            }

            table[i] = crc;
        }

        return table;
    }
}
