using System.Buffers.Binary;
using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan.Icmpv6;

/// <summary>ICMPv6 message types used by the mesh stack (RFC 4443, RFC 4861, RFC 6550).</summary>
public static class Icmpv6Type
{
    /// <summary>Destination unreachable.</summary>
    public const byte DestinationUnreachable = 1;

    /// <summary>Packet too big.</summary>
    public const byte PacketTooBig = 2;

    /// <summary>Time exceeded.</summary>
    public const byte TimeExceeded = 3;

    /// <summary>Parameter problem.</summary>
    public const byte ParameterProblem = 4;

    /// <summary>Echo request.</summary>
    public const byte EchoRequest = 128;

    /// <summary>Echo reply.</summary>
    public const byte EchoReply = 129;

    /// <summary>Router solicitation.</summary>
    public const byte RouterSolicitation = 133;

    /// <summary>Router advertisement.</summary>
    public const byte RouterAdvertisement = 134;

    /// <summary>Neighbour solicitation.</summary>
    public const byte NeighborSolicitation = 135;

    /// <summary>Neighbour advertisement.</summary>
    public const byte NeighborAdvertisement = 136;

    /// <summary>RPL control message (RFC 6550).</summary>
    public const byte RplControl = 155;
}

/// <summary>
/// A view of an ICMPv6 message.
/// <code>
/// | Type (8) | Code (8) | Checksum (16) | body ...
/// Echo body: | Identifier (16) | Sequence Number (16) | data ...
/// </code>
/// </summary>
public readonly ref struct Icmpv6Message
{
    private Icmpv6Message(byte type, byte code, ushort checksum, ReadOnlySpan<byte> body)
    {
        Type = type;
        Code = code;
        Checksum = checksum;
        Body = body;
    }

    /// <summary>Type.</summary>
    public byte Type { get; }

    /// <summary>Code.</summary>
    public byte Code { get; }

    /// <summary>Checksum as carried.</summary>
    public ushort Checksum { get; }

    /// <summary>Everything after the checksum.</summary>
    public ReadOnlySpan<byte> Body { get; }

    /// <summary>Echo identifier (echo messages only).</summary>
    public ushort EchoIdentifier => Body.Length >= 4 ? BinaryPrimitives.ReadUInt16BigEndian(Body) : (ushort)0;

    /// <summary>Echo sequence number (echo messages only).</summary>
    public ushort EchoSequence => Body.Length >= 4 ? BinaryPrimitives.ReadUInt16BigEndian(Body[2..]) : (ushort)0;

    /// <summary>Echo data (echo messages only).</summary>
    public ReadOnlySpan<byte> EchoData => Body.Length >= 4 ? Body[4..] : [];

    /// <summary>Reads a message and verifies its checksum against the pseudo-header.</summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, Ipv6Address source, Ipv6Address finalDestination, out Icmpv6Message message, out LowpanError error)
    {
        message = default;
        if (packet.Length < 4)
        {
            error = LowpanError.Truncated;
            return false;
        }

        if (!InternetChecksum.Verify(source, finalDestination, IpProtocol.Icmpv6, packet))
        {
            error = LowpanError.BadChecksum;
            return false;
        }

        message = new Icmpv6Message(packet[0], packet[1], BinaryPrimitives.ReadUInt16BigEndian(packet[2..]), packet[4..]);
        error = LowpanError.None;
        return true;
    }
}
