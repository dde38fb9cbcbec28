using System.Net;
using System.Threading.Channels;
using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Transport;
using ActiveGate.Coap.Transport.Udp;

namespace ActiveGate.Lwm2m.Tests.Registration;

/// <summary>What the scripted server received on /rd or /bs.</summary>
internal sealed record ServerEvent(string Kind, string Path, IReadOnlyList<string> Query, string Payload, int? ContentFormat, EndPoint Remote);

/// <summary>
/// A scripted LwM2M server (and bootstrap server) on our own CoapServer/CoapClient: it accepts
/// Register/Update/De-register on /rd and Bootstrap-Request on /bs, records them, and drives
/// operations on the registered client through the same endpoint.
/// </summary>
internal sealed class ScriptedLwm2mServer : IAsyncDisposable
{
    private readonly CoapServer _server;
    private readonly CoapClient _client;
    private readonly Channel<ServerEvent> _events = Channel.CreateUnbounded<ServerEvent>();
    private readonly HashSet<string> _registrations = new(StringComparer.Ordinal);
    private int _next;

    private readonly Uri? _uri;

    public ScriptedLwm2mServer(IDatagramTransport? transport = null, Uri? uri = null)
    {
        _uri = uri;
        transport ??= new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, 0));
        _server = new CoapServer(transport);
        _client = new CoapClient(_server.Endpoint, new CoapClientOptions { RequestTimeout = TimeSpan.FromSeconds(10) });
        _server.Root.Add(new RdResource(this).Configure());
        _server.Root.Add(new BsResource(this));
        _server.Root.Add(new DpResource(this));
        _server.StartAsync().GetAwaiter().GetResult();
    }

    public Uri Uri => _uri ?? new($"coap://127.0.0.1:{((IPEndPoint)_server.LocalEndPoint).Port}");

    public EndPoint LocalEndPoint => _server.LocalEndPoint;

    /// <summary>The code answered to Register (2.01 normally).</summary>
    public CoapCode RegisterAnswer { get; set; } = CoapCode.Created;

    /// <summary>Where the last Register came from: requests to the client go there.</summary>
    public EndPoint? ClientAddress { get; private set; }

    public int RegisterCount { get; private set; }

    /// <summary>Forgets every registration (what a server restart without persistence does).</summary>
    public void ForgetRegistrations()
    {
        lock (_registrations)
        {
            _registrations.Clear();
        }
    }

    public async Task<ServerEvent> NextAsync(string kind, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var e = await _events.Reader.ReadAsync(cts.Token);
            if (e.Kind == kind)
            {
                return e;
            }
        }
    }

    public bool TryNext(out ServerEvent? e) => _events.Reader.TryRead(out e);

    public Task<CoapResponse> SendAsync(CoapCode method, string pathAndQuery, int? accept = null, ReadOnlyMemory<byte> payload = default, int? contentFormat = null, bool observe = false, CancellationToken ct = default)
    {
        var target = (IPEndPoint)(ClientAddress ?? throw new InvalidOperationException("No client registered."));
        string host = target.Address.IsIPv4MappedToIPv6 ? target.Address.MapToIPv4().ToString() : target.Address.ToString();
        if (host.Contains(':', StringComparison.Ordinal))
        {
            host = "[" + host + "]";
        }

        var request = new CoapRequest(method, new Uri($"coap://{host}:{target.Port}{pathAndQuery}")) { Accept = accept, Payload = payload, ContentFormat = contentFormat };
        if (observe)
        {
            request.Options.Add(CoapOptionNumber.Observe, 0u);
        }

        return _client.SendAsync(request, ct);
    }

    public IAsyncEnumerable<CoapResponse> ObserveAsync(string path, int? accept, CancellationToken ct)
    {
        var target = (IPEndPoint)ClientAddress!;
        string host = target.Address.IsIPv4MappedToIPv6 ? target.Address.MapToIPv4().ToString() : target.Address.ToString();
        var request = new CoapRequest(CoapCode.Get, new Uri($"coap://{host}:{target.Port}{path}")) { Accept = accept };
        return _client.ObserveAsync(request, ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    private void Record(string kind, CoapRequestContext request) =>
        _events.Writer.TryWrite(new ServerEvent(kind, "/" + string.Join('/', request.Path), request.Query.ToArray(), request.PayloadAsString, request.ContentFormat, request.Remote));

    private sealed class RdResource(ScriptedLwm2mServer owner) : CoapResource("rd")
    {
        public override ValueTask<CoapResponse> HandlePostAsync(CoapRequestContext request, CancellationToken cancellationToken)
        {
            if (request.RemainingPath.Count == 0)
            {
                owner.Record("register", request);
                if (owner.RegisterAnswer != CoapCode.Created)
                {
                    return ValueTask.FromResult(new CoapResponse(owner.RegisterAnswer));
                }

                owner.RegisterCount++;
                owner.ClientAddress = request.Remote;
                string id = "c" + Interlocked.Increment(ref owner._next);
                lock (owner._registrations)
                {
                    owner._registrations.Add(id);
                }

                var response = new CoapResponse(CoapCode.Created);
                response.Options.Add(CoapOptionNumber.LocationPath, "rd");
                response.Options.Add(CoapOptionNumber.LocationPath, id);
                return ValueTask.FromResult(response);
            }

            owner.Record("update", request);
            bool known;
            lock (owner._registrations)
            {
                known = owner._registrations.Contains(request.RemainingPath[0]);
            }

            return ValueTask.FromResult(new CoapResponse(known ? CoapCode.Changed : CoapCode.NotFound));
        }

        public override ValueTask<CoapResponse> HandleDeleteAsync(CoapRequestContext request, CancellationToken cancellationToken)
        {
            owner.Record("deregister", request);
            return ValueTask.FromResult(new CoapResponse(CoapCode.Deleted));
        }

        public RdResource Configure()
        {
            HandlesSubPaths = true;
            return this;
        }
    }

    private sealed class DpResource(ScriptedLwm2mServer owner) : CoapResource("dp")
    {
        public override ValueTask<CoapResponse> HandlePostAsync(CoapRequestContext request, CancellationToken cancellationToken)
        {
            owner.Record("send", request);
            return ValueTask.FromResult(new CoapResponse(CoapCode.Changed));
        }
    }

    private sealed class BsResource : CoapResource
    {
        private readonly ScriptedLwm2mServer _owner;

        public BsResource(ScriptedLwm2mServer owner)
            : base("bs") => _owner = owner;

        public override ValueTask<CoapResponse> HandlePostAsync(CoapRequestContext request, CancellationToken cancellationToken)
        {
            _owner.ClientAddress = request.Remote;
            _owner.Record("bootstrap", request);
            return ValueTask.FromResult(new CoapResponse(CoapCode.Changed));
        }
    }
}
