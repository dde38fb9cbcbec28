namespace ActiveGate.SixLowpan.Iphc;

/// <summary>
/// Constants of LOWPAN_IPHC and LOWPAN_NHC (RFC 6282).
/// </summary>
/// <remarks>
/// <code>
///   0   1   2   3   4   5   6   7   8   9  10  11  12  13  14  15
/// | 0 | 1 | 1 |  TF   |NH | HLIM  |CID|SAC|  SAM  | M |DAC|  DAM  |
///
/// Inline fields follow in this order: [SCI|DCI] [TF fields] [Next Header] [Hop Limit]
/// [source] [destination] [NHC headers...]
///
/// TF:  00 ECN+DSCP+pad(4)+FL(20) (4 B) | 01 ECN+pad(2)+FL(20) (3 B) | 10 ECN+DSCP (1 B) | 11 elided
///      (IPHC orders ECN before DSCP, the reverse of the IPv6 header)
/// HLIM: 00 inline | 01 = 1 | 10 = 64 | 11 = 255
///
/// NHC-UDP:  1 1 1 1 0 C P P     NHC-EH:  1 1 1 0 EID(3) NH
/// </code>
/// </remarks>
public static class Iphc
{
    /// <summary>Mask selecting the IPHC dispatch bits of byte 0.</summary>
    public const byte DispatchMask = 0xE0;

    /// <summary>IPHC dispatch value (011xxxxx).</summary>
    public const byte Dispatch = 0x60;

    /// <summary>Uncompressed IPv6 dispatch (RFC 4944).</summary>
    public const byte Ipv6Dispatch = 0x41;

    /// <summary>NHC-UDP id (11110xxx) after masking with <see cref="NhcUdpMask"/>.</summary>
    public const byte NhcUdp = 0xF0;

    /// <summary>Mask for the NHC-UDP id.</summary>
    public const byte NhcUdpMask = 0xF8;

    /// <summary>NHC-UDP: checksum elided.</summary>
    public const byte NhcUdpChecksumElided = 0x04;

    /// <summary>NHC extension header id (1110xxxx) after masking with <see cref="NhcExtensionMask"/>.</summary>
    public const byte NhcExtension = 0xE0;

    /// <summary>Mask for the NHC-EH id.</summary>
    public const byte NhcExtensionMask = 0xF0;

    /// <summary>Largest IPv6 datagram 6LoWPAN fragmentation can describe (11-bit datagram_size).</summary>
    public const int MaxDatagramSize = 2047;

    /// <summary>Short UDP ports 0xF0B0-0xF0BF compress to 4 bits.</summary>
    internal const ushort UdpPort4BitBase = 0xF0B0;

    /// <summary>Ports 0xF000-0xF0FF compress to 8 bits.</summary>
    internal const ushort UdpPort8BitBase = 0xF000;

    /// <summary>The NHC extension-header id (EID) for an IPv6 next-header value, or -1.</summary>
    internal static int ExtensionId(byte nextHeader) => nextHeader switch
    {
        Ipv6.IpProtocol.HopByHop => 0,
        Ipv6.IpProtocol.Routing => 1,
        Ipv6.IpProtocol.DestinationOptions => 3,
        Ipv6.IpProtocol.Mobility => 4,
        _ => -1,
    };

    /// <summary>The IPv6 next-header value for an EID this stack decompresses, or -1.</summary>
    internal static int ExtensionProtocol(int eid) => eid switch
    {
        0 => Ipv6.IpProtocol.HopByHop,
        1 => Ipv6.IpProtocol.Routing,
        3 => Ipv6.IpProtocol.DestinationOptions,
        4 => Ipv6.IpProtocol.Mobility,
        _ => -1,
    };
}
