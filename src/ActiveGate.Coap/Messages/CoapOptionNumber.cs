namespace ActiveGate.Coap.Messages;

/// <summary>
/// Option numbers from the IANA "CoAP Option Numbers" registry that CoAP and LwM2M use
/// (RFC 7252 §12.2, RFC 7641, RFC 7959, RFC 8613, RFC 7967). Any other 16-bit number may
/// appear on the wire; cast it to this enum.
/// </summary>
/// <remarks>
/// The number itself carries the option's properties (RFC 7252 §5.4.6):
/// <code>
///   0   1   2   3   4   5   6   7
/// +---+---+---+---+---+---+---+---+
/// |           | NoCacheKey| U | C |
/// +---+---+---+---+---+---+---+---+
/// </code>
/// C = critical (odd number), U = unsafe to forward, NoCacheKey = bits 0x1C all set (only when U is clear).
/// </remarks>
public enum CoapOptionNumber : ushort
{
    /// <summary>If-Match (1): opaque 0–8.</summary>
    IfMatch = 1,

    /// <summary>Uri-Host (3): string 1–255.</summary>
    UriHost = 3,

    /// <summary>ETag (4): opaque 1–8.</summary>
    ETag = 4,

    /// <summary>If-None-Match (5): empty.</summary>
    IfNoneMatch = 5,

    /// <summary>Observe (6, RFC 7641): uint 0–3.</summary>
    Observe = 6,

    /// <summary>Uri-Port (7): uint 0–2.</summary>
    UriPort = 7,

    /// <summary>Location-Path (8): string 0–255.</summary>
    LocationPath = 8,

    /// <summary>OSCORE (9, RFC 8613): opaque 0–255.</summary>
    Oscore = 9,

    /// <summary>Uri-Path (11): string 0–255.</summary>
    UriPath = 11,

    /// <summary>Content-Format (12): uint 0–2.</summary>
    ContentFormat = 12,

    /// <summary>Max-Age (14): uint 0–4, default 60 s.</summary>
    MaxAge = 14,

    /// <summary>Uri-Query (15): string 0–255.</summary>
    UriQuery = 15,

    /// <summary>Accept (17): uint 0–2.</summary>
    Accept = 17,

    /// <summary>Location-Query (20): string 0–255.</summary>
    LocationQuery = 20,

    /// <summary>Block2 (23, RFC 7959): uint 0–3.</summary>
    Block2 = 23,

    /// <summary>Block1 (27, RFC 7959): uint 0–3.</summary>
    Block1 = 27,

    /// <summary>Size2 (28, RFC 7959): uint 0–4.</summary>
    Size2 = 28,

    /// <summary>Proxy-Uri (35): string 1–1034.</summary>
    ProxyUri = 35,

    /// <summary>Proxy-Scheme (39): string 1–255.</summary>
    ProxyScheme = 39,

    /// <summary>Size1 (60): uint 0–4.</summary>
    Size1 = 60,

    /// <summary>No-Response (258, RFC 7967): uint 0–1.</summary>
    NoResponse = 258,
}

/// <summary>How an option's value is interpreted (RFC 7252 §3.2).</summary>
public enum CoapOptionFormat
{
    /// <summary>Zero-length value.</summary>
    Empty,

    /// <summary>Opaque bytes.</summary>
    Opaque,

    /// <summary>Unsigned integer in network byte order, leading zero bytes removed.</summary>
    UInt,

    /// <summary>UTF-8 text (Net-Unicode).</summary>
    String,
}

/// <summary>Properties of option numbers, derived from the number and the IANA registry.</summary>
public static class CoapOptionNumberExtensions
{
    /// <summary>Critical options (odd numbers) must be understood or the message is rejected.</summary>
    public static bool IsCritical(this CoapOptionNumber number) => ((ushort)number & 0x01) != 0;

    /// <summary>Elective options (even numbers) may be ignored when not understood.</summary>
    public static bool IsElective(this CoapOptionNumber number) => !number.IsCritical();

    /// <summary>Unsafe options must be understood by a proxy forwarding the message.</summary>
    public static bool IsUnsafe(this CoapOptionNumber number) => ((ushort)number & 0x02) != 0;

    /// <summary>Safe-to-forward options that are not part of the cache key (bits 0x1E = 0x1C).</summary>
    public static bool IsNoCacheKey(this CoapOptionNumber number) => ((ushort)number & 0x1E) == 0x1C;

    /// <summary>Options that may occur more than once in a message.</summary>
    public static bool IsRepeatable(this CoapOptionNumber number) => number is CoapOptionNumber.IfMatch or
        CoapOptionNumber.ETag or CoapOptionNumber.LocationPath or CoapOptionNumber.UriPath or
        CoapOptionNumber.UriQuery or CoapOptionNumber.LocationQuery;

    /// <summary>True for the options this library understands; others are unrecognised.</summary>
    public static bool IsKnown(this CoapOptionNumber number) => TryGetDefinition(number, out _, out _, out _);

    /// <summary>Value format and permitted length range from the IANA registry.</summary>
    public static bool TryGetDefinition(this CoapOptionNumber number, out CoapOptionFormat format, out int minLength, out int maxLength)
    {
        (format, minLength, maxLength) = number switch
        {
            CoapOptionNumber.IfMatch => (CoapOptionFormat.Opaque, 0, 8),
            CoapOptionNumber.UriHost => (CoapOptionFormat.String, 1, 255),
            CoapOptionNumber.ETag => (CoapOptionFormat.Opaque, 1, 8),
            CoapOptionNumber.IfNoneMatch => (CoapOptionFormat.Empty, 0, 0),
            CoapOptionNumber.Observe => (CoapOptionFormat.UInt, 0, 3),
            CoapOptionNumber.UriPort => (CoapOptionFormat.UInt, 0, 2),
            CoapOptionNumber.LocationPath => (CoapOptionFormat.String, 0, 255),
            CoapOptionNumber.UriPath => (CoapOptionFormat.String, 0, 255),
            CoapOptionNumber.ContentFormat => (CoapOptionFormat.UInt, 0, 2),
            CoapOptionNumber.MaxAge => (CoapOptionFormat.UInt, 0, 4),
            CoapOptionNumber.UriQuery => (CoapOptionFormat.String, 0, 255),
            CoapOptionNumber.Accept => (CoapOptionFormat.UInt, 0, 2),
            CoapOptionNumber.LocationQuery => (CoapOptionFormat.String, 0, 255),
            CoapOptionNumber.Block2 => (CoapOptionFormat.UInt, 0, 3),
            CoapOptionNumber.Block1 => (CoapOptionFormat.UInt, 0, 3),
            CoapOptionNumber.Size2 => (CoapOptionFormat.UInt, 0, 4),
            CoapOptionNumber.ProxyUri => (CoapOptionFormat.String, 1, 1034),
            CoapOptionNumber.ProxyScheme => (CoapOptionFormat.String, 1, 255),
            CoapOptionNumber.Size1 => (CoapOptionFormat.UInt, 0, 4),
            CoapOptionNumber.NoResponse => (CoapOptionFormat.UInt, 0, 1),
            _ => (CoapOptionFormat.Opaque, -1, -1),
        };
        return minLength >= 0;
    }

    /// <summary>
    /// True when a value of <paramref name="length"/> bytes is acceptable for a known option.
    /// RFC 7252 §5.4.3: a known option with a length outside its range is treated like an unrecognised one.
    /// </summary>
    public static bool IsValidLength(this CoapOptionNumber number, int length) =>
        !number.TryGetDefinition(out _, out int min, out int max) || (length >= min && length <= max);
}
