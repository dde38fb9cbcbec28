using ActiveGate.Agent.Health;
using ActiveGate.Agent.Mesh;
using ActiveGate.Agent.Options;
using ActiveGate.Coap.Client;
using ActiveGate.Devices;
using ActiveGate.Devices.Registry;
using ActiveGate.Devices.Transport;
using ActiveGate.SixLowpan.Mesh;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ActiveGate.Agent.Devices;

/// <summary>
/// Runs the device layer on the mesh: a CoAP client on the mesh interface, the persisted device
/// registry, and the <see cref="DeviceManager"/> fed with the mesh's join and leave events.
/// </summary>
public sealed partial class DevicesService : BackgroundService
{
    private readonly MeshService _mesh;
    private readonly ISampleSink _sink;
    private readonly DevicesOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<DevicesService> _logger;
    private readonly TaskCompletionSource<DeviceManager> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DevicesService(MeshService mesh, ISampleSink sink, DeviceRegistry registry, IOptions<DevicesOptions> options, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _mesh = mesh;
        _sink = sink;
        _options = options.Value;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<DevicesService>();
        Registry = registry;
    }

    /// <summary>The persisted registry (readable before the mesh is up: devices known from earlier runs).</summary>
    public DeviceRegistry Registry { get; }

    /// <summary>The manager, once the mesh is up.</summary>
    public Task<DeviceManager> Ready => _ready.Task;

    public DeviceManager? Manager => _ready.Task.IsCompletedSuccessfully ? _ready.Task.Result : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Registry.LoadProblem is string problem)
        {
            LogRegistryProblem(_logger, problem);
        }

        MeshInterface mesh;
        try
        {
            mesh = await _mesh.Ready.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        await using var coap = new CoapClient(
            MeshUdpTransport.Bind(mesh, (ushort)_options.CoapPort),
            new CoapClientOptions(),
            _timeProvider,
            _loggerFactory.CreateLogger<CoapClient>());
        await using var manager = new DeviceManager(
            new CoapDeviceClient(coap),
            Registry,
            _sink,
            new DeviceManagerOptions { PollInterval = _options.PollInterval, FailuresBeforeOffline = _options.FailuresBeforeOffline },
            _timeProvider,
            _loggerFactory.CreateLogger<DeviceManager>());

        void Joined(System.Net.IPAddress address) => manager.OnNodeJoined(address);
        void Left(System.Net.IPAddress address, string reason) => _ = manager.OnNodeLeftAsync(address, reason);
        _mesh.NodeJoined += Joined;
        _mesh.NodeLeft += Left;
        try
        {
            // Nodes heard before we subscribed.
            foreach (var node in _mesh.Nodes.Keys)
            {
                manager.OnNodeJoined(ActiveGate.SixLowpan.Ipv6.Ipv6Address.FromPrefix(mesh.MeshPrefix, node).ToIPAddress());
            }

            _ready.TrySetResult(manager);
            await Task.Delay(Timeout.InfiniteTimeSpan, _timeProvider, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _mesh.NodeJoined -= Joined;
            _mesh.NodeLeft -= Left;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Problem}")]
    private static partial void LogRegistryProblem(ILogger logger, string problem);
}
