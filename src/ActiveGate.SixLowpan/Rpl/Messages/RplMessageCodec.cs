using System.Buffers.Binary;
using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan.Rpl.Messages;

/// <summary>
/// Reads and writes complete ICMPv6 RPL control messages:
/// <code>
///  0                   1                   2                   3
/// |  Type = 155   |     Code      |          Checksum             |
/// |                      Base (DIS/DIO/DAO/DAO-ACK)               |
/// |                      Option(s)...                             |
/// </code>
/// Readers never throw on bad input (Try) or throw only <see cref="RplFormatException"/>.
/// </summary>
public static class RplMessageCodec
{
    /// <summary>Length of the ICMPv6 header (type, code, checksum).</summary>
    public const int IcmpHeaderLength = 4;

    /// <summary>Reads a whole ICMPv6 message (checksum not verified; see <see cref="VerifyChecksum"/>).</summary>
    public static bool TryRead(ReadOnlySpan<byte> icmpv6Message, out RplMessage? message, out RplFormatError error)
    {
        message = null;
        if (icmpv6Message.Length < IcmpHeaderLength)
        {
            error = RplFormatError.Truncated;
            return false;
        }

        if (icmpv6Message[0] != RplConstants.IcmpType)
        {
            error = RplFormatError.NotRpl;
            return false;
        }

        return TryReadBody(icmpv6Message[1], icmpv6Message[IcmpHeaderLength..], out message, out error);
    }

    /// <summary>Reads a whole ICMPv6 message or throws <see cref="RplFormatException"/>.</summary>
    public static RplMessage Read(ReadOnlySpan<byte> icmpv6Message) =>
        TryRead(icmpv6Message, out RplMessage? message, out RplFormatError error) ? message! : throw new RplFormatException(error);

    /// <summary>Reads the message body that follows the 4-byte ICMPv6 header.</summary>
    public static bool TryReadBody(byte code, ReadOnlySpan<byte> body, out RplMessage? message, out RplFormatError error)
    {
        message = null;
        switch (code)
        {
            case RplConstants.CodeDis:
                return TryReadDis(body, out message, out error);
            case RplConstants.CodeDio:
                return TryReadDio(body, out message, out error);
            case RplConstants.CodeDao:
                return TryReadDao(body, out message, out error);
            case RplConstants.CodeDaoAck:
                return TryReadDaoAck(body, out message, out error);
            default:
                error = RplFormatError.UnsupportedCode;
                return false;
        }
    }

    /// <summary>True when the ICMPv6 checksum over the pseudo-header verifies.</summary>
    public static bool VerifyChecksum(Ipv6Address source, Ipv6Address destination, ReadOnlySpan<byte> icmpv6Message) =>
        InternetChecksum.Verify(source, destination, IpProtocol.Icmpv6, icmpv6Message);

    /// <summary>Bytes the whole ICMPv6 message takes.</summary>
    public static int GetEncodedLength(RplMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        int length = IcmpHeaderLength + message switch
        {
            RplDis => 2,
            RplDio => RplDio.BaseLength,
            RplDao dao => 4 + (dao.DodagId is null ? 0 : 16),
            RplDaoAck ack => 4 + (ack.DodagId is null ? 0 : 16),
            _ => throw new ArgumentException("Unknown RPL message kind.", nameof(message)),
        };
        foreach (RplOption option in message.Options)
        {
            length += 2 + option.DataLength;
        }

        return length;
    }

