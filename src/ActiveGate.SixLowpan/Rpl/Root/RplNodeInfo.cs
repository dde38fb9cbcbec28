using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan.Rpl.Root;

/// <summary>A snapshot of one node of the DODAG as the root sees it.</summary>
public sealed record RplNodeInfo
{
    /// <summary>The node's address (the DAO target).</summary>
    public required Ipv6Address Address { get; init; }

    /// <summary>Non-storing: the parent the node advertised (global form). Null in storing mode.</summary>
    public Ipv6Address? Parent { get; init; }

    /// <summary>Storing: the root's neighbour that forwarded the DAO. Non-storing: the first hop of the source route.</summary>
    public Ipv6Address? NextHop { get; init; }

    /// <summary>The node's rank from its DIO or a one-hop RPL option, when heard.</summary>
    public ushort? Rank { get; init; }

    /// <summary>Hops from the root: from the source route (non-storing) or estimated from rank (storing); null when unknown.</summary>
    public int? HopCount { get; init; }

    /// <summary>Link quality of the last frame heard directly from the node, when the radio reports one.</summary>
    public byte? LinkQuality { get; init; }

    /// <summary>When the node was first added (this join).</summary>
    public required DateTimeOffset JoinedAt { get; init; }

    /// <summary>When anything was last heard from the node.</summary>
    public required DateTimeOffset LastHeard { get; init; }

    /// <summary>When the last DAO arrived.</summary>
    public required DateTimeOffset LastDao { get; init; }

    /// <summary>The advertised path lifetime; null = infinite.</summary>
    public TimeSpan? PathLifetime { get; init; }

    /// <summary>When the route lapses unless refreshed; null = never.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The Path Sequence of the last accepted DAO.</summary>
    public byte PathSequence { get; init; }

    /// <summary>DAOs accepted for this node since it joined.</summary>
    public long DaoCount { get; init; }

    /// <summary>True when a complete downward route exists right now.</summary>
    public bool Reachable { get; init; }
}

/// <summary>Why a node left the table.</summary>
public enum RplNodeLeftReason
{
    /// <summary>Its DAO path lifetime lapsed without a refresh.</summary>
    Expired,

    /// <summary>A No-Path DAO (lifetime 0) removed it.</summary>
    NoPath,
}

/// <summary>Event data of <see cref="RplRoot.NodeJoined"/> and <see cref="RplRoot.RouteChanged"/>.</summary>
public sealed class RplNodeEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public RplNodeEventArgs(RplNodeInfo node, Ipv6Address? previousHop = null)
    {
        Node = node;
        PreviousHop = previousHop;
    }

    /// <summary>The node after the change.</summary>
    public RplNodeInfo Node { get; }

    /// <summary>RouteChanged: the parent (non-storing) or next hop (storing) before the change.</summary>
    public Ipv6Address? PreviousHop { get; }
}

/// <summary>Event data of <see cref="RplRoot.NodeLeft"/>.</summary>
public sealed class RplNodeLeftEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public RplNodeLeftEventArgs(RplNodeInfo node, RplNodeLeftReason reason)
    {
        Node = node;
        Reason = reason;
    }

    /// <summary>The node as it was last known.</summary>
    public RplNodeInfo Node { get; }

    /// <summary>Why it left.</summary>
    public RplNodeLeftReason Reason { get; }
}
