using ActiveGate.Ieee802154;

namespace ActiveGate.SixLowpan.Rpl.Node;

/// <summary>
/// How a simulated (or hosted) RPL node behaves. <see cref="ContikiNgRplLite"/> and
/// <see cref="Contiki30Storing"/> give the two firmware flavours the field has.
/// </summary>
public sealed class RplNodeOptions
{
    /// <summary>The node's EUI-64 (its IIDs derive from it).</summary>
    public required MacAddress Mac { get; init; }

    /// <summary>The only MOP the firmware joins (DIOs with another MOP are ignored, as in Contiki).</summary>
    public RplMode Mode { get; init; } = RplMode.NonStoring;

    /// <summary>Set K in DAOs and retransmit until a DAO-ACK arrives (RPL-Lite: yes; Contiki 3.0: no).</summary>
    public bool RequestDaoAck { get; init; } = true;

    /// <summary>Delay between joining (or a parent change / DTSN bump) and the DAO, jittered ×[0.5, 1.5) (Contiki: 4 s).</summary>
    public TimeSpan DaoDelay { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>DAO retransmission timeout when K is set (RPL-Lite: 5 s).</summary>
    public TimeSpan DaoAckTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>DAO retransmissions before giving up until the next refresh (RPL-Lite: 5).</summary>
    public int DaoMaxRetransmissions { get; init; } = 5;

    /// <summary>Interval of multicast DIS while not joined (RPL-Lite: 30 s; the first one after a fifth of it).</summary>
    public TimeSpan DisInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>MRHOF parent switch threshold in rank units (0.75 ETX × 128 = 96).</summary>
    public ushort ParentSwitchThreshold { get; init; } = 96;

    /// <summary>Storing mode: most downward routes kept.</summary>
    public int MaxRoutes { get; init; } = 128;

    /// <summary>Contiki-NG RPL-Lite: non-storing, DAO-ACK required.</summary>
    public static RplNodeOptions ContikiNgRplLite(MacAddress mac) => new() { Mac = mac, Mode = RplMode.NonStoring, RequestDaoAck = true };

    /// <summary>Contiki 3.0 RPL: storing, no DAO-ACK, DIS every 60 s.</summary>
    public static RplNodeOptions Contiki30Storing(MacAddress mac) => new()
    {
        Mac = mac,
        Mode = RplMode.Storing,
        RequestDaoAck = false,
        DisInterval = TimeSpan.FromSeconds(60),
    };
}
