using System.Net;

namespace ActiveGate.Coap.Transport.Dtls;

/// <summary>A DTLS handshake with <see cref="Remote"/> failed. Never carries key material.</summary>
public sealed class DtlsHandshakeException : IOException
{
    /// <summary>Creates the exception.</summary>
    public DtlsHandshakeException(EndPoint remote, DtlsFailureReason reason, string message, int? alertDescription = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Remote = remote;
        Reason = reason;
        AlertDescription = alertDescription;
    }

    /// <summary>The peer the handshake was with.</summary>
    public EndPoint Remote { get; }

    /// <summary>Why it failed.</summary>
    public DtlsFailureReason Reason { get; }

    /// <summary>The TLS alert description (RFC 5246 §7.2) that ended it, if an alert did.</summary>
    public int? AlertDescription { get; }
}
