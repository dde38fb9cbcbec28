using System.Net;
using System.Text;

namespace ActiveGate.Coap.Messages;

/// <summary>
/// A response: what a <see cref="Client.CoapClient"/> returns (with the whole, reassembled body)
/// and what a <see cref="Server.CoapResource"/> handler produces (the server slices it into blocks
/// when needed).
/// </summary>
public sealed class CoapResponse
{
    /// <summary>A response with a code and no payload.</summary>
    public CoapResponse(CoapCode code)
        : this(new CoapMessage { Code = code })
    {
    }

    /// <summary>A response with a payload and optional Content-Format.</summary>
    public CoapResponse(CoapCode code, ReadOnlyMemory<byte> payload, int? contentFormat = null)
        : this(new CoapMessage { Code = code, Payload = payload, ContentFormat = contentFormat })
    {
    }

    /// <summary>Wraps a received or prepared message.</summary>
    public CoapResponse(CoapMessage message, EndPoint? remote = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        Message = message;
        Remote = remote;
    }

    /// <summary>A text/plain response.</summary>
    public static CoapResponse FromText(CoapCode code, string text) =>
        new(code, Encoding.UTF8.GetBytes(text), CoapContentFormat.TextPlain);

    /// <summary>The underlying message (type, message ID and token are set by the stack).</summary>
    public CoapMessage Message { get; }

    /// <summary>The peer that sent the response (client side).</summary>
    public EndPoint? Remote { get; }

    /// <summary>Response code.</summary>
    public CoapCode Code
    {
        get => Message.Code;
        set => Message.Code = value;
    }

    /// <summary>The options.</summary>
    public CoapOptionList Options => Message.Options;

    /// <summary>The payload (the whole body after block-wise reassembly).</summary>
    public ReadOnlyMemory<byte> Payload
    {
        get => Message.Payload;
        set => Message.Payload = value;
    }

    /// <summary>Content-Format, or null.</summary>
    public int? ContentFormat
    {
        get => Message.ContentFormat;
        set => Message.ContentFormat = value;
    }

    /// <summary>Max-Age in seconds, or null (meaning 60).</summary>
    public uint? MaxAge
    {
        get => Message.MaxAge;
        set => Message.MaxAge = value;
    }

    /// <summary>ETag, or null.</summary>
    public ReadOnlyMemory<byte>? ETag
    {
        get => Message.ETag;
        set => Message.ETag = value;
    }

    /// <summary>The Observe sequence number of a notification, or null.</summary>
    public uint? ObserveSequence => Message.Observe;

    /// <summary>Location-Path segments (after 2.01 Created).</summary>
    public IReadOnlyList<string> LocationPath => Message.Options.GetStrings(CoapOptionNumber.LocationPath);

    /// <summary>True for 2.xx.</summary>
    public bool IsSuccess => Code.IsSuccess;

    /// <summary>The payload as UTF-8 text.</summary>
    public string PayloadAsString => Encoding.UTF8.GetString(Payload.Span);

    /// <inheritdoc/>
    public override string ToString() => $"{Code} {Payload.Length}B";
}
