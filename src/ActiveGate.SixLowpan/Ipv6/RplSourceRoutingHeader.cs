namespace ActiveGate.SixLowpan.Ipv6;

/// <summary>
/// The RPL Source Route Header (RFC 6554, IPv6 Routing Header type 3).
/// </summary>
/// <remarks>
/// <code>
/// | Next Header | Hdr Ext Len | Routing Type=3 | Segments Left |
/// | CmprI | CmprE | Pad |           Reserved (20)               |
/// |             Addresses[1..n] (n-1 of 16-CmprI bytes, last of 16-CmprE bytes)       |
/// </code>
/// The IPv6 destination is the first hop; Addresses[] lists the remaining hops with the final
/// destination last. Elided leading bytes are copied from the IPv6 destination.
/// </remarks>
public static class RplSourceRoutingHeader
{
    /// <summary>Routing type of the RPL SRH.</summary>
    public const byte RoutingType = 3;

    /// <summary>Bytes the header takes for <paramref name="hops"/> after the first hop.</summary>
    public static int GetLength(Ipv6Address firstHop, ReadOnlySpan<Ipv6Address> hops)
    {
        (int cmprI, int cmprE) = Compression(firstHop, hops);
        int addresses = ((hops.Length - 1) * (16 - cmprI)) + (16 - cmprE);
        return (8 + addresses + 7) & ~7;
    }

    /// <summary>
    /// Writes the header. <paramref name="hops"/> are the addresses after the first hop (the IPv6
    /// destination), the final destination last; Segments Left is their count.
    /// </summary>
    public static bool TryWrite(byte nextHeader, Ipv6Address firstHop, ReadOnlySpan<Ipv6Address> hops, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (hops.Length == 0 || hops.Length > 255)
        {
            return false;
        }

        (int cmprI, int cmprE) = Compression(firstHop, hops);
        int addresses = ((hops.Length - 1) * (16 - cmprI)) + (16 - cmprE);
        int length = (8 + addresses + 7) & ~7;
        int pad = length - 8 - addresses;
        if (destination.Length < length || length / 8 - 1 > 255)
        {
            return false;
        }

        destination[..length].Clear();
        destination[0] = nextHeader;
        destination[1] = (byte)((length / 8) - 1);
        destination[2] = RoutingType;
        destination[3] = (byte)hops.Length;
        destination[4] = (byte)((cmprI << 4) | cmprE);
        destination[5] = (byte)(pad << 4);
        Span<byte> full = stackalloc byte[16];
        int offset = 8;
        for (int i = 0; i < hops.Length; i++)
        {
            int elided = i == hops.Length - 1 ? cmprE : cmprI;
            hops[i].Write(full);
            full[elided..].CopyTo(destination[offset..]);
            offset += 16 - elided;
        }

        bytesWritten = length;
        return true;
    }

    /// <summary>
    /// Reads the addresses of an SRH (the whole routing header). Returns false when malformed or when
    /// <paramref name="addresses"/> is too small.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> header, Ipv6Address ipv6Destination, Span<Ipv6Address> addresses, out int count, out int segmentsLeft)
    {
        if (!TryReadLayout(header, out count, out segmentsLeft, out int cmprI, out int cmprE) || count > addresses.Length)
        {
            count = 0;
            return false;
        }

        int offset = 8;
        for (int i = 0; i < count; i++)
        {
            int elided = i == count - 1 ? cmprE : cmprI;
            addresses[i] = Expand(header.Slice(offset, 16 - elided), elided, ipv6Destination);
            offset += 16 - elided;
        }

        return true;
    }

    /// <summary>Reads only the last address (the final destination) of an SRH.</summary>
    public static bool TryReadFinal(ReadOnlySpan<byte> header, Ipv6Address ipv6Destination, out Ipv6Address finalDestination, out int count, out int segmentsLeft)
    {
        finalDestination = default;
        if (!TryReadLayout(header, out count, out segmentsLeft, out int cmprI, out int cmprE))
        {
            return false;
        }

        int offset = 8 + ((count - 1) * (16 - cmprI));
        finalDestination = Expand(header.Slice(offset, 16 - cmprE), cmprE, ipv6Destination);
        return true;
    }

    private static bool TryReadLayout(ReadOnlySpan<byte> header, out int count, out int segmentsLeft, out int cmprI, out int cmprE)
    {
        count = 0;
        segmentsLeft = 0;
        cmprI = 0;
        cmprE = 0;
        if (header.Length < 8 || header[2] != RoutingType)
        {
            return false;
        }

        int length = (header[1] + 1) * 8;
        if (header.Length < length)
        {
            return false;
        }

        segmentsLeft = header[3];
        cmprI = header[4] >> 4;
        cmprE = header[4] & 0x0F;
        int pad = header[5] >> 4;
        int addressBytes = length - 8 - pad;
        if (addressBytes < 16 - cmprE || (addressBytes - (16 - cmprE)) % (16 - cmprI) != 0)
        {
            return false;
        }

        count = ((addressBytes - (16 - cmprE)) / (16 - cmprI)) + 1;
        return segmentsLeft <= count;
    }

    private static Ipv6Address Expand(ReadOnlySpan<byte> carried, int elided, Ipv6Address ipv6Destination)
    {
        Span<byte> full = stackalloc byte[16];
        ipv6Destination.Write(full);
        carried.CopyTo(full[elided..]);
        return Ipv6Address.Read(full);
    }

    private static (int CmprI, int CmprE) Compression(Ipv6Address firstHop, ReadOnlySpan<Ipv6Address> hops)
    {
        int cmprI = 15;
        for (int i = 0; i < hops.Length - 1; i++)
        {
            cmprI = Math.Min(cmprI, firstHop.CommonPrefixBytes(hops[i]));
        }

        int cmprE = Math.Min(15, firstHop.CommonPrefixBytes(hops[^1]));
        if (hops.Length == 1)
        {
            // No intermediate addresses: CmprI is unused; mirror CmprE as Contiki does.
            cmprI = cmprE;
        }

        return (cmprI, cmprE);
    }
}
