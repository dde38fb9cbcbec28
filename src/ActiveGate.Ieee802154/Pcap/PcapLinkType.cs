namespace ActiveGate.Ieee802154.Pcap;

/// <summary>pcap link-layer header types (LINKTYPE_*) this project writes and reads.</summary>
public enum PcapLinkType : uint
{
    /// <summary>LINKTYPE_IEEE802_15_4_WITHFCS (195): the MPDU followed by its 2-byte FCS.</summary>
    Ieee802154WithFcs = 195,

    /// <summary>LINKTYPE_IEEE802_15_4_NOFCS (230): the MPDU without FCS.</summary>
    Ieee802154NoFcs = 230,
}
