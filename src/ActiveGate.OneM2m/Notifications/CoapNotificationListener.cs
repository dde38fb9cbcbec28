using System.Net;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Stack;
using ActiveGate.Coap.Transport;
using ActiveGate.Coap.Transport.Udp;
using ActiveGate.OneM2m.Coap;
using ActiveGate.OneM2m.Primitives;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.OneM2m.Notifications;

/// <summary>
/// The gateway's notification endpoint over CoAP (TS-0008), for a <c>poa</c> of the form <c>coap://host:port/…</c>:
/// accepts NOTIFY (POST without oneM2M-TY) on any path, as <see cref="HttpNotificationListener"/> does over HTTP, and
/// answers with the RSC in oneM2M-RSC (307) plus the echoed RQI (283) and RVI (271). A POST with TY is a CREATE,
/// which a gateway does not serve (4005). Block-wise notifications are reassembled by the CoAP server.
/// </summary>
public sealed class CoapNotificationListener : IAsyncDisposable
{
    private const int MaxBodyBytes = 256 * 1024;

    private readonly CoapServer _server;
    private readonly NotificationHandler _handler;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private long _received;

    /// <param name="localEndPoint">e.g. <c>0.0.0.0:5683</c>, or port 0 for an ephemeral port (see <see cref="LocalEndPoint"/>).</param>
    public CoapNotificationListener(IPEndPoint localEndPoint, NotificationHandler handler, ILogger<CoapNotificationListener>? logger = null)
        : this(new UdpDatagramTransport(localEndPoint ?? throw new ArgumentNullException(nameof(localEndPoint))), handler, logger)
    {
    }

    /// <summary>A listener over <paramref name="transport"/> (disposed with the listener), e.g. a DTLS-PSK server transport.</summary>
    public CoapNotificationListener(IDatagramTransport transport, NotificationHandler handler, ILogger<CoapNotificationListener>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _server = new CoapServer(transport, new CoapServerOptions
        {
            Endpoint = new CoapEndpointOptions { AdditionalKnownOptions = OneM2mCoapOption.All },
            MaxRequestBodySize = MaxBodyBytes,
        }, logger: _logger);
        _server.Root = new NotifyResource(this);
    }

    /// <summary>The bound address (with the OS-chosen port when 0 was asked for).</summary>
    public EndPoint LocalEndPoint => _server.LocalEndPoint;

    /// <summary>Notifications handed to the handler so far.</summary>
    public long Received => Interlocked.Read(ref _received);

    public void Start() => _server.StartAsync().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async ValueTask<CoapResponse> HandleNotifyAsync(CoapRequestContext request)
    {
        CoapOptionList options = request.Options;
        string? rqi = options.GetString(OneM2mCoapOption.RequestIdentifier);
        string? rvi = options.GetString(OneM2mCoapOption.ReleaseVersion);
        string? origin = options.GetString(OneM2mCoapOption.From);
        ResponseStatusCode rsc;
        try
        {
            if (options.Contains(OneM2mCoapOption.ResourceType))
            {
                // A POST with TY is a CREATE; we are not a CSE.
                rsc = ResponseStatusCode.OperationNotAllowed;
            }
            else if (string.IsNullOrEmpty(rqi) || string.IsNullOrEmpty(origin))
            {
                rsc = ResponseStatusCode.BadRequest;
            }
            else if (!NotificationMessage.TryParse(request.Payload.Span, out NotificationMessage? message, origin, rqi, "/" + string.Join('/', request.Path)))
            {
                rsc = ResponseStatusCode.BadRequest;
            }
            else
            {
                Interlocked.Increment(ref _received);
                rsc = await _handler(message!, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A handler bug must not kill the listener; the CSE will retry or drop per its policy.
            _logger.LogError(ex, "notification handler failed");
            rsc = ResponseStatusCode.InternalServerError;
        }

        return Answer(rsc, rqi, rvi);
    }

    internal static CoapResponse Answer(ResponseStatusCode rsc, string? rqi, string? rvi)
    {
        CoapCode code = (int)rsc switch
        {
            >= 2000 and < 3000 => CoapCode.Changed,
            4004 => CoapCode.NotFound,
            4005 => CoapCode.MethodNotAllowed,
            4101 or 4103 => CoapCode.Forbidden,
            >= 4000 and < 5000 => CoapCode.BadRequest,
            _ => CoapCode.InternalServerError,
        };
        var response = new CoapResponse(code);
        response.Options.Add(OneM2mCoapOption.ResponseStatusCode, (uint)rsc);
        if (rqi is not null)
        {
            response.Options.Add(OneM2mCoapOption.RequestIdentifier, rqi);
        }

        response.Options.Add(OneM2mCoapOption.ReleaseVersion, rvi ?? "3");
        return response;
    }

    /// <summary>Every path: ACME appends the AE-ID to the poa, others post to the poa itself.</summary>
    private sealed class NotifyResource : CoapResource
    {
        private readonly CoapNotificationListener _listener;

        public NotifyResource(CoapNotificationListener listener)
            : base(string.Empty)
        {
            _listener = listener;
            HandlesSubPaths = true;
        }

        public override ValueTask<CoapResponse> HandlePostAsync(CoapRequestContext request, CancellationToken cancellationToken)
            => _listener.HandleNotifyAsync(request);
    }
}
