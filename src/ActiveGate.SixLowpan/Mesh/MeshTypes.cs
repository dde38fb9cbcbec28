using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan.Mesh;

/// <summary>Outcome of sending a datagram over the mesh.</summary>
public enum MeshSendStatus
{
    /// <summary>Every frame was handed over and (for unicast) acknowledged.</summary>
    Ok,

    /// <summary>No link-layer address could be found for the destination.</summary>
    NoRoute,

    /// <summary>The datagram exceeds the configured maximum or cannot be encoded.</summary>
    TooLarge,

    /// <summary>The next hop did not acknowledge a frame.</summary>
    NoAck,

    /// <summary>The radio could not access the channel.</summary>
    ChannelAccessFailure,

    /// <summary>The radio link failed (down, queue full, timeout).</summary>
    LinkFailed,
}

/// <summary>A UDP datagram received on a <see cref="MeshUdpSocket"/>.</summary>
/// <param name="Source">Sender's IPv6 address.</param>
/// <param name="SourcePort">Sender's port.</param>
/// <param name="Destination">The address it was sent to (ours, or a multicast group).</param>
/// <param name="DestinationPort">Our port.</param>
/// <param name="Payload">The UDP payload (owned by the receiver).</param>
/// <param name="LinkSource">MAC address of the neighbour that delivered it.</param>
public sealed record MeshUdpDatagram(Ipv6Address Source, ushort SourcePort, Ipv6Address Destination, ushort DestinationPort, ReadOnlyMemory<byte> Payload, MacAddress LinkSource);

/// <summary>An ICMPv6 message other than echo, handed to a registered handler (e.g. RPL control messages).</summary>
/// <param name="Packet">Parsed IPv6 information (addresses, RPL option, hop limit).</param>
/// <param name="Type">ICMPv6 type.</param>
/// <param name="Code">ICMPv6 code.</param>
/// <param name="Body">Everything after the checksum (a copy, owned by the handler).</param>
/// <param name="LinkSource">MAC address of the neighbour that delivered it.</param>
/// <param name="Rssi">RSSI of the (last) frame, when known.</param>
/// <param name="Lqi">LQI of the (last) frame, when known.</param>
public sealed record Icmpv6Received(Ipv6PacketInfo Packet, byte Type, byte Code, ReadOnlyMemory<byte> Body, MacAddress LinkSource, sbyte? Rssi, byte? Lqi);

/// <summary>Result of <see cref="MeshInterface.PingAsync"/>.</summary>
/// <param name="Replied">An echo reply arrived in time.</param>
/// <param name="RoundTrip">Time from send to reply.</param>
/// <param name="SendStatus">What the radio reported for the request.</param>
/// <param name="Sequence">Echo sequence number used.</param>
public readonly record struct PingResult(bool Replied, TimeSpan? RoundTrip, MeshSendStatus SendStatus, ushort Sequence);

/// <summary>Counters of a <see cref="MeshInterface"/> for diagnostics (<c>activegate radio</c>).</summary>
public sealed record MeshCounters
{
    /// <summary>Frames received from the link.</summary>
    public long FramesIn { get; init; }

    /// <summary>Frames handed to the link.</summary>
    public long FramesOut { get; init; }

    /// <summary>Frames the link failed to deliver (any non-OK status).</summary>
    public long FramesFailed { get; init; }

    /// <summary>Duplicate frames dropped (same source and DSN).</summary>
    public long Duplicates { get; init; }

    /// <summary>Received frames dropped because the MAC header was malformed, per reason.</summary>
    public IReadOnlyDictionary<MacFrameError, long> MacErrors { get; init; } = new Dictionary<MacFrameError, long>();

    /// <summary>Received frames or datagrams dropped by 6LoWPAN/IPv6 decoding, per reason.</summary>
    public IReadOnlyDictionary<LowpanError, long> LowpanErrors { get; init; } = new Dictionary<LowpanError, long>();

    /// <summary>IPv6 datagrams received intact.</summary>
    public long DatagramsIn { get; init; }

    /// <summary>IPv6 datagrams sent.</summary>
    public long DatagramsOut { get; init; }

    /// <summary>Datagrams for an address that is not ours (forwarding is not done).</summary>
    public long NotForUs { get; init; }

    /// <summary>UDP datagrams for a port nobody listens on.</summary>
    public long NoSocket { get; init; }

    /// <summary>UDP datagrams dropped because the socket queue was full.</summary>
    public long SocketOverflows { get; init; }

    /// <summary>Echo requests answered.</summary>
    public long EchoRepliesSent { get; init; }
}

/// <summary>Who a datagram addressed to us came from (for liveness: the RPL root's "last heard").</summary>
/// <param name="Source">IPv6 source of the datagram.</param>
/// <param name="Destination">Its final destination (one of our addresses).</param>
/// <param name="LinkSource">The neighbour that delivered the last hop.</param>
/// <param name="RplOption">Its RPL Hop-by-Hop option, when present.</param>
/// <param name="Lqi">Link quality of the last hop, when the radio reports it.</param>
public readonly record struct HeardDatagram(Ipv6Address Source, Ipv6Address Destination, MacAddress LinkSource, RplHopByHopOption? RplOption, byte? Lqi);
