namespace ActiveGate.SixLowpan;

/// <summary>Why a 6LoWPAN frame or IPv6 packet could not be decoded or encoded.</summary>
public enum LowpanError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The input ends inside a header.</summary>
    Truncated,

    /// <summary>The dispatch byte is not one this stack handles (NALP, HC1, mesh, paging, reserved).</summary>
    UnsupportedDispatch,

    /// <summary>A reserved IPHC combination (e.g. DAC=1 M=0 DAM=00, or M=1 DAC=1 DAM≠00).</summary>
    ReservedEncoding,

    /// <summary>The context id used for compression is not in the context table.</summary>
    UnknownContext,

    /// <summary>The NHC byte is not a known next-header compression.</summary>
    UnsupportedNextHeaderCompression,

    /// <summary>An address is elided but the MAC frame has no address to derive it from.</summary>
    MissingLinkAddress,

    /// <summary>The datagram is larger than the configured maximum or than a 6LoWPAN datagram can be.</summary>
    TooLarge,

    /// <summary>The output buffer is too small.</summary>
    DestinationTooSmall,

    /// <summary>The IPv6 header is malformed (version, length mismatch).</summary>
    InvalidIpv6Header,

    /// <summary>An extension header is malformed.</summary>
    InvalidExtensionHeader,

    /// <summary>The fragment header is inconsistent (offset beyond size, size mismatch).</summary>
    InvalidFragment,

    /// <summary>An upper-layer checksum is wrong.</summary>
    BadChecksum,
}

/// <summary>A 6LoWPAN or IPv6 packet is malformed; <see cref="Error"/> says why.</summary>
public sealed class LowpanFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LowpanFormatException(LowpanError error)
        : base($"Malformed 6LoWPAN/IPv6 packet: {error}")
    {
        Error = error;
    }

    /// <summary>The reason.</summary>
    public LowpanError Error { get; }
}
