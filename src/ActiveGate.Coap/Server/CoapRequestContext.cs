using System.Net;
using System.Text;
using ActiveGate.Coap.Messages;

namespace ActiveGate.Coap.Server;

/// <summary>What a <see cref="CoapResource"/> handler sees of a request (with the whole body after Block1 reassembly).</summary>
public sealed class CoapRequestContext
{
    private readonly int _matchedSegments;
    private IReadOnlyList<string>? _path;

    internal CoapRequestContext(CoapServer server, CoapMessage message, EndPoint remote, int matchedSegments, ReadOnlyMemory<byte> payload, bool isNotification)
    {
        Server = server;
        Message = message;
        Remote = remote;
        _matchedSegments = matchedSegments;
        Payload = payload;
        IsNotification = isNotification;
    }

    /// <summary>The server.</summary>
    public CoapServer Server { get; }

    /// <summary>The request message (for a Block1 transfer: the last block's).</summary>
    public CoapMessage Message { get; }

    /// <summary>The client.</summary>
    public EndPoint Remote { get; }

    /// <summary>GET, PUT, POST, DELETE, FETCH, PATCH, iPATCH.</summary>
    public CoapCode Method => Message.Code;

    /// <summary>All Uri-Path segments.</summary>
    /// <remarks>Made on first use: most handlers never look at the path their resource was found by.</remarks>
    public IReadOnlyList<string> Path => _path ??= Message.UriPathSegments;

    /// <summary>Segments below the resource that handles the request (only for resources with <see cref="CoapResource.HandlesSubPaths"/>).</summary>
    public IReadOnlyList<string> RemainingPath => _matchedSegments >= Path.Count ? [] : Path.Skip(_matchedSegments).ToArray();

    /// <summary>Uri-Query arguments.</summary>
    public IReadOnlyList<string> Query => Message.UriQuery;

    /// <summary>The options of the request.</summary>
    public CoapOptionList Options => Message.Options;

    /// <summary>The whole request body.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The body as UTF-8 text.</summary>
    public string PayloadAsString => Encoding.UTF8.GetString(Payload.Span);

    /// <summary>Content-Format of the body, or null.</summary>
    public int? ContentFormat => Message.ContentFormat;

    /// <summary>Accept, or null.</summary>
    public int? Accept => Message.Accept;

    /// <summary>True when the handler runs to produce a notification for an observer, not for a new request.</summary>
    public bool IsNotification { get; }
}
