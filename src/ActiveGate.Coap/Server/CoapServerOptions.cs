using ActiveGate.Coap.Stack;

namespace ActiveGate.Coap.Server;

/// <summary>Settings of a <see cref="CoapServer"/>.</summary>
public sealed record CoapServerOptions
{
    /// <summary>Settings of the endpoint the server creates (ignored when an endpoint is passed in).</summary>
    public CoapEndpointOptions Endpoint { get; init; } = new();

    /// <summary>Largest block the server sends or accepts (16–1024, default 1024); clients may ask for smaller ones.</summary>
    public int PreferredBlockSize { get; init; } = 1024;

    /// <summary>Largest request body reassembled from Block1 blocks; larger ones get 4.13 with Size1.</summary>
    public int MaxRequestBodySize { get; init; } = 4 * 1024 * 1024;

    /// <summary>Concurrent Block1 reassemblies; the least recently used is dropped when full.</summary>
    public int MaxConcurrentBlockTransfers { get; init; } = 64;

    /// <summary>Observers per server (further registrations are served as plain GETs).</summary>
    public int MaxObservers { get; init; } = 1024;

    /// <summary>A notification is sent as CON when the last CON to that observer is older than this (RFC 7641 §4.5: at most 24 h).</summary>
    public TimeSpan ConfirmableNotificationInterval { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Every Nth notification to an observer is CON (0 = only by interval); libcoap uses 5.</summary>
    public int ConfirmableNotificationEvery { get; init; }
}
