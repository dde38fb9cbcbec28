using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Rpl.Node;
using ActiveGate.SixLowpan.Rpl;

namespace ActiveGate.Simulator.Mesh.Rpl;

/// <summary>
/// How the simulated nodes run RPL: the firmware flavour (Contiki-NG RPL-Lite, non-storing, DAO-ACK
/// required; or Contiki 3.0, storing, no DAO-ACK) and the node-side timers, which tests shorten.
/// Trickle, lifetimes and MinHopRankIncrease come from the root's DODAG Configuration option, as on
/// real nodes.
/// </summary>
public sealed class NodeRplSettings
{
    /// <summary>The one MOP the nodes join: <see cref="RplMode.NonStoring"/> (RPL-Lite) or <see cref="RplMode.Storing"/> (Contiki 3.0).</summary>
    public RplMode Mode { get; init; } = RplMode.NonStoring;

    /// <summary>Delay before a DAO after joining or a parent change (Contiki: 4 s, jittered ×[0.5, 1.5)).</summary>
    public TimeSpan? DaoDelay { get; init; }

    /// <summary>Interval of multicast DIS while not joined (RPL-Lite 30 s, Contiki 3.0 60 s).</summary>
    public TimeSpan? DisInterval { get; init; }

    /// <summary>DAO retransmission timeout while waiting for a DAO-ACK (RPL-Lite 5 s).</summary>
    public TimeSpan? DaoAckTimeout { get; init; }

    /// <summary>The node model options for the node with MAC address <paramref name="mac"/>.</summary>
    public RplNodeOptions ToNodeOptions(MacAddress mac)
    {
        RplNodeOptions firmware = Mode == RplMode.Storing ? RplNodeOptions.Contiki30Storing(mac) : RplNodeOptions.ContikiNgRplLite(mac);
        return new RplNodeOptions
        {
            Mac = mac,
            Mode = firmware.Mode,
            RequestDaoAck = firmware.RequestDaoAck,
            DaoDelay = DaoDelay ?? firmware.DaoDelay,
            DisInterval = DisInterval ?? firmware.DisInterval,
            DaoAckTimeout = DaoAckTimeout ?? firmware.DaoAckTimeout,
            DaoMaxRetransmissions = firmware.DaoMaxRetransmissions,
            ParentSwitchThreshold = firmware.ParentSwitchThreshold,
            MaxRoutes = firmware.MaxRoutes,
        };
    }
}
