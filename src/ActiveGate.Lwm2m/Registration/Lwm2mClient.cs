using System.Globalization;
using System.Net.NetworkInformation;
using System.Text;
using ActiveGate.Coap;
using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Stack;
using ActiveGate.Coap.Transport;
using ActiveGate.Coap.Transport.Dtls;
using ActiveGate.Coap.Transport.Udp;
using ActiveGate.Lwm2m.ContentFormats;
using ActiveGate.Lwm2m.Model;
using ActiveGate.Lwm2m.Objects;
using ActiveGate.Lwm2m.Operations;
using ActiveGate.Lwm2m.Persistence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Lwm2m.Registration;

/// <summary>
/// The LwM2M client: the object tree (0 Security, 1 Server, 3 Device, 4 Connectivity Monitoring and
/// whatever the host adds), served as CoAP resources on the same endpoint that sends Register,
/// Update and De-register; bootstrap (factory, client-initiated, server-initiated /1/x/9); state
/// persisted in the state directory.
/// </summary>
/// <example>
/// <code>
/// await using var client = new Lwm2mClient(new Lwm2mClientOptions { Endpoint = "urn:dev:ops:gw-1", ServerUri = new Uri("coap://lwm2m.example") });
/// client.AddObject(policyEnabler);                // before StartAsync
/// client.Device.RebootRequested += (_, _) => host.StopApplication();
/// await client.StartAsync(ct);
/// Console.WriteLine(client.Status.State);
/// </code>
/// </example>
public sealed class Lwm2mClient : IAsyncDisposable
{
    private readonly Lwm2mClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly Func<SecurityAccount, IDatagramTransport> _transportFactory;
    private readonly Lwm2mStateStore? _stateStore;
    private readonly Lwm2mCodec _codec;
    private readonly ObservationEngine _observations;
    private readonly Lock _gate = new();
    private readonly List<Lwm2mRequestHandler> _handlers = [];
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _stopping;
    private Task? _loop;
    private Connection? _bootstrapConnection;
    private System.Net.EndPoint? _localEndPoint;
    private Connection? _current;

    // Pending Update parameters, set by model events and executes.
    private bool _updateLinks;
    private bool _updateLifetime;
    private bool _updateBinding;
    private bool _updateRequested;
    private bool _bootstrapRequested;
    private bool _reRegisterRequested;
    private TimeSpan? _disableFor;

    // Status.
    private Lwm2mClientState _state = Lwm2mClientState.Stopped;
    private string? _reason;
    private string? _location;
    private Uri? _serverUri;
    private int _lifetime;
    private DateTimeOffset? _registeredAt;
    private DateTimeOffset? _lastUpdate;
    private DateTimeOffset? _nextUpdate;
    private long _registrations;
    private long _updates;
    private long _bootstraps;
    private long _ignoredRequests;
    private Lwm2mConfigurationOverride[] _overrides = [];

    /// <param name="options">Configuration (validated here).</param>
    /// <param name="timeProvider">Clock for lifetimes, back-off and observation timers.</param>
    /// <param name="loggerFactory">Logging; keys are never logged.</param>
    /// <param name="transportFactory">Makes the datagram transport for a server account (default: UDP for NoSec, DTLS-PSK for PSK).</param>
    /// <param name="network">Connectivity facts for /4 (default: the OS).</param>
    /// <param name="memory">Memory figures for /3 (default: /proc/meminfo).</param>
    public Lwm2mClient(
        Lwm2mClientOptions options,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        Func<SecurityAccount, IDatagramTransport>? transportFactory = null,
        INetworkStatusProvider? network = null,
        IMemoryInfoProvider? memory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory?.CreateLogger("ActiveGate.Lwm2m") ?? NullLogger.Instance;
        _transportFactory = transportFactory ?? DefaultTransport;
        _lifetime = options.LifetimeSeconds;

        Model = new Lwm2mDataModel();
        Security = Model.Add(new SecurityObject());
        Server = Model.Add(new ServerObject());
        Device = Model.Add(new DeviceObject(options.Device, _time, memory));
        Connectivity = Model.Add(new ConnectivityMonitoringObject(_time, network));
        Attributes = new AttributeStore();
        _codec = new Lwm2mCodec(Model, options.Limits, options.PreferredContentFormat);
        _observations = new ObservationEngine(Model, Attributes, _time, ServerDefaults, SendNotificationAsync, _logger) { MaxObservations = options.MaxObservations };
        if (options.StateDirectory is { } dir)
        {
            _stateStore = new Lwm2mStateStore(dir, _logger);
        }

        Model.Changed += OnModelChanged;
        Server.UpdateTriggered += (_, _) => Wake(() => _updateRequested = true);
        Server.CanBootstrap = () => Security.BootstrapAccount is not null;
        Server.BootstrapRequested += (_, _) => Wake(() => _bootstrapRequested = true);
        Server.DisableRequested += (_, e) => Wake(() => _disableFor = e.DisableTimeout);
    }

    public Lwm2mDataModel Model { get; }
    public SecurityObject Security { get; }
    public ServerObject Server { get; }
    public DeviceObject Device { get; }
    public ConnectivityMonitoringObject Connectivity { get; }
    public AttributeStore Attributes { get; }

