using System.Net;
using ActiveGate.Coap.LinkFormat;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Stack;
using ActiveGate.Coap.Stack.Blockwise;
using ActiveGate.Coap.Stack.Observe;
using ActiveGate.Coap.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Coap.Server;

/// <summary>
/// A CoAP server: a tree of <see cref="CoapResource"/>s under <see cref="Root"/>, served over one
/// endpoint with Block1 reassembly, Block2 slicing, Observe (RFC 7641) and /.well-known/core
/// discovery with <c>?rt=</c>, <c>?if=</c>, <c>?href=</c> filters (RFC 6690).
/// </summary>
/// <example>
/// <code>
/// await using var server = new CoapServer(new UdpDatagramTransport(new IPEndPoint(IPAddress.IPv6Any, 5683)));
/// server.Root.Add(new TimeResource());
/// await server.StartAsync(ct);
/// ...
/// timeResource.NotifyChanged();   // observers get a notification
/// </code>
/// </example>
public sealed partial class CoapServer : ICoapRequestHandler, IAsyncDisposable
{
    private readonly CoapEndpoint _endpoint;
    private readonly bool _ownsEndpoint;
    private readonly CoapServerOptions _options;
    private readonly ILogger _logger;
    private readonly Block1Reassembler _block1;
    private readonly ObserverRegistry _observers;
    private readonly int _serverSizeExponent;
    private readonly CancellationTokenSource _stopping = new();
    private CoapResource _root;

    /// <summary>A server over <paramref name="transport"/> (disposed with the server unless <see cref="CoapEndpointOptions.OwnsTransport"/> is false).</summary>
    public CoapServer(IDatagramTransport transport, CoapServerOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null)
        : this(new CoapEndpoint(transport, (options ?? new CoapServerOptions()).Endpoint, timeProvider, logger), options, logger, ownsEndpoint: true)
    {
    }

    /// <summary>A server on an existing endpoint (shared with a <see cref="Client.CoapClient"/>); the endpoint is not disposed with the server.</summary>
    public CoapServer(CoapEndpoint endpoint, CoapServerOptions? options = null, ILogger? logger = null)
        : this(endpoint, options, logger, ownsEndpoint: false)
    {
    }

    private CoapServer(CoapEndpoint endpoint, CoapServerOptions? options, ILogger? logger, bool ownsEndpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        _endpoint = endpoint;
        _ownsEndpoint = ownsEndpoint;
        _options = options ?? new CoapServerOptions();
        _logger = logger ?? NullLogger.Instance;
        int transportLimit = Math.Max(16, endpoint.Transport.MaxDatagramSize - 128);
        int blockSize = Math.Min(_options.PreferredBlockSize, 1 << System.Numerics.BitOperations.Log2((uint)transportLimit));
        _serverSizeExponent = BlockOption.SizeToExponent(Math.Clamp(blockSize, 16, 1024));
        _block1 = new Block1Reassembler(endpoint.TimeProvider, _options.MaxRequestBodySize, _options.MaxConcurrentBlockTransfers, endpoint.TransmissionParameters.ExchangeLifetime);
        _observers = new ObserverRegistry(_options.MaxObservers);
        _root = CreateDefaultRoot();
        _root.AttachTo(this);
    }

