namespace ActiveGate.Coap.LinkFormat;

/// <summary>The text is not a valid RFC 6690 link-format document.</summary>
public sealed class LinkFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public LinkFormatException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public LinkFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public LinkFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