    /// <summary>Raised whenever <see cref="Status"/> changes state (from the client's loop).</summary>
    public event EventHandler<Lwm2mClientStatus>? StatusChanged;

    /// <summary>
    /// A snapshot. <see cref="Lwm2mClientStatus.ServerUri"/> is the server registered with, or before
    /// that the one the client is trying (the account in force in /0), never null while one exists.
    /// </summary>
    public Lwm2mClientStatus Status
    {
        get
        {
            Uri? inForce = AccountInForce();   // read outside _gate: it takes the model's lock
            lock (_gate)
            {
                return new Lwm2mClientStatus(
                    _state,
                    _reason,
                    _options.Endpoint,
                    _state == Lwm2mClientState.Registered ? _serverUri ?? inForce : inForce,
                    _location,
                    _lifetime,
                    _registeredAt,
                    _lastUpdate,
                    _nextUpdate,
                    _observations.Observations.Select(o => string.Join(",", o.Paths) + " token=" + o.Token + " notified=" + o.NotificationCount.ToString(CultureInfo.InvariantCulture)).ToArray(),
                    _registrations,
                    _updates,
                    _bootstraps,
                    _handlers.Sum(h => h.MalformedRequests),
                    Interlocked.Read(ref _ignoredRequests));
            }
        }
    }

    private Uri? AccountInForce() => Usable()?.ServerUri;

    /// <summary>The local address of the current management-server connection (null when not connected).</summary>
    public System.Net.EndPoint? LocalEndPoint
    {
        get
        {
            lock (_gate)
            {
                return _localEndPoint;
            }
        }
    }

    /// <summary>Adds an application object (for example the transport policy object). Call before <see cref="StartAsync"/>.</summary>
    public TEnabler AddObject<TEnabler>(TEnabler enabler)
        where TEnabler : Lwm2mObjectEnabler => Model.Add(enabler);

    /// <summary>Asks for a Registration Update now (with the object links).</summary>
    public void RequestUpdate() => Wake(() =>
    {
        _updateRequested = true;
        _updateLinks = true;
    });

    /// <summary>
    /// Send (Core TS 6.4.5, LwM2M 1.1): POSTs the current values of <paramref name="paths"/> to /dp as
    /// SenML (the preferred format when it is SenML CBOR, else SenML JSON) with the time as base time.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not registered.</exception>
    public async Task<bool> SendAsync(IReadOnlyList<Lwm2mPath> paths, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        Connection connection;
        lock (_gate)
        {
            connection = _current is not null && _state == Lwm2mClientState.Registered ? _current : throw new InvalidOperationException("Send needs a registration.");
        }

        var records = new List<Lwm2mRecord>();
        foreach (var path in paths)
        {
            Model.ReadInto(path, Lwm2mOrigin.DeviceManagement, records);
        }

        ushort format = _options.PreferredContentFormat == Lwm2mContentFormat.SenmlCbor ? Lwm2mContentFormat.SenmlCbor : Lwm2mContentFormat.SenmlJson;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        _codec.EncodeComposite(format, records, buffer, _time.GetUtcNow().ToUnixTimeSeconds());
        var response = await connection.PostAsync("/dp", buffer.WrittenMemory, format, cancellationToken).ConfigureAwait(false);
        return response.IsSuccess;
    }

    /// <summary>
    /// Restores or factory-provisions /0 and /1, then registers in the background. The rule: what a
    /// server or bootstrap server wrote (the state file) wins over the factory configuration until a
    /// factory reset (/3/0/5) or <see cref="ResetToConfigurationAsync"/>; every configured value
    /// overridden that way is logged here with both values and listed in <see cref="Overrides"/>.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_loop is not null)
        {
            throw new InvalidOperationException("Already started.");
        }

        if (_stateStore?.TryRestore(Model) == true)
        {
            StateSource = Lwm2mStateSource.ServerWritten;
            if (_logger.IsEnabled(LogLevel.Information))
            {
                _logger.LogInformation("LwM2M configuration restored from {Path}: server-written state wins over the configuration until 'activegate lwm2m reset' or a factory reset", _stateStore.FilePath);
            }

            _overrides = FindOverrides();
            foreach (var o in _overrides)
            {
                if (_logger.IsEnabled(LogLevel.Warning))
                {
                    _logger.LogWarning("{Setting} is {Configured} in the configuration but {InForce} was written by the server and stays in force ('activegate lwm2m reset' applies the configuration)", o.Setting, o.Configured, o.InForce);
                }
            }
        }
        else
        {
            FactoryBootstrap();
        }

