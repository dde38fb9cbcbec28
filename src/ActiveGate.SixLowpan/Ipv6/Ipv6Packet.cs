namespace ActiveGate.SixLowpan.Ipv6;

/// <summary>
/// What <see cref="Ipv6Packet.TryParse"/> found in an IPv6 datagram: the header, the extension
/// headers this stack cares about, and where the upper-layer packet is.
/// </summary>
public readonly record struct Ipv6PacketInfo
{
    /// <summary>The fixed header.</summary>
    public Ipv6Header Header { get; init; }

    /// <summary>Protocol after the extension headers (UDP 17, ICMPv6 58, ...).</summary>
    public byte UpperLayerProtocol { get; init; }

    /// <summary>Offset of the upper-layer packet in the datagram.</summary>
    public int UpperLayerOffset { get; init; }

    /// <summary>Length of the upper-layer packet.</summary>
    public int UpperLayerLength { get; init; }

    /// <summary>The RPL Hop-by-Hop option, when present.</summary>
    public RplHopByHopOption? RplOption { get; init; }

    /// <summary>Offset of an RFC 6554 routing header, or -1.</summary>
    public int SourceRouteOffset { get; init; }

    /// <summary>Segments Left of the routing header (0 without one).</summary>
    public int SegmentsLeft { get; init; }

    /// <summary>The final destination: the last SRH address while segments are left, else the IPv6 destination. Checksums use it.</summary>
    public Ipv6Address FinalDestination { get; init; }
}

/// <summary>Parses IPv6 datagrams and walks their extension headers. Never throws on malformed input.</summary>
public static class Ipv6Packet
{
    private const int MaxExtensionHeaders = 8;

    /// <summary>Parses <paramref name="datagram"/> (exactly one IPv6 datagram).</summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out Ipv6PacketInfo info, out LowpanError error)
    {
        info = default;
        if (datagram.Length < Ipv6Header.Length)
        {
            error = LowpanError.Truncated;
            return false;
        }

        if (!Ipv6Header.TryRead(datagram, out Ipv6Header header))
        {
            error = LowpanError.InvalidIpv6Header;
            return false;
        }

        if (Ipv6Header.Length + header.PayloadLength != datagram.Length)
        {
            error = Ipv6Header.Length + header.PayloadLength > datagram.Length ? LowpanError.Truncated : LowpanError.InvalidIpv6Header;
            return false;
        }

        byte next = header.NextHeader;
        int offset = Ipv6Header.Length;
        RplHopByHopOption? rpl = null;
        int routingOffset = -1;
        int segmentsLeft = 0;
        Ipv6Address finalDestination = header.Destination;
        for (int count = 0; IpProtocol.IsOptionsOrRoutingHeader(next) || next == IpProtocol.Fragment; count++)
        {
            if (count == MaxExtensionHeaders || offset + 8 > datagram.Length)
            {
                error = count == MaxExtensionHeaders ? LowpanError.InvalidExtensionHeader : LowpanError.Truncated;
                return false;
            }

            int length = next == IpProtocol.Fragment ? 8 : (datagram[offset + 1] + 1) * 8;
            if (offset + length > datagram.Length)
            {
                error = LowpanError.Truncated;
                return false;
            }

            ReadOnlySpan<byte> extension = datagram.Slice(offset, length);
            if (next == IpProtocol.HopByHop)
            {
                if (offset != Ipv6Header.Length)
                {
                    error = LowpanError.InvalidExtensionHeader;
                    return false;
                }

                if (RplHopByHopOption.TryFind(extension, out RplHopByHopOption option))
                {
                    rpl = option;
                }
            }
            else if (next == IpProtocol.Routing && extension[2] == RplSourceRoutingHeader.RoutingType)
            {
                if (!RplSourceRoutingHeader.TryReadFinal(extension, header.Destination, out Ipv6Address last, out _, out segmentsLeft))
                {
                    error = LowpanError.InvalidExtensionHeader;
                    return false;
                }

                routingOffset = offset;
                if (segmentsLeft > 0)
                {
                    finalDestination = last;
                }
            }

            next = extension[0];
            offset += length;
        }

        info = new Ipv6PacketInfo
        {
            Header = header,
            UpperLayerProtocol = next,
            UpperLayerOffset = offset,
            UpperLayerLength = datagram.Length - offset,
            RplOption = rpl,
            SourceRouteOffset = routingOffset,
            SegmentsLeft = segmentsLeft,
            FinalDestination = finalDestination,
        };
        error = LowpanError.None;
        return true;
    }
}
