using System.Net;
using System.Threading.Channels;
using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Transport;
using ActiveGate.Coap.Transport.Udp;

namespace ActiveGate.TestKit.Lwm2m;

/// <summary>What the scripted server received on /rd, /bs or /dp.</summary>
/// <param name="Kind">"register", "update", "deregister", "bootstrap" or "send".</param>
/// <param name="Path">The request path, for example <c>/rd</c> or <c>/rd/c1</c>.</param>
/// <param name="Query">Query parameters as sent (<c>ep=…</c>, <c>lt=…</c>).</param>
/// <param name="Payload">The payload as UTF-8 text (the CoRE links of a Register).</param>
/// <param name="ContentFormat">The request's Content-Format.</param>
/// <param name="Remote">Where the request came from.</param>
public sealed record ServerEvent(string Kind, string Path, IReadOnlyList<string> Query, string Payload, int? ContentFormat, EndPoint Remote);

/// <summary>
/// A scripted LwM2M server (and bootstrap server) on our own CoapServer/CoapClient: it accepts
/// Register/Update/De-register on /rd, Bootstrap-Request on /bs and Send on /dp, records them,
/// and drives operations on the registered client through the same endpoint (Read, Write,
/// Create, Delete, Observe). Every operation returns the client's <see cref="CoapResponse"/>:
/// its code and, for errors, the diagnostic text in <see cref="CoapResponse.PayloadAsString"/>.
/// Payloads are encoded here (<see cref="Lwm2mPayloads"/>), independently of the client's codec.
/// </summary>
/// <example>
/// <code>
/// await using var server = new ScriptedLwm2mServer();
/// // start the agent / client with server.Uri as its LwM2M server
/// var register = await server.WaitForRegistrationAsync();
/// var write = await server.WriteInstanceAsync(26241, 0, new Dictionary&lt;int, WriteValue&gt; { [0] = "metering", [1] = "http", [2] = "10.0.0.5", [3] = 8080, [4] = "/id-in", [5] = "cse-in", [6] = "CActiveGate01" });
/// Assert.Equal(CoapCode.Changed, write.Code);
/// var port = await server.WriteResourceAsync(26241, 0, 3, 0);          // 4.00, write.PayloadAsString says why
/// await using var state = await server.StartObserveAsync("/26241/0/8");
/// var next = await state.NextAsync(TimeSpan.FromSeconds(10));           // "active"
/// </code>
/// </example>
public sealed class ScriptedLwm2mServer : IAsyncDisposable
{
    private readonly CoapServer _server;
    private readonly CoapClient _client;
    private readonly Channel<ServerEvent> _events = Channel.CreateUnbounded<ServerEvent>();
    private readonly HashSet<string> _registrations = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<ServerEvent> _firstRegistration = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Uri? _uri;
    private int _next;
    private int _registerCount;
    private ServerEvent? _lastRegistration;

