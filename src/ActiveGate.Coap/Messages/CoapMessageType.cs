namespace ActiveGate.Coap.Messages;

/// <summary>The two-bit message type of the CoAP header (RFC 7252 §3, §4).</summary>
public enum CoapMessageType : byte
{
    /// <summary>CON: retransmitted until acknowledged or reset.</summary>
    Confirmable = 0,

    /// <summary>NON: fire and forget.</summary>
    NonConfirmable = 1,

    /// <summary>ACK: acknowledges a CON; may piggyback a response.</summary>
    Acknowledgement = 2,

    /// <summary>RST: the receiver could not process a message (always empty).</summary>
    Reset = 3,
}
