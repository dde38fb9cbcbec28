using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace ActiveGate.TestKit.OneM2m;

/// <summary>
/// A small, strict oneM2M IN-CSE for tests, speaking the HTTP binding on 127.0.0.1 (and the CoAP binding, TS-0008,
/// on a UDP port of its own: TestCse.Coap.cs). Both fronts translate to one binding-neutral handler. It is written from
/// TS-0004/TS-0009 and the behaviour observed on ACME (shared/reference/onem2m-notes.md §4–6), independently
/// of ActiveGate.OneM2m, so it checks the client instead of mirroring it. It rejects what a real CSE rejects:
/// <list type="bullet">
/// <item>missing X-M2M-Origin / X-M2M-RI → 400/4000; missing or unknown X-M2M-RVI → 501/4001;</item>
/// <item>POST without <c>ty</c> in Content-Type → 400/4000 (it is not a notification target); <c>ty</c> on PUT → 400/4000;
/// a media type other than application/json or vnd.onem2m-res+json → 415/4015;</item>
/// <item>a root key that does not match <c>ty</c>, long attribute names, read-only attributes, wrong types,
/// missing mandatory attributes (AE: api/rr/srv, api starting with R or N; cin: con; sub: nu) → 400/4000;</item>
/// <item>missing parent → 404/4004; a child type the parent cannot hold → 403/4108; a taken name → 409/4105;</item>
/// <item>an originator registering twice → 403/4117; writing into another AE's tree → 403/4103.</item>
/// </list>
/// Every violation is recorded in <see cref="Violations"/>; tests assert it is empty. Faults: <see cref="FailNext"/>,
/// <see cref="ResponseDelay"/>, <see cref="Hang"/>, <see cref="Stop"/>/<see cref="Restart"/> (outage).
/// The front-end is a bare <see cref="KestrelServer"/> (no host, no DI, no logging): HttpListener on Linux cost
/// more CPU per request than the agent under test, so the proxy benchmark measured the CSE.
/// </summary>
public sealed partial class TestCse : IAsyncDisposable
{
    private static readonly HashSet<string> s_commonWritable = ["rn", "lbl", "et", "acpi"];
    private static readonly HashSet<string> s_readOnly = ["ri", "pi", "ct", "lt", "ty", "st", "aei", "cni", "cbs", "cs", "csi"];

    private readonly Lock _gate = new();

    // Serialises Restart/Stop, so a Restart waits until a Stop has released the port; never held by request handlers.
    private readonly Lock _lifecycle = new();
    private readonly TestCseOptions _options;
    private readonly Dictionary<string, TestCseResource> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TestCseResource> _byRi = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _aeByOriginator = new(StringComparer.Ordinal);
    private readonly List<TestCseRequest> _requests = [];
    private readonly List<string> _violations = [];
    private readonly List<TestCseNotification> _notifications = [];
    private readonly Dictionary<string, Queue<(JsonObject Request, DateTimeOffset Queued)>> _pollingQueues = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _pollSignal = new(0);
    private readonly HttpClient _notifyClient = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly Queue<(int Rsc, int Http)> _injectedFailures = new();
    private KestrelServer? _server;
    private CancellationTokenSource _runCts = new();
    private TaskCompletionSource _hangRelease = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _sequence;
    private long _riCounter;
    private long _handled;

    // Before any member that touches Kestrel is compiled: the test projects do not run on the ASP.NET Core framework.
    static TestCse() => AspNetCoreSharedFramework.EnsureResolvable();

    private TestCse(TestCseOptions options)
    {
        _options = options;
        var cseBase = new JsonObject
        {
            ["rn"] = options.CseBaseName,
            ["ri"] = options.CseId.TrimStart('/'),
            ["ty"] = 5,
            ["csi"] = options.CseId,
            ["srv"] = new JsonArray(options.SupportedReleases.Select(s => (JsonNode)s).ToArray()),
            ["ct"] = Now(),
        };
        var root = new TestCseResource(options.CseBaseName, "m2m:cb", 5, cseBase, null);
        _byPath[root.Path] = root;
        _byRi[root.Ri] = root;
    }

    /// <summary>The loopback port, chosen by the OS at <see cref="Start"/> and kept across <see cref="Restart"/>.</summary>
    public int Port { get; private set; }

    /// <summary>The HTTP root, e.g. <c>http://127.0.0.1:40123/</c>.</summary>
    public Uri BaseUrl => new($"http://127.0.0.1:{Port}/");

    public string CseId => _options.CseId;

    public string CseBaseName => _options.CseBaseName;

    /// <summary>Delay before every answer (slow CSE).</summary>
    public TimeSpan ResponseDelay { get; set; }

    /// <summary>While true, requests are accepted but never answered (hung CSE) until set false, <see cref="Stop"/> or dispose.</summary>
    public bool Hang
    {
        get;
        set
        {
            lock (_gate)
            {
                field = value;
                if (!value)
                {
                    _hangRelease.TrySetResult();
                    _hangRelease = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
        }
    }

    /// <summary>Number of requests answered (also counted when the request log is disabled).</summary>
    public long HandledRequests => Interlocked.Read(ref _handled);

    public IReadOnlyList<TestCseRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (_gate)
            {
                return [.. _violations];
            }
        }
    }

    public IReadOnlyList<TestCseNotification> Notifications
    {
        get
        {
            lock (_gate)
            {
                return [.. _notifications];
            }
        }
    }

    /// <summary>Starts a CSE on a free loopback port.</summary>
    public static TestCse Start(TestCseOptions? options = null)
    {
        // Binding port 0 lets the OS pick a free port atomically: no probe-then-bind race to retry.
        var cse = new TestCse(options ?? new TestCseOptions());
        cse.Restart();
        return cse;
    }

    /// <summary>Starts (again) listening on the same port: the end of an outage. Stored resources are kept.</summary>
    /// <exception cref="IOException">The port was taken by someone else during the outage.</exception>
    public void Restart()
    {
        lock (_lifecycle)
        {
            if (_server is not null)
            {
                return;
            }

            CancellationToken token;
            lock (_gate)
            {
                _runCts = new CancellationTokenSource();
                token = _runCts.Token;
            }

            KestrelServer server = CreateServer(Port);
            try
            {
                // Blocking is safe: starting only binds the socket and never calls into the application.
                server.StartAsync(new Application(this, token), CancellationToken.None).GetAwaiter().GetResult();
            }
            catch
            {
                server.Dispose();
                throw;
            }

            if (Port == 0)
            {
                string address = server.Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
                Port = new Uri(address).Port;
            }

            try
            {
                StartCoap(token);
            }
            catch
            {
                server.StopAsync(new CancellationToken(canceled: true)).GetAwaiter().GetResult();
                server.Dispose();
                throw;
            }

            _server = server;
        }
    }

