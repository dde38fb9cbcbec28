namespace ActiveGate.Coap.Transport.Dtls;

/// <summary>Why a DTLS handshake or session ended.</summary>
public enum DtlsFailureReason
{
    /// <summary>The handshake did not complete within the handshake timeout (peer unreachable or silent).</summary>
    HandshakeTimeout,

    /// <summary>
    /// The peer's encrypted Finished never authenticated although it kept retransmitting it, or the
    /// peer rejected ours: the two sides hold different keys for this identity.
    /// </summary>
    KeyMismatch,

    /// <summary>The server did not know the PSK identity (unknown_psk_identity).</summary>
    UnknownIdentity,

    /// <summary>The peer sent a fatal alert; see <see cref="DtlsHandshakeException.AlertDescription"/>.</summary>
    AlertReceived,

    /// <summary>This side aborted with a fatal alert; see <see cref="DtlsHandshakeException.AlertDescription"/>.</summary>
    AlertSent,

    /// <summary>The transport was disposed or the session was replaced while handshaking.</summary>
    Canceled,
}
