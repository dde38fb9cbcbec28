using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ActiveGate.Coap;
using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Stack;
using ActiveGate.Coap.Transport;
using ActiveGate.Coap.Transport.Dtls;
using ActiveGate.Coap.Transport.Udp;
using ActiveGate.OneM2m.Primitives;
using ActiveGate.OneM2m.Resources;
using ActiveGate.OneM2m.Upstream;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.OneM2m.Coap;

/// <summary>
/// The oneM2M CoAP binding (TS-0008) over the in-house CoAP client.
/// <code>
/// CREATE   → POST   + oneM2M-TY (267)          NOTIFY → POST without TY (TS-0008 §6.2.2)
/// RETRIEVE → GET    UPDATE → PUT    DELETE → DELETE
/// every request: oneM2M-FR (279), oneM2M-RQI (283), oneM2M-RVI (271), Accept 50, Content-Format 50 with a body
/// to: cse-in/a → Uri-Path cse-in,a;  /id-in/x → ~,id-in,x;  //sp/id-in/x → _,sp,id-in,x;  rcn and query → Uri-Query
/// response: oneM2M-RSC (307) is authoritative; without it the CoAP code gives a representative RSC.
/// </code>
/// One UDP socket per binding (and one DTLS transport, created on the first coaps:// request); each request goes
/// to the endpoint of its own snapshot, so a re-targeted upstream needs no new binding. Like
/// <see cref="Http.HttpBinding"/> it never throws for CSE errors, timeouts or transport failures.
/// <see cref="ResponsePrimitive.TransportStatus"/> carries the CoAP code as class×100+detail (2.05 → 205).
/// </summary>
public sealed class CoapBinding : IOneM2mBinding, IAsyncDisposable
{
    private readonly CoapBindingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CoapClient _plain;
    private readonly Lock _secureLock = new();
    private readonly string _ridPrefix;
    private CoapClient? _secure;
    private long _requestCounter;
    private int _disposed;

    /// <summary>A binding over a new dual-stack UDP socket on an ephemeral port.</summary>
    public CoapBinding(CoapBindingOptions? options = null, TimeProvider? timeProvider = null, ILogger<CoapBinding>? logger = null)
        : this(UdpDatagramTransport.CreateClient(), options, timeProvider, logger)
    {
    }

