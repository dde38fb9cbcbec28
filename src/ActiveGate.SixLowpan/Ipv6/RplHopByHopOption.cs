using System.Buffers.Binary;

namespace ActiveGate.SixLowpan.Ipv6;

/// <summary>
/// The RPL option (RFC 6553) carried in a Hop-by-Hop header; Contiki inserts it in packets routed
/// through the DODAG.
/// </summary>
/// <remarks>
/// <code>
/// HBH header (8 bytes):  Next Header | Hdr Ext Len = 0 | Opt Type 0x63 | Opt Len 4 |
///                        O R F 0 0 0 0 0 | RPLInstanceID | SenderRank (16)
/// </code>
/// Type 0x63's top bits 01 mean "discard if unrecognised"; RFC 9008 renumbers it 0x23. Both are read.
/// </remarks>
/// <param name="Down">O: the packet travels down the DODAG.</param>
/// <param name="RankError">R: a rank error was detected.</param>
/// <param name="ForwardingError">F: the node cannot forward the packet further down.</param>
/// <param name="InstanceId">RPLInstanceID.</param>
/// <param name="SenderRank">Rank of the sender.</param>
public readonly record struct RplHopByHopOption(bool Down, bool RankError, bool ForwardingError, byte InstanceId, ushort SenderRank)
{
    /// <summary>Option type of RFC 6553.</summary>
    public const byte OptionType = 0x63;

    /// <summary>Option type of RFC 9008.</summary>
    public const byte OptionTypeRfc9008 = 0x23;

    /// <summary>Length of the whole Hop-by-Hop header carrying only this option.</summary>
    public const int HeaderLength = 8;

    /// <summary>Searches the options of a Hop-by-Hop header (whole header, from its Next Header byte).</summary>
    public static bool TryFind(ReadOnlySpan<byte> hopByHopHeader, out RplHopByHopOption option)
    {
        option = default;
        int index = 2;
        while (index < hopByHopHeader.Length)
        {
            byte type = hopByHopHeader[index];
            if (type == 0)
            {
                index++;
                continue;
            }

            if (index + 2 > hopByHopHeader.Length)
            {
                return false;
            }

            int length = hopByHopHeader[index + 1];
            if (index + 2 + length > hopByHopHeader.Length)
            {
                return false;
            }

            if ((type == OptionType || type == OptionTypeRfc9008) && length >= 4)
            {
                ReadOnlySpan<byte> body = hopByHopHeader.Slice(index + 2, length);
                option = new RplHopByHopOption(
                    (body[0] & 0x80) != 0,
                    (body[0] & 0x40) != 0,
                    (body[0] & 0x20) != 0,
                    body[1],
                    BinaryPrimitives.ReadUInt16BigEndian(body[2..]));
                return true;
            }

            index += 2 + length;
        }

        return false;
    }

    /// <summary>Writes a complete 8-byte Hop-by-Hop header holding only this option.</summary>
    public bool TryWriteHeader(byte nextHeader, Span<byte> destination)
    {
        if (destination.Length < HeaderLength)
        {
            return false;
        }

        destination[0] = nextHeader;
        destination[1] = 0;
        destination[2] = OptionType;
        destination[3] = 4;
        destination[4] = (byte)((Down ? 0x80 : 0) | (RankError ? 0x40 : 0) | (ForwardingError ? 0x20 : 0));
        destination[5] = InstanceId;
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], SenderRank);
        return true;
    }
}