    /// <summary>
    /// Forgets every resource but the CSEBase (and the queued notifications): a platform that comes back from an
    /// outage with an empty database. Resource IDs keep counting, so no new resource gets the name of a forgotten one.
    /// </summary>
    public void Wipe()
    {
        lock (_gate)
        {
            TestCseResource root = _byPath[_options.CseBaseName];
            root.Children.Clear();
            _byPath.Clear();
            _byRi.Clear();
            _byPath[root.Path] = root;
            _byRi[root.Ri] = root;
            _aeByOriginator.Clear();
            _pollingQueues.Clear();
        }
    }

    /// <summary>Stops listening on both fronts (HTTP: connection refused; CoAP: port closed) and aborts hung requests: an outage.</summary>
    public void Stop()
    {
        lock (_lifecycle)
        {
            KestrelServer? server = _server;
            _server = null;

            // First, so that a hung CoAP request released below finds its endpoint gone and stays unanswered.
            StopCoap();
            lock (_gate)
            {
                _runCts.Cancel();
                _hangRelease.TrySetResult();
                _hangRelease = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            if (server is not null)
            {
                // A cancelled token: unbind, then abort every connection at once instead of draining them.
                // Handlers see the run token cancelled and return, so this does not wait on a hung request.
                server.StopAsync(new CancellationToken(canceled: true)).GetAwaiter().GetResult();
                server.Dispose();
            }
        }
    }

    private static KestrelServer CreateServer(int port)
    {
        var options = new KestrelServerOptions { AddServerHeader = false, AllowSynchronousIO = false };

        // Kestrel's default is 30 MB; stated so that no one lowers it below what a large CSE body needs.
        options.Limits.MaxRequestBodySize = 32 * 1024 * 1024;
        options.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http1);
        var transport = new SocketTransportFactory(Options.Create(new SocketTransportOptions()), NullLoggerFactory.Instance);
        return new KestrelServer(Options.Create(options), transport, NullLoggerFactory.Instance);
    }

    /// <summary>The next <paramref name="count"/> requests are answered with this RSC (and HTTP status) without being processed.</summary>
    public void FailNext(int count, int rsc = 5000, int httpStatus = 500)
    {
        lock (_gate)
        {
            for (int i = 0; i < count; i++)
            {
                _injectedFailures.Enqueue((rsc, httpStatus));
            }
        }
    }

    public void ClearLogs()
    {
        lock (_gate)
        {
            _requests.Clear();
            _violations.Clear();
            _notifications.Clear();
        }
    }

    /// <summary>The resource at a structured path (<c>cse-in/AE/cnt</c>), or null.</summary>
    public TestCseResource? Find(string path)
    {
        lock (_gate)
        {
            return _byPath.GetValueOrDefault(path.Trim('/'));
        }
    }

    /// <summary>Children of a resource (optionally of one type), oldest first.</summary>
    public IReadOnlyList<TestCseResource> ChildrenOf(string path, int? type = null)
    {
        lock (_gate)
        {
            return _byPath.TryGetValue(path.Trim('/'), out TestCseResource? r)
                ? [.. r.Children.Where(c => type is null || c.Type == type).OrderBy(c => c.Sequence)]
                : [];
        }
    }

    /// <summary>The <c>con</c> of every contentInstance under a container, oldest first.</summary>
    public IReadOnlyList<string> ContentsOf(string containerPath)
        => [.. ChildrenOf(containerPath, 4).Select(c => (string?)c.Attributes["con"] ?? "")];

