namespace ActiveGate.SixLowpan.Rpl;

/// <summary>Wire constants of RPL (RFC 6550), its Hop-by-Hop option (RFC 6553) and source routing header (RFC 6554).</summary>
public static class RplConstants
{
    /// <summary>ICMPv6 type of every RPL control message.</summary>
    public const byte IcmpType = 155;

    /// <summary>Code of a DODAG Information Solicitation.</summary>
    public const byte CodeDis = 0x00;

    /// <summary>Code of a DODAG Information Object.</summary>
    public const byte CodeDio = 0x01;

    /// <summary>Code of a Destination Advertisement Object.</summary>
    public const byte CodeDao = 0x02;

    /// <summary>Code of a DAO acknowledgement.</summary>
    public const byte CodeDaoAck = 0x03;

    /// <summary>Hop-by-Hop option type of the RPL option (RFC 6553: "01" = discard if unknown, C = 1).</summary>
    public const byte HopByHopOptionType = 0x63;

    /// <summary>The same option renumbered by RFC 9008 (no "discard" bits); accepted on read.</summary>
    public const byte HopByHopOptionTypeRfc9008 = 0x23;

    /// <summary>Routing type of the RPL Source Routing Header.</summary>
    public const byte SourceRoutingType = 3;

    /// <summary>Objective Code Point of MRHOF (RFC 6719), the only OF Contiki nodes compile.</summary>
    public const ushort OcpMrhof = 1;

    /// <summary>Objective Code Point of OF0 (RFC 6552).</summary>
    public const ushort OcpOf0 = 0;

    /// <summary>Lollipop counters (version, DTSN, DAO sequence) start here (RFC 6550 §7.2).</summary>
    public const byte LollipopInit = 240;

    /// <summary>Rank value meaning "infinite" (not part of a DODAG).</summary>
    public const ushort InfiniteRank = 0xFFFF;

    /// <summary>A Default Lifetime / Path Lifetime of all ones means "infinite".</summary>
    public const byte InfiniteLifetime = 0xFF;
}

/// <summary>DIO Mode of Operation (RFC 6550 §6.3.1).</summary>
public enum RplMode : byte
{
    /// <summary>No downward routes.</summary>
    NoDownwardRoutes = 0,

    /// <summary>Non-storing: the root keeps child→parent links and source-routes (Contiki-NG RPL-Lite).</summary>
    NonStoring = 1,

    /// <summary>Storing without multicast: every router keeps next hops (Contiki 2.x/3.0, RPL-Classic).</summary>
    Storing = 2,

    /// <summary>Storing with multicast support.</summary>
    StoringWithMulticast = 3,
}
