using System.Text;

namespace ActiveGate.Coap.Messages;

/// <summary>
/// A CoAP message (RFC 7252 §3): header fields, token, options and payload. A plain data object:
/// it does no I/O and knows nothing about exchanges. Encode and decode it with
/// <see cref="Serialization.CoapMessageCodec"/>.
/// </summary>
public sealed class CoapMessage
{
    /// <summary>Message type (CON, NON, ACK, RST).</summary>
    public CoapMessageType Type { get; set; }

    /// <summary>Method or response code.</summary>
    public CoapCode Code { get; set; }

    /// <summary>Message ID, for deduplication and matching ACK/RST.</summary>
    public ushort MessageId { get; set; }

    /// <summary>Token, for matching responses to requests.</summary>
    public CoapToken Token { get; set; }

    /// <summary>The options, sorted by number.</summary>
    public CoapOptionList Options { get; } = new();

    /// <summary>The payload (empty when absent).</summary>
    public ReadOnlyMemory<byte> Payload { get; set; }

    /// <summary>A request with the given method and type.</summary>
    public static CoapMessage CreateRequest(CoapCode method, CoapMessageType type = CoapMessageType.Confirmable) =>
        new() { Code = method, Type = type };

    /// <summary>An empty ACK for a message ID.</summary>
    public static CoapMessage CreateEmptyAck(ushort messageId) =>
        new() { Type = CoapMessageType.Acknowledgement, Code = CoapCode.Empty, MessageId = messageId };

    /// <summary>A RST for a message ID.</summary>
    public static CoapMessage CreateReset(ushort messageId) =>
        new() { Type = CoapMessageType.Reset, Code = CoapCode.Empty, MessageId = messageId };

    /// <summary>The Uri-Path options joined as "/a/b" ("/" when none).</summary>
    public string UriPath
    {
        get
        {
            var builder = new StringBuilder();
            foreach (CoapOption option in Options)
            {
                if (option.Number == CoapOptionNumber.UriPath)
                {
                    builder.Append('/').Append(option.GetString());
                }
            }

            return builder.Length == 0 ? "/" : builder.ToString();
        }

        set
        {
            Options.RemoveAll(CoapOptionNumber.UriPath);
            foreach (string segment in (value ?? string.Empty).Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                Options.Add(CoapOptionNumber.UriPath, Uri.UnescapeDataString(segment));
            }
        }
    }

    /// <summary>The Uri-Path segments.</summary>
    public IReadOnlyList<string> UriPathSegments => Options.GetStrings(CoapOptionNumber.UriPath);

    /// <summary>The Uri-Query options ("rt=x", ...).</summary>
    public IReadOnlyList<string> UriQuery => Options.GetStrings(CoapOptionNumber.UriQuery);

    /// <summary>Content-Format, or null when absent.</summary>
    public int? ContentFormat
    {
        get => (int?)Options.GetUInt(CoapOptionNumber.ContentFormat);
        set => SetUInt(CoapOptionNumber.ContentFormat, (uint?)value);
    }

    /// <summary>Accept, or null when absent.</summary>
    public int? Accept
    {
        get => (int?)Options.GetUInt(CoapOptionNumber.Accept);
        set => SetUInt(CoapOptionNumber.Accept, (uint?)value);
    }

    /// <summary>Observe (registration 0 / deregistration 1 in requests, sequence number in notifications), or null.</summary>
    public uint? Observe
    {
        get => Options.GetUInt(CoapOptionNumber.Observe);
        set => SetUInt(CoapOptionNumber.Observe, value & 0xFF_FFFF);
    }

    /// <summary>Max-Age in seconds, or null when absent (which means 60 s).</summary>
    public uint? MaxAge
    {
        get => Options.GetUInt(CoapOptionNumber.MaxAge);
        set => SetUInt(CoapOptionNumber.MaxAge, value);
    }

    /// <summary>Size1 (RFC 7959), or null.</summary>
    public uint? Size1
    {
        get => Options.GetUInt(CoapOptionNumber.Size1);
        set => SetUInt(CoapOptionNumber.Size1, value);
    }

    /// <summary>Size2 (RFC 7959), or null.</summary>
    public uint? Size2
    {
        get => Options.GetUInt(CoapOptionNumber.Size2);
        set => SetUInt(CoapOptionNumber.Size2, value);
    }

    /// <summary>Block1 (RFC 7959), or null when absent or invalid.</summary>
    public BlockOption? Block1
    {
        get => GetBlock(CoapOptionNumber.Block1);
        set => SetUInt(CoapOptionNumber.Block1, value?.Encode());
    }

    /// <summary>Block2 (RFC 7959), or null when absent or invalid.</summary>
    public BlockOption? Block2
    {
        get => GetBlock(CoapOptionNumber.Block2);
        set => SetUInt(CoapOptionNumber.Block2, value?.Encode());
    }

    /// <summary>The first ETag, or null.</summary>
    public ReadOnlyMemory<byte>? ETag
    {
        get => Options.TryGet(CoapOptionNumber.ETag, out CoapOption o) ? o.Value : (ReadOnlyMemory<byte>?)null;
        set
        {
            Options.RemoveAll(CoapOptionNumber.ETag);
            if (value is { } etag)
            {
                Options.Add(new CoapOption(CoapOptionNumber.ETag, etag));
            }
        }
    }

    /// <summary>Payload decoded as UTF-8.</summary>
    public string PayloadAsString => Encoding.UTF8.GetString(Payload.Span);

    /// <summary>True for requests.</summary>
    public bool IsRequest => Code.IsRequest;

    /// <summary>True for responses.</summary>
    public bool IsResponse => Code.IsResponse;

    /// <summary>True for 0.00 messages.</summary>
    public bool IsEmpty => Code.IsEmpty;

    private BlockOption? GetBlock(CoapOptionNumber number) =>
        Options.GetUInt(number) is uint raw && BlockOption.TryDecode(raw, out BlockOption block) ? block : null;

    private void SetUInt(CoapOptionNumber number, uint? value)
    {
        Options.RemoveAll(number);
        if (value is uint v)
        {
            Options.Add(number, v);
        }
    }

    /// <summary>A shallow copy: same option and payload memory, independent option list.</summary>
    public CoapMessage Clone()
    {
        var copy = new CoapMessage { Type = Type, Code = Code, MessageId = MessageId, Token = Token, Payload = Payload };
        foreach (CoapOption option in Options)
        {
            copy.Options.Add(option);
        }

        return copy;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Type} {Code.Name} MID={MessageId} Token={Token} [{string.Join(", ", Options)}] {Payload.Length}B";
}
