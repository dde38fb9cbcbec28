using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan.Rpl.Root;

/// <summary>What the mesh interface knows about a received datagram that RPL cares about.</summary>
/// <param name="Source">IPv6 source.</param>
/// <param name="Destination">IPv6 destination (final destination when an SRH was processed).</param>
/// <param name="LinkSource">The 802.15.4 sender (the neighbour that transmitted the frame), or <see cref="MacAddress.None"/>.</param>
/// <param name="HopByHop">The RFC 6553 option of the datagram, when it carried one.</param>
/// <param name="LinkQuality">LQI or a normalised link metric of the last hop, when the radio reports one.</param>
public readonly record struct RplReceiveContext(
    Ipv6Address Source,
    Ipv6Address Destination,
    MacAddress LinkSource = default,
    RplHopByHopOption? HopByHop = null,
    byte? LinkQuality = null);

/// <summary>An RPL control message the root wants sent: an ICMPv6 message with its checksum filled in.</summary>
/// <param name="Source">IPv6 source to use.</param>
/// <param name="Destination">IPv6 final destination (ff02::1a for DIOs, or a node).</param>
/// <param name="Icmpv6Message">Type, code, checksum and body.</param>
public readonly record struct RplOutgoingMessage(Ipv6Address Source, Ipv6Address Destination, ReadOnlyMemory<byte> Icmpv6Message)
{
    /// <summary>The RPL code (0 DIS, 1 DIO, 2 DAO, 3 DAO-ACK).</summary>
    public byte Code => Icmpv6Message.Span[1];
}

/// <summary>Where RPL control messages leave: the mesh interface builds IPv6 around them and routes them.</summary>
public interface IRplMessageSink
{
    /// <summary>Queues a message; must not block (called from timer callbacks).</summary>
    void Send(in RplOutgoingMessage message);
}

/// <summary>
/// The hooks the mesh interface uses: it hands over ICMPv6 type 155, reports other traffic for
/// liveness, and asks where downward packets go.
/// </summary>
public interface IRplRouter
{
    /// <summary>Processes an ICMPv6 RPL message (type 155, checksum already verified). False when malformed or not for us.</summary>
    bool HandleIcmp(in RplReceiveContext context, ReadOnlySpan<byte> icmpv6Message);

    /// <summary>Any other datagram from the mesh: refreshes the sender's "last heard" and, one hop away, its rank and link quality.</summary>
    void NoteHeard(in RplReceiveContext context);

    /// <summary>The neighbour a datagram for <paramref name="destination"/> is handed to (IPv6; its IID gives the MAC).</summary>
    bool TryGetNextHop(Ipv6Address destination, out Ipv6Address nextHop);

    /// <summary>
    /// The source route to <paramref name="destination"/> in the form <c>Ipv6PacketBuilder</c> takes:
    /// the hops before the destination, first hop first (empty for a direct child: no SRH needed).
    /// False when the destination is not in the DODAG or <paramref name="via"/> is too small.
    /// </summary>
    bool TryGetSourceRoute(Ipv6Address destination, Span<Ipv6Address> via, out int viaCount);

    /// <summary>The RPL Hop-by-Hop option to put on a datagram the root originates towards the DODAG (O = down).</summary>
    RplHopByHopOption DownwardOption { get; }
}
