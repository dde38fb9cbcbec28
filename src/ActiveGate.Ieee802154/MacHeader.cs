namespace ActiveGate.Ieee802154;

/// <summary>802.15.4 frame types (FCF bits 0-2).</summary>
public enum MacFrameType : byte
{
    /// <summary>Beacon.</summary>
    Beacon = 0,

    /// <summary>Data.</summary>
    Data = 1,

    /// <summary>Acknowledgement (sent by the radio; the host only sees them in captures).</summary>
    Ack = 2,

    /// <summary>MAC command.</summary>
    MacCommand = 3,
}

/// <summary>Frame version (FCF bits 12-13).</summary>
public enum MacFrameVersion : byte
{
    /// <summary>IEEE 802.15.4-2003.</summary>
    Ieee2003 = 0,

    /// <summary>IEEE 802.15.4-2006 (what Contiki sends outside TSCH, and what we emit).</summary>
    Ieee2006 = 1,

    /// <summary>IEEE 802.15.4-2015 (TSCH): decoded (PAN id presence per Table 7-2, sequence number suppression) when it carries no IEs; never written.</summary>
    Ieee2015 = 2,
}

/// <summary>
/// The fields of an 802.15.4-2006 MAC header (MHR).
/// </summary>
/// <remarks>
/// <code>
///  octets: 2     1     0/2       0/2/8     0/2      0/2/8    variable   2
///         FCF   DSN  DstPAN    DstAddr   SrcPAN   SrcAddr   payload    FCS
///
///  FCF (little-endian):
///   bit 0-2 frame type | 3 security | 4 frame pending | 5 ack request | 6 PAN id compression
///   bit 7-9 reserved   | 10-11 dst addr mode | 12-13 frame version | 14-15 src addr mode
/// </code>
/// With PAN id compression (2003/2006) both addresses are present and the source PAN is omitted
/// because it equals the destination PAN.
/// </remarks>
public readonly record struct MacHeader
{
    /// <summary>Frame type.</summary>
    public MacFrameType FrameType { get; init; }

    /// <summary>Frame pending bit.</summary>
    public bool FramePending { get; init; }

    /// <summary>Acknowledgement request bit; set for unicast data so the radio waits for an ACK and retries.</summary>
    public bool AckRequest { get; init; }

    /// <summary>Frame version; the writer emits 2006 by default.</summary>
    public MacFrameVersion Version { get; init; }

    /// <summary>Data sequence number.</summary>
    public byte SequenceNumber { get; init; }

    /// <summary>2015 frames only: the sequence number is absent (FCF bit 8); <see cref="SequenceNumber"/> is then 0.</summary>
    public bool SequenceNumberSuppressed { get; init; }

    /// <summary>Destination PAN id (meaningful when <see cref="Destination"/> is present).</summary>
    public ushort DestinationPanId { get; init; }

    /// <summary>Destination address (may be <see cref="MacAddress.None"/>).</summary>
    public MacAddress Destination { get; init; }

    /// <summary>Source PAN id; equals the destination PAN when PAN id compression was used.</summary>
    public ushort SourcePanId { get; init; }

    /// <summary>Source address (may be <see cref="MacAddress.None"/>).</summary>
    public MacAddress Source { get; init; }

    /// <summary>
    /// True when the source PAN is omitted on air. The reader reports what it saw; the writer
    /// compresses whenever both addresses are present and the PANs are equal, whatever this says.
    /// </summary>
    public bool PanIdCompression { get; init; }

    /// <summary>A 2006 data frame between two addresses of one PAN, ACK requested unless broadcast.</summary>
    public static MacHeader Data(ushort panId, MacAddress source, MacAddress destination, byte sequenceNumber) => new()
    {
        FrameType = MacFrameType.Data,
        Version = MacFrameVersion.Ieee2006,
        AckRequest = !destination.IsBroadcast && destination.Mode != AddressingMode.None,
        SequenceNumber = sequenceNumber,
        DestinationPanId = panId,
        SourcePanId = panId,
        Destination = destination,
        Source = source,
        PanIdCompression = source.Mode != AddressingMode.None && destination.Mode != AddressingMode.None,
    };

    /// <summary>An acknowledgement frame (FCF 02 00, DSN).</summary>
    public static MacHeader Ack(byte sequenceNumber, bool framePending = false) => new()
    {
        FrameType = MacFrameType.Ack,
        Version = MacFrameVersion.Ieee2003,
        SequenceNumber = sequenceNumber,
        FramePending = framePending,
    };
}
