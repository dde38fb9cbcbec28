using ActiveGate.Coap.Stack;

namespace ActiveGate.Coap.Client;

/// <summary>Settings of a <see cref="CoapClient"/>.</summary>
public sealed record CoapClientOptions
{
    /// <summary>Settings of the endpoint the client creates (ignored when an endpoint is passed in).</summary>
    public CoapEndpointOptions Endpoint { get; init; } = new();

    /// <summary>
    /// Overall timeout of one request including all its blocks; null means MAX_TRANSMIT_WAIT of the
    /// transmission parameters (93 s by default). Cancellation tokens still apply on top.
    /// </summary>
    public TimeSpan? RequestTimeout { get; init; }

    /// <summary>Block size for Block1 uploads and the Block2 size asked for (16–1024, default 1024).</summary>
    public int PreferredBlockSize { get; init; } = 1024;

    /// <summary>Largest response body reassembled from Block2 blocks (bounded memory).</summary>
    public int MaxResponseBodySize { get; init; } = 16 * 1024 * 1024;

    /// <summary>How much longer than Max-Age an observer waits for a notification before re-registering (RFC 7641 §3.3.1).</summary>
    public TimeSpan ObserveReregistrationSlack { get; init; } = TimeSpan.FromSeconds(5);
}