    /// <summary>A binding over <paramref name="transport"/> (disposed with the binding), e.g. an in-memory one in tests.</summary>
    public CoapBinding(IDatagramTransport transport, CoapBindingOptions? options = null, TimeProvider? timeProvider = null, ILogger<CoapBinding>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _options = options ?? new CoapBindingOptions();
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _ridPrefix = _options.RequestIdPrefix + Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next())) + "-";
        _plain = new CoapClient(transport, ClientOptions(_options), _time, _logger);
    }

    /// <summary>The local UDP endpoint of coap:// requests (for tests and diagnostics).</summary>
    public EndPoint LocalEndPoint => _plain.Endpoint.LocalEndPoint;

    public string NextRequestId()
        => _ridPrefix + Interlocked.Increment(ref _requestCounter).ToString(CultureInfo.InvariantCulture);

    public async Task<ResponsePrimitive> SendAsync(UpstreamSnapshot upstream, RequestPrimitive request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        string rqi = request.RequestIdentifier ?? NextRequestId();
        if (upstream.Endpoint is not { } endpoint)
        {
            return Local(ResponseStatusCode.TargetNotReachable, rqi, upstream.Generation, "no upstream endpoint configured");
        }

        Uri baseUrl = endpoint.BaseUrl;
        if (!IsCoapScheme(baseUrl))
        {
            return Local(ResponseStatusCode.TargetNotReachable, rqi, upstream.Generation, $"{baseUrl} is not a coap:// or coaps:// URL");
        }

        CoapClient? client = CoapUri.IsSecure(baseUrl) ? SecureClient() : _plain;
        if (client is null)
        {
            return Local(ResponseStatusCode.SecurityAssociationRequired, rqi, upstream.Generation, "coaps:// needs a PSK credential in the CoAP binding options");
        }

        CoapMessage message = BuildMessage(endpoint, request, rqi);
        TimeSpan timeout = request.Timeout ?? _options.RequestTimeout;
        using var timeoutCts = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts.Token);
        try
        {
            IPEndPoint remote = await CoapUri.ResolveAsync(baseUrl, linked.Token).ConfigureAwait(false);
            CoapResponse response = await client.SendAsync(message, remote, linked.Token).ConfigureAwait(false);
            return ParseResponse(request.Operation, rqi, upstream.Generation, response.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            return Local(ResponseStatusCode.RequestTimeout, rqi, upstream.Generation, $"no response within {timeout.TotalMilliseconds:0} ms");
        }
        catch (CoapTimeoutException ex)
        {
            // MAX_RETRANSMIT reached before our own deadline: the CSE is silent.
            return Local(ResponseStatusCode.RequestTimeout, rqi, upstream.Generation, ex.Message);
        }
        catch (Exception ex) when (ex is CoapException or SocketException or IOException or DtlsHandshakeException)
        {
            // RST, a rejected response, a block-wise transfer that could not finish or grew too large, DNS, DTLS.
            return Local(ResponseStatusCode.TargetNotReachable, rqi, upstream.Generation, ex.Message);
        }
        catch (ObjectDisposedException) when (_disposed != 0)
        {
            return Local(ResponseStatusCode.TargetNotReachable, rqi, upstream.Generation, "the CoAP binding was disposed");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _plain.DisposeAsync().ConfigureAwait(false);
        CoapClient? secure;
        lock (_secureLock)
        {
            secure = _secure;
        }

        if (secure is not null)
        {
            await secure.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <c>to</c> → Uri-Path segments (TS-0008 §6.2.2.3): CSE-relative as they are, SP-relative with <c>~</c> first,
    /// absolute with <c>_</c> first. Segments are raw option values, so nothing is percent-encoded.
    /// </summary>
    public static IEnumerable<string> ToUriPath(string to)
    {
        ArgumentNullException.ThrowIfNull(to);
        string rest;
        if (to.StartsWith("//", StringComparison.Ordinal))
        {
            yield return "_";
            rest = to[2..];
        }
        else if (to.StartsWith('/'))
        {
            yield return "~";
            rest = to[1..];
        }
        else
        {
            rest = to;
        }

        foreach (string segment in rest.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            yield return segment;
        }
    }

    /// <summary>The RSC a CoAP response code stands for when a peer omitted oneM2M-RSC (TS-0008 Table 6.3.3-1, inverted).</summary>
    public static ResponseStatusCode FromCoapCode(CoapCode code, Operation op) => (code.Class, code.Detail) switch
    {
        (2, 1) => ResponseStatusCode.Created,
        (2, 2) => ResponseStatusCode.Deleted,
        (2, 4) => op == Operation.Delete ? ResponseStatusCode.Deleted : ResponseStatusCode.Updated,
        (2, 5) => ResponseStatusCode.Ok,
        (2, _) => op switch
        {
            Operation.Create => ResponseStatusCode.Created,
            Operation.Update => ResponseStatusCode.Updated,
            Operation.Delete => ResponseStatusCode.Deleted,
            _ => ResponseStatusCode.Ok,
        },
        (4, 0) => ResponseStatusCode.BadRequest,
        (4, 3) => ResponseStatusCode.OriginatorHasNoPrivilege,
        (4, 4) => ResponseStatusCode.NotFound,
        (4, 5) => ResponseStatusCode.OperationNotAllowed,
        (4, 6) => ResponseStatusCode.NotAcceptable,
        (4, 15) => ResponseStatusCode.UnsupportedMediaType,
        (4, _) => ResponseStatusCode.BadRequest,
        (5, 1) => ResponseStatusCode.NotImplemented,
        (5, 3) => ResponseStatusCode.TargetNotReachable,
        (5, 4) => ResponseStatusCode.RequestTimeout,
        _ => ResponseStatusCode.InternalServerError,
    };

    private static CoapClientOptions ClientOptions(CoapBindingOptions options) => new()
    {
        Endpoint = new CoapEndpointOptions { AdditionalKnownOptions = OneM2mCoapOption.All },

        // The binding enforces the primitive's timeout itself; the client must not cut a 35 s long poll at its default.
        RequestTimeout = Timeout.InfiniteTimeSpan,
        PreferredBlockSize = options.BlockSize,
        MaxResponseBodySize = options.MaxResponseBodySize,
    };

    private CoapClient? SecureClient()
    {
        if (_options.PskCredential is not { } credential)
        {
            return null;
        }

        lock (_secureLock)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            return _secure ??= new CoapClient(
                new DtlsPskClientTransport(new DtlsPskClientOptions { Credential = credential }, _logger, _time),
                ClientOptions(_options),
                _time,
                _logger);
        }
    }

    private static bool IsCoapScheme(Uri uri)
        => uri.IsAbsoluteUri && (string.Equals(uri.Scheme, "coap", StringComparison.OrdinalIgnoreCase) || CoapUri.IsSecure(uri));

    internal static CoapMessage BuildMessage(UpstreamEndpoint endpoint, RequestPrimitive request, string rqi)
    {
        CoapCode method = request.Operation switch
        {
            Operation.Create or Operation.Notify => CoapCode.Post,
            Operation.Retrieve => CoapCode.Get,
            Operation.Update => CoapCode.Put,
            Operation.Delete => CoapCode.Delete,
            _ => throw new ArgumentException($"unknown operation {request.Operation}", nameof(request)),
        };
        if (request.Operation == Operation.Create && request.ResourceType is null)
        {
            throw new ArgumentException("CREATE needs a resource type (ty)", nameof(request));
        }

        var message = CoapMessage.CreateRequest(method);

        // Uri-Host for a DNS name (a CSE behind a shared address) and the base URL's path prefix.
        CoapUri.ApplyTo(endpoint.BaseUrl, message);
        foreach (string segment in ToUriPath(request.To))
        {
            message.Options.Add(CoapOptionNumber.UriPath, segment);
        }

        if (request.ResultContent is { } rcn)
        {
            message.Options.Add(CoapOptionNumber.UriQuery, "rcn=" + ((int)rcn).ToString(CultureInfo.InvariantCulture));
        }

        if (request.Query is { } query)
        {
            foreach (KeyValuePair<string, string> kv in query)
            {
                message.Options.Add(CoapOptionNumber.UriQuery, kv.Key + "=" + kv.Value);
            }
        }

        message.Options.Add(OneM2mCoapOption.From, request.From ?? endpoint.Origin);
        message.Options.Add(OneM2mCoapOption.RequestIdentifier, rqi);
        message.Options.Add(OneM2mCoapOption.ReleaseVersion, request.ReleaseVersion ?? endpoint.ReleaseVersion);
        message.Accept = OneM2mCoapOption.ApplicationJson;
        if (request.Operation == Operation.Create)
        {
            message.Options.Add(OneM2mCoapOption.ResourceType, (uint)request.ResourceType!.Value);
        }

        if (request.Operation is Operation.Create or Operation.Update or Operation.Notify)
        {
            message.ContentFormat = OneM2mCoapOption.ApplicationJson;
            message.Payload = request.Content;
        }

        return message;
    }

    private ResponsePrimitive ParseResponse(Operation op, string rqi, long generation, CoapMessage response)
    {
        ResponseStatusCode rsc = FromCoapCode(response.Code, op);
        string? problem = null;
        if (response.Options.TryGet(OneM2mCoapOption.ResponseStatusCode, out CoapOption rscOption))
        {
            uint value = rscOption.GetUInt();
            if (rscOption.Value.Length is > 0 and <= 2 && value is >= 1000 and < 7000)
            {
                rsc = (ResponseStatusCode)value;
            }
            else
            {
                // A uint RSC fits in two bytes (TS-0004 §6.6); anything else is not to be trusted over the CoAP code.
                problem = $"malformed oneM2M-RSC 0x{Convert.ToHexString(rscOption.Value.Span)}";
            }
        }

        string? echoedRi = response.Options.GetString(OneM2mCoapOption.RequestIdentifier);
        if (echoedRi is not null && echoedRi != rqi)
        {
            _logger.LogWarning("oneM2M CoAP response carried RQI {Echoed}, expected {Rqi}", BoundedText.Cap(echoedRi), rqi);
        }

        byte[] body = response.Payload.ToArray();
        string? diagnostic = problem;
        if (ResponseStatusCodes.Classify(rsc) != ResponseOutcome.Success)
        {
            string detail = OneM2mJson.TryReadDebug(body) ?? $"CoAP {response.Code}";
            diagnostic = problem is null ? detail : problem + "; " + detail;
        }

        return new ResponsePrimitive
        {
            StatusCode = rsc,
            RequestIdentifier = rqi,
            TransportStatus = (response.Code.Class * 100) + response.Code.Detail,
            ReleaseVersion = response.Options.GetString(OneM2mCoapOption.ReleaseVersion),
            Content = body,
            Diagnostic = diagnostic,
            EndpointGeneration = generation,
        };
    }

    private static ResponsePrimitive Local(ResponseStatusCode rsc, string rqi, long generation, string diagnostic) => new()
    {
        StatusCode = rsc,
        RequestIdentifier = rqi,
        IsLocal = true,
        Diagnostic = diagnostic,
        EndpointGeneration = generation,
    };
}
