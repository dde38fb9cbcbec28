using ActiveGate.Agent.Health;
using ActiveGate.Agent.Hosting;
using ActiveGate.Agent.Options;
using ActiveGate.Devices.Model;
using ActiveGate.Devices.Registry;
using ActiveGate.OneM2m.Notifications;
using ActiveGate.OneM2m.Primitives;
using ActiveGate.OneM2m.Upstream;
using ActiveGate.Outbox;
using ActiveGate.Proxy.Interworking;
using ActiveGate.Proxy.Upstream;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ActiveGate.Agent.Proxy;

/// <summary>
/// Hosts the upstream services: service 0 takes the readings' platform from the configuration (or from the policy a
/// server or technician wrote since, which wins until <see cref="ResetAsync"/>); more services are added by writing
/// more policy instances. Each delivers the outbox through its own cursor and swaps platforms at runtime
/// (<see cref="RequestSwitch"/>, the one path of LwM2M writes and <c>activegate upstream switch</c>). Commands come
/// from the readings' platform, by notification or by polling.
/// </summary>
public sealed partial class ProxyService : BackgroundService
{
    /// <summary>The readings' service: the policy instance the configuration's <c>Upstream:*</c> describes.</summary>
    public const int ReadingsServiceId = 0;

    /// <summary>Its name unless a policy names it otherwise.</summary>
    public const string ReadingsServiceName = "readings";

    private readonly DurableOutbox _outbox;
    private readonly UpstreamOptions _options;
    private readonly UpstreamPolicyStore _store;
    private readonly UpstreamServiceContext _context;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<ProxyService> _logger;
    private readonly HealthSource _health;
    private readonly AgentBindingFactory _bindings;
    private readonly Lock _gate = new();
    private readonly SortedDictionary<int, UpstreamService> _services = [];
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationToken _stopping;
    private HttpNotificationListener? _listener;

    public ProxyService(DurableOutbox outbox, OutboxOptions outboxOptions, ISwitchActuator actuator, DeviceRegistry registry, AgentPaths paths,
        IOptions<UpstreamOptions> options, HealthRegistry health, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(paths);
        _outbox = outbox;
        _options = options.Value;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<ProxyService>();
        _health = health.Register("upstream", TimeSpan.FromMinutes(2));
        _store = new UpstreamPolicyStore(Path.Combine(paths.StateDirectory, "upstream-policy.json"));
        _bindings = new AgentBindingFactory(_options, timeProvider, loggerFactory);
        _context = new UpstreamServiceContext
        {
            Bindings = _bindings,
            InterworkingOptions = () => new InterworkingOptions
            {
                AeName = _options.AeName,
                Mode = _options.Mapping,
                ReadingsMaxInstances = _options.ReadingsMaxInstances,
                CommandTimeout = _options.CommandTimeout,
                PointOfAccess = string.IsNullOrEmpty(_options.NotificationUrl) ? [] : [_options.NotificationUrl],
            },
            Actuator = actuator,
            Outbox = outboxOptions,
            // Plugs and meters: the devices with readings and relays (a generic node gets a tree once it sends readings).
            KnownDevices = () => registry.Snapshot().Where(d => d.Kind != DeviceKind.Generic).Select(Describe),
            InFlightBound = _options.RequestTimeout + TimeSpan.FromSeconds(2),
            Switching = RecordSwitch,
            Time = timeProvider,
            Loggers = loggerFactory,
        };
    }

    public DurableOutbox Outbox => _outbox;

    /// <summary>Where the runtime policies are kept.</summary>
    public string PolicyFile => _store.Path;

    /// <summary>Completes once the services exist (after the host started this service).</summary>
    public Task Started => _started.Task;

    /// <summary>The services by instance ID.</summary>
    public IReadOnlyList<UpstreamService> Services
    {
        get
        {
            lock (_gate)
            {
                return [.. _services.Values];
            }
        }
    }

    /// <summary>The readings' service (null before start).</summary>
    public UpstreamService? Readings
    {
        get
        {
            lock (_gate)
            {
                return _services.GetValueOrDefault(ReadingsServiceId);
            }
        }
    }

    /// <summary>Consecutive failed delivery attempts of the readings' service (0 while its platform takes everything).</summary>
    public int ConsecutiveFailures => Readings?.ConsecutiveFailures ?? 0;

    public long CommandsExecuted => Services.Sum(s => s.Current.Interworking?.CommandsExecuted ?? 0);

    public bool NotificationsReachable => _listener is not null;

    /// <summary>Raised when a service's policy or state changed, or a service came or went (its ID).</summary>
    public event EventHandler<int>? ServiceChanged;

    /// <summary>The readings' policy the configuration describes (the log when <c>Upstream:Url</c> is empty).</summary>
    public static UpstreamPolicy ConfiguredPolicy(UpstreamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new UpstreamPolicy(ReadingsServiceName, EndpointFrom(options), PolicySource.Configuration);
    }