        _stateStore?.Attach(Model);
        StartLoop();
        return Task.CompletedTask;
    }

    /// <summary>Where /0 and /1 come from: the configuration, or what a server wrote (restored from the state file).</summary>
    public Lwm2mStateSource StateSource { get; private set; } = Lwm2mStateSource.Configuration;

    /// <summary>Configured values that server-written state overrides (empty when the configuration is in force).</summary>
    public IReadOnlyList<Lwm2mConfigurationOverride> Overrides => _overrides;

    /// <summary>
    /// <c>activegate lwm2m reset</c>: de-registers, forgets what servers wrote to /0 and /1 (and the
    /// attributes), deletes the state file and starts again from the configuration.
    /// </summary>
    public async Task ResetToConfigurationAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (int id in Security.InstanceIds.ToArray())
        {
            Security.RemoveInstance(id);
        }

        foreach (int id in Server.InstanceIds.ToArray())
        {
            Server.RemoveInstance(id);
        }

        Attributes.Clear();
        _stateStore?.Delete();
        FactoryBootstrap();
        StateSource = Lwm2mStateSource.Configuration;
        _overrides = [];
        if (_logger.IsEnabled(LogLevel.Warning))
        {
            _logger.LogWarning("LwM2M state reset to the configuration: server {Server}, bootstrap {Bootstrap}", _options.ServerUri?.ToString() ?? "-", _options.BootstrapUri?.ToString() ?? "-");
        }

        StartLoop();
    }

    private void StartLoop()
    {
        if (_options.WatchAddressChanges)
        {
            NetworkChange.NetworkAddressChanged += OnAddressChanged;
        }

        _stopping?.Dispose();
        _stopping = new CancellationTokenSource();
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
    }

    /// <summary>The configured values that differ from the restored /0 and /1 (no key material: URIs and lifetime only).</summary>
    private Lwm2mConfigurationOverride[] FindOverrides()
    {
        var found = new List<Lwm2mConfigurationOverride>();
        var servers = Server.GetServers();
        var server = servers.Count > 0 ? servers[0] : null;
        var account = server is null ? null : Security.ServerAccount(server.ShortServerId);
        if (_options.ServerUri is { } configured && !SameUri(configured, account?.ServerUri))
        {
            found.Add(new("Lwm2m:ServerUri", configured.ToString(), account?.ServerUri.ToString() ?? "no server account"));
        }

        if (_options.BootstrapUri is { } bootstrap && !SameUri(bootstrap, Security.BootstrapAccount?.ServerUri))
        {
            found.Add(new("Lwm2m:BootstrapUri", bootstrap.ToString(), Security.BootstrapAccount?.ServerUri.ToString() ?? "no bootstrap account"));
        }

        if (server is not null && (int)server.Lifetime.TotalSeconds != _options.LifetimeSeconds)
        {
            found.Add(new("Lwm2m:Lifetime", _options.LifetimeSeconds.ToString(CultureInfo.InvariantCulture), ((int)server.Lifetime.TotalSeconds).ToString(CultureInfo.InvariantCulture)));
        }

        return found.ToArray();

        static bool SameUri(Uri a, Uri? b) => b is not null && Uri.Compare(a, b, UriComponents.AbsoluteUri, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0;
    }

    /// <summary>De-registers (bounded wait) and stops.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_loop is null || _stopping is null)
        {
            return;
        }

        NetworkChange.NetworkAddressChanged -= OnAddressChanged;
        await _stopping.CancelAsync().ConfigureAwait(false);
        Wake(() => { });
        try
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }

        _loop = null;
        SetState(Lwm2mClientState.Stopped, null);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _observations.Dispose();
        _stateStore?.Dispose();
        _stopping?.Dispose();
    }

    private void FactoryBootstrap()
    {
        int ssid = _options.ShortServerId;
        if (_options.ServerUri is { } serverUri)
        {
            var (mode, identity, key) = Credentials(serverUri);
            Security.AddAccount(0, serverUri.ToString(), isBootstrap: false, mode, identity, key.Span, ssid);
            Server.AddServer(0, ssid, _options.LifetimeSeconds, _options.QueueMode ? "UQ" : "U");
        }

        if (_options.BootstrapUri is { } bootstrapUri)
        {
            var (mode, identity, key) = Credentials(bootstrapUri);
            Security.AddAccount(1, bootstrapUri.ToString(), isBootstrap: true, mode, identity, key.Span, null);
        }
    }

    private (SecurityMode, byte[], ReadOnlyMemory<byte>) Credentials(Uri uri) => uri.Scheme == "coaps"
        ? (SecurityMode.PreSharedKey, Encoding.UTF8.GetBytes(_options.PskIdentity ?? string.Empty), _options.PskKey)
        : (SecurityMode.NoSec, [], ReadOnlyMemory<byte>.Empty);

    private IDatagramTransport DefaultTransport(SecurityAccount account) => account.Mode switch
    {
        SecurityMode.NoSec => UdpDatagramTransport.CreateClient(),
        SecurityMode.PreSharedKey => new DtlsPskClientTransport(
            new DtlsPskClientOptions { Credential = new PskCredential(account.PskIdentity.Span, account.SecretKey.Span), HandshakeTimeout = _options.HandshakeTimeout },
            _loggerFactory?.CreateLogger("ActiveGate.Coap.Dtls"),
            _time),
        _ => throw new NotSupportedException($"Security mode {account.Mode} is not supported (NoSec and PSK are)."),
    };

    private NotificationAttributes ServerDefaults()
    {
        var servers = Server.GetServers();
        var server = servers.Count > 0 ? servers[0] : null;
        return new NotificationAttributes { MinPeriod = server?.DefaultMinPeriod, MaxPeriod = server?.DefaultMaxPeriod };
    }

    private ValueTask SendNotificationAsync(Notification notification)
    {
        if (notification.Observation.Context is CoapResource node)
        {
            if (node.ObserverCount == 0)
            {
                // The server cancelled by RST or stopped acknowledging: the CoAP layer ended the relation.
                _observations.Cancel(notification.Observation.Token);
            }
            else if (notification.Status == Lwm2mStatus.Content)
            {
                node.NotifyChanged();
            }
        }

        return ValueTask.CompletedTask;
    }

    private void OnModelChanged(object? sender, Lwm2mChangedEventArgs e)
    {
        bool links = e.StructureChanged;
        bool lifetime = e.Paths.Any(p => p.Length >= 3 && p.ObjectId == 1 && p.ResourceId == ServerObject.Lifetime);
        bool binding = e.Paths.Any(p => p.Length >= 3 && ((p.ObjectId == 1 && p.ResourceId == ServerObject.Binding) || (p.ObjectId == 3 && p.ResourceId == DeviceObject.SupportedBindingAndModes)));
        if (links || lifetime || binding)
        {
            Wake(() =>
            {
                _updateLinks |= links;
                _updateLifetime |= lifetime;
                _updateBinding |= binding;
            });
        }
    }

    private void OnAddressChanged(object? sender, EventArgs e)
    {
        Connectivity.Refresh();
        Wake(() => _reRegisterRequested = true);
    }

    private void Wake(Action set)
    {
        TaskCompletionSource wake;
        lock (_gate)
        {
            set();
            wake = _wake;
            _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        wake.TrySetResult();
    }

    private void SetState(Lwm2mClientState state, string? reason)
    {
        bool changed;
        lock (_gate)
        {
            changed = _state != state || !string.Equals(_reason, reason, StringComparison.Ordinal);
            _state = state;
            _reason = reason;
        }

        if (changed)
        {
            if (_logger.IsEnabled(LogLevel.Information))
            {
                _logger.LogInformation("LwM2M {State}{Reason}", state, reason is null ? string.Empty : ": " + reason);
            }

            StatusChanged?.Invoke(this, Status);
        }
    }

    /// <summary>Counts (and logs the 1st, 2nd, 4th, 8th… of) the requests that did not come from the server; always false.</summary>
    private bool IgnoreRequest(System.Net.EndPoint peer, System.Net.IPEndPoint server)
    {
        long count = Interlocked.Increment(ref _ignoredRequests);
        if (count == 1 || (count & (count - 1)) == 0)
        {
            // Visible in the log without letting a flood of requests flood it too.
            if (_logger.IsEnabled(LogLevel.Warning))
            {
                _logger.LogWarning("Ignored a request from {Peer}: only the server {Server} is served ({Count} ignored so far)", peer, server, count);
            }
        }

        return false;
    }

    private enum Outcome
    {
        Stop,
        ReRegister,
        Bootstrap,
        Disable,
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        int failures = 0;
        bool bootstrapNeeded = false;
        string? bootstrapReason = null;   // why the client is (still) bootstrapping, kept visible across attempts
        bool serverTriggered = false;     // the bootstrap under way was asked for by the registered server
        while (!stopping.IsCancellationRequested)
        {
            var servers = Server.GetServers();
            var server = servers.Count > 0 ? servers[0] : null;
            var account = server is null ? null : Security.ServerAccount(server.ShortServerId);
            if (bootstrapNeeded && account is not null && Security.BootstrapAccount is null)
            {
                // A bootstrap was asked for but the account to do it with is gone: go back to the server we have.
                _logger.LogWarning("Bootstrap requested without a Bootstrap-Server account; registering with {Server} again", account.ServerUri);
                bootstrapNeeded = false;
                serverTriggered = false;
                bootstrapReason = null;
            }

            if (bootstrapNeeded || account is null)
            {
                if (Security.BootstrapAccount is not { } bootstrapAccount)
                {
                    SetState(Lwm2mClientState.Failed, "no usable server account and no bootstrap account");
                    await DelayAsync(_options.RetryMaxDelay, stopping).ConfigureAwait(false);
                    continue;
                }

                SetState(Lwm2mClientState.Bootstrapping, bootstrapReason);
                string? error = await BootstrapAsync(bootstrapAccount, stopping).ConfigureAwait(false);
                if (error is null)
                {
                    bootstrapNeeded = false;
                    serverTriggered = false;
                    bootstrapReason = null;
                    failures = 0;
                    continue;
                }

                failures++;
                bootstrapReason = "bootstrap failed: " + error;
                if (serverTriggered && Usable() is not null)
                {
                    // Asked for by the server (/1/x/9) while registered: a bootstrap that fails must not
                    // strand the client; the server account it had is still there, so go back to it.
                    bootstrapNeeded = false;
                    serverTriggered = false;
                    SetState(Lwm2mClientState.Registering, bootstrapReason + "; registering with the previous server again");
                    continue;
                }

                SetState(Lwm2mClientState.Bootstrapping, bootstrapReason);
                await DelayAsync(Backoff(failures), stopping).ConfigureAwait(false);
                continue;
            }

            SetState(Lwm2mClientState.Registering, _reason);
            Outcome outcome;
            try
            {
                await using var connection = await ConnectAsync(account, Lwm2mOrigin.DeviceManagement, stopping).ConfigureAwait(false);
                lock (_gate)
                {
                    _localEndPoint = connection.LocalEndPoint;
                }

                using var clearCurrent = new CurrentConnection(this, connection);

                await RegisterAsync(connection, server!, stopping).ConfigureAwait(false);
                failures = 0;
                await DisposeBootstrapConnectionAsync().ConfigureAwait(false);

                // The first update time is known before "registered" is published, so no reader sees one without the other.
                DateTimeOffset firstUpdate = _time.GetUtcNow() + UpdateDelay((int)server!.Lifetime.TotalSeconds);
                lock (_gate)
                {
                    _nextUpdate = firstUpdate;
                }

                SetState(Lwm2mClientState.Registered, null);
                outcome = await MaintainAsync(connection, server!, firstUpdate, stopping).ConfigureAwait(false);
                await DeregisterAsync(connection).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is CoapException or Lwm2mException or DtlsHandshakeException or IOException or System.Net.Sockets.SocketException or NotSupportedException || (ex is OperationCanceledException && !stopping.IsCancellationRequested))
            {
                failures++;
                string reason = $"registration failed ({failures}): {Describe(ex)}";
                lock (_gate)
                {
                    _location = null;
                    _nextUpdate = null;
                }

                if (failures >= _options.RegistrationAttempts && Security.BootstrapAccount is not null)
                {
                    bootstrapReason = reason + "; falling back to bootstrap";
                    SetState(Lwm2mClientState.Bootstrapping, bootstrapReason);
                    bootstrapNeeded = true;
                    failures = 0;
                    continue;
                }

                SetState(failures >= _options.RegistrationAttempts ? Lwm2mClientState.Failed : Lwm2mClientState.Registering, reason);
                await DelayAsync(Backoff(failures), stopping).ConfigureAwait(false);
                continue;
            }
            catch (OperationCanceledException)
            {
                break;
            }
#pragma warning disable CA1031 // The registration loop must survive anything a server or the OS throws at it; it reports and backs off.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failures++;
                _logger.LogError(ex, "LwM2M registration loop error");
                SetState(Lwm2mClientState.Failed, $"unexpected error: {ex.GetType().Name}: {ex.Message}");
                await DelayAsync(Backoff(failures), stopping).ConfigureAwait(false);
                continue;
            }

            lock (_gate)
            {
                _location = null;
                _nextUpdate = null;
            }

            switch (outcome)
            {
                case Outcome.Stop:
                    await DisposeBootstrapConnectionAsync().ConfigureAwait(false);
                    return;
                case Outcome.Bootstrap:
                    bootstrapNeeded = true;
                    bootstrapReason = "requested by the server (/1/x/9)";
                    serverTriggered = true;
                    break;
                case Outcome.Disable:
                    TimeSpan wait;
                    lock (_gate)
                    {
                        wait = _disableFor ?? TimeSpan.FromDays(1);
                        _disableFor = null;
                    }

                    SetState(Lwm2mClientState.Stopped, $"disabled by the server for {wait.TotalSeconds:0} s");
                    await DelayAsync(wait, stopping).ConfigureAwait(false);
                    break;
            }
        }

        await DisposeBootstrapConnectionAsync().ConfigureAwait(false);
    }

    /// <summary>The server account the loop would register with (the first /1 instance with a matching /0 account), or null.</summary>
    private SecurityAccount? Usable()
    {
        var servers = Server.GetServers();
        return servers.Count > 0 ? Security.ServerAccount(servers[0].ShortServerId) : null;
    }

    private static string Describe(Exception ex) => ex switch
    {
        DtlsHandshakeException d => $"DTLS handshake failed ({d.Reason})",
        OperationCanceledException => "timed out",
        _ => ex.Message,
    };

    private TimeSpan Backoff(int failures)
    {
        double seconds = _options.RetryInitialDelay.TotalSeconds * Math.Pow(2, Math.Min(failures - 1, 20));
        return TimeSpan.FromSeconds(Math.Min(seconds, _options.RetryMaxDelay.TotalSeconds));
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<Connection> ConnectAsync(SecurityAccount account, Lwm2mOrigin origin, CancellationToken cancellationToken)
    {
        var remote = await CoapUri.ResolveAsync(account.ServerUri, cancellationToken).ConfigureAwait(false);
        var transport = _transportFactory(account);
        var endpoint = new CoapEndpoint(transport, new CoapEndpointOptions { TransmissionParameters = _options.TransmissionParameters }, _time, _loggerFactory?.CreateLogger("ActiveGate.Coap"));
        var handler = new Lwm2mRequestHandler(Model, _codec, Attributes, origin == Lwm2mOrigin.DeviceManagement ? _observations : null, origin, _logger);
        var connection = new Connection(account, remote, transport, endpoint, handler, _options.RequestTimeout, this);
        try
        {
            if (transport is DtlsPskClientTransport dtls)
            {
                // Handshake first so a wrong key or identity is reported as such, not as a CoAP timeout.
                await dtls.ConnectAsync(remote, cancellationToken).ConfigureAwait(false);
            }

            await connection.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        lock (_gate)
        {
            _handlers.Add(handler);
        }

        return connection;
    }

    private string Query(string name, string value) => name + "=" + Uri.EscapeDataString(value);

    private async Task RegisterAsync(Connection connection, ServerAccount server, CancellationToken cancellationToken)
    {
        _observations.CancelAll();   // a new registration starts without observations (Core TS 6.2.1)
        int lifetime = (int)server.Lifetime.TotalSeconds;
        string binding = server.Binding.Replace("Q", string.Empty, StringComparison.Ordinal);
        bool queue = server.Binding.Contains('Q', StringComparison.Ordinal) || _options.QueueMode;
        var query = new List<string>
        {
            Query("ep", _options.Endpoint),
            "lt=" + lifetime.ToString(CultureInfo.InvariantCulture),
            "lwm2m=" + Lwm2mVersion.Enabler,
            "b=" + (binding.Length == 0 ? "U" : binding),
        };
        if (queue)
        {
            query.Add("Q");
        }

        lock (_gate)
        {
            _updateLinks = _updateLifetime = _updateBinding = _updateRequested = _reRegisterRequested = false;
        }

        var payload = Encoding.UTF8.GetBytes(RegistrationPayload.Build(Model, _options.PreferredContentFormat));
        var response = await connection.PostAsync("/rd?" + string.Join('&', query), payload, Lwm2mContentFormat.LinkFormat, cancellationToken).ConfigureAwait(false);
        if (response.Code != CoapCode.Created || response.LocationPath.Count == 0)
        {
            throw new Lwm2mException(Lwm2mStatus.BadRequest, $"server answered Register with {response.Code}{(response.Payload.IsEmpty ? string.Empty : " " + response.PayloadAsString)}");
        }

        connection.MarkRegistered();
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            _location = "/" + string.Join('/', response.LocationPath);
            _serverUri = connection.Account.ServerUri;
            _lifetime = lifetime;
            _registeredAt = now;
            _lastUpdate = now;
            _registrations++;
        }

        if (_logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation("Registered with {Server} as {Endpoint} at {Location}, lifetime {Lifetime} s", connection.Account.ServerUri, _options.Endpoint, _location, lifetime);
        }
    }

    /// <summary>When the next periodic Update is due: lifetime − EXCHANGE_LIFETIME (so retransmissions still land in time), or half the lifetime when that is shorter.</summary>
    internal TimeSpan UpdateDelay(int lifetimeSeconds)
    {
        var lifetime = TimeSpan.FromSeconds(lifetimeSeconds);
        var delay = lifetime - _options.TransmissionParameters.ExchangeLifetime;
        if (delay < TimeSpan.FromSeconds(1))
        {
            delay = lifetime / 2;
        }

        if (_options.UpdatePeriod is { } period && period < delay)
        {
            delay = period;
        }

        return delay < TimeSpan.FromMilliseconds(500) ? TimeSpan.FromMilliseconds(500) : delay;
    }

    private async Task<Outcome> MaintainAsync(Connection connection, ServerAccount server, DateTimeOffset firstUpdate, CancellationToken stopping)
    {
        int lifetime = (int)server.Lifetime.TotalSeconds;
        var due = firstUpdate;
        while (true)
        {
            Task wake;
            lock (_gate)
            {
                _nextUpdate = due;
                wake = _wake.Task;
            }

            bool updateNow;
            lock (_gate)
            {
                updateNow = _updateRequested || _updateLinks || _updateLifetime || _updateBinding || _bootstrapRequested || _reRegisterRequested || _disableFor.HasValue;
            }

            if (!updateNow)
            {
                var delay = due - _time.GetUtcNow();
                if (delay > TimeSpan.Zero)
                {
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                    var timer = Task.Delay(delay, _time, wait.Token);
                    await Task.WhenAny(wake, timer).ConfigureAwait(false);
                    await wait.CancelAsync().ConfigureAwait(false);
                }
            }

            if (stopping.IsCancellationRequested)
            {
                return Outcome.Stop;
            }

            bool links, lt, b, bootstrap, reRegister, disable;
            lock (_gate)
            {
                links = _updateLinks;
                lt = _updateLifetime;
                b = _updateBinding;
                bootstrap = _bootstrapRequested;
                reRegister = _reRegisterRequested;
                disable = _disableFor.HasValue;
                bool requested = _updateRequested;
                _updateLinks = _updateLifetime = _updateBinding = _updateRequested = _bootstrapRequested = _reRegisterRequested = false;
                if (!(links || lt || b || bootstrap || reRegister || disable || requested) && _time.GetUtcNow() < due)
                {
                    continue;   // woken for nothing (stop raced, or a flag already handled)
                }
            }

            if (bootstrap)
            {
                return Outcome.Bootstrap;
            }

            if (disable)
            {
                return Outcome.Disable;
            }

            if (reRegister || connection.SessionRenewed)
            {
                _logger.LogInformation("Address or DTLS session changed: registering again");
                return Outcome.ReRegister;
            }

            var current = Server.GetServer(server.ShortServerId);
            if (current is null)
            {
                return Outcome.ReRegister;   // the server account was deleted
            }

            var query = new List<string>();
            if (lt)
            {
                lifetime = (int)current.Lifetime.TotalSeconds;
                query.Add("lt=" + lifetime.ToString(CultureInfo.InvariantCulture));
            }

            if (b)
            {
                query.Add("b=" + current.Binding.Replace("Q", string.Empty, StringComparison.Ordinal));
            }

            byte[] payload = links ? Encoding.UTF8.GetBytes(RegistrationPayload.Build(Model, _options.PreferredContentFormat)) : [];
            string location;
            lock (_gate)
            {
                location = _location ?? "/rd";
            }

            CoapResponse response;
            try
            {
                response = await connection.PostAsync(location + (query.Count > 0 ? "?" + string.Join('&', query) : string.Empty), payload, links ? Lwm2mContentFormat.LinkFormat : null, stopping).ConfigureAwait(false);
            }
            catch (CoapException ex)
            {
                // Core TS 6.2.2: an Update that fails means registering again.
                if (_logger.IsEnabled(LogLevel.Warning))
                {
                    _logger.LogWarning("Update failed ({Error}); registering again", ex.Message);
                }

                return Outcome.ReRegister;
            }

            if (!response.IsSuccess)
            {
                if (_logger.IsEnabled(LogLevel.Warning))
                {
                    _logger.LogWarning("Update answered {Code}; registering again", response.Code);
                }

                return Outcome.ReRegister;
            }

            var now = _time.GetUtcNow();
            lock (_gate)
            {
                _lastUpdate = now;
                _lifetime = lifetime;
                _updates++;
            }

            if (connection.SessionRenewed)
            {
                return Outcome.ReRegister;
            }

            due = now + UpdateDelay(lifetime);
        }
    }

    private async Task DeregisterAsync(Connection connection)
    {
        string? location;
        lock (_gate)
        {
            location = _location;
        }

        if (location is null)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), _time);
            await connection.SendAsync(CoapCode.Delete, location, default, null, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CoapException or OperationCanceledException or IOException or DtlsHandshakeException)
        {
            // Best effort: the registration expires with its lifetime anyway.
        }
    }

    /// <summary>Client-initiated bootstrap (Core TS 6.1.5): POST /bs, then wait for Bootstrap-Finish. Returns null on success, else why not.</summary>
    private async Task<string?> BootstrapAsync(SecurityAccount account, CancellationToken stopping)
    {
        await DisposeBootstrapConnectionAsync().ConfigureAwait(false);
        var finished = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        Connection? connection = null;
        try
        {
            connection = await ConnectAsync(account, Lwm2mOrigin.Bootstrap, stopping).ConfigureAwait(false);
            connection.Handler.BootstrapFinishCallback = () =>
            {
                var status = CheckBootstrapConfiguration();
                if (status == Lwm2mStatus.Changed)
                {
                    finished.TrySetResult(true);
                }

                return status;
            };
            lock (_gate)
            {
                _bootstraps++;
            }

            string query = Query("ep", _options.Endpoint) + "&pct=" + _options.PreferredContentFormat.ToString(CultureInfo.InvariantCulture);
            var response = await connection.PostAsync("/bs?" + query, default, null, stopping).ConfigureAwait(false);
            if (!response.IsSuccess)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                return $"Bootstrap-Request answered {response.Code}";
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            var timer = Task.Delay(_options.BootstrapTimeout, _time, timeout.Token);
            var first = await Task.WhenAny(finished.Task, timer).ConfigureAwait(false);
            await timeout.CancelAsync().ConfigureAwait(false);
            if (first != finished.Task)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                return stopping.IsCancellationRequested ? "stopped" : "no Bootstrap-Finish in time";
            }

            // Keep the bootstrap connection until the registration succeeded: the 2.04 to Finish must still go out.
            _bootstrapConnection = connection;
            _logger.LogInformation("Bootstrap finished");
            return null;
        }
