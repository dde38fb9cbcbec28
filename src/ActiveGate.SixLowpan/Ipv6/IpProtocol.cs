namespace ActiveGate.SixLowpan.Ipv6;

/// <summary>IPv6 Next Header values used by the mesh stack.</summary>
public static class IpProtocol
{
    /// <summary>Hop-by-Hop Options (0).</summary>
    public const byte HopByHop = 0;

    /// <summary>TCP (6).</summary>
    public const byte Tcp = 6;

    /// <summary>UDP (17).</summary>
    public const byte Udp = 17;

    /// <summary>IPv6-in-IPv6 (41).</summary>
    public const byte Ipv6 = 41;

    /// <summary>Routing header (43).</summary>
    public const byte Routing = 43;

    /// <summary>Fragment header (44).</summary>
    public const byte Fragment = 44;

    /// <summary>ICMPv6 (58).</summary>
    public const byte Icmpv6 = 58;

    /// <summary>No next header (59).</summary>
    public const byte NoNextHeader = 59;

    /// <summary>Destination Options (60).</summary>
    public const byte DestinationOptions = 60;

    /// <summary>Mobility header (135).</summary>
    public const byte Mobility = 135;

    /// <summary>True for the extension headers whose layout is NH(1) HdrExtLen(1, 8-octet units) body.</summary>
    public static bool IsOptionsOrRoutingHeader(byte nextHeader) =>
        nextHeader is HopByHop or Routing or DestinationOptions or Mobility;
}
