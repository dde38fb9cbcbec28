using ActiveGate.Agent.Health;
using ActiveGate.Agent.Hosting;
using ActiveGate.Agent.Options;
using ActiveGate.Agent.Proxy;
using ActiveGate.Agent.Radio;
using ActiveGate.Lwm2m.Objects;
using ActiveGate.Lwm2m.Registration;
using ActiveGate.Radio;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ActiveGate.Agent.Lwm2m;

/// <summary>
/// The embedded LwM2M client: registers the gateway with its device-management server and serves
/// the standard objects. Reboot and factory reset from the server restart the service (systemd
/// brings it back: the exit code is non-zero on purpose).
/// </summary>
public sealed partial class Lwm2mService : BackgroundService
{
    /// <summary>EX_TEMPFAIL: the server asked for a reboot; systemd's Restart=on-failure restarts us.</summary>
    public const int RestartExitCode = 75;

    private readonly Lwm2mOptions _options;
    private readonly RadioService _radio;
    private readonly ProxyService _proxy;
    private readonly AgentPaths _paths;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<Lwm2mService> _logger;
    private readonly HealthSource? _health;

    public Lwm2mService(IOptions<Lwm2mOptions> options, RadioService radio, ProxyService proxy, AgentPaths paths, IHostApplicationLifetime lifetime, HealthRegistry health, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _options = options.Value;
        _radio = radio;
        _proxy = proxy;
        _paths = paths;
        _lifetime = lifetime;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<Lwm2mService>();
        if (_options.Enabled)
        {
            _health = health.Register("lwm2m", TimeSpan.FromMinutes(2));
        }
    }

    public Lwm2mOptions Options => _options;

    /// <summary>The client, once started (null without a configured server).</summary>
    public Lwm2mClient? Client { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            LogDisabled(_logger);
            return;
        }

        var options = new Lwm2mClientOptions
        {
            Endpoint = await ResolveEndpointAsync(stoppingToken).ConfigureAwait(false),
            ServerUri = string.IsNullOrEmpty(_options.ServerUri) ? null : new Uri(_options.ServerUri),
            BootstrapUri = string.IsNullOrEmpty(_options.BootstrapUri) ? null : new Uri(_options.BootstrapUri),
            LifetimeSeconds = _options.Lifetime,
            QueueMode = _options.QueueMode,
            PskIdentity = _options.PskIdentity,
            PskKey = string.IsNullOrEmpty(_options.PskKeyFile) ? default : EndpointName.ReadPskKeyFile(_options.PskKeyFile),
            StateDirectory = _paths.StateDirectory,
            Device = new DeviceInfo { Manufacturer = "ActiveGate", ModelNumber = "ActiveGate gateway", FirmwareVersion = AgentRuntimeInfo.Version },
        };
        IReadOnlyList<string> problems = options.Validate();
        if (problems.Count > 0)
        {
            _health!.ReportDegraded("not started: " + string.Join("; ", problems));
            LogInvalid(_logger, string.Join("; ", problems));
            await KeepReportingAsync(stoppingToken).ConfigureAwait(false);
            return;
        }

        await using var client = new Lwm2mClient(options, _timeProvider, _loggerFactory);
        client.Device.RebootRequested += (_, _) => Restart("reboot");
        client.Device.FactoryResetRequested += (_, _) =>
        {
            // The server-written configuration goes; readings not yet delivered stay.
            TryDelete(Path.Combine(_paths.StateDirectory, "lwm2m-state.json"));
            TryDelete(Path.Combine(_paths.StateDirectory, "devices.json"));
            Restart("factory reset");
        };
        // The policy object shows the upstream services before Register announces its instances.
        await _proxy.Started.WaitAsync(stoppingToken).ConfigureAwait(false);
        using var policies = new TransportPolicyBridge(client.AddObject(new TransportPolicyObject()), _proxy, _loggerFactory.CreateLogger<TransportPolicyBridge>());
        Client = client;
        await client.StartAsync(stoppingToken).ConfigureAwait(false);
        // After StartAsync: only then is it known whether the configuration or a server's writes are in force.
        if (_logger.IsEnabled(LogLevel.Information))
        {
            string server = client.Status.ServerUri?.ToString() ?? "bootstrap " + client.Security.BootstrapAccount?.ServerUri;
            LogStarting(_logger, options.Endpoint, server, client.StateSource == Lwm2mStateSource.ServerWritten ? "written by the server" : "from the configuration");
        }
        try
        {
            await KeepReportingAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            // De-register so the server does not wait a whole lifetime to learn we are gone.
            using var deregister = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await client.StopAsync(deregister.Token).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <c>activegate lwm2m reset</c>: forget what LwM2M servers wrote to /0 and /1 and register as
    /// the configuration says. False when the client is not running.
    /// </summary>
    public async Task<bool> ResetAsync(CancellationToken cancellationToken)
    {
        if (Client is not { } client)
        {
            return false;
        }

        await client.ResetToConfigurationAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task KeepReportingAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5), _timeProvider);
        try
        {
            do
            {
                Lwm2mClientStatus? status = Client?.Status;
                if (status is null)
                {
                    _health!.ReportDegraded("not started");
                }
                else if (status.State == Lwm2mClientState.Registered)
                {
                    _health!.ReportProgress($"registered at {status.ServerUri?.GetLeftPart(UriPartial.Authority)}{status.Location}");
                }
                else
                {
                    _health!.ReportDegraded($"{status.State.ToString().ToLowerInvariant()}{(status.Reason is null ? "" : ": " + status.Reason)}");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<string> ResolveEndpointAsync(CancellationToken stoppingToken)
    {
        if (!string.IsNullOrEmpty(_options.Endpoint))
        {
            return _options.Endpoint;
        }

        // The radio's EUI-64 names the gateway on the mesh; use it when the board answers soon.
        try
        {
            IRadioLink link = await _radio.Ready.WaitAsync(TimeSpan.FromSeconds(5), _timeProvider, stoppingToken).ConfigureAwait(false);
            if (link.ExtendedAddress is ulong eui)
            {
                byte[] bytes = BitConverter.GetBytes(eui);
                if (BitConverter.IsLittleEndian)
                {
                    Array.Reverse(bytes);
                }

                return EndpointName.FromEui64(bytes);
            }
        }
        catch (TimeoutException)
        {
        }

        return EndpointName.FromMachineId();
    }

    private void Restart(string why)
    {
        LogRestart(_logger, why);
        Environment.ExitCode = RestartExitCode;
        _lifetime.StopApplication();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "No LwM2M server configured (Lwm2m:ServerUri / Lwm2m:BootstrapUri): device management off")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "LwM2M client not started: {Problems}")]
    private static partial void LogInvalid(ILogger logger, string problems);

    [LoggerMessage(Level = LogLevel.Information, Message = "LwM2M client {Endpoint} registering with {Server} ({Source})")]
    private static partial void LogStarting(ILogger logger, string endpoint, string server, string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LwM2M server requested a {Why}: restarting the agent")]
    private static partial void LogRestart(ILogger logger, string why);
}
