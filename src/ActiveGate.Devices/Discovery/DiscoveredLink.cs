namespace ActiveGate.Devices.Discovery;

/// <summary>The parts of an RFC 6690 link that classification needs.</summary>
/// <param name="Href">Target path, e.g. <c>/ch/1/meter</c>.</param>
/// <param name="ResourceTypes">The <c>rt</c> values.</param>
/// <param name="Observable">The <c>obs</c> flag.</param>
public sealed record DiscoveredLink(string Href, IReadOnlyList<string> ResourceTypes, bool Observable);
