using System.Buffers.Binary;
using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.Simulator.Mesh.Rpl;

/// <summary>
/// What a Contiki RPL router does to a datagram it forwards: hop limit, the RFC 6553 RPL option in
/// the Hop-by-Hop header (inserted or updated with the forwarder's rank and direction), and one step
/// of an RFC 6554 source route.
/// </summary>
internal static class RplForwarding
{
    private const int HopLimitOffset = 7;
    private const int NextHeaderOffset = 6;
    private const int DestinationOffset = 24;

    /// <summary>Decrements the hop limit; false when the datagram must be dropped (it reached 0).</summary>
    public static bool DecrementHopLimit(Span<byte> datagram)
    {
        if (datagram.Length < Ipv6Header.Length || datagram[HopLimitOffset] <= 1)
        {
            return false;
        }

        datagram[HopLimitOffset]--;
        return true;
    }

    /// <summary>
    /// Returns the datagram with <paramref name="option"/> as its RPL option: written over an existing
    /// 0x63/0x23 option of the Hop-by-Hop header, else in a new 8-byte Hop-by-Hop header inserted after
    /// the IPv6 header (payload length grows by 8).
    /// </summary>
    public static byte[] WithRplOption(ReadOnlySpan<byte> datagram, RplHopByHopOption option)
    {
        if (datagram[NextHeaderOffset] == IpProtocol.HopByHop && datagram.Length >= Ipv6Header.Length + 8)
        {
            byte[] copy = datagram.ToArray();
            Span<byte> hbh = copy.AsSpan(Ipv6Header.Length, Math.Min((copy[Ipv6Header.Length + 1] + 1) * 8, copy.Length - Ipv6Header.Length));
            if (TryRewrite(hbh, option))
            {
                return copy;
            }
        }

        byte[] output = new byte[datagram.Length + RplHopByHopOption.HeaderLength];
        datagram[..Ipv6Header.Length].CopyTo(output);
        option.TryWriteHeader(datagram[NextHeaderOffset], output.AsSpan(Ipv6Header.Length));
        datagram[Ipv6Header.Length..].CopyTo(output.AsSpan(Ipv6Header.Length + RplHopByHopOption.HeaderLength));
        output[NextHeaderOffset] = IpProtocol.HopByHop;
        BinaryPrimitives.WriteUInt16BigEndian(output.AsSpan(4), (ushort)(output.Length - Ipv6Header.Length));
        return output;
    }

    /// <summary>
    /// RFC 6554 §4.2 at the current IPv6 destination: the next address becomes the destination and
    /// Segments Left drops by one. The address it replaces is swapped into the header (as the RFC
    /// says) when it fits that slot's compression, else the slot is left as is (as Contiki-NG does).
    /// </summary>
    /// <returns>False when the header is malformed, no segment is left, or the next hop is multicast.</returns>
    public static bool TryAdvanceSourceRoute(Span<byte> datagram, int routingHeaderOffset, out Ipv6Address nextDestination)
    {
        nextDestination = default;
        if (routingHeaderOffset < Ipv6Header.Length || routingHeaderOffset + 8 > datagram.Length)
        {
            return false;
        }

        Span<byte> srh = datagram[routingHeaderOffset..];
        srh = srh[..Math.Min((srh[1] + 1) * 8, srh.Length)];
        Ipv6Address current = Ipv6Address.Read(datagram.Slice(DestinationOffset, 16));
        Span<Ipv6Address> addresses = stackalloc Ipv6Address[128];
        if (!RplSourceRoutingHeader.TryRead(srh, current, addresses, out int count, out int segmentsLeft) || segmentsLeft == 0)
        {
            return false;
        }

        int index = count - segmentsLeft;
        nextDestination = addresses[index];
        if (nextDestination.IsMulticast)
        {
            return false;
        }

        int cmprI = srh[4] >> 4;
        int cmprE = srh[4] & 0x0F;
        int elided = index == count - 1 ? cmprE : cmprI;
        if (current.CommonPrefixBytes(nextDestination) >= elided)
        {
            Span<byte> full = stackalloc byte[16];
            current.Write(full);
            full[elided..].CopyTo(srh[(8 + (index * (16 - cmprI)))..]);
        }

        nextDestination.Write(datagram.Slice(DestinationOffset, 16));
        srh[3] = (byte)(segmentsLeft - 1);
        return true;
    }

    private static bool TryRewrite(Span<byte> hopByHop, RplHopByHopOption option)
    {
        int index = 2;
        while (index + 1 < hopByHop.Length)
        {
            byte type = hopByHop[index];
            if (type == 0)
            {
                index++;
                continue;
            }

            int length = hopByHop[index + 1];
            if (index + 2 + length > hopByHop.Length)
            {
                return false;
            }

            if ((type == RplHopByHopOption.OptionType || type == RplHopByHopOption.OptionTypeRfc9008) && length >= 4)
            {
                Span<byte> body = hopByHop.Slice(index + 2, 4);
                body[0] = (byte)((option.Down ? 0x80 : 0) | (option.RankError ? 0x40 : 0) | (option.ForwardingError ? 0x20 : 0));
                body[1] = option.InstanceId;
                BinaryPrimitives.WriteUInt16BigEndian(body[2..], option.SenderRank);
                return true;
            }

            index += 2 + length;
        }

        return false;
    }
}
