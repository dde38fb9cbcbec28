using System.Buffers.Binary;

namespace ActiveGate.SixLowpan.Ipv6;

/// <summary>
/// Builds complete IPv6 datagrams carrying UDP or ICMPv6, with correct checksums and optionally an
/// RPL Hop-by-Hop option and an RFC 6554 source route.
/// </summary>
public static class Ipv6PacketBuilder
{
    /// <summary>Bytes a datagram will take.</summary>
    public static int GetLength(Ipv6Address destination, int upperLayerLength, bool withRplOption, ReadOnlySpan<Ipv6Address> via)
    {
        int length = Ipv6Header.Length + upperLayerLength + (withRplOption ? RplHopByHopOption.HeaderLength : 0);
        if (via.Length > 0)
        {
            length += SourceRouteLength(destination, via);
        }

        return length;
    }

    /// <summary>Writes an IPv6/UDP datagram.</summary>
    /// <param name="destination">The final destination.</param>
    /// <param name="via">Intermediate hops, first hop first. When not empty the IPv6 destination is
    /// <c>via[0]</c> and an SRH lists <c>via[1..]</c> then <paramref name="destination"/>.</param>
    public static bool TryWriteUdp(
        Ipv6Address source,
        Ipv6Address destination,
        ushort sourcePort,
        ushort destinationPort,
        ReadOnlySpan<byte> payload,
        Span<byte> output,
        out int bytesWritten,
        byte hopLimit = 64,
        RplHopByHopOption? rplOption = null,
        ReadOnlySpan<Ipv6Address> via = default)
    {
        bytesWritten = 0;
        int udpLength = UdpHeader.Size + payload.Length;
        if (udpLength > ushort.MaxValue || !TryWriteHeaders(source, destination, IpProtocol.Udp, udpLength, hopLimit, rplOption, via, output, out int offset))
        {
            return false;
        }

        Span<byte> udp = output.Slice(offset, udpLength);
        new UdpHeader(sourcePort, destinationPort, (ushort)udpLength, 0).TryWrite(udp);
        payload.CopyTo(udp[UdpHeader.Size..]);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], InternetChecksum.ComputeForUdp(source, destination, udp));
        bytesWritten = offset + udpLength;
        return true;
    }

    /// <summary>Writes an IPv6/ICMPv6 datagram; <paramref name="body"/> is everything after the 4-byte type/code/checksum.</summary>
    public static bool TryWriteIcmpv6(
        Ipv6Address source,
        Ipv6Address destination,
        byte type,
        byte code,
        ReadOnlySpan<byte> body,
        Span<byte> output,
        out int bytesWritten,
        byte hopLimit = 64,
        RplHopByHopOption? rplOption = null,
        ReadOnlySpan<Ipv6Address> via = default)
    {
        bytesWritten = 0;
        int icmpLength = 4 + body.Length;
        if (icmpLength > ushort.MaxValue || !TryWriteHeaders(source, destination, IpProtocol.Icmpv6, icmpLength, hopLimit, rplOption, via, output, out int offset))
        {
            return false;
        }

        Span<byte> icmp = output.Slice(offset, icmpLength);
        icmp[0] = type;
        icmp[1] = code;
        icmp[2] = 0;
        icmp[3] = 0;
        body.CopyTo(icmp[4..]);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Compute(source, destination, IpProtocol.Icmpv6, icmp));
        bytesWritten = offset + icmpLength;
        return true;
    }

    private static bool TryWriteHeaders(
        Ipv6Address source,
        Ipv6Address destination,
        byte protocol,
        int upperLayerLength,
        byte hopLimit,
        RplHopByHopOption? rplOption,
        ReadOnlySpan<Ipv6Address> via,
        Span<byte> output,
        out int offset)
    {
        offset = 0;
        int total = GetLength(destination, upperLayerLength, rplOption.HasValue, via);
        if (output.Length < total || total - Ipv6Header.Length > ushort.MaxValue)
        {
            return false;
        }

        bool routed = via.Length > 0;
        byte first = rplOption.HasValue ? IpProtocol.HopByHop : routed ? IpProtocol.Routing : protocol;
        new Ipv6Header
        {
            PayloadLength = (ushort)(total - Ipv6Header.Length),
            NextHeader = first,
            HopLimit = hopLimit,
            Source = source,
            Destination = routed ? via[0] : destination,
        }.TryWrite(output);
        offset = Ipv6Header.Length;
        if (rplOption is { } option)
        {
            option.TryWriteHeader(routed ? IpProtocol.Routing : protocol, output[offset..]);
            offset += RplHopByHopOption.HeaderLength;
        }

        if (routed)
        {
            Span<Ipv6Address> hops = via.Length <= 32 ? stackalloc Ipv6Address[via.Length] : new Ipv6Address[via.Length];
            via[1..].CopyTo(hops);
            hops[^1] = destination;
            if (!RplSourceRoutingHeader.TryWrite(protocol, via[0], hops, output[offset..], out int written))
            {
                return false;
            }

            offset += written;
        }

        return true;
    }

    private static int SourceRouteLength(Ipv6Address destination, ReadOnlySpan<Ipv6Address> via)
    {
        Span<Ipv6Address> hops = via.Length <= 32 ? stackalloc Ipv6Address[via.Length] : new Ipv6Address[via.Length];
        via[1..].CopyTo(hops);
        hops[^1] = destination;
        return RplSourceRoutingHeader.GetLength(via[0], hops);
    }
}