    /// <summary>Builds the endpoint the configuration names (null without <c>Upstream:Url</c>).</summary>
    public static UpstreamEndpoint? EndpointFrom(UpstreamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return string.IsNullOrEmpty(options.Url)
            ? null
            : new UpstreamEndpoint(new Uri(options.Url), options.CseId, options.CseName, options.Origin, options.ReleaseVersion);
    }

    /// <summary>Which source put service <paramref name="id"/>'s policy in force.</summary>
    public PolicySource? SourceOf(int id) => Service(id)?.Desired.Source;

    public UpstreamService? Service(int id)
    {
        lock (_gate)
        {
            return _services.GetValueOrDefault(id);
        }
    }

    /// <summary>
    /// Puts <paramref name="policy"/> in force for service <paramref name="id"/>, creating the service if it does not
    /// exist (a new policy instance). Persisted before it is acted on; the swap runs in the background. Returns the
    /// reason it was refused (nothing changed then), or null.
    /// </summary>
    public string? RequestSwitch(int id, UpstreamPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.Validate() is { } invalid)
        {
            return invalid;
        }

        if (id < 0 || id > 65534)
        {
            return "instance IDs are 0..65534";
        }

        if (policy.Endpoint is not null && _bindings.Refuses(policy.Endpoint) is { } unsupported)
        {
            return unsupported;
        }

        UpstreamService? service;
        lock (_gate)
        {
            if (_services.Values.Any(s => s.Id != id && string.Equals(s.Name, policy.ServiceName, StringComparison.Ordinal)))
            {
                return $"service name '{policy.ServiceName}' is already used by another instance";
            }

            service = _services.GetValueOrDefault(id);
        }

        try
        {
            // Until the switch, the policy in force is kept too: a restart starts there and swaps again (see the store).
            UpstreamPolicy? inForce = service?.Current.Policy is { } current && !current.SameTarget(policy) ? current : null;
            _store.Save(id, policy, inForce);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not persisting would silently lose the policy at the next restart: refuse instead.
            return "the policy could not be stored: " + ex.Message;
        }

        if (service is null)
        {
            AddService(id, policy);
        }
        else
        {
            service.RequestSwitch(policy);
        }

