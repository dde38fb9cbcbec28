namespace ActiveGate.Coap.Serialization;

/// <summary>The only exception the CoAP parser throws: the datagram is not a well-formed message.</summary>
public sealed class CoapFormatException : FormatException
{
    /// <summary>Creates the exception for a specific error.</summary>
    public CoapFormatException(CoapFormatError error)
        : base($"Malformed CoAP message: {error}.")
    {
        Error = error;
    }

    /// <summary>Creates the exception with a custom message.</summary>
    public CoapFormatException()
        : this(CoapFormatError.None)
    {
    }

    /// <summary>Creates the exception with a custom message.</summary>
    public CoapFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a custom message and cause.</summary>
    public CoapFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>What was wrong.</summary>
    public CoapFormatError Error { get; }
}
