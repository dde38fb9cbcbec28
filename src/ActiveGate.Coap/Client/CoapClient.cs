using System.Net;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Stack;
using ActiveGate.Coap.Transport;
using ActiveGate.Coap.Transport.Udp;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Coap.Client;

/// <summary>
/// A CoAP client: GET/PUT/POST/DELETE/FETCH with transparent block-wise transfer (RFC 7959),
/// observation as <see cref="IAsyncEnumerable{T}"/> (RFC 7641), discovery (RFC 6690),
/// cancellation and timeouts. Thread-safe; one client serves any number of peers.
/// </summary>
/// <example>
/// <code>
/// await using var client = new CoapClient();                      // UDP, ephemeral port, dual-stack
/// CoapResponse rsp = await client.GetAsync(new Uri("coap://[::1]/time"), ct);
/// Console.WriteLine($"{rsp.Code} {rsp.PayloadAsString}");
/// await foreach (CoapResponse n in client.ObserveAsync(new Uri("coap://127.0.0.1/time"), ct)) { ... }
/// </code>
/// Over another transport (DTLS, 6LoWPAN, in-memory): <c>new CoapClient(transport, options, timeProvider, logger)</c>.
/// Sharing an endpoint with a <see cref="Server.CoapServer"/> (LwM2M): <c>new CoapClient(endpoint)</c>.
/// </example>
public sealed partial class CoapClient : IAsyncDisposable
{
    private readonly CoapEndpoint _endpoint;
    private readonly bool _ownsEndpoint;
    private readonly CoapClientOptions _options;
    private readonly ILogger _logger;

    /// <summary>A client over a new dual-stack UDP socket on an ephemeral port.</summary>
    public CoapClient(CoapClientOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null)
        : this(UdpDatagramTransport.CreateClient(), options, timeProvider, logger)
    {
    }

    /// <summary>A client over <paramref name="transport"/> (disposed with the client unless <see cref="CoapEndpointOptions.OwnsTransport"/> is false).</summary>
    public CoapClient(IDatagramTransport transport, CoapClientOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null)
        : this(new CoapEndpoint(transport, (options ?? new CoapClientOptions()).Endpoint, timeProvider, logger), options, logger, ownsEndpoint: true)
    {
    }

    /// <summary>A client on an existing endpoint (for example one a <see cref="Server.CoapServer"/> also uses); the endpoint is not disposed with the client.</summary>
    public CoapClient(CoapEndpoint endpoint, CoapClientOptions? options = null, ILogger? logger = null)
        : this(endpoint, options, logger, ownsEndpoint: false)
    {
    }

    private CoapClient(CoapEndpoint endpoint, CoapClientOptions? options, ILogger? logger, bool ownsEndpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        _endpoint = endpoint;
        _ownsEndpoint = ownsEndpoint;
        _options = options ?? new CoapClientOptions();
        _ = BlockOption.SizeToExponent(_options.PreferredBlockSize);
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The endpoint (transport, counters, transmission parameters).</summary>
    public CoapEndpoint Endpoint => _endpoint;

    /// <summary>GET.</summary>
    public Task<CoapResponse> GetAsync(Uri uri, CancellationToken cancellationToken = default) =>
        SendAsync(new CoapRequest(CoapCode.Get, uri), cancellationToken);

    /// <summary>PUT with a payload (sent block-wise when large).</summary>
    public Task<CoapResponse> PutAsync(Uri uri, ReadOnlyMemory<byte> payload, int? contentFormat = null, CancellationToken cancellationToken = default) =>
        SendAsync(new CoapRequest(CoapCode.Put, uri) { Payload = payload, ContentFormat = contentFormat }, cancellationToken);

    /// <summary>POST with a payload (sent block-wise when large).</summary>
    public Task<CoapResponse> PostAsync(Uri uri, ReadOnlyMemory<byte> payload, int? contentFormat = null, CancellationToken cancellationToken = default) =>
        SendAsync(new CoapRequest(CoapCode.Post, uri) { Payload = payload, ContentFormat = contentFormat }, cancellationToken);

    /// <summary>DELETE.</summary>
    public Task<CoapResponse> DeleteAsync(Uri uri, CancellationToken cancellationToken = default) =>
        SendAsync(new CoapRequest(CoapCode.Delete, uri), cancellationToken);

    /// <summary>FETCH (RFC 8132) with a query body.</summary>
    public Task<CoapResponse> FetchAsync(Uri uri, ReadOnlyMemory<byte> payload, int? contentFormat = null, CancellationToken cancellationToken = default) =>
        SendAsync(new CoapRequest(CoapCode.Fetch, uri) { Payload = payload, ContentFormat = contentFormat }, cancellationToken);

    /// <summary>
    /// Sends a request and returns the final response with the whole body. Large payloads go out
    /// as Block1 blocks; Block2 responses are fetched block by block and reassembled (ETag checked).
    /// </summary>
    /// <exception cref="CoapTimeoutException">No response within the timeout, or a CON was never acknowledged.</exception>
    /// <exception cref="CoapResetException">The server answered with RST.</exception>
    /// <exception cref="CoapException">A block-wise transfer could not be completed.</exception>
    public async Task<CoapResponse> SendAsync(CoapRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        EnsureSchemeMatchesTransport(request.Uri);
        IPEndPoint remote = await CoapUri.ResolveAsync(request.Uri, cancellationToken).ConfigureAwait(false);
        using CancellationTokenSource timeout = CreateTimeout(request.Timeout);
        using CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            CoapMessage response = await ExecuteAsync(BuildMessage(request), request.Payload, BlockExponentFor(request), remote, linked.Token).ConfigureAwait(false);
            return new CoapResponse(response, remote);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new CoapTimeoutException($"No response from {remote} within {EffectiveTimeout(request.Timeout).TotalSeconds:0.#} s.");
        }
    }

