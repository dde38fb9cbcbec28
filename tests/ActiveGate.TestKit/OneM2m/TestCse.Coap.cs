using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ActiveGate.Coap;
using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Stack;
using ActiveGate.Coap.Transport.Udp;

namespace ActiveGate.TestKit.OneM2m;

/// <summary>
/// The CoAP front of the test CSE (TS-0008), on its own UDP loopback port. It turns a CoAP request into the same
/// <see cref="Inbound"/> the HTTP front builds (oneM2M options → X-M2M-* names, Content-Format + oneM2M-TY →
/// Content-Type with <c>;ty=</c>), so both bindings meet the same strictness, and maps the reply back: RSC in
/// option 307, RQI echoed in 283, RVI in 271, OT in 259, the CoAP code from the HTTP status the HTTP front
/// would send (TS-0008 Table 6.3.3-1 has 4105 as 4.03). Written from the TS, independently of ActiveGate.OneM2m.
/// </summary>
public sealed partial class TestCse
{
    private const ushort OptionOt = 259;
    private const ushort OptionTy = 267;
    private const ushort OptionRvi = 271;
    private const ushort OptionFr = 279;
    private const ushort OptionRqi = 283;
    private const ushort OptionRsc = 307;

    // TS-0008 Table 6.2.2.4-1: odd, hence critical; the server endpoint must not answer them with 4.02.
    private static readonly CoapOptionNumber[] s_oneM2mOptions =
        [.. new ushort[] { 259, 263, 267, 271, 275, 279, 283, 291, 295, 299, 303, 307, 311, 319, 323, 327, 331, 335, 339, 343, 347, 351 }
            .Select(n => (CoapOptionNumber)n)];

    private CoapServer? _coapServer;
    private CoapClient? _coapNotifyClient;

    /// <summary>The UDP loopback port of the CoAP front, chosen by the OS at <see cref="Start"/> and kept across <see cref="Restart"/>.</summary>
    public int CoapPort { get; private set; }

    /// <summary>The CoAP root, e.g. <c>coap://127.0.0.1:40123/</c>.</summary>
    public Uri CoapBaseUrl => new($"coap://127.0.0.1:{CoapPort}/");

