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

    /// <summary>Only 2003 and 2006 frames are decoded (2015/TSCH frames use different PAN compression rules and IEs).</summary>
    UnsupportedVersion,

    /// <summary>PAN id compression is set but not both addresses are present (invalid in 2003/2006).</summary>
    InvalidPanIdCompression,

    /// <summary>The frame is longer than aMaxPHYPacketSize (127 bytes including the FCS).</summary>
    TooLong,

    /// <summary>The destination buffer is too small (writers only).</summary>
    DestinationTooSmall,
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
        MacFrameError.UnsupportedVersion => "frame version 2015 (TSCH/IEs) is not supported",
        MacFrameError.InvalidPanIdCompression => "PAN id compression without both addresses",
        MacFrameError.TooLong => "frame longer than 127 bytes",
        MacFrameError.DestinationTooSmall => "destination buffer too small",
        _ => error.ToString(),
    };
}
