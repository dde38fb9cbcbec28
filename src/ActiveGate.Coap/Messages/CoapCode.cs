using System.Globalization;

namespace ActiveGate.Coap.Messages;

/// <summary>
/// A CoAP code: a 3-bit class and a 5-bit detail, written "c.dd" (RFC 7252 §3, §12.1).
/// Class 0 holds the methods (and 0.00 = empty message), 2 success, 4 client error, 5 server error.
/// </summary>
/// <remarks>
/// <code>
///   0 1 2 3 4 5 6 7
///  +-+-+-+-+-+-+-+-+
///  |class|  detail |
///  +-+-+-+-+-+-+-+-+
/// </code>
/// </remarks>
public readonly record struct CoapCode(byte Value)
{
    /// <summary>Builds a code from its class (0–7) and detail (0–31).</summary>
    public CoapCode(int codeClass, int detail)
        : this(checked((byte)((codeClass << 5) | detail)))
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)codeClass, 7u, nameof(codeClass));
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)detail, 31u, nameof(detail));
    }

    /// <summary>The class (the digit before the dot).</summary>
    public int Class => Value >> 5;

    /// <summary>The detail (the two digits after the dot).</summary>
    public int Detail => Value & 0x1F;

    /// <summary>0.00: an empty message (ACK, RST or CoAP ping).</summary>
    public bool IsEmpty => Value == 0;

    /// <summary>A request method (class 0, not empty).</summary>
    public bool IsRequest => Value != 0 && Class == 0;

    /// <summary>A response (class 2, 4 or 5).</summary>
    public bool IsResponse => Class is 2 or 4 or 5;

    /// <summary>A 2.xx code.</summary>
    public bool IsSuccess => Class == 2;

    /// <summary>A 4.xx or 5.xx code.</summary>
    public bool IsError => Class is 4 or 5;

#pragma warning disable CA1707 // Names follow the RFC's registry names.
    /// <summary>0.00 Empty.</summary>
    public static CoapCode Empty => new(0);
#pragma warning restore CA1707

    /// <summary>0.01 GET.</summary>
    public static CoapCode Get => new(0x01);

    /// <summary>0.02 POST.</summary>
    public static CoapCode Post => new(0x02);

    /// <summary>0.03 PUT.</summary>
    public static CoapCode Put => new(0x03);

    /// <summary>0.04 DELETE.</summary>
    public static CoapCode Delete => new(0x04);

    /// <summary>0.05 FETCH (RFC 8132).</summary>
    public static CoapCode Fetch => new(0x05);

    /// <summary>0.06 PATCH (RFC 8132).</summary>
    public static CoapCode Patch => new(0x06);

    /// <summary>0.07 iPATCH (RFC 8132).</summary>
    public static CoapCode IPatch => new(0x07);

    /// <summary>2.01 Created.</summary>
    public static CoapCode Created => new(2, 1);

    /// <summary>2.02 Deleted.</summary>
    public static CoapCode Deleted => new(2, 2);

    /// <summary>2.03 Valid.</summary>
    public static CoapCode Valid => new(2, 3);

    /// <summary>2.04 Changed.</summary>
    public static CoapCode Changed => new(2, 4);

    /// <summary>2.05 Content.</summary>
    public static CoapCode Content => new(2, 5);

    /// <summary>2.31 Continue (RFC 7959).</summary>
    public static CoapCode Continue => new(2, 31);

    /// <summary>4.00 Bad Request.</summary>
    public static CoapCode BadRequest => new(4, 0);

    /// <summary>4.01 Unauthorized.</summary>
    public static CoapCode Unauthorized => new(4, 1);

    /// <summary>4.02 Bad Option.</summary>
    public static CoapCode BadOption => new(4, 2);

    /// <summary>4.03 Forbidden.</summary>
    public static CoapCode Forbidden => new(4, 3);

    /// <summary>4.04 Not Found.</summary>
    public static CoapCode NotFound => new(4, 4);

    /// <summary>4.05 Method Not Allowed.</summary>
    public static CoapCode MethodNotAllowed => new(4, 5);

    /// <summary>4.06 Not Acceptable.</summary>
    public static CoapCode NotAcceptable => new(4, 6);

    /// <summary>4.08 Request Entity Incomplete (RFC 7959).</summary>
    public static CoapCode RequestEntityIncomplete => new(4, 8);

    /// <summary>4.09 Conflict (RFC 8132).</summary>
    public static CoapCode Conflict => new(4, 9);

    /// <summary>4.12 Precondition Failed.</summary>
    public static CoapCode PreconditionFailed => new(4, 12);

    /// <summary>4.13 Request Entity Too Large.</summary>
    public static CoapCode RequestEntityTooLarge => new(4, 13);

    /// <summary>4.15 Unsupported Content-Format.</summary>
    public static CoapCode UnsupportedContentFormat => new(4, 15);

    /// <summary>5.00 Internal Server Error.</summary>
    public static CoapCode InternalServerError => new(5, 0);

    /// <summary>5.01 Not Implemented.</summary>
    public static CoapCode NotImplemented => new(5, 1);

    /// <summary>5.02 Bad Gateway.</summary>
    public static CoapCode BadGateway => new(5, 2);

    /// <summary>5.03 Service Unavailable.</summary>
    public static CoapCode ServiceUnavailable => new(5, 3);

    /// <summary>5.04 Gateway Timeout.</summary>
    public static CoapCode GatewayTimeout => new(5, 4);

    /// <summary>5.05 Proxying Not Supported.</summary>
    public static CoapCode ProxyingNotSupported => new(5, 5);

    /// <summary>Parses "2.05" style text.</summary>
    public static CoapCode Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot != 1 || text.Length != 4 ||
            !int.TryParse(text.AsSpan(0, 1), NumberStyles.None, CultureInfo.InvariantCulture, out int c) ||
            !int.TryParse(text.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out int d) || c > 7 || d > 31)
        {
            throw new FormatException($"'{text}' is not a CoAP code (c.dd).");
        }

        return new CoapCode(c, d);
    }

    /// <summary>The method name for requests (GET, PUT, ...), otherwise "c.dd".</summary>
    public string Name => Value switch
    {
        0x01 => "GET",
        0x02 => "POST",
        0x03 => "PUT",
        0x04 => "DELETE",
        0x05 => "FETCH",
        0x06 => "PATCH",
        0x07 => "iPATCH",
        _ => ToString(),
    };

    /// <summary>"c.dd", e.g. "2.05".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Class}.{Detail:D2}");
}
