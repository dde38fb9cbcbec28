using ActiveGate.Agent.Health;
using ActiveGate.Agent.Options;
using ActiveGate.Outbox;
using ActiveGate.OneM2m;
using ActiveGate.OneM2m.Http;
using ActiveGate.Proxy.Interworking;
using ActiveGate.OneM2m.Notifications;
using ActiveGate.OneM2m.Upstream;
using ActiveGate.Proxy;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ActiveGate.Agent.Proxy;

/// <summary>
/// Delivers the outbox to the oneM2M platform in order (or to the log when none is configured) and
/// carries the platform's switching commands to the devices, by notification or by polling.
/// </summary>
public sealed partial class ProxyService : BackgroundService
{
    private readonly DurableOutbox _outbox;
    private readonly UpstreamEndpointProvider _endpoints;
    private readonly ISwitchActuator _actuator;
    private readonly UpstreamOptions _options;
    private readonly OutboxOptions _outboxOptions;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<ProxyService> _logger;
    private readonly HealthSource _health;
    private OutboxDelivery? _delivery;
    private OneM2mInterworking? _interworking;
    private HttpNotificationListener? _listener;

    public ProxyService(DurableOutbox outbox, OutboxOptions outboxOptions, UpstreamEndpointProvider endpoints, ISwitchActuator actuator, IOptions<UpstreamOptions> options, HealthRegistry health, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _outbox = outbox;
        _outboxOptions = outboxOptions;
        _endpoints = endpoints;
        _actuator = actuator;
        _options = options.Value;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<ProxyService>();
        _health = health.Register("upstream", TimeSpan.FromMinutes(2));
    }

    public DurableOutbox Outbox => _outbox;

    public UpstreamEndpointProvider Endpoints => _endpoints;

    /// <summary>Consecutive failed delivery attempts (0 while the platform takes everything).</summary>
    public int ConsecutiveFailures => _delivery?.ConsecutiveFailures ?? 0;

    public long CommandsExecuted => _interworking?.CommandsExecuted ?? 0;

    public bool NotificationsReachable => _listener is not null;

    /// <summary>Builds the endpoint the configuration names (null without <c>Upstream:Url</c>).</summary>
    public static UpstreamEndpoint? EndpointFrom(UpstreamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return string.IsNullOrEmpty(options.Url)
            ? null
            : new UpstreamEndpoint(new Uri(options.Url), options.CseId, options.CseName, options.Origin, options.ReleaseVersion);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        IOutboxSender sender;
        Task commands = Task.CompletedTask;
        using var http = new HttpClient(HttpBinding.CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan }; // the binding times requests
        if (_endpoints.Current.Endpoint is null)
        {
            LogNoUpstream(_logger);
            sender = new LoggingOutboxSender(_loggerFactory.CreateLogger<LoggingOutboxSender>());
        }
        else
        {
            var binding = new HttpBinding(http, new HttpBindingOptions { RequestTimeout = _options.RequestTimeout }, _timeProvider, _loggerFactory.CreateLogger<HttpBinding>());
            var interworking = new OneM2mInterworking(
                new OneM2mClient(binding, _endpoints),
                new InterworkingOptions
                {
                    AeName = _options.AeName,
                    Mode = _options.Mapping,
                    PointOfAccess = string.IsNullOrEmpty(_options.NotificationUrl) ? [] : [_options.NotificationUrl],
                },
                _actuator,
                _timeProvider,
                _loggerFactory.CreateLogger<OneM2mInterworking>());
            _interworking = interworking;
            sender = new InterworkingOutboxSender(interworking, _loggerFactory.CreateLogger<InterworkingOutboxSender>());
            if (!string.IsNullOrEmpty(_options.NotificationListen))
            {
                _listener = new HttpNotificationListener(_options.NotificationListen, interworking.HandleNotificationAsync, _loggerFactory.CreateLogger<HttpNotificationListener>());
                _listener.Start();
            }
            else
            {
                // Behind NAT the platform cannot call us: fetch commands from the AE's polling channel.
                commands = interworking.RunPollingAsync(stoppingToken);
            }

            LogUpstream(_logger, _endpoints.Current.Endpoint, _listener is null ? "polling" : _options.NotificationUrl!);
        }

        _delivery = new OutboxDelivery(_outbox, sender, _outboxOptions, _timeProvider, _loggerFactory.CreateLogger<OutboxDelivery>());
        Task delivery = _delivery.RunAsync(stoppingToken);
        Task monitor = MonitorAsync(stoppingToken);
        try
        {
            await Task.WhenAll(delivery, commands, monitor).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (_listener is not null)
            {
                await _listener.DisposeAsync().ConfigureAwait(false);
            }

            _interworking?.Dispose();
        }
    }

    private async Task MonitorAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5), _timeProvider);
        try
        {
            do
            {
                OutboxStats stats = _outbox.GetStats();
                string summary = $"{stats.Delivered} delivered, {stats.Depth} queued";
                if (ConsecutiveFailures > 0)
                {
                    _health.ReportDegraded($"platform unreachable ({ConsecutiveFailures} failed attempts); {summary}");
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Upstream oneM2M platform {Endpoint}; commands by {CommandPath}")]
    private static partial void LogUpstream(ILogger logger, UpstreamEndpoint endpoint, string commandPath);
}
