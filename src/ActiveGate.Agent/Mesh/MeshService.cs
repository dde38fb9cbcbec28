using System.Collections.Concurrent;
using System.Net;
using ActiveGate.Agent.Health;
using ActiveGate.Agent.Options;
using ActiveGate.Agent.Radio;
using ActiveGate.Ieee802154;
using ActiveGate.Radio;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Mesh;
using ActiveGate.SixLowpan.Neighbors;
using ActiveGate.SixLowpan.Rpl;
using ActiveGate.SixLowpan.Rpl.Root;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ActiveGate.Agent.Mesh;

/// <summary>
/// The agent's interface on the mesh: once the radio has told its EUI-64, runs the 6LoWPAN
/// interface over it, finds nodes (anything heard, plus a periodic all-nodes echo for nodes that
/// never speak first) and announces joins and departures to the device layer.
/// </summary>
public sealed partial class MeshService : BackgroundService
{
    private readonly RadioService _radio;
    private readonly MeshOptions _options;
    private readonly RadioOptions _radioOptions;
    private readonly RplOptions _rplOptions;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<MeshService> _logger;
    private readonly HealthSource? _health;
    private readonly TaskCompletionSource<MeshInterface> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<MacAddress, DateTimeOffset> _nodes = new();

    public MeshService(RadioService radio, IOptions<MeshOptions> options, IOptions<RadioOptions> radioOptions, IOptions<RplOptions> rplOptions, HealthRegistry health, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(rplOptions);
        _rplOptions = rplOptions.Value;
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(radioOptions);
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _radio = radio;
        _options = options.Value;
        _radioOptions = radioOptions.Value;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<MeshService>();
        if (_radioOptions.Mode != RadioMode.None)
        {
            // The discovery loop ticks every few seconds; a wedged one stops the watchdog.
            _health = health.Register("mesh", TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>A node was heard for the first time (or again after it had gone): its mesh address.</summary>
    public event Action<IPAddress>? NodeJoined;

    /// <summary>A node was not heard for <see cref="MeshOptions.NodeLifetime"/>.</summary>
    public event Action<IPAddress, string>? NodeLeft;

    /// <summary>The interface, once the radio is up.</summary>
    public Task<MeshInterface> Ready => _ready.Task;

    public MeshInterface? Interface => _ready.Task.IsCompletedSuccessfully ? _ready.Task.Result : null;

    public IReadOnlyDictionary<MacAddress, DateTimeOffset> Nodes => _nodes;

    public MeshOptions Options => _options;

    /// <summary>The DODAG root, when <c>Rpl:Enabled</c> and the mesh is up.</summary>
    public RplRoot? Root { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_radioOptions.Mode == RadioMode.None)
        {
            return;
        }

        _health!.ReportDegraded("waiting for the radio");
        IRadioLink link;
        try
        {
            link = await WaitForRadioAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        Ipv6Prefix prefix = _options.ParsedPrefix;
        var mesh = new MeshInterface(
            link,
            MacAddress.FromExtended(link.ExtendedAddress!.Value),
            new MeshInterfaceOptions
            {
                PanId = (ushort)_radioOptions.PanId,
                MeshPrefix = prefix,
                ReassemblyTimeout = _options.ReassemblyTimeout,
                NeighborLifetime = _options.NodeLifetime,
            },
            _timeProvider,
            _loggerFactory.CreateLogger<MeshInterface>());
        await using (mesh.ConfigureAwait(false))
        {
            using RplMeshBinding? binding = _rplOptions.Enabled ? new RplMeshBinding(mesh, _loggerFactory.CreateLogger<RplMeshBinding>()) : null;
            if (binding is not null)
            {
                Root = StartRoot(mesh, binding);
            }

            mesh.Start();
            _ready.TrySetResult(mesh);
            LogUp(_logger, mesh.LinkLocalAddress, mesh.MeshAddress);
            try
            {
                await TrackNodesAsync(mesh, stoppingToken).ConfigureAwait(false);
            }
            finally
            {
                Root?.Stop();
            }
        }
    }

    private RplRoot StartRoot(MeshInterface mesh, RplMeshBinding binding)
    {
        var root = new RplRoot(
            new RplRootOptions
            {
                DodagId = mesh.MeshAddress,
                LinkLocalAddress = mesh.LinkLocalAddress,
                Prefix = mesh.MeshPrefix,
                Mode = _rplOptions.Mode,
                InstanceId = (byte)_rplOptions.InstanceId,
                DioIntervalMin = (byte)_rplOptions.DioIntervalMin,
                DioIntervalDoublings = (byte)_rplOptions.DioIntervalDoublings,
                DioRedundancy = (byte)_rplOptions.DioRedundancy,
                DefaultLifetime = (byte)_rplOptions.DefaultLifetime,
                LifetimeUnit = (ushort)_rplOptions.LifetimeUnit,
            },
            binding,
            _timeProvider,
            _loggerFactory.CreateLogger<RplRoot>());

        // A DAO is the surest sign of a node; its route's expiry the surest sign it left.
        root.NodeJoined += (_, e) => Announce(mesh, e.Node.Address);
        root.NodeLeft += (_, e) => Depart(mesh, e.Node.Address, $"RPL route {e.Reason.ToString().ToLowerInvariant()}");
        binding.Bind(root);
        root.Start();
        LogRoot(_logger, _rplOptions.Mode, mesh.MeshAddress);
        return root;
    }

    private void Announce(MeshInterface mesh, Ipv6Address address)
    {
        MacAddress mac = InterfaceIdentifier.ToMac(address.Low);
        bool known = _nodes.ContainsKey(mac);
        _nodes[mac] = _timeProvider.GetUtcNow();
        if (!known)
        {
            IPAddress ip = Ipv6Address.FromPrefix(mesh.MeshPrefix, mac).ToIPAddress();
            LogJoined(_logger, ip, mac);
            NodeJoined?.Invoke(ip);
        }
    }

    private void Depart(MeshInterface mesh, Ipv6Address address, string reason)
    {
        MacAddress mac = InterfaceIdentifier.ToMac(address.Low);
        if (_nodes.TryRemove(mac, out _))
        {
            IPAddress ip = Ipv6Address.FromPrefix(mesh.MeshPrefix, mac).ToIPAddress();
            LogLeft(_logger, ip, reason);
            NodeLeft?.Invoke(ip, reason);
        }
    }

    private async Task<IRadioLink> WaitForRadioAsync(CancellationToken stoppingToken)
    {
        // Keep the health source alive while the board is absent: waiting is not being stuck.
        while (true)
        {
            Task<IRadioLink> ready = _radio.Ready;
            Task tick = Task.Delay(TimeSpan.FromSeconds(5), _timeProvider, stoppingToken);
            if (await Task.WhenAny(ready, tick).ConfigureAwait(false) == ready)
            {
                return await ready.ConfigureAwait(false);
            }

            stoppingToken.ThrowIfCancellationRequested();
            _health!.ReportDegraded("waiting for the radio");
        }
    }

    /// <summary>Turns the neighbour table into join and leave events; pings all nodes now and then.</summary>
    private async Task TrackNodesAsync(MeshInterface mesh, CancellationToken stoppingToken)
    {
        DateTimeOffset nextSweep = DateTimeOffset.MinValue;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2), _timeProvider);
        try
        {
            do
            {
                DateTimeOffset now = _timeProvider.GetUtcNow();
                if (now >= nextSweep)
                {
                    nextSweep = now + _options.DiscoveryInterval;
                    _ = SweepAsync(mesh, stoppingToken);
                }

                foreach (NeighborInfo neighbor in mesh.Neighbors.Snapshot())
                {
                    if (neighbor.LastHeard is not DateTimeOffset heard)
                    {
                        continue;
                    }

                    if (_nodes.TryGetValue(neighbor.MacAddress, out DateTimeOffset previous) && previous >= heard)
                    {
                        continue;
                    }

                    Announce(mesh, Ipv6Address.FromPrefix(mesh.MeshPrefix, neighbor.MacAddress));
                    _nodes[neighbor.MacAddress] = heard;
                }

                foreach ((MacAddress mac, DateTimeOffset heard) in _nodes)
                {
                    if (now - heard > _options.NodeLifetime)
                    {
                        Depart(mesh, Ipv6Address.FromPrefix(mesh.MeshPrefix, mac), $"not heard for {(now - heard).TotalMinutes:0} min");
                    }
                }

                _health!.ReportProgress($"{_nodes.Count} nodes, {mesh.MeshAddress}");
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task SweepAsync(MeshInterface mesh, CancellationToken stoppingToken)
    {
        try
        {
            // Every node answers an all-nodes echo; the answers land in the neighbour table.
            await mesh.PingAsync(Ipv6Address.AllNodes, timeout: TimeSpan.FromSeconds(2), cancellationToken: stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "RPL root started ({Mode}), DODAG {DodagId}")]
    private static partial void LogRoot(ILogger logger, RplMode mode, Ipv6Address dodagId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mesh interface up: {LinkLocal}, {MeshAddress}")]
    private static partial void LogUp(ILogger logger, Ipv6Address linkLocal, Ipv6Address meshAddress);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Address} ({Mac}) joined")]
    private static partial void LogJoined(ILogger logger, IPAddress address, MacAddress mac);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Address} left: {Reason}")]
    private static partial void LogLeft(ILogger logger, IPAddress address, string reason);
}
