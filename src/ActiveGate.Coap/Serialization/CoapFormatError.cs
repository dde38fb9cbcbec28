namespace ActiveGate.Coap.Serialization;

/// <summary>Why a datagram is not a well-formed CoAP message (RFC 7252 §3, §4.1–4.3).</summary>
public enum CoapFormatError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>Fewer than the 4 header bytes.</summary>
    TooShort,

    /// <summary>Version field is not 1.</summary>
    UnsupportedVersion,

    /// <summary>Token length 9–15 (reserved).</summary>
    InvalidTokenLength,

    /// <summary>The datagram ends inside the token.</summary>
    TruncatedToken,

    /// <summary>Option delta nibble 15 that is not the 0xFF payload marker.</summary>
    ReservedOptionDelta,

    /// <summary>Option length nibble 15.</summary>
    ReservedOptionLength,

    /// <summary>The datagram ends inside an option's extended fields or value.</summary>
    TruncatedOption,

    /// <summary>The accumulated option number exceeds 65535.</summary>
    OptionNumberOverflow,

    /// <summary>A payload marker followed by no payload.</summary>
    EmptyPayloadAfterMarker,

    /// <summary>Code 0.00 with a token, options or payload (§4.1).</summary>
    NonEmptyEmptyMessage,

    /// <summary>An RST carrying a code other than 0.00 (§4.2).</summary>
    ResetNotEmpty,

    /// <summary>An ACK carrying a request code (§4.2).</summary>
    AcknowledgementWithRequest,

    /// <summary>A code in the reserved classes 1, 3, 6 or 7.</summary>
    ReservedCodeClass,

    /// <summary>A NON message with code 0.00 (§4.3).</summary>
    EmptyNonConfirmable,
}
