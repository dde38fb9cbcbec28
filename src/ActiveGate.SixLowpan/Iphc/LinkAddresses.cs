using ActiveGate.Ieee802154;

namespace ActiveGate.SixLowpan.Iphc;

/// <summary>
/// The MAC source and destination of the frame carrying a 6LoWPAN packet. IPHC elides IPv6
/// addresses whose interface identifier can be derived from them ("0 bits inline").
/// </summary>
public readonly record struct LinkAddresses(MacAddress Source, MacAddress Destination);