    /// <param name="transport">The datagram transport to serve on (default: UDP on 127.0.0.1, any port).</param>
    /// <param name="uri">The URI clients should use when the transport's address is not reachable as such.</param>
    public ScriptedLwm2mServer(IDatagramTransport? transport = null, Uri? uri = null)
    {
        _uri = uri;
        transport ??= new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, 0));
        _server = new CoapServer(transport);
        _client = new CoapClient(_server.Endpoint, new CoapClientOptions { RequestTimeout = TimeSpan.FromSeconds(10) });
        _server.Root.Add(new RdResource(this));
        _server.Root.Add(new BsResource(this));
        _server.Root.Add(new DpResource(this));
        _server.StartAsync().GetAwaiter().GetResult();
    }

    /// <summary>The URI to give a client as its LwM2M server (<c>coap://127.0.0.1:port</c>).</summary>
    public Uri Uri => _uri ?? new($"coap://127.0.0.1:{((IPEndPoint)_server.LocalEndPoint).Port}");

    public EndPoint LocalEndPoint => _server.LocalEndPoint;

    /// <summary>The code answered to Register (2.01 normally).</summary>
    public CoapCode RegisterAnswer { get; set; } = CoapCode.Created;

    /// <summary>Where the last Register came from: requests to the client go there.</summary>
    public EndPoint? ClientAddress { get; private set; }

    /// <summary>Registers answered with 2.01.</summary>
    public int RegisterCount => Volatile.Read(ref _registerCount);

    /// <summary>The last accepted Register (its query and CoRE link payload), or null.</summary>
    public ServerEvent? LastRegistration => Volatile.Read(ref _lastRegistration);

    /// <summary>Forgets every registration (what a server restart without persistence does).</summary>
    public void ForgetRegistrations()
    {
        lock (_registrations)
        {
            _registrations.Clear();
        }
    }

    /// <summary>
    /// The accepted Register: returns at once when a client has registered already (the latest
    /// Register), else waits for the first one. Does not consume <see cref="NextAsync"/> events.
    /// </summary>
    public async Task<ServerEvent> WaitForRegistrationAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (LastRegistration is { } done)
        {
            return done;
        }

        await _firstRegistration.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
        return LastRegistration!;
    }

    /// <summary>The next recorded event of <paramref name="kind"/>; events of other kinds before it are dropped.</summary>
    public async Task<ServerEvent> NextAsync(string kind, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var e = await _events.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
            if (e.Kind == kind)
            {
                return e;
            }
        }
    }

    public bool TryNext(out ServerEvent? e) => _events.Reader.TryRead(out e);

    /// <summary>Sends any request to the registered client (raw: payload and formats as given).</summary>
    public Task<CoapResponse> SendAsync(CoapCode method, string pathAndQuery, int? accept = null, ReadOnlyMemory<byte> payload = default, int? contentFormat = null, bool observe = false, CancellationToken ct = default)
    {
        var request = new CoapRequest(method, ClientUri(pathAndQuery)) { Accept = accept, Payload = payload, ContentFormat = contentFormat };
        if (observe)
        {
            request.Options.Add(CoapOptionNumber.Observe, 0u);
        }

        return _client.SendAsync(request, ct);
    }

    /// <summary>Read (GET) of an object, instance or resource; <paramref name="accept"/> picks the format (default: the client's choice).</summary>
    public Task<CoapResponse> ReadAsync(string path, int? accept = null, CancellationToken ct = default) =>
        SendAsync(CoapCode.Get, path, accept, ct: ct);

    /// <summary>
    /// Write on an instance: <paramref name="replace"/> is Write-Replace (PUT: resources not given are
    /// removed), otherwise Partial Update (POST). Format TLV or SenML JSON.
    /// </summary>
    public Task<CoapResponse> WriteInstanceAsync(int objectId, int instanceId, IEnumerable<KeyValuePair<int, WriteValue>> values, WriteFormat format = WriteFormat.Tlv, bool replace = true, CancellationToken ct = default)
    {
        var payload = Lwm2mPayloads.EncodeInstance(format, objectId, instanceId, values, wrapInstance: false);
        return SendAsync(replace ? CoapCode.Put : CoapCode.Post, Invariant($"/{objectId}/{instanceId}"), payload: payload, contentFormat: (int)format, ct: ct);
    }

    /// <summary>Write (PUT) of a single resource, as text/plain by default (or TLV / SenML JSON).</summary>
    public Task<CoapResponse> WriteResourceAsync(int objectId, int instanceId, int resourceId, WriteValue value, WriteFormat format = WriteFormat.PlainText, CancellationToken ct = default)
    {
        var payload = Lwm2mPayloads.EncodeResource(format, objectId, instanceId, resourceId, value);
        return SendAsync(CoapCode.Put, Invariant($"/{objectId}/{instanceId}/{resourceId}"), payload: payload, contentFormat: (int)format, ct: ct);
    }

    /// <summary>
    /// Create (POST on the object). With <paramref name="instanceId"/> the payload names the new
    /// instance (TLV object-instance wrapper or SenML base name); without it the client picks the
    /// id (TLV only). The new path is in <see cref="CoapResponse.LocationPath"/>.
    /// </summary>
    public Task<CoapResponse> CreateInstanceAsync(int objectId, int? instanceId, IEnumerable<KeyValuePair<int, WriteValue>> values, WriteFormat format = WriteFormat.Tlv, CancellationToken ct = default)
    {
        if (instanceId is null && format != WriteFormat.Tlv)
        {
            throw new ArgumentException("A Create without an instance id is encoded in TLV.", nameof(format));
        }

        var payload = Lwm2mPayloads.EncodeInstance(format, objectId, instanceId ?? 0, values, wrapInstance: instanceId is not null);
        return SendAsync(CoapCode.Post, Invariant($"/{objectId}"), payload: payload, contentFormat: (int)format, ct: ct);
    }

    /// <summary>Write-Composite (iPATCH /, SenML JSON): absolute resource paths to values, several instances at once.</summary>
    public Task<CoapResponse> WriteCompositeAsync(IEnumerable<KeyValuePair<string, WriteValue>> values, CancellationToken ct = default) =>
        SendAsync(CoapCode.IPatch, "/", payload: Lwm2mPayloads.EncodeComposite(values), contentFormat: (int)WriteFormat.SenmlJson, ct: ct);

    /// <summary>Delete of an instance.</summary>
    public Task<CoapResponse> DeleteInstanceAsync(int objectId, int instanceId, CancellationToken ct = default) =>
        SendAsync(CoapCode.Delete, Invariant($"/{objectId}/{instanceId}"), ct: ct);

    /// <summary>Observes a path: every response (the first one, then each notification) as it arrives.</summary>
    public IAsyncEnumerable<CoapResponse> ObserveAsync(string path, int? accept, CancellationToken ct) =>
        _client.ObserveAsync(new CoapRequest(CoapCode.Get, ClientUri(path)) { Accept = accept }, ct);

    /// <summary>
    /// Starts an observation and returns once the client answered (its answer is
    /// <see cref="ServerObservation.First"/>; not 2.05 means refused). Dispose to cancel it.
    /// </summary>
    public async Task<ServerObservation> StartObserveAsync(string path, int? accept = null, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var observation = new ServerObservation(this, path, accept);
        await observation.StartAsync(timeout ?? TimeSpan.FromSeconds(15), ct).ConfigureAwait(false);
        return observation;
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync().ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    private Uri ClientUri(string pathAndQuery)
    {
        var target = (IPEndPoint)(ClientAddress ?? throw new InvalidOperationException("No client registered."));
        string host = target.Address.IsIPv4MappedToIPv6 ? target.Address.MapToIPv4().ToString() : target.Address.ToString();
        if (host.Contains(':', StringComparison.Ordinal))
        {
            host = "[" + host + "]";
        }

        return new Uri($"coap://{host}:{target.Port}{pathAndQuery}");
    }

    private ServerEvent Record(string kind, CoapRequestContext request)
    {
        var e = new ServerEvent(kind, "/" + string.Join('/', request.Path), request.Query.ToArray(), request.PayloadAsString, request.ContentFormat, request.Remote);
        _events.Writer.TryWrite(e);
        return e;
    }

    private sealed class RdResource : CoapResource
    {
        private readonly ScriptedLwm2mServer _owner;

        public RdResource(ScriptedLwm2mServer owner)
            : base("rd")
        {
            _owner = owner;
            HandlesSubPaths = true;
        }

        public override ValueTask<CoapResponse> HandlePostAsync(CoapRequestContext request, CancellationToken cancellationToken)
        {
            if (request.RemainingPath.Count == 0)
            {
                var registration = _owner.Record("register", request);
                if (_owner.RegisterAnswer != CoapCode.Created)
                {
                    return ValueTask.FromResult(new CoapResponse(_owner.RegisterAnswer));
                }

                Interlocked.Increment(ref _owner._registerCount);
                _owner.ClientAddress = request.Remote;
                string id = "c" + Interlocked.Increment(ref _owner._next).ToString(System.Globalization.CultureInfo.InvariantCulture);
                lock (_owner._registrations)
                {
                    _owner._registrations.Add(id);
                }

                Volatile.Write(ref _owner._lastRegistration, registration);
                _owner._firstRegistration.TrySetResult(registration);
                var response = new CoapResponse(CoapCode.Created);
                response.Options.Add(CoapOptionNumber.LocationPath, "rd");
                response.Options.Add(CoapOptionNumber.LocationPath, id);
                return ValueTask.FromResult(response);
            }

            _owner.Record("update", request);
            bool known;
            lock (_owner._registrations)
            {
                known = _owner._registrations.Contains(request.RemainingPath[0]);
            }

            return ValueTask.FromResult(new CoapResponse(known ? CoapCode.Changed : CoapCode.NotFound));
        }

        public override ValueTask<CoapResponse> HandleDeleteAsync(CoapRequestContext request, CancellationToken cancellationToken)
        {
            _owner.Record("deregister", request);
            return ValueTask.FromResult(new CoapResponse(CoapCode.Deleted));
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

    private sealed class BsResource(ScriptedLwm2mServer owner) : CoapResource("bs")
    {
        public override ValueTask<CoapResponse> HandlePostAsync(CoapRequestContext request, CancellationToken cancellationToken)
        {
            owner.ClientAddress = request.Remote;
            owner.Record("bootstrap", request);
            return ValueTask.FromResult(new CoapResponse(CoapCode.Changed));
        }
    }
}

/// <summary>An Observe relation the scripted server holds on the client; dispose to cancel (GET Observe=1).</summary>
public sealed class ServerObservation : IAsyncDisposable
{
    private readonly ScriptedLwm2mServer _server;
    private readonly string _path;
    private readonly int? _accept;
    private readonly Channel<CoapResponse> _notifications = Channel.CreateUnbounded<CoapResponse>();
    private readonly CancellationTokenSource _stop = new();
    private Task? _pump;

    internal ServerObservation(ScriptedLwm2mServer server, string path, int? accept)
    {
        _server = server;
        _path = path;
        _accept = accept;
    }

    /// <summary>The client's answer to the Observe request (2.05 with the current value, or an error).</summary>
    public CoapResponse First { get; private set; } = null!;

    /// <summary>The next notification after <see cref="First"/>.</summary>
    /// <exception cref="TimeoutException">None arrived in time.</exception>
    public async Task<CoapResponse> NextAsync(TimeSpan? timeout = null, CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(15));
        try
        {
            return await _notifications.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"No notification for {_path} in time.");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"The observation of {_path} ended.");
        }
    }

    /// <summary>A notification that already arrived, without waiting.</summary>
    public bool TryNext(out CoapResponse? notification) => _notifications.Reader.TryRead(out notification);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_pump is not null)
        {
            try
            {
                await _pump.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stop.Dispose();
    }

    internal async Task StartAsync(TimeSpan timeout, CancellationToken ct)
    {
        var first = new TaskCompletionSource<CoapResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pump = Task.Run(async () =>
        {
            try
            {
                await foreach (var response in _server.ObserveAsync(_path, _accept, _stop.Token).ConfigureAwait(false))
                {
                    if (!first.TrySetResult(response))
                    {
                        await _notifications.Writer.WriteAsync(response, _stop.Token).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                first.TrySetException(ex);
            }
            finally
            {
                _notifications.Writer.TryComplete();
                first.TrySetCanceled();
            }
        }, CancellationToken.None);
        First = await first.Task.WaitAsync(timeout, ct).ConfigureAwait(false);
    }
}
