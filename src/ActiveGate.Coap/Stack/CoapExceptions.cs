namespace ActiveGate.Coap;

/// <summary>Base of the exceptions the CoAP stack throws for protocol-level failures.</summary>
public class CoapException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CoapException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public CoapException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public CoapException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A CON was not acknowledged after MAX_RETRANSMIT, or no response arrived in time.</summary>
public sealed class CoapTimeoutException : CoapException
{
    /// <summary>Creates the exception.</summary>
    public CoapTimeoutException()
        : base("The CoAP peer did not respond in time.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public CoapTimeoutException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public CoapTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The peer answered our message with RST.</summary>
public sealed class CoapResetException : CoapException
{
    /// <summary>Creates the exception.</summary>
    public CoapResetException()
        : base("The CoAP peer rejected the message with RST.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public CoapResetException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public CoapResetException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A block-wise transfer gave up because the representation changed on every attempt (RFC 7959 §2.4).</summary>
internal sealed class CoapRepresentationChangedException : CoapException
{
    public CoapRepresentationChangedException()
        : base("The resource kept changing during the block-wise transfer.")
    {
    }
}