    private void StartCoap(CancellationToken token)
    {
        UdpDatagramTransport transport;
        try
        {
            transport = new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, CoapPort));
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            // As Restart documents for the HTTP port.
            throw new IOException($"CoAP port {CoapPort} is taken: {ex.Message}", ex);
        }

        var server = new CoapServer(transport, new CoapServerOptions
        {
            Endpoint = new CoapEndpointOptions { AdditionalKnownOptions = s_oneM2mOptions },
            MaxRequestBodySize = 32 * 1024 * 1024,
        });
        server.Root = new CoapFront(this, token);
        server.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        CoapPort = ((IPEndPoint)transport.LocalEndPoint).Port;
        _coapServer = server;
    }

    private void StopCoap()
    {
        CoapServer? server = _coapServer;
        _coapServer = null;

        // Closes the socket: datagrams to the port now meet ICMP port unreachable, as with a stopped CSE.
        server?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>NOTIFY over CoAP (TS-0008: POST without oneM2M-TY) to a coap:// <c>nu</c> or <c>poa</c>; returns the RSC (307).</summary>
    private int? SendCoap(string url, JsonObject sgn, string rvi)
    {
        string body = sgn.ToJsonString();
        CoapClient client;
        lock (_gate)
        {
            client = _coapNotifyClient ??= new CoapClient(new CoapClientOptions
            {
                Endpoint = new CoapEndpointOptions { AdditionalKnownOptions = s_oneM2mOptions },
                RequestTimeout = TimeSpan.FromSeconds(5),
            });
        }

        var request = new CoapRequest(CoapCode.Post, new Uri(url))
        {
            Payload = Encoding.UTF8.GetBytes(body),
            ContentFormat = 50,
        };
        request.Options.Add((CoapOptionNumber)OptionFr, _options.CseId);
        request.Options.Add((CoapOptionNumber)OptionRqi, "ntf" + Interlocked.Increment(ref _riCounter).ToString("x8", CultureInfo.InvariantCulture));
        request.Options.Add((CoapOptionNumber)OptionRvi, rvi);
        try
        {
            CoapResponse response = client.SendAsync(request).GetAwaiter().GetResult();
            int? rsc = (int?)response.Options.GetUInt((CoapOptionNumber)OptionRsc);
            Record(new TestCseNotification(url, body, rsc, rsc is null ? $"no oneM2M-RSC in answer (CoAP {response.Code})" : null));
            return rsc;
        }
        catch (Exception ex) when (ex is CoapException or System.Net.Sockets.SocketException or ArgumentException or OperationCanceledException)
        {
            Record(new TestCseNotification(url, body, null, ex.Message));
            return null;
        }
    }

    private static Inbound ToInbound(CoapRequestContext request)
    {
        string method = request.Method.Value switch
        {
            0x01 => "GET",
            0x02 => "POST",
            0x03 => "PUT",
            0x04 => "DELETE",
            _ => request.Method.ToString(),
        };
        string rawPath = "/" + string.Join('/', request.Path.Select(Uri.EscapeDataString));
        string query = string.Join('&', request.Query.Select(q =>
        {
            string[] kv = q.Split('=', 2);
            return kv.Length == 2 ? Uri.EscapeDataString(kv[0]) + "=" + Uri.EscapeDataString(kv[1]) : Uri.EscapeDataString(q);
        }));
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        CoapOptionList options = request.Options;
        AddHeader(headers, "X-M2M-ORIGIN", options, OptionFr);
        AddHeader(headers, "X-M2M-RI", options, OptionRqi);
        AddHeader(headers, "X-M2M-RVI", options, OptionRvi);
        if (request.ContentFormat is int format)
        {
            string media = format switch
            {
                50 => "application/json",
                10001 => "application/vnd.onem2m-res+json",
                _ => "coap/content-format-" + format.ToString(CultureInfo.InvariantCulture),
            };
            if (options.TryGet((CoapOptionNumber)OptionTy, out CoapOption ty))
            {
                media += ";ty=" + ty.GetUInt().ToString(CultureInfo.InvariantCulture);
            }

            headers["CONTENT-TYPE"] = media;
        }

        return new Inbound(method, rawPath, query, headers, Encoding.UTF8.GetString(request.Payload.Span), "coap");
    }

    private static void AddHeader(Dictionary<string, string> headers, string name, CoapOptionList options, ushort number)
    {
        if (options.TryGet((CoapOptionNumber)number, out CoapOption option))
        {
            headers[name] = option.GetString();
        }
    }

    private static CoapResponse ToCoapResponse(Inbound request, Reply reply)
    {
        CoapCode code = reply.Http switch
        {
            200 => request.Method switch
            {
                "GET" => CoapCode.Content,
                "DELETE" => CoapCode.Deleted,
                _ => CoapCode.Changed,
            },
            201 => CoapCode.Created,
            202 => CoapCode.Created,
            204 => request.Method == "DELETE" ? CoapCode.Deleted : CoapCode.Changed,
            409 => CoapCode.Forbidden,
            504 => CoapCode.GatewayTimeout,
            >= 400 and < 600 => new CoapCode(reply.Http / 100, reply.Http % 100),
            _ => CoapCode.InternalServerError,
        };
        var response = new CoapResponse(code);
        response.Options.Add((CoapOptionNumber)OptionRsc, (uint)reply.Rsc);
        if (request.Headers.TryGetValue("X-M2M-RI", out string? rqi))
        {
            response.Options.Add((CoapOptionNumber)OptionRqi, rqi);
        }

        response.Options.Add((CoapOptionNumber)OptionRvi, request.Headers.GetValueOrDefault("X-M2M-RVI", "3"));
        response.Options.Add((CoapOptionNumber)OptionOt, Now());
        if (reply.Body is not null)
        {
            response.Payload = Encoding.UTF8.GetBytes(reply.Body.ToJsonString());
            response.ContentFormat = 50;
        }

        return response;
    }

    /// <summary>
    /// The whole tree behind one CoAP resource. Block2 follow-ups (RFC 7959 §2.4) of an answer larger than one block
    /// are served from the answer kept for that client and target instead of running the request again: a CREATE
    /// repeated for block 1 would meet its own resource (4105), and the log would count one request twice.
    /// </summary>
    private sealed class CoapFront : CoapResource
    {
        private const int MaxKeptAnswers = 64;
        private readonly TestCse _cse;
        private readonly CancellationToken _token;
        private readonly Dictionary<string, CoapResponse> _kept = new(StringComparer.Ordinal);

        public CoapFront(TestCse cse, CancellationToken token)
            : base(string.Empty)
        {
            _cse = cse;
            _token = token;
            HandlesSubPaths = true;
        }

        public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken) => ServeAsync(request);

        public override ValueTask<CoapResponse> HandlePostAsync(CoapRequestContext request, CancellationToken cancellationToken) => ServeAsync(request);

        public override ValueTask<CoapResponse> HandlePutAsync(CoapRequestContext request, CancellationToken cancellationToken) => ServeAsync(request);

        public override ValueTask<CoapResponse> HandleDeleteAsync(CoapRequestContext request, CancellationToken cancellationToken) => ServeAsync(request);

        private async ValueTask<CoapResponse> ServeAsync(CoapRequestContext request)
        {
            string key = string.Concat(request.Remote.ToString(), " ", request.Method.ToString(), " ", string.Join('/', request.Path), "?", string.Join('&', request.Query));
            if (request.Message.Block2 is { Number: > 0 })
            {
                lock (_kept)
                {
                    if (_kept.TryGetValue(key, out CoapResponse? kept))
                    {
                        return kept;
                    }
                }
            }

            Inbound inbound = ToInbound(request);
            Reply? reply = await _cse.ProcessAsync(inbound, _token).ConfigureAwait(false);
            if (reply is null)
            {
                // Outage: the endpoint is already gone, so whatever is returned here is never sent.
                return new CoapResponse(CoapCode.ServiceUnavailable);
            }

            CoapResponse response = ToCoapResponse(inbound, reply);
            if (response.Payload.Length > 512)
            {
                lock (_kept)
                {
                    if (_kept.Count >= MaxKeptAnswers)
                    {
                        _kept.Clear();
                    }

                    _kept[key] = response;
                }
            }

            Interlocked.Increment(ref _cse._handled);
            if (reply.AfterResponse is { } after)
            {
                _cse.Dispatch(after);
            }

            return response;
        }
    }
}