    /// <summary>
    /// Writes the ICMPv6 message with its checksum over the IPv6 pseudo-header. Returns false (nothing
    /// meaningful written) when <paramref name="destination"/> is too small.
    /// </summary>
    public static bool TryWrite(RplMessage message, Ipv6Address source, Ipv6Address destinationAddress, Span<byte> destination, out int bytesWritten)
    {
        if (!TryWrite(message, destination, out bytesWritten))
        {
            return false;
        }

        ushort checksum = InternetChecksum.Compute(source, destinationAddress, IpProtocol.Icmpv6, destination[..bytesWritten]);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], checksum);
        return true;
    }

    /// <summary>Writes the ICMPv6 message with a zero checksum (for a caller that fills it later).</summary>
    public static bool TryWrite(RplMessage message, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        int length = GetEncodedLength(message);
        if (destination.Length < length)
        {
            return false;
        }

        foreach (RplOption option in message.Options)
        {
            if (option.DataLength > byte.MaxValue)
            {
                throw new ArgumentException($"RPL option {option.Type} is longer than 255 bytes.", nameof(message));
            }
        }

        destination[0] = RplConstants.IcmpType;
        destination[1] = message.Code;
        destination[2] = 0;
        destination[3] = 0;
        int offset = IcmpHeaderLength;
        switch (message)
        {
            case RplDis dis:
                destination[offset++] = dis.Flags;
                destination[offset++] = dis.Reserved;
                break;
            case RplDio dio:
                destination[offset] = dio.InstanceId;
                destination[offset + 1] = dio.Version;
                BinaryPrimitives.WriteUInt16BigEndian(destination[(offset + 2)..], dio.Rank);
                destination[offset + 4] = (byte)((dio.Grounded ? 0x80 : 0) | (((byte)dio.Mode & 0x07) << 3) | (dio.Preference & 0x07));
                destination[offset + 5] = dio.Dtsn;
                destination[offset + 6] = dio.Flags;
                destination[offset + 7] = dio.Reserved;
                dio.DodagId.Write(destination[(offset + 8)..]);
                offset += RplDio.BaseLength;
                break;
            case RplDao dao:
                destination[offset] = dao.InstanceId;
                destination[offset + 1] = (byte)((dao.AckRequested ? 0x80 : 0) | (dao.DodagId is null ? 0 : 0x40) | (dao.Flags & 0x3F));
                destination[offset + 2] = dao.Reserved;
                destination[offset + 3] = dao.Sequence;
                offset += 4;
                if (dao.DodagId is Ipv6Address daoDodag)
                {
                    daoDodag.Write(destination[offset..]);
                    offset += 16;
                }

                break;
            case RplDaoAck ack:
                destination[offset] = ack.InstanceId;
                destination[offset + 1] = (byte)((ack.DodagId is null ? 0 : 0x80) | (ack.Reserved & 0x7F));
                destination[offset + 2] = ack.Sequence;
                destination[offset + 3] = ack.Status;
                offset += 4;
                if (ack.DodagId is Ipv6Address ackDodag)
                {
                    ackDodag.Write(destination[offset..]);
                    offset += 16;
                }

                break;
        }

        foreach (RplOption option in message.Options)
        {
            destination[offset] = option.Type;
            destination[offset + 1] = (byte)option.DataLength;
            option.WriteData(destination.Slice(offset + 2, option.DataLength));
            offset += 2 + option.DataLength;
        }

        bytesWritten = offset;
        return true;
    }

    /// <summary>Encodes to a new array with the checksum filled in.</summary>
    public static byte[] Encode(RplMessage message, Ipv6Address source, Ipv6Address destination)
    {
        byte[] buffer = new byte[GetEncodedLength(message)];
        TryWrite(message, source, destination, buffer, out _);
        return buffer;
    }

    private static bool TryReadDis(ReadOnlySpan<byte> body, out RplMessage? message, out RplFormatError error)
    {
        message = null;
        if (body.Length < 2)
        {
            error = RplFormatError.Truncated;
            return false;
        }

        if (!RplOptionCodec.TryReadAll(body[2..], out List<RplOption> options, out error))
        {
            return false;
        }

        message = new RplDis { Flags = body[0], Reserved = body[1], Options = options };
        return true;
    }

    private static bool TryReadDio(ReadOnlySpan<byte> body, out RplMessage? message, out RplFormatError error)
    {
        message = null;
        if (body.Length < RplDio.BaseLength)
        {
            error = RplFormatError.Truncated;
            return false;
        }

        if (!RplOptionCodec.TryReadAll(body[RplDio.BaseLength..], out List<RplOption> options, out error))
        {
            return false;
        }

        byte gMopPrf = body[4];
        message = new RplDio
        {
            InstanceId = body[0],
            Version = body[1],
            Rank = BinaryPrimitives.ReadUInt16BigEndian(body[2..]),
            Grounded = (gMopPrf & 0x80) != 0,
            Mode = (RplMode)((gMopPrf >> 3) & 0x07),
            Preference = (byte)(gMopPrf & 0x07),
            Dtsn = body[5],
            Flags = body[6],
            Reserved = body[7],
            DodagId = Ipv6Address.Read(body[8..]),
            Options = options,
        };
        return true;
    }

    /// <summary>
    /// DAO and DAO-ACK share their layout after the first four bytes: a DODAGID present when a flag of
    /// byte 1 says so (D: 0x40 in a DAO, 0x80 in a DAO-ACK), then options.
    /// </summary>
    private static bool TryReadOptionalDodagIdAndOptions(ReadOnlySpan<byte> body, byte dodagIdFlag, out bool hasDodagId, out List<RplOption> options, out RplFormatError error)
    {
        hasDodagId = body.Length >= 2 && (body[1] & dodagIdFlag) != 0;
        int baseLength = hasDodagId ? 20 : 4;
        if (body.Length < baseLength)
        {
            options = [];
            error = RplFormatError.Truncated;
            return false;
        }

        return RplOptionCodec.TryReadAll(body[baseLength..], out options, out error);
    }

    private static bool TryReadDao(ReadOnlySpan<byte> body, out RplMessage? message, out RplFormatError error)
    {
        message = null;
        if (!TryReadOptionalDodagIdAndOptions(body, dodagIdFlag: 0x40, out bool hasDodagId, out List<RplOption> options, out error))
        {
            return false;
        }

        message = new RplDao
        {
            InstanceId = body[0],
            AckRequested = (body[1] & 0x80) != 0,
            Flags = (byte)(body[1] & 0x3F),
            Reserved = body[2],
            Sequence = body[3],
            DodagId = hasDodagId ? Ipv6Address.Read(body[4..]) : null,
            Options = options,
        };
        return true;
    }

    private static bool TryReadDaoAck(ReadOnlySpan<byte> body, out RplMessage? message, out RplFormatError error)
    {
        message = null;
        if (!TryReadOptionalDodagIdAndOptions(body, dodagIdFlag: 0x80, out bool hasDodagId, out List<RplOption> options, out error))
        {
            return false;
        }

        message = new RplDaoAck
        {
            InstanceId = body[0],
            Reserved = (byte)(body[1] & 0x7F),
            Sequence = body[2],
            Status = body[3],
            DodagId = hasDodagId ? Ipv6Address.Read(body[4..]) : null,
            Options = options,
        };
        return true;
    }
}
