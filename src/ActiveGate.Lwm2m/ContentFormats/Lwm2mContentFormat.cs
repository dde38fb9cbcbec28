namespace ActiveGate.Lwm2m.ContentFormats;

/// <summary>CoAP Content-Format numbers used by LwM2M (IANA CoAP Content-Formats registry).</summary>
public static class Lwm2mContentFormat
{
    public const ushort PlainText = 0;
    public const ushort LinkFormat = 40;
    public const ushort Opaque = 42;
    public const ushort Cbor = 60;
    public const ushort SenmlJson = 110;
    public const ushort SenmlCbor = 112;
    public const ushort Tlv = 11542;
    public const ushort Lwm2mJson = 11543;
    public const ushort Lwm2mCbor = 11544;

    /// <summary>Pre-1.0 TLV number some servers (older Wakaama) still send.</summary>
    public const ushort LegacyTlv = 1542;
}

/// <summary>A payload could not be decoded; the server gets 4.00 with <see cref="Exception.Message"/> as the reason.</summary>
public sealed class Lwm2mFormatException : Exception
{
    public Lwm2mFormatException()
    {
    }

    public Lwm2mFormatException(string message)
        : base(message)
    {
    }

    public Lwm2mFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Bounds every decoder enforces so hostile payloads cost little.</summary>
public sealed record DecodeLimits
{
    public static DecodeLimits Default { get; } = new();

    /// <summary>Largest payload accepted (bytes).</summary>
    public int MaxPayloadBytes { get; init; } = 256 * 1024;

    /// <summary>Most values in one payload.</summary>
    public int MaxRecords { get; init; } = 4096;

    /// <summary>Deepest nesting of JSON/CBOR containers (SenML needs 2: an array of maps).</summary>
    public int MaxDepth { get; init; } = 4;
}
