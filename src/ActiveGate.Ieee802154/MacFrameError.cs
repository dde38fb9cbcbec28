namespace ActiveGate.Ieee802154;

/// <summary>Why a MAC frame could not be decoded or encoded.</summary>
public enum MacFrameError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The frame ends inside the MAC header.</summary>
    Truncated,

    /// <summary>Security-enabled frames (auxiliary security header, encrypted payload) are not supported: the mesh runs without link-layer security.</summary>
    SecurityEnabled,

    /// <summary>Frame types 4-7 are reserved in 802.15.4-2006.</summary>
    ReservedFrameType,

    /// <summary>Addressing mode 1 is reserved.</summary>
    ReservedAddressingMode,

    /// <summary>Frame version 3 is reserved; the writer emits only 2003/2006 frames.</summary>
    UnsupportedVersion,

    /// <summary>PAN id compression is set but not both addresses are present (invalid in 2003/2006), or a combination 2015 Table 7-2 does not list.</summary>
    InvalidPanIdCompression,

    /// <summary>The frame is longer than aMaxPHYPacketSize (127 bytes including the FCS).</summary>
    TooLong,

    /// <summary>The destination buffer is too small (writers only).</summary>
    DestinationTooSmall,

    /// <summary>A 2015 frame carries Information Elements (TSCH); they are not decoded.</summary>
    InformationElementsNotSupported,
}

/// <summary>A MAC frame is malformed; <see cref="Error"/> says why.</summary>
public sealed class MacFrameFormatException : Exception
{
    /// <summary>Creates the exception for <paramref name="error"/>.</summary>
    public MacFrameFormatException(MacFrameError error)
        : base(Describe(error))
    {
        Error = error;
    }

    /// <summary>The reason.</summary>
    public MacFrameError Error { get; }

    /// <summary>A human-readable reason for logs and the CLI.</summary>
    public static string Describe(MacFrameError error) => error switch
    {
        MacFrameError.None => "no error",
        MacFrameError.Truncated => "frame ends inside the MAC header",
        MacFrameError.SecurityEnabled => "security-enabled frame rejected: link-layer security is not supported",
        MacFrameError.ReservedFrameType => "reserved frame type",
        MacFrameError.ReservedAddressingMode => "reserved addressing mode 1",
        MacFrameError.UnsupportedVersion => "reserved frame version (or a 2015 frame given to the 2006 writer)",
        MacFrameError.InvalidPanIdCompression => "PAN id compression without both addresses",
        MacFrameError.TooLong => "frame longer than 127 bytes",
        MacFrameError.DestinationTooSmall => "destination buffer too small",
        MacFrameError.InformationElementsNotSupported => "2015 frame with information elements (TSCH) is not supported",
        _ => error.ToString(),
    };
}