    /// <summary>The root of the resource tree ("/"); add resources here. May be replaced by a custom root before or after start.</summary>
    public CoapResource Root
    {
        get => _root;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.AttachTo(this);
            if (value.GetChild(".well-known")?.GetChild("core") is null)
            {
                value.Add(new CoapResource(".well-known") { IsVisible = false }).Add(new WellKnownCoreResource());
            }

            _root = value;
        }
    }

    /// <summary>The endpoint (transport, counters, transmission parameters).</summary>
    public CoapEndpoint Endpoint => _endpoint;

    /// <summary>The local address.</summary>
    public EndPoint LocalEndPoint => _endpoint.LocalEndPoint;

    /// <summary>Number of active observe relations.</summary>
    public int ObserverCount => _observers.Total;

    /// <summary>Number of Block1 uploads in progress.</summary>
    internal int ActiveBlockTransfers => _block1.ActiveTransfers;

    /// <summary>Starts serving: installs itself as the endpoint's request handler and starts receiving.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _endpoint.RequestHandler = this;
        _endpoint.Start();
        return Task.CompletedTask;
    }

    /// <summary>Stops answering requests (they then get 4.04 from the endpoint); the endpoint keeps running until disposed.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (ReferenceEquals(_endpoint.RequestHandler, this))
        {
            _endpoint.RequestHandler = null;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_ownsEndpoint)
        {
            await _endpoint.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    /// <inheritdoc/>
    async ValueTask ICoapRequestHandler.HandleRequestAsync(CoapIncomingExchange exchange, CancellationToken cancellationToken)
    {
        (CoapMessage? response, bool shared) = await ProcessAsync(exchange.Request, exchange.Remote, cancellationToken).ConfigureAwait(false);
        if (response is not null)
        {
            await exchange.Endpoint.RespondAsync(exchange, response, shared, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Routes one request through Block1, the resource handler, Observe and Block2. Shared: the
    /// response is the handler's own message, which needed no change and must not be modified.
    /// </summary>
    private async ValueTask<(CoapMessage? Response, bool Shared)> ProcessAsync(CoapMessage request, EndPoint remote, CancellationToken cancellationToken)
    {
        if (request.Options.Contains(CoapOptionNumber.ProxyUri) || request.Options.Contains(CoapOptionNumber.ProxyScheme))
        {
            // §5.7.2: this server is no forward proxy.
            return (new CoapMessage { Code = CoapCode.ProxyingNotSupported }, false);
        }

        (CoapResource? resource, int matched) = Resolve(request.Options);
        if (resource is null)
        {
            return (new CoapMessage { Code = CoapCode.NotFound }, false);
        }

        ReadOnlyMemory<byte> body = request.Payload;
        BlockOption? block1 = request.Block1;
        if (block1 is { } b1)
        {
            string key = string.Concat(remote.ToString(), " ", request.Code.Name, " ", request.UriPath, "?", string.Join('&', request.UriQuery));
            Block1Status status = _block1.Accept(key, b1, request.Payload.Span, request.Size1, out body);
            switch (status)
            {
                case Block1Status.Continue:
                {
                    var next = new CoapMessage { Code = CoapCode.Continue };
                    next.Block1 = new BlockOption(b1.Number, true, Math.Min(b1.SizeExponent, _serverSizeExponent));
                    return (next, false);
                }

                case Block1Status.Incomplete:
                    return (new CoapMessage { Code = CoapCode.RequestEntityIncomplete }, false);
                case Block1Status.TooLarge:
                {
                    var tooLarge = new CoapMessage { Code = CoapCode.RequestEntityTooLarge };
                    tooLarge.Size1 = (uint)_block1.MaxBodySize;
                    return (tooLarge, false);
                }
            }
        }
        else if (request.Size1 is uint announced && announced > _options.MaxRequestBodySize)
        {
            var tooLarge = new CoapMessage { Code = CoapCode.RequestEntityTooLarge };
            tooLarge.Size1 = (uint)_options.MaxRequestBodySize;
            return (tooLarge, false);
        }

        uint? observe = request.Observe;
        if (observe == 1)
        {
            _observers.Remove(remote, request.Token);
        }

        var context = new CoapRequestContext(this, request, remote, matched, body, isNotification: false);
        CoapResponse handled = await resource.HandleAsync(context, cancellationToken).ConfigureAwait(false);
        CoapMessage response = handled.Message;
        BlockOption? block2 = request.Block2;
        bool registered = observe == 0 && resource.IsObservable && request.Code == CoapCode.Get && response.Code.IsSuccess &&
            block2 is not { Number: > 0 } &&
            _observers.TryAdd(resource, new ObserveRelation(remote, request.Token, request, _endpoint.TimeProvider.GetTimestamp()));
        if (!registered && block1 is null && !response.Options.Contains(CoapOptionNumber.Observe) &&
            !Block2Slicer.IsNeeded(response, block2, _serverSizeExponent))
        {
            // Nothing to add or cut: send the handler's message as it is (no copy).
            return (response, true);
        }

        // Handlers may return the same message again, so changes go to a copy.
        response = response.Clone();
        if (registered)
        {
            response.Observe = resource.CurrentObserveSequence;
        }
        else
        {
            response.Options.RemoveAll(CoapOptionNumber.Observe);
        }

        if (block1 is { } last)
        {
            response.Block1 = new BlockOption(last.Number, false, last.SizeExponent);
        }

        if (!Block2Slicer.TryApply(response, block2, _serverSizeExponent))
        {
            return (new CoapMessage { Code = CoapCode.BadOption }, false);
        }

        return (response, false);
    }

    /// <summary>
    /// Finds the deepest resource for the request's Uri-Path; unmatched trailing segments are
    /// allowed only for <see cref="CoapResource.HandlesSubPaths"/>. Segments are decoded onto the
    /// stack, not into strings.
    /// </summary>
    private (CoapResource? Resource, int Matched) Resolve(CoapOptionList options)
    {
        CoapResource current = _root;
        int matched = 0;
        bool unmatched = false;
        Span<char> segment = stackalloc char[256];
        foreach (CoapOption option in options)
        {
            if (option.Number != CoapOptionNumber.UriPath)
            {
                if (option.Number > CoapOptionNumber.UriPath)
                {
                    break;
                }

                continue;
            }

            // Uri-Path is at most 255 bytes (RFC 7252 §5.10; longer ones got 4.02), so at most 255 UTF-16 units.
            if (option.Value.Length > segment.Length ||
                current.GetChild(segment[..System.Text.Encoding.UTF8.GetChars(option.Value.Span, segment)]) is not { } child)
            {
                unmatched = true;
                break;
            }

            current = child;
            matched++;
        }

        if (unmatched && !current.HandlesSubPaths)
        {
            return (null, matched);
        }

        return (current, matched);
    }

    /// <summary>Every visible resource of the tree, depth first.</summary>
    internal IEnumerable<CoapResource> EnumerateResources()
    {
        var stack = new Stack<CoapResource>();
        stack.Push(_root);
        while (stack.Count > 0)
        {
            CoapResource resource = stack.Pop();
            foreach (CoapResource child in resource.Children.OrderByDescending(c => c.Name, StringComparer.Ordinal))
            {
                stack.Push(child);
            }

            if (!ReferenceEquals(resource, _root) && resource.IsVisible)
            {
                yield return resource;
            }
        }
    }

    private static RootResource CreateDefaultRoot()
    {
        var root = new RootResource();
        root.Add(new CoapResource(".well-known") { IsVisible = false }).Add(new WellKnownCoreResource());
        return root;
    }

    private sealed class RootResource() : CoapResource(string.Empty)
    {
        public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new CoapResponse(CoapCode.NotFound));
    }

    /// <summary>/.well-known/core (RFC 6690 §4): the visible resources as link format, filtered by the query.</summary>
    private sealed class WellKnownCoreResource : CoapResource
    {
        public WellKnownCoreResource()
            : base("core")
        {
            IsVisible = false;
            ContentFormats.Add(CoapContentFormat.LinkFormat);
        }

        public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken)
        {
            IEnumerable<CoapLink> links = request.Server.EnumerateResources()
                .Select(r => r.GetLink())
                .Where(link => LinkFormatWriter.Matches(link, request.Query));
            string document = LinkFormatWriter.Write(links);
            return ValueTask.FromResult(new CoapResponse(CoapCode.Content, System.Text.Encoding.UTF8.GetBytes(document), CoapContentFormat.LinkFormat));
        }
    }
}
