namespace ActiveGate.SixLowpan.Rpl;

/// <summary>Why an RPL message, option or extension header could not be read.</summary>
public enum RplFormatError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The input ended before a fixed field or a declared length.</summary>
    Truncated,

    /// <summary>The ICMPv6 type is not 155.</summary>
    NotRpl,

    /// <summary>An RPL code this codec does not understand (secure variants, CC).</summary>
    UnsupportedCode,

    /// <summary>An option's length field disagrees with the option's fixed layout.</summary>
    BadOptionLength,

    /// <summary>A prefix length above 128 bits.</summary>
    BadPrefixLength,

    /// <summary>A routing header that is not type 3 or whose lengths do not add up.</summary>
    BadRoutingHeader,

    /// <summary>A Hop-by-Hop header without a well-formed RPL option.</summary>
    BadHopByHopOption,
}

/// <summary>Thrown by the throwing RPL readers; the Try readers return false with the same <see cref="RplFormatError"/>.</summary>
public sealed class RplFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public RplFormatException()
        : this(RplFormatError.Truncated)
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public RplFormatException(string message)
        : base(message)
    {
        Error = RplFormatError.Truncated;
    }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    public RplFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = RplFormatError.Truncated;
    }

    /// <summary>Creates the exception for a reason.</summary>
    public RplFormatException(RplFormatError error)
        : base($"Malformed RPL data: {error}.")
    {
        Error = error;
    }

    /// <summary>The reason.</summary>
    public RplFormatError Error { get; }
}