        return null;
    }

    /// <summary>Removes a service added at runtime (the readings' service cannot be removed, only reset).</summary>
    public async Task<string?> RemoveServiceAsync(int id)
    {
        if (id == ReadingsServiceId)
        {
            return "the readings' service cannot be deleted (reset it to the configuration instead)";
        }

        UpstreamService? service;
        lock (_gate)
        {
            if (_services.Remove(id, out service))
            {
                _store.Remove(id);
            }
        }

        if (service is null)
        {
            return $"no upstream service {id}";
        }

        service.Changed -= OnServiceChanged;
        await service.DisposeAsync().ConfigureAwait(false);
        _outbox.RemoveCursor(service.Cursor);
        LogServiceRemoved(_logger, id, service.Name);
        ServiceChanged?.Invoke(this, id);
        return null;
    }

    /// <summary>Forgets the runtime policies: the readings' service goes back to the configuration, the others are removed.</summary>
    public async Task ResetAsync()
    {
        _store.Remove(null);
        foreach (UpstreamService service in Services.Where(s => s.Id != ReadingsServiceId))
        {
            await RemoveServiceAsync(service.Id).ConfigureAwait(false);
        }

        Readings?.RequestSwitch(ConfiguredPolicy(_options));
    }

    /// <summary>Routes a notification from the readings' platform to its active generation.</summary>
    private ValueTask<ResponseStatusCode> HandleNotificationAsync(NotificationMessage notification, CancellationToken cancellationToken)
        => Readings is { } readings ? readings.HandleNotificationAsync(notification, cancellationToken) : ValueTask.FromResult(ResponseStatusCode.Ok);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        IReadOnlyDictionary<int, StoredPolicy> stored = _store.Load(out string? problem);
        if (problem is not null)
        {
            LogStoreUnreadable(_logger, problem);
        }

        UpstreamPolicy configured = ConfiguredPolicy(_options);
        UpstreamPolicy readings = stored.GetValueOrDefault(ReadingsServiceId)?.Policy ?? configured;
        if (readings.Source != PolicySource.Configuration && !readings.SameTarget(configured))
        {
            LogConfigurationOverridden(_logger, (object?)readings.Endpoint ?? "the log", readings.Source, (object?)configured.Endpoint ?? "the log", _store.Path);
        }

        if (readings.Endpoint is null)
        {
            LogNoUpstream(_logger);
        }

        foreach ((int id, StoredPolicy entry) in stored.Where(kv => kv.Key != ReadingsServiceId).Prepend(new(ReadingsServiceId, new StoredPolicy(readings, stored.GetValueOrDefault(ReadingsServiceId)?.InForce))))
        {
            if (entry.InForce is { } inForce && !inForce.SameTarget(entry.Policy))
            {
                // Killed during a swap: start where readings were going and swap again, make-before-break.
                LogResumingSwap(_logger, id, (object?)inForce.Endpoint ?? "the log", (object?)entry.Policy.Endpoint ?? "the log");
                AddService(id, inForce);
                Service(id)!.RequestSwitch(entry.Policy);
            }
            else
            {
                AddService(id, entry.Policy);
            }
        }

        if (!string.IsNullOrEmpty(_options.NotificationListen))
        {
            _listener = new HttpNotificationListener(_options.NotificationListen, HandleNotificationAsync, _loggerFactory.CreateLogger<HttpNotificationListener>());
            _listener.Start();
        }

        _started.TrySetResult();
        try
        {
            await MonitorAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            if (_listener is not null)
            {
                await _listener.DisposeAsync().ConfigureAwait(false);
            }

            foreach (UpstreamService service in Services)
            {
                await service.DisposeAsync().ConfigureAwait(false);
            }

            _bindings.Dispose();
        }
    }

    private void AddService(int id, UpstreamPolicy policy)
    {
        OutboxCursor cursor = id == ReadingsServiceId ? _outbox.DefaultCursor : _outbox.OpenCursor("service-" + id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var service = new UpstreamService(id, policy, cursor, _context);
        lock (_gate)
        {
            _services[id] = service;
        }

        service.Changed += OnServiceChanged;
        _ = service.RunAsync(_stopping);
        LogService(_logger, id, policy.ServiceName, (object?)policy.Endpoint ?? "the log", policy.Source,
            policy.Endpoint is null ? "none" : _listener is null && string.IsNullOrEmpty(_options.NotificationListen) ? "polling" : "notifications");
        ServiceChanged?.Invoke(this, id);
    }

    /// <summary>The swap of service <paramref name="id"/> is done: the policy in force need no longer be kept beside it.</summary>
    private void RecordSwitch(int id, UpstreamPolicy policy)
    {
        if (policy.Source == PolicySource.Configuration && id == ReadingsServiceId)
        {
            _store.Remove(id); // back to the configuration (reset): nothing to keep
            return;
        }

        _store.Save(id, policy);
    }

    private void OnServiceChanged(object? sender, EventArgs e)
    {
        if (sender is UpstreamService service)
        {
            ServiceChanged?.Invoke(this, service.Id);
        }
    }

    private static DeviceDescriptor Describe(DeviceRecord record)
        => new(record.Id, record.Kind, Math.Max(1, record.Channels.Count));

    private async Task MonitorAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5), _context.Time);
        try
        {
            do
            {
                OutboxStats stats = _outbox.GetStats();
                string summary = $"{stats.Delivered} delivered, {stats.Depth} queued";
                string? trouble = null;
                if (stats.LastAppendErrorAt is { } failedAt && _context.Time.GetUtcNow() - failedAt < TimeSpan.FromMinutes(1))
                {
                    trouble = $"outbox cannot store readings ({stats.LastAppendError}); {stats.Refused} refused since start";
                }

                foreach (UpstreamService service in Services)
                {
                    ServiceStatus status = service.Status;
                    if (service.ConsecutiveFailures > 0)
                    {
                        trouble = $"{service.Name}: platform unreachable ({service.ConsecutiveFailures} failed attempts)";
                    }
                    else if (status.State == ServiceState.Failed)
                    {
                        trouble = $"{service.Name}: swap failing ({status.Reason})";
                    }
                }

                if (trouble is not null)
                {
                    _health.ReportDegraded($"{trouble}; {summary}");
                }
                else
                {
                    _health.ReportProgress(summary);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No upstream platform configured (Upstream:Url is empty): readings go through the outbox and are written to this log instead of a oneM2M CSE")]
    private static partial void LogNoUpstream(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upstream service {Id} ({Name}): {Endpoint}, set by {Source}; commands by {CommandPath}")]
    private static partial void LogService(ILogger logger, int id, string name, object endpoint, PolicySource source, string commandPath);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream: the policy written by {Source} ({Endpoint}) is in force, not the configuration's {Configured}; it is kept in {File} until 'activegate upstream reset'")]
    private static partial void LogConfigurationOverridden(ILogger logger, object endpoint, PolicySource source, object configured, string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream: {Problem}")]
    private static partial void LogStoreUnreadable(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream service {Id}: the agent stopped during a swap; starting on {InForce} and swapping to {Pending} again")]
    private static partial void LogResumingSwap(ILogger logger, int id, object inForce, object pending);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upstream service {Id} ({Name}) removed")]
    private static partial void LogServiceRemoved(ILogger logger, int id, string name);
}