    /// <summary>
    /// Sends one prepared message to <paramref name="remote"/> with block-wise handling. For
    /// callers (LwM2M) that build messages themselves; Uri-* options must already be present.
    /// </summary>
    public async Task<CoapResponse> SendAsync(CoapMessage request, EndPoint remote, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(remote);
        using CancellationTokenSource timeout = CreateTimeout(null);
        using CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        CoapMessage template = request.Clone();
        ReadOnlyMemory<byte> payload = template.Payload;
        template.Payload = default;
        try
        {
            CoapMessage response = await ExecuteAsync(template, payload, BlockOption.SizeToExponent(_options.PreferredBlockSize), remote, linked.Token).ConfigureAwait(false);
            return new CoapResponse(response, remote);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new CoapTimeoutException($"No response from {remote} in time.");
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_ownsEndpoint)
        {
            await _endpoint.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>coaps:// over plain UDP would send secrets-free plaintext to a DTLS port: refuse it.</summary>
    private void EnsureSchemeMatchesTransport(Uri uri)
    {
        if (CoapUri.IsSecure(uri) && _endpoint.Transport is UdpDatagramTransport)
        {
            throw new NotSupportedException("coaps:// needs a DTLS transport; construct the client with one (e.g. a DTLS-PSK client transport).");
        }
    }

    private TimeSpan EffectiveTimeout(TimeSpan? requested) =>
        requested ?? _options.RequestTimeout ?? _endpoint.TransmissionParameters.MaxTransmitWait;

    private CancellationTokenSource CreateTimeout(TimeSpan? requested) =>
        new(EffectiveTimeout(requested), _endpoint.TimeProvider);

    private int BlockExponentFor(CoapRequest request) =>
        BlockOption.SizeToExponent(Math.Min(request.BlockSize ?? _options.PreferredBlockSize, _options.PreferredBlockSize));

    /// <summary>The request message without payload: method, type, URI options, Content-Format, Accept, extra options.</summary>
    private static CoapMessage BuildMessage(CoapRequest request)
    {
        var message = CoapMessage.CreateRequest(
            request.Method,
            request.Confirmable ? CoapMessageType.Confirmable : CoapMessageType.NonConfirmable);
        CoapUri.ApplyTo(request.Uri, message);
        foreach (CoapOption option in request.Options)
        {
            message.Options.Add(option);
        }

        if (request.ContentFormat is int contentFormat)
        {
            message.ContentFormat = contentFormat;
        }

        if (request.Accept is int accept)
        {
            message.Accept = accept;
        }

        return message;
    }

    /// <summary>Sends a copy of <paramref name="template"/> with a fresh message ID and token.</summary>
    private Task<CoapMessage> ExchangeOnceAsync(CoapMessage template, ReadOnlyMemory<byte> payload, EndPoint remote, CancellationToken cancellationToken)
    {
        CoapMessage message = template.Clone();
        message.Token = CoapToken.Empty;
        message.Payload = payload;
        return _endpoint.SendRequestAsync(message, remote, cancellationToken);
    }
}
