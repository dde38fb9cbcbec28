using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan.Mesh;

/// <summary>How to reach a destination beyond (or through) the radio neighbourhood.</summary>
/// <param name="NextHop">MAC address of the first hop.</param>
/// <param name="Via">Intermediate IPv6 hops for an RFC 6554 source route (first hop first), or null for none.</param>
/// <param name="RplOption">An RPL Hop-by-Hop option to insert, or null.</param>
public readonly record struct MeshRoute(MacAddress NextHop, IReadOnlyList<Ipv6Address>? Via = null, RplHopByHopOption? RplOption = null);

/// <summary>
/// Routing decisions for datagrams we send; the RPL root (storing: next hop from DAOs; non-storing:
/// a source route) implements it. Without a router every mesh node is assumed to be one hop away.
/// </summary>
public interface IMeshRouter
{
    /// <summary>The route to <paramref name="destination"/>, or false to fall back to direct delivery.</summary>
    bool TryGetRoute(Ipv6Address destination, out MeshRoute route);
}