#pragma warning disable CA1031 // Any failure of a bootstrap attempt is reported and retried with back-off.
        catch (Exception ex) when (!(ex is OperationCanceledException && stopping.IsCancellationRequested))
#pragma warning restore CA1031
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            return Describe(ex);
        }
    }

    /// <summary>Bootstrap-Finish is accepted only when some server account in /0 has a matching /1 instance.</summary>
    private Lwm2mStatus CheckBootstrapConfiguration()
    {
        var accounts = Security.GetAccounts().Where(a => !a.IsBootstrap && a.ShortServerId is not null).ToArray();
        bool consistent = accounts.Any(a => Server.GetServer(a.ShortServerId!.Value) is not null && a.Mode is SecurityMode.NoSec or SecurityMode.PreSharedKey);
        return consistent ? Lwm2mStatus.Changed : Lwm2mStatus.NotAcceptable;
    }

    private async Task DisposeBootstrapConnectionAsync()
    {
        var connection = Interlocked.Exchange(ref _bootstrapConnection, null);
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One CoAP endpoint to one server: the client for our requests and the server for theirs.</summary>
    private sealed class Connection : IAsyncDisposable
    {
        private readonly IDatagramTransport _transport;
        private readonly CoapEndpoint _endpoint;
        private readonly CoapServer _server;
        private readonly CoapClient _client;
        private readonly Lwm2mResourceTree _tree;
        private readonly TimeSpan? _requestTimeout;
        private readonly Lwm2mClient _owner;
        private long _fullHandshakesAtRegistration;
        private int _disposed;

        public Connection(SecurityAccount account, System.Net.IPEndPoint remote, IDatagramTransport transport, CoapEndpoint endpoint, Lwm2mRequestHandler handler, TimeSpan? requestTimeout, Lwm2mClient owner)
        {
            Account = account;
            Remote = remote;
            Handler = new HandlerSlot(handler);
            _transport = transport;
            _endpoint = endpoint;
            _requestTimeout = requestTimeout;
            _owner = owner;
            _tree = new Lwm2mResourceTree(owner.Model, handler);
            // Only the server this connection belongs to may operate on the client. With NoSec any host that reaches the port could otherwise read, write, reboot or
            // factory-reset the gateway. With DTLS the transport only delivers records of the session
            // it opened to this server, and the address check keeps everything else out.
            endpoint.AcceptRequestsFrom = peer => IsServer(peer) || owner.IgnoreRequest(peer, Remote);
            _server = new CoapServer(endpoint) { Root = _tree.Root };
            _client = new CoapClient(endpoint, new CoapClientOptions { RequestTimeout = requestTimeout });
            handler.BootstrapFinishSlot = Handler;
        }

        public SecurityAccount Account { get; }
        public System.Net.IPEndPoint Remote { get; }
        public System.Net.EndPoint LocalEndPoint => _endpoint.LocalEndPoint;
        public HandlerSlot Handler { get; }

        /// <summary>True when the DTLS transport made a new full handshake since Register (the server lost the session).</summary>
        public bool SessionRenewed => _transport is DtlsPskClientTransport dtls && FullHandshakes(dtls) > _fullHandshakesAtRegistration;

        public Task StartAsync(CancellationToken cancellationToken) => _server.StartAsync(cancellationToken);

        public void MarkRegistered()
        {
            if (_transport is DtlsPskClientTransport dtls)
            {
                _fullHandshakesAtRegistration = FullHandshakes(dtls);
            }
        }

        public Task<CoapResponse> PostAsync(string pathAndQuery, ReadOnlyMemory<byte> payload, int? contentFormat, CancellationToken cancellationToken) =>
            SendAsync(CoapCode.Post, pathAndQuery, payload, contentFormat, cancellationToken);

        public Task<CoapResponse> SendAsync(CoapCode method, string pathAndQuery, ReadOnlyMemory<byte> payload, int? contentFormat, CancellationToken cancellationToken)
        {
            var uri = new Uri(Account.ServerUri, pathAndQuery);
            var request = new CoapRequest(method, uri) { Payload = payload, ContentFormat = contentFormat, Timeout = _requestTimeout };
            return _client.SendAsync(request, cancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            _tree.Dispose();
            await _server.DisposeAsync().ConfigureAwait(false);
            await _client.DisposeAsync().ConfigureAwait(false);
            await _endpoint.DisposeAsync().ConfigureAwait(false);
            lock (_owner._gate)
            {
                _owner._handlers.RemoveAll(h => ReferenceEquals(h, Handler.Handler));
                if (ReferenceEquals(_owner._localEndPoint, _endpoint.LocalEndPoint))
                {
                    _owner._localEndPoint = null;
                }
            }
        }

        private static long FullHandshakes(DtlsPskClientTransport dtls) => dtls.HandshakesSucceeded - dtls.HandshakesResumed;

        /// <summary>Same address (IPv4-mapped or not) and same port as the server.</summary>
        private bool IsServer(System.Net.EndPoint peer) =>
            peer is System.Net.IPEndPoint ip && ip.Port == Remote.Port && ip.Address.MapToIPv6().Equals(Remote.Address.MapToIPv6());
    }

    /// <summary>Publishes the management connection for <see cref="SendAsync"/> while it is in use.</summary>
    private sealed class CurrentConnection : IDisposable
    {
        private readonly Lwm2mClient _owner;

        public CurrentConnection(Lwm2mClient owner, Connection connection)
        {
            _owner = owner;
            lock (owner._gate)
            {
                owner._current = connection;
            }
        }

        public void Dispose()
        {
            lock (_owner._gate)
            {
                _owner._current = null;
            }
        }
    }

    /// <summary>Lets the bootstrap loop set the Finish callback after the handler exists.</summary>
    internal sealed class HandlerSlot(Lwm2mRequestHandler handler)
    {
        public Lwm2mRequestHandler Handler { get; } = handler;
        public Func<Lwm2mStatus>? BootstrapFinishCallback { get; set; }
    }
}