    /// <summary>Every resource path (for debugging failed assertions).</summary>
    public IReadOnlyList<string> AllPaths()
    {
        lock (_gate)
        {
            return [.. _byPath.Keys.Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>The platform (an app) writes a contentInstance, e.g. a command; subscribers get notified.</summary>
    public string PlatformCreateContentInstance(string containerPath, string content, string contentInfo = "application/json:0")
    {
        var attrs = new JsonObject { ["cnf"] = contentInfo, ["con"] = content };
        List<(TestCseResource Sub, JsonObject Notification)> pending;
        TestCseResource created;
        lock (_gate)
        {
            TestCseResource parent = _byPath.GetValueOrDefault(containerPath.Trim('/'))
                ?? throw new InvalidOperationException($"no container {containerPath}");
            created = Store(parent, "m2m:cin", 4, attrs, _options.AdminOriginator);
            pending = CollectNotifications(parent, 3, created);
        }

        Dispatch(pending);
        return created.Path;
    }

    /// <summary>The platform updates a resource (e.g. a flexContainer's <c>state</c>); subscribers get notified.</summary>
    public void PlatformUpdate(string path, JsonObject attributes)
    {
        List<(TestCseResource Sub, JsonObject Notification)> pending;
        lock (_gate)
        {
            TestCseResource target = _byPath.GetValueOrDefault(path.Trim('/')) ?? throw new InvalidOperationException($"no resource {path}");
            foreach (KeyValuePair<string, JsonNode?> kv in attributes)
            {
                target.Attributes[kv.Key] = kv.Value?.DeepClone();
            }

            target.Attributes["lt"] = Now();
            pending = CollectNotifications(target, 1, target);
        }

        Dispatch(pending);
    }

    /// <summary>Kestrel's view of the CSE: the per-request context is Kestrel's own feature collection (no allocation).</summary>
    private sealed class Application(TestCse cse, CancellationToken token) : IHttpApplication<IFeatureCollection>
    {
        public IFeatureCollection CreateContext(IFeatureCollection contextFeatures) => contextFeatures;

        public Task ProcessRequestAsync(IFeatureCollection context) => cse.ServeAsync(context, token);

        public void DisposeContext(IFeatureCollection context, Exception? exception)
        {
        }
    }

    private async Task ServeAsync(IFeatureCollection context, CancellationToken token)
    {
        IHttpRequestFeature req = context.GetRequiredFeature<IHttpRequestFeature>();
        string body;
        try
        {
            using var reader = new StreamReader(req.Body, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: -1, leaveOpen: true);
            body = await reader.ReadToEndAsync(token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            // Client gone, body too large or outage began.
            Abort(context);
            return;
        }

        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, StringValues> header in req.Headers)
        {
            // Kestrel merges repeated and differently cased names as HttpListener did; values join with ','.
            headers[header.Key.ToUpperInvariant()] = header.Value.ToString();
        }

        (string rawPath, string query) = PathAndQuery(req);
        // A client that goes away (a long poll it abandoned) must not be handed a queued notification: it would be lost.
        using var request = CancellationTokenSource.CreateLinkedTokenSource(token, context.Get<IHttpRequestLifetimeFeature>()?.RequestAborted ?? CancellationToken.None);
        Reply? processed = await ProcessAsync(new Inbound(req.Method, rawPath, query, headers, body, "http"), request.Token).ConfigureAwait(false);
        if (processed is not { } reply)
        {
            Abort(context);
            return;
        }

        try
        {
            IHttpResponseFeature resp = context.GetRequiredFeature<IHttpResponseFeature>();
            resp.StatusCode = reply.Http;
            resp.Headers["X-M2M-RSC"] = reply.Rsc.ToString(CultureInfo.InvariantCulture);
            if (headers.TryGetValue("X-M2M-RI", out string? ri))
            {
                resp.Headers["X-M2M-RI"] = ri;
            }

            resp.Headers["X-M2M-RVI"] = headers.GetValueOrDefault("X-M2M-RVI", "3");
            resp.Headers["X-M2M-OT"] = Now();
            byte[] payload = reply.Body is null ? [] : Encoding.UTF8.GetBytes(reply.Body.ToJsonString());
            if (payload.Length > 0)
            {
                resp.Headers.ContentType = "application/json";
            }

            resp.Headers.ContentLength = payload.Length;
            IHttpResponseBodyFeature responseBody = context.GetRequiredFeature<IHttpResponseBodyFeature>();
            await responseBody.Writer.WriteAsync(payload, token).ConfigureAwait(false);
            await responseBody.CompleteAsync().ConfigureAwait(false);
            Interlocked.Increment(ref _handled);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException or OperationCanceledException or IOException)
        {
            // Client gave up (timeout) or outage began. Never let Kestrel complete a half-built answer.
            Abort(context);
        }

        if (reply.AfterResponse is { } after)
        {
            Dispatch(after);
        }
    }

    /// <summary>
    /// A request as both fronts hand it over: the HTTP method (CoAP GET/POST/PUT/DELETE map 1:1), the path with
    /// <c>~</c>/<c>_</c> as its first segment for SP-relative/absolute targets, the query without '?', and the
    /// oneM2M parameters under their TS-0009 header names in upper case (X-M2M-ORIGIN, X-M2M-RI, X-M2M-RVI,
    /// CONTENT-TYPE with <c>;ty=</c>).
    /// </summary>
    private sealed record Inbound(string Method, string RawPath, string Query, Dictionary<string, string> Headers, string Body, string Binding);

    /// <summary>
    /// The binding-neutral part of serving one request: faults (hang, delay, injected failures), the oneM2M
    /// semantics and the request log. Null means "answer nothing" (an outage began).
    /// </summary>
    private async Task<Reply?> ProcessAsync(Inbound request, CancellationToken token)
    {
        try
        {
            Task hang;
            lock (_gate)
            {
                hang = Hang ? _hangRelease.Task : Task.CompletedTask;
            }

            await hang.ConfigureAwait(false);
            if (ResponseDelay > TimeSpan.Zero)
            {
                await Task.Delay(ResponseDelay, token).ConfigureAwait(false);
            }

            token.ThrowIfCancellationRequested();
        }
        catch (OperationCanceledException)
        {
            return null;
        }

        string method = request.Method;
        string rawPath = request.RawPath;
        Reply reply;
        (int Rsc, int Http)? injected = null;
        lock (_gate)
        {
            if (_injectedFailures.Count > 0)
            {
                injected = _injectedFailures.Dequeue();
            }
        }

        if (injected is { } f)
        {
            reply = new Reply(f.Http, f.Rsc, Debug("injected failure"), null);
        }
        else
        {
            try
            {
                reply = await HandleAsync(method, rawPath, request.Query, request.Headers, request.Body, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Outage began during a long poll.
                return null;
            }
            catch (Exception ex)
            {
                // A bug in the test CSE must show up as a failed assertion, not as a hang.
                reply = Reject(500, 5000, "test CSE internal error: " + ex);
            }
        }

        lock (_gate)
        {
            if (reply.Violation is not null)
            {
                _violations.Add($"{method} {rawPath}: {reply.Violation}");
            }

            if (_options.RequestLogCapacity > _requests.Count)
            {
                _requests.Add(new TestCseRequest(method, rawPath, request.Query, request.Headers, request.Body, reply.Rsc, reply.Http, reply.Violation)
                {
                    Binding = request.Binding,
                });
            }
        }

        return reply;
    }


    private static void Abort(IFeatureCollection context) => context.Get<IHttpRequestLifetimeFeature>()?.Abort();

    /// <summary>
    /// The path and query exactly as HttpListener's <c>Url.AbsolutePath</c> and <c>Url.Query</c> (without '?') gave
    /// them: <see cref="Uri"/> over the raw request target, so escapes stay as sent except those Uri itself decodes
    /// (unreserved characters such as <c>%7E</c>) and dot segments are removed. Kestrel's own Path is decoded.
    /// </summary>
    private static (string Path, string Query) PathAndQuery(IHttpRequestFeature req)
    {
        string target = req.RawTarget;
        Uri? url = target.StartsWith('/')
            ? (Uri.TryCreate("http://127.0.0.1" + target, UriKind.Absolute, out Uri? u) ? u : null)
            : (Uri.TryCreate(target, UriKind.Absolute, out Uri? absolute) ? absolute : null);
        return url is null ? (req.Path, req.QueryString.TrimStart('?')) : (url.AbsolutePath, url.Query.TrimStart('?'));
    }

    private sealed record Reply(int Http, int Rsc, JsonObject? Body, string? Violation)
    {
        public List<(TestCseResource Sub, JsonObject Notification)>? AfterResponse { get; init; }
    }

    private static JsonObject Debug(string message) => new() { ["m2m:dbg"] = message };

    private static Reply Reject(int http, int rsc, string why) => new(http, rsc, Debug(why), why);

    /// <summary>Rejections that a correct client may legitimately provoke (not recorded as violations).</summary>
    private static Reply Refuse(int http, int rsc, string why) => new(http, rsc, Debug(why), null);

    private async Task<Reply> HandleAsync(string method, string rawPath, string query, Dictionary<string, string> headers, string body, CancellationToken token)
    {
        // TS-0009 §6.4: mandatory headers.
        if (!headers.TryGetValue("X-M2M-RVI", out string? rvi) || rvi.Length == 0)
        {
            return Reject(501, 4001, "X-M2M-RVI missing (Release 1 is not supported)");
        }

        if (!_options.SupportedReleases.Contains(rvi))
        {
            return Reject(501, 4001, $"release version '{rvi}' not supported");
        }

        if (!headers.TryGetValue("X-M2M-RI", out string? rqi) || rqi.Length == 0)
        {
            return Reject(400, 4000, "X-M2M-RI missing");
        }

        if (!headers.TryGetValue("X-M2M-ORIGIN", out string? origin) || origin.Length == 0)
        {
            return Reject(400, 4000, "X-M2M-Origin missing");
        }

        string? path = ResolvePath(rawPath);
        Dictionary<string, string> q = ParseQuery(query);
        headers.TryGetValue("CONTENT-TYPE", out string? contentType);
        int? ty = null;
        if (contentType is not null)
        {
            string[] parts = contentType.Split(';');
            string media = parts[0].Trim();
            if (media is not ("application/json" or "application/vnd.onem2m-res+json"))
            {
                return Reject(415, 4015, $"unsupported media type '{media}'");
            }

            foreach (string p in parts.Skip(1))
            {
                string[] kv = p.Split('=', 2);
                if (kv.Length == 2 && kv[0].Trim() == "ty")
                {
                    if (!int.TryParse(kv[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int t))
                    {
                        return Reject(400, 4000, $"bad ty '{kv[1]}'");
                    }

                    ty = t;
                }
            }
        }

        switch (method)
        {
            case "POST":
                if (contentType is null)
                {
                    return Reject(400, 4000, "POST without Content-Type");
                }

                if (ty is null)
                {
                    return Reject(400, 4000, "Not a NOTIFY request or response: POST without ty in Content-Type");
                }

                return path is null ? Refuse(404, 4004, "target not found") : Create(path, ty.Value, origin, body, q);
            case "GET":
                if (body.Length > 0)
                {
                    return Reject(400, 4000, "RETRIEVE with a body");
                }

                if (path is not null && path.EndsWith("/pcu", StringComparison.Ordinal))
                {
                    return await LongPollAsync(path[..^4], origin, token).ConfigureAwait(false);
                }

                return path is null ? Refuse(404, 4004, "target not found") : Retrieve(path, origin, q);
            case "PUT":
                if (ty is not null)
                {
                    return Reject(400, 4000, "UPDATE must not carry ty in Content-Type");
                }

                if (contentType is null)
                {
                    return Reject(400, 4000, "Missing primitive content (UPDATE without Content-Type)");
                }

                return path is null ? Refuse(404, 4004, "target not found") : Update(path, origin, body);
            case "DELETE":
                return path is null ? Refuse(404, 4004, "target not found") : Delete(path, origin);
            default:
                return Reject(405, 4005, $"method {method} not allowed");
        }
    }

    /// <summary>HTTP path → structured path. <c>/~/id-in/x</c> and <c>/_/sp/id-in/x</c> resolve via ri (or rn below the CSEBase).</summary>
    private string? ResolvePath(string rawPath)
    {
        string p = Uri.UnescapeDataString(rawPath);
        string? rest = null;
        if (p.StartsWith("/~/", StringComparison.Ordinal))
        {
            rest = p[3..];
        }
        else if (p.StartsWith("/_/", StringComparison.Ordinal))
        {
            int slash = p.IndexOf('/', 3);
            rest = slash < 0 ? null : p[(slash + 1)..];
        }

        if (rest is null)
        {
            return p.Trim('/');
        }

        // rest = "id-in/<ri or structured below csebase>"
        string cseId = _options.CseId.TrimStart('/');
        if (!rest.StartsWith(cseId, StringComparison.Ordinal))
        {
            return null;
        }

        string tail = rest[cseId.Length..].Trim('/');
        if (tail.Length == 0)
        {
            return _options.CseBaseName;
        }

        lock (_gate)
        {
            string first = tail.Split('/')[0];
            if (_byRi.TryGetValue(first, out TestCseResource? byRi))
            {
                return (byRi.Path + tail[first.Length..]).TrimEnd('/');
            }
        }

        return tail.StartsWith(_options.CseBaseName + "/", StringComparison.Ordinal) || tail == _options.CseBaseName
            ? tail
            : _options.CseBaseName + "/" + tail;
    }

    private static Dictionary<string, string> ParseQuery(string query)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = pair.Split('=', 2);
            result[Uri.UnescapeDataString(kv[0])] = kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : "";
        }

        return result;
    }

    private Reply Create(string parentPath, int ty, string origin, string body, Dictionary<string, string> query)
    {
        JsonObject? doc;
        try
        {
            doc = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException ex)
        {
            return Reject(400, 4000, "invalid JSON: " + ex.Message);
        }

        if (doc is null || doc.Count != 1)
        {
            return Reject(400, 4000, "content must be one object with exactly one root key");
        }

        (string rootKey, JsonNode? node) = doc.First();
        if (node is not JsonObject attrs)
        {
            return Reject(400, 4000, $"{rootKey} must be an object");
        }

        string? expectedRoot = ty switch
        {
            2 => "m2m:ae",
            3 => "m2m:cnt",
            4 => "m2m:cin",
            15 => "m2m:pch",
            23 => "m2m:sub",
            28 => null,
            _ => "",
        };
        if (expectedRoot == "")
        {
            return Reject(400, 4000, $"resource type {ty} not supported by the test CSE");
        }

        if (expectedRoot is not null && rootKey != expectedRoot)
        {
            return Reject(400, 4000, $"root key {rootKey} does not match ty={ty} ({expectedRoot})");
        }

        if (ty == 28 && (!rootKey.Contains(':', StringComparison.Ordinal) || rootKey.StartsWith("m2m:", StringComparison.Ordinal)))
        {
            return Reject(400, 4000, $"flexContainer root key '{rootKey}' must be a <domain>:<shortName>");
        }

        string? attrError = ValidateAttributes(ty, attrs, create: true);
        if (attrError is not null)
        {
            return Reject(400, 4000, attrError);
        }

        List<(TestCseResource, JsonObject)> pending;
        TestCseResource created;
        lock (_gate)
        {
            if (!_byPath.TryGetValue(parentPath, out TestCseResource? parent))
            {
                return Refuse(404, 4004, $"parent {parentPath} not found");
            }

            if (!ChildAllowed(parent.Type, ty))
            {
                return Reject(403, 4108, $"ty={ty} cannot be a child of ty={parent.Type}");
            }

            if (ty == 2)
            {
                if (parent.Type != 5)
                {
                    return Reject(403, 4108, "AE must be created under the CSEBase");
                }

                if (!(origin.StartsWith('C') || origin.StartsWith('S')))
                {
                    return Reject(403, 4103, $"originator '{origin}' not allowed to register (expects C* or S*)");
                }

                if (origin.Length > 1 && _aeByOriginator.ContainsKey(origin))
                {
                    return Refuse(403, 4117, $"Originator {origin} has already registered");
                }

                if (attrs["api"] is JsonValue api && api.GetValueKind() == JsonValueKind.String && !(((string)api!).StartsWith('R') || ((string)api!).StartsWith('N')))
                {
                    return Reject(400, 4000, "api must start with R or N");
                }
            }
            else if (!MayWrite(origin, parent))
            {
                return Reject(403, 4103, $"originator {origin} has no CREATE privilege on {parentPath}");
            }

            if (ty == 15 && parent.Children.Any(c => c.Type == 15))
            {
                // ACME's answer (not 4105) to a second pollingChannel under the same AE.
                return Refuse(400, 4000, "only one PCH per AE is allowed");
            }

            // Validated above as a non-empty string; converted once, not once per sibling.
            if (attrs["rn"] is JsonNode rnNode && (string?)rnNode is var rn && parent.Children.Any(c => c.Rn == rn))
            {
                return Refuse(409, 4105, $"resource with name {rn} already exists");
            }

            created = Store(parent, rootKey, ty, attrs.DeepClone().AsObject(), origin);
            pending = ty == 4 || ty == 3 || ty == 28 || ty == 23 ? CollectNotifications(parent, 3, created) : [];
        }

        if (ty == 23 && created.Attributes["nu"] is JsonArray nus)
        {
            foreach (string nu in nus.Select(n => (string?)n ?? ""))
            {
                if (IsNotificationUrl(nu) && !VerifyNotificationTarget(nu, created, origin))
                {
                    lock (_gate)
                    {
                        Remove(created);
                    }

                    return Refuse(500, 5204, $"subscription verification for {nu} failed");
                }
            }
        }

        bool rcn0 = query.TryGetValue("rcn", out string? rcn) && rcn == "0";
        JsonObject? responseBody = rcn0 ? null : new JsonObject { [rootKey] = created.Attributes.DeepClone() };
        return new Reply(201, 2001, responseBody, null) { AfterResponse = pending };
    }

    private bool VerifyNotificationTarget(string url, TestCseResource sub, string creator)
    {
        var sgn = new JsonObject { ["m2m:sgn"] = new JsonObject { ["vrq"] = true, ["sur"] = SubscriptionReference(sub), ["cr"] = creator } };
        int? rsc = Send(url, sgn, "5");
        return rsc == 2000;
    }

    private static bool ChildAllowed(int parentType, int childType) => (parentType, childType) switch
    {
        (5, 2 or 3 or 28) => true,
        (2, 3 or 23 or 28 or 15) => true,
        (3, 3 or 4 or 23) => true,
        (28, 28 or 23) => true,
        _ => false,
    };

    private bool MayWrite(string origin, TestCseResource target)
    {
        if (origin == _options.AdminOriginator)
        {
            return true;
        }

        // Owner = the AE at the top of the target's tree.
        TestCseResource? node = target;
        while (node is not null && node.Type != 2)
        {
            node = node.ParentPath is null ? null : _byPath.GetValueOrDefault(node.ParentPath);
        }

        return node is not null && (string?)node.Attributes["aei"] == origin;
    }

    private static string? ValidateAttributes(int ty, JsonObject attrs, bool create)
    {
        HashSet<string> allowed = ty switch
        {
            2 => ["api", "rr", "poa", "srv", "apn", "nl", "csz"],
            3 => ["mni", "mbs", "mia", "cr"],
            4 => ["cnf", "con", "cr"],
            15 => [],
            23 => ["nu", "nct", "enc", "su", "exc", "cr", "nsi"],
            _ => [],
        };
        foreach ((string name, JsonNode? value) in attrs)
        {
            if (s_readOnly.Contains(name))
            {
                return $"attribute '{name}' is read-only";
            }

            if (ty != 28 && !allowed.Contains(name) && !s_commonWritable.Contains(name))
            {
                return $"attribute '{name}' is not allowed for ty={ty} (long names are not accepted)";
            }

            if (value is null)
            {
                // null deletes an attribute on UPDATE (TS-0004 §7.4.1); it means nothing on CREATE.
                if (create || (ty == 2 && name is "api" or "rr" or "srv") || name == "rn")
                {
                    return $"attribute '{name}' cannot be null here";
                }

                continue;
            }

            if (value is JsonArray { Count: 0 })
            {
                // As ACME: "Optional list attribute must be non-empty".
                return $"list attribute '{name}' must be non-empty (omit it, or send null to delete it)";
            }

            string? typeError = (name, value) switch
            {
                ("rn", _) => value is JsonValue v && v.GetValueKind() == JsonValueKind.String && ((string)v!).Length > 0
                    && !((string)v!).Contains('/', StringComparison.Ordinal) ? null : "rn must be a non-empty string without '/'",
                ("lbl" or "poa" or "srv" or "nu", _) => value is JsonArray a && a.All(x => x is JsonValue xv && xv.GetValueKind() == JsonValueKind.String)
                    ? null : $"{name} must be a list of strings",
                ("rr", _) => value is JsonValue b && b.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? null : "rr must be a boolean",
                ("mni" or "mbs" or "mia" or "nct" or "exc", _) => value is JsonValue n && n.GetValueKind() == JsonValueKind.Number && (double)n >= 0
                    ? null : $"{name} must be a non-negative number",
                ("con" or "api" or "cnf" or "et", _) => value is JsonValue s && s.GetValueKind() == JsonValueKind.String ? null : $"{name} must be a string",
                ("enc", _) => value is JsonObject enc && (enc["net"] is null || enc["net"] is JsonArray) ? null : "enc must be an object with a net list",
                _ => null,
            };
            if (typeError is not null)
            {
                return typeError;
            }
        }

        if (attrs["cnf"] is JsonValue cnf && !((string)cnf!).Contains(':', StringComparison.Ordinal))
        {
            return "cnf must be <media type>:<encoding>";
        }

        if (attrs["et"] is JsonValue et && !IsOneM2mTime((string)et!))
        {
            return "et must be a oneM2M timestamp YYYYMMDDTHHMMSS";
        }

        if (!create)
        {
            return null;
        }

        string[] mandatory = ty switch
        {
            2 => ["api", "rr", "srv"],
            4 => ["con"],
            23 => ["nu"],
            28 => ["cnd"],
            _ => [],
        };
        string? missing = mandatory.FirstOrDefault(m => attrs[m] is null);
        if (missing is not null)
        {
            return $"cannot find mandatory attribute in request: {missing}";
        }

        if (ty == 28)
        {
            return ValidateFlexDataPoints(attrs);
        }

        return null;
    }

    /// <summary>TS-0023 data point types for the two module classes ActiveGate uses (ACME checks these too).</summary>
    private static string? ValidateFlexDataPoints(JsonObject attrs)
    {
        string cnd = (string?)attrs["cnd"] ?? "";
        if (cnd.EndsWith(".binarySwitch", StringComparison.Ordinal))
        {
            if (attrs["state"] is not JsonValue state || state.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            {
                return attrs["powSe"] is JsonValue p && p.GetValueKind() is JsonValueKind.True or JsonValueKind.False
                    ? null
                    : "binarySwitch.state: invalid type. Expected: bool";
            }
        }

        if (cnd.EndsWith(".energyConsumption", StringComparison.Ordinal))
        {
            foreach (string dp in new[] { "abECn", "power", "volte", "currt", "freqy", "roECn" })
            {
                if (attrs[dp] is JsonNode n && (n is not JsonValue v || v.GetValueKind() != JsonValueKind.Number))
                {
                    return $"energyConsumption.{dp}: invalid type. Expected: float";
                }
            }
        }

        return null;
    }

    private static bool IsOneM2mTime(string s)
        => s.Length >= 15 && s[8] == 'T' && s[..8].All(char.IsAsciiDigit) && s[9..15].All(char.IsAsciiDigit);

    private TestCseResource Store(TestCseResource parent, string rootKey, int ty, JsonObject attrs, string origin)
    {
        string prefix = ty switch { 2 => "", 3 => "cnt", 4 => "cin", 15 => "pch", 23 => "sub", 28 => "fcnt", _ => "r" };
        string ri = ty == 2
            ? (origin.Length > 1 ? origin : "C" + Interlocked.Increment(ref _riCounter).ToString("x8", CultureInfo.InvariantCulture))
            : prefix + Interlocked.Increment(ref _riCounter).ToString("x8", CultureInfo.InvariantCulture);
        attrs["rn"] ??= ty == 4 ? "cin_" + ri : ri;
        string now = Now();
        attrs["ri"] = ri;
        attrs["pi"] = parent.Ri;
        attrs["ty"] = ty;
        attrs["ct"] = now;
        attrs["lt"] = now;
        attrs["et"] ??= "20991231T000000";
        if (ty == 2)
        {
            attrs["aei"] = ri;
            _aeByOriginator[ri] = parent.Path + "/" + (string)attrs["rn"]!;
        }

        if (ty == 3)
        {
            attrs["cni"] = 0;
            attrs["cbs"] = 0;
            attrs["st"] = 0;
        }

        if (ty == 4)
        {
            attrs["cs"] = Encoding.UTF8.GetByteCount((string?)attrs["con"] ?? "");
            attrs["st"] = 0;
        }

        var resource = new TestCseResource(parent.Path + "/" + (string)attrs["rn"]!, rootKey, ty, attrs, parent.Path)
        {
            Sequence = ++_sequence,
        };
        parent.Children.Add(resource);
        _byPath[resource.Path] = resource;
        _byRi[ri] = resource;
        if (ty == 4 && parent.Type == 3)
        {
            EnforceContainerLimits(parent);
        }

        return resource;
    }

    private void EnforceContainerLimits(TestCseResource container)
    {
        // Runs on every contentInstance CREATE (the proxy benchmark's hot path), hence no sort: children are only
        // appended by Store (under _gate, in Sequence order) and removed, so they are already oldest first.
        List<TestCseResource> instances = container.Children.FindAll(c => c.Type == 4);
        long mni = container.Attributes["mni"] is JsonValue ? AsLong(container.Attributes["mni"]) : long.MaxValue;
        int excess = instances.Count - (int)Math.Clamp(mni, 0, instances.Count);
        long bytes = 0;
        for (int i = 0; i < instances.Count; i++)
        {
            if (i < excess)
            {
                Remove(instances[i]);
            }
            else
            {
                bytes += AsLong(instances[i].Attributes["cs"]);
            }
        }

        container.Attributes["cni"] = instances.Count - excess;
        container.Attributes["cbs"] = bytes;
        container.Attributes["st"] = AsLong(container.Attributes["st"]) + 1;
    }

    private static long AsLong(JsonNode? node)
    {
        if (node is not JsonValue v)
        {
            return 0;
        }

        if (v.TryGetValue(out long l))
        {
            return l;
        }

        if (v.TryGetValue(out int i))
        {
            return i;
        }

        return v.TryGetValue(out double d) ? (long)d : 0;
    }

    private void Remove(TestCseResource resource)
    {
        foreach (TestCseResource child in resource.Children.ToList())
        {
            Remove(child);
        }

        _byPath.Remove(resource.Path);
        _byRi.Remove(resource.Ri);
        if (resource.Type == 2)
        {
            _aeByOriginator.Remove(resource.Ri);
        }

        if (resource.ParentPath is not null && _byPath.TryGetValue(resource.ParentPath, out TestCseResource? parent))
        {
            parent.Children.Remove(resource);
        }
    }

    private Reply Retrieve(string path, string origin, Dictionary<string, string> query)
    {
        lock (_gate)
        {
            TestCseResource? target;
            if (path.EndsWith("/la", StringComparison.Ordinal) || path.EndsWith("/ol", StringComparison.Ordinal))
            {
                bool latest = path.EndsWith("/la", StringComparison.Ordinal);
                if (!_byPath.TryGetValue(path[..^3], out TestCseResource? container) || container.Type != 3)
                {
                    return Refuse(404, 4004, "container not found");
                }

                IEnumerable<TestCseResource> cins = container.Children.Where(c => c.Type == 4).OrderBy(c => c.Sequence);
                target = latest ? cins.LastOrDefault() : cins.FirstOrDefault();
            }
            else
            {
                target = _byPath.GetValueOrDefault(path);
            }

            if (target is null)
            {
                return Refuse(404, 4004, $"resource {path} not found");
            }

            if (target.Type == 5 && origin != _options.AdminOriginator)
            {
                // As ACME: the CSEBase's ACP grants CREATE to AEs, RETRIEVE only to the admin.
                return Refuse(403, 4103, $"originator: {origin} has no RETRIEVE privileges for resource: {target.Ri}");
            }

            if (query.TryGetValue("fu", out string? fu) && fu == "1")
            {
                var uris = new JsonArray();
                foreach (TestCseResource r in Descendants(target))
                {
                    if (!query.TryGetValue("ty", out string? tyFilter) || tyFilter.Split('+').Contains(r.Type.ToString(CultureInfo.InvariantCulture)))
                    {
                        uris.Add(r.Path);
                    }
                }

                return new Reply(200, 2000, new JsonObject { ["m2m:uril"] = uris }, null);
            }

            JsonObject rep = target.Attributes.DeepClone().AsObject();
            if (query.TryGetValue("rcn", out string? rcn) && rcn == "4")
            {
                foreach (IGrouping<string, TestCseResource> group in target.Children.GroupBy(c => c.RootKey))
                {
                    rep[group.Key] = new JsonArray(group.Select(c => (JsonNode)c.Attributes.DeepClone()).ToArray());
                }
            }

            return new Reply(200, 2000, new JsonObject { [target.RootKey] = rep }, null);
        }
    }

    private static IEnumerable<TestCseResource> Descendants(TestCseResource root)
    {
        foreach (TestCseResource child in root.Children.OrderBy(c => c.Sequence))
        {
            yield return child;
            foreach (TestCseResource d in Descendants(child))
            {
                yield return d;
            }
        }
    }

    private Reply Update(string path, string origin, string body)
    {
        JsonObject? doc;
        try
        {
            doc = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException ex)
        {
            return Reject(400, 4000, "invalid JSON: " + ex.Message);
        }

        List<(TestCseResource, JsonObject)> pending;
        JsonObject rep;
        lock (_gate)
        {
            if (!_byPath.TryGetValue(path, out TestCseResource? target))
            {
                return Refuse(404, 4004, $"resource {path} not found");
            }

            if (doc is null || doc.Count != 1 || doc.First().Key != target.RootKey || doc.First().Value is not JsonObject attrs)
            {
                return Reject(400, 4000, $"UPDATE content must be {{\"{target.RootKey}\":{{…}}}}");
            }

            if (!MayWrite(origin, target))
            {
                return Reject(403, 4103, $"originator {origin} has no UPDATE privilege on {path}");
            }

            if (attrs.ContainsKey("rn"))
            {
                return Reject(400, 4000, "rn cannot be updated");
            }

            string? error = ValidateAttributes(target.Type, attrs, create: false);
            if (error is null && target.Type == 28)
            {
                var merged = target.Attributes.DeepClone().AsObject();
                foreach (KeyValuePair<string, JsonNode?> kv in attrs)
                {
                    merged[kv.Key] = kv.Value?.DeepClone();
                }

                error = ValidateFlexDataPoints(merged);
            }

            if (error is not null)
            {
                return Reject(400, 4000, error);
            }

            foreach (KeyValuePair<string, JsonNode?> kv in attrs)
            {
                if (kv.Value is null)
                {
                    target.Attributes.Remove(kv.Key);
                }
                else
                {
                    target.Attributes[kv.Key] = kv.Value.DeepClone();
                }
            }

            target.Attributes["lt"] = Now();
            rep = new JsonObject { [target.RootKey] = target.Attributes.DeepClone() };
            pending = CollectNotifications(target, 1, target);
        }

        return new Reply(200, 2004, rep, null) { AfterResponse = pending };
    }

    private Reply Delete(string path, string origin)
    {
        lock (_gate)
        {
            if (!_byPath.TryGetValue(path, out TestCseResource? target) || target.Type == 5)
            {
                return Refuse(404, 4004, $"resource {path} not found");
            }

            if (!MayWrite(origin, target))
            {
                return Reject(403, 4103, $"originator {origin} has no DELETE privilege on {path}");
            }

            Remove(target);
            return new Reply(200, 2002, null, null);
        }
    }

    private string SubscriptionReference(TestCseResource sub) => _options.CseId + "/" + sub.Ri;

    /// <summary>Notifications for subscriptions on <paramref name="subscribed"/> whose net contains <paramref name="net"/>.</summary>
    private List<(TestCseResource Sub, JsonObject Notification)> CollectNotifications(TestCseResource subscribed, int net, TestCseResource changed)
    {
        var result = new List<(TestCseResource, JsonObject)>();
        if (!_options.DeliverNotifications)
        {
            return result;
        }

        foreach (TestCseResource sub in subscribed.Children.Where(c => c.Type == 23))
        {
            if (ReferenceEquals(sub, changed))
            {
                continue;
            }

            int[] nets = sub.Attributes["enc"]?["net"] is JsonArray a ? [.. a.Select(x => (int)AsLong(x))] : [1];
            if (!nets.Contains(net))
            {
                continue;
            }

            var sgn = new JsonObject
            {
                ["m2m:sgn"] = new JsonObject
                {
                    ["nev"] = new JsonObject
                    {
                        ["net"] = net,
                        ["rep"] = new JsonObject { [changed.RootKey] = changed.Attributes.DeepClone() },
                    },
                    ["sur"] = SubscriptionReference(sub),
                },
            };
            result.Add((sub, sgn));
        }

        return result;
    }

    private void Dispatch(List<(TestCseResource Sub, JsonObject Notification)> pending)
    {
        if (pending.Count == 0)
        {
            return;
        }

        // Sequential per call, in the background (like a CSE's notification worker).
        _ = Task.Run(() =>
        {
            foreach ((TestCseResource sub, JsonObject sgn) in pending)
            {
                foreach (string nu in (sub.Attributes["nu"] as JsonArray ?? []).Select(n => (string?)n ?? ""))
                {
                    DeliverTo(nu, sgn);
                }
            }
        });
    }

    private void DeliverTo(string nu, JsonObject sgn)
    {
        if (IsNotificationUrl(nu))
        {
            Send(nu, sgn, "5");
            return;
        }

        JsonObject? ae;
        string? aePath;
        lock (_gate)
        {
            aePath = _aeByOriginator.GetValueOrDefault(nu);
            ae = aePath is null ? null : _byPath.GetValueOrDefault(aePath)?.Attributes;
        }

        if (ae is null)
        {
            Record(new TestCseNotification(nu, sgn.ToJsonString(), null, "no such AE"));
            return;
        }

        string? poa = (ae["poa"] as JsonArray)?.Select(p => (string?)p).FirstOrDefault(p => p is not null && IsNotificationUrl(p));
        if ((bool?)ae["rr"] == true && poa is not null)
        {
            string rvi = (ae["srv"] as JsonArray)?.Select(s => (string?)s).LastOrDefault() ?? "3";
            Send(poa.TrimEnd('/') + "/" + nu, sgn, rvi);
            return;
        }

        // Not reachable: queue for the AE's pollingChannel, if it has one.
        lock (_gate)
        {
            TestCseResource? pch = _byPath[aePath!].Children.FirstOrDefault(c => c.Type == 15);
            if (pch is null)
            {
                _notifications.Add(new TestCseNotification(nu, sgn.ToJsonString(), null, "AE not reachable and has no pollingChannel"));
                return;
            }

            if (!_pollingQueues.TryGetValue(pch.Path, out Queue<(JsonObject, DateTimeOffset)>? queue))
            {
                _pollingQueues[pch.Path] = queue = new Queue<(JsonObject, DateTimeOffset)>();
            }

            queue.Enqueue((new JsonObject
            {
                ["m2m:rqp"] = new JsonObject
                {
                    ["fr"] = _options.CseId,
                    ["to"] = nu,
                    ["op"] = 5,
                    ["rqi"] = "pch" + Interlocked.Increment(ref _riCounter).ToString("x8", CultureInfo.InvariantCulture),
                    ["rvi"] = "3",
                    ["pc"] = sgn.DeepClone(),
                },
            }, DateTimeOffset.UtcNow));
            _notifications.Add(new TestCseNotification(pch.Path, sgn.ToJsonString(), null, null));
        }

        _pollSignal.Release();
    }

    private async Task<Reply> LongPollAsync(string pchPath, string origin, CancellationToken token)
    {
        lock (_gate)
        {
            if (!_byPath.TryGetValue(pchPath, out TestCseResource? pch) || pch.Type != 15)
            {
                return Refuse(404, 4004, $"pollingChannel {pchPath} not found");
            }

            if (!MayWrite(origin, pch))
            {
                return Reject(403, 4103, $"originator {origin} may not poll {pchPath}");
            }
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(_options.LongPollTimeout);
        while (true)
        {
            lock (_gate)
            {
                if (_pollingQueues.TryGetValue(pchPath, out Queue<(JsonObject Request, DateTimeOffset Queued)>? queue))
                {
                    while (queue.TryDequeue(out (JsonObject Request, DateTimeOffset Queued) queued))
                    {
                        // A CSE keeps a queued request only until its request expiration: nobody polled in time, it is gone.
                        if (_options.PollingQueueExpiration is { } expiration && DateTimeOffset.UtcNow - queued.Queued > expiration)
                        {
                            _notifications.Add(new TestCseNotification(pchPath, queued.Request.ToJsonString(), null, "expired in the pollingChannel"));
                            continue;
                        }

                        return new Reply(200, 2000, queued.Request, null);
                    }
                }
            }

            try
            {
                await _pollSignal.WaitAsync(TimeSpan.FromMilliseconds(100), timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                return Refuse(504, 4008, "no request for the polling channel");
            }
        }
    }

    /// <summary>A <c>nu</c> or <c>poa</c> the CSE sends to itself (http:// over HTTP, coap:// over CoAP), not an AE-ID.</summary>
    private static bool IsNotificationUrl(string target)
        => target.StartsWith("http", StringComparison.Ordinal) || target.StartsWith("coap://", StringComparison.Ordinal);

    private int? Send(string url, JsonObject sgn, string rvi)
        => url.StartsWith("coap://", StringComparison.Ordinal) ? SendCoap(url, sgn, rvi) : SendHttp(url, sgn, rvi);

    private int? SendHttp(string url, JsonObject sgn, string rvi)
    {
        string body = sgn.ToJsonString();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url);
            request.Headers.TryAddWithoutValidation("X-M2M-Origin", _options.CseId);
            request.Headers.TryAddWithoutValidation("X-M2M-RI", "ntf" + Interlocked.Increment(ref _riCounter).ToString("x8", CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation("X-M2M-RVI", rvi);
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.Remove("Content-Type");
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
            using HttpResponseMessage response = _notifyClient.Send(request);
            int? rsc = response.Headers.TryGetValues("X-M2M-RSC", out IEnumerable<string>? v)
                && int.TryParse(v.First(), CultureInfo.InvariantCulture, out int parsed) ? parsed : null;
            Record(new TestCseNotification(url, body, rsc, rsc is null ? $"no X-M2M-RSC in answer (HTTP {(int)response.StatusCode})" : null));
            return rsc;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            Record(new TestCseNotification(url, body, null, ex.Message));
            return null;
        }
    }

    private void Record(TestCseNotification notification)
    {
        lock (_gate)
        {
            _notifications.Add(notification);
        }
    }

    private static string Now() => DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss','ffffff", CultureInfo.InvariantCulture);

    public ValueTask DisposeAsync()
    {
        Stop();
        _notifyClient.Dispose();
        _coapNotifyClient?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _pollSignal.Dispose();
        _runCts.Dispose();
        return ValueTask.CompletedTask;
    }
}
