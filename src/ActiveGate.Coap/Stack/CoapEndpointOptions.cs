using ActiveGate.Coap.Messages;

namespace ActiveGate.Coap.Stack;

/// <summary>Settings of a <see cref="CoapEndpoint"/>.</summary>
public sealed record CoapEndpointOptions
{
    /// <summary>The RFC 7252 transmission parameters.</summary>
    public CoapTransmissionParameters TransmissionParameters { get; init; } = CoapTransmissionParameters.Default;

    /// <summary>Upper bound of remembered (peer, message ID) pairs; the oldest are evicted first.</summary>
    public int MaxDeduplicationEntries { get; init; } = 50_000;

    /// <summary>Upper bound of requests awaiting a response and of tracked outgoing messages.</summary>
    public int MaxPendingExchanges { get; init; } = 10_000;

    /// <summary>How long a request handler may take before the CON request is acknowledged by an empty ACK and the response is sent separately.</summary>
    public TimeSpan SeparateResponseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Length of the tokens this endpoint generates (1–8 bytes).</summary>
    public int TokenLength { get; init; } = 4;

    /// <summary>Size of the receive buffer; larger datagrams are counted and dropped.</summary>
    public int ReceiveBufferSize { get; init; } = 65_536;

    /// <summary>
    /// Receive loops reading the transport in parallel (default 1). More than one lets a busy
    /// server use several cores; datagrams from one peer may then be processed out of order,
    /// which CoAP tolerates (deduplication and matching are thread-safe, block-wise transfers are lock-step).
    /// </summary>
    public int ReceiveConcurrency { get; init; } = 1;

    /// <summary>
    /// Datagrams a receive loop takes (and replies it sends) per system call when the transport
    /// supports batching (<see cref="Transport.IDatagramBatchTransport"/>, e.g. UDP on Linux); 1 turns batching off.
    /// </summary>
    public int ReceiveBatchSize { get; init; } = 32;

    /// <summary>
    /// Option numbers outside the IANA registry that the application above this endpoint understands (e.g. the
    /// oneM2M options 259–351 of TS-0008, which are odd and hence critical). Messages carrying them are then not
    /// refused as having an unrecognised critical option (RFC 7252 §5.4.1). Consulted only for critical options the
    /// library itself does not know, so endpoints that leave this empty (the device side) pay nothing.
    /// </summary>
    public IReadOnlyCollection<CoapOptionNumber> AdditionalKnownOptions { get; init; } = [];

    /// <summary>Whether disposing the endpoint disposes the transport.</summary>
    public bool OwnsTransport { get; init; } = true;
}
