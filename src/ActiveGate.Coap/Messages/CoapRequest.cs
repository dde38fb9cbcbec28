namespace ActiveGate.Coap.Messages;

/// <summary>
/// A request a <see cref="Client.CoapClient"/> sends: method, coap:// or coaps:// URI, payload
/// and any extra options. The URI becomes Uri-Host (for DNS names), Uri-Port, Uri-Path and Uri-Query.
/// </summary>
public sealed class CoapRequest
{
    /// <summary>Creates a request.</summary>
    public CoapRequest(CoapCode method, Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!method.IsRequest)
        {
            throw new ArgumentException($"{method} is not a request method.", nameof(method));
        }

        Method = method;
        Uri = uri;
    }

    /// <summary>GET, PUT, POST, DELETE, FETCH, PATCH, iPATCH.</summary>
    public CoapCode Method { get; }

    /// <summary>Target URI (coap://host[:port]/path?query).</summary>
    public Uri Uri { get; }

    /// <summary>Request body; sent block-wise (Block1) when larger than the block size.</summary>
    public ReadOnlyMemory<byte> Payload { get; set; }

    /// <summary>Content-Format of the payload.</summary>
    public int? ContentFormat { get; set; }

    /// <summary>Accept.</summary>
    public int? Accept { get; set; }

    /// <summary>CON (default, retransmitted) or NON.</summary>
    public bool Confirmable { get; set; } = true;

    /// <summary>Extra options (ETag, If-Match, If-None-Match, ...). Uri-* options come from <see cref="Uri"/>.</summary>
    public CoapOptionList Options { get; } = new();

    /// <summary>Overall timeout for this request (all blocks); null for the client default.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Block size for Block1/Block2 (16–1024); null for the client default.</summary>
    public int? BlockSize { get; set; }
}
