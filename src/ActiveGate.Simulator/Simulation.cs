using ActiveGate.Radio;
using ActiveGate.Simulator.Devices;
using ActiveGate.Simulator.Mesh;
using ActiveGate.Simulator.Mesh.Rpl;
using ActiveGate.Simulator.Pty;
using ActiveGate.Simulator.RadioBoard;
using ActiveGate.SixLowpan.Ipv6;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Simulator;

/// <summary>
/// The whole simulator: a pseudo-terminal, the radio board on its master side, the air, and the nodes.
/// Usable in-process (tests) and from <see cref="Program"/>. <see cref="CreateInProcess"/> leaves out the
/// pty and the board: the agent side then attaches its mesh interface to <see cref="RootLink"/>, a
/// radio on the air at the board's place.
/// </summary>
public sealed class Simulation : IAsyncDisposable
{
    private readonly PseudoTerminal? _pty;
    private readonly SimulatedRadioBoard? _board;
    private readonly List<SimulatedNode> _nodes = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly string? _link;
    private readonly NodeRplSettings? _rpl;

    // EUI-64 of every station as built (0 = board): topology indices stay valid when nodes are removed.
    private readonly ulong[] _stations;
    private Task? _boardLoop;

    private Simulation(SimulatorOptions options, PseudoTerminal? pty, TimeProvider time, ILoggerFactory loggers)
    {
        _pty = pty;
        Options = options;
        Ipv6Prefix prefix = Ipv6Prefix.TryParse(options.Prefix, out Ipv6Prefix parsed) && parsed.Length == 64
            ? parsed
            : throw new FormatException($"--prefix: expected an IPv6 /64 prefix, got '{options.Prefix}'");
        Air = new SimulatedAir(new AirOptions { LossRate = options.Loss, Delay = options.Delay, Seed = options.Seed }, time);
        if (pty is not null)
        {
            _board = new SimulatedRadioBoard(pty, Air, options.RadioEui64, options.Channel, options.PanId, loggers.CreateLogger<SimulatedRadioBoard>())
            {
                Quirks = options.Quirks,
            };
            Air.Attach(_board);
        }
        else
        {
            RootLink = new NodeFrameLink(Air, options.RadioEui64, options.Channel, time);
            Air.Attach(RootLink);
        }

        if (options.EffectiveRpl is { } mode)
        {
            _rpl = new NodeRplSettings { Mode = mode, DaoDelay = options.DaoDelay, DisInterval = options.DisInterval, DaoAckTimeout = options.DaoAckTimeout };
        }

        for (int i = 1; i <= options.Plugs; i++)
        {
            AddNode(DeviceKind.ActivePlug, i, prefix, time, loggers);
        }

        for (int i = 1; i <= options.Dins; i++)
        {
            AddNode(DeviceKind.ActiveDin, i, prefix, time, loggers);
        }

        _stations = [options.RadioEui64, .. _nodes.Select(n => n.Device.ExtendedAddress)];
        Links = MeshTopology.Build(options.Topology, _nodes.Count, options.Hops, options.Seed);
        if (Links is not null)
        {
            foreach ((int a, int b) in Links)
            {
                Air.Link(StationEui64(a), StationEui64(b), options.LinkLoss);
            }
        }

        if (pty is not null && options.LinkPath is { } link)
        {
            if (File.Exists(link) || Directory.Exists(link) || new FileInfo(link).LinkTarget is not null)
            {
                File.Delete(link);
            }

            File.CreateSymbolicLink(link, pty.SlavePath);
            _link = link;
        }
    }

    /// <summary>Options in force.</summary>
    public SimulatorOptions Options { get; }

    /// <summary>The pty path the agent opens ("in-process" without a pty).</summary>
    public string DevicePath => _pty?.SlavePath ?? "in-process";

    /// <summary>Bytes the board could not write because nobody read the pty (no agent attached).</summary>
    public long BytesDroppedOnPty => _pty?.BytesDropped ?? 0;

    /// <summary>The radio board (not in an in-process simulation).</summary>
    public SimulatedRadioBoard Board => _board ?? throw new InvalidOperationException("An in-process simulation has no radio board; use RootLink.");

    /// <summary>In-process simulations: the radio at the board's place, for the agent's mesh interface (an <see cref="ActiveGate.Ieee802154.IFrameLink"/>).</summary>
    public NodeFrameLink? RootLink { get; }

    /// <summary>The topology's links over station indices (0 = board, i = <c>Nodes[i - 1]</c>); null for single hop.</summary>
    public IReadOnlyList<(int A, int B)>? Links { get; }

    /// <summary>The air.</summary>
    public SimulatedAir Air { get; }

    /// <summary>The nodes, plugs first.</summary>
    public IReadOnlyList<SimulatedNode> Nodes => _nodes;

    /// <summary>Opens the pty and builds the mesh; nothing runs before <see cref="StartAsync"/>.</summary>
    public static Simulation Create(SimulatorOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        PseudoTerminal pty = PseudoTerminal.Open();
        try
        {
            return new Simulation(options, pty, timeProvider ?? TimeProvider.System, loggerFactory ?? NullLoggerFactory.Instance);
        }
        catch
        {
            pty.Dispose();
            throw;
        }
    }

    /// <summary>Builds the air and the nodes without a pty or board: the caller's mesh interface uses <see cref="RootLink"/>.</summary>
    public static Simulation CreateInProcess(SimulatorOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new Simulation(options, null, timeProvider ?? TimeProvider.System, loggerFactory ?? NullLoggerFactory.Instance);
    }

    /// <summary>EUI-64 of station <paramref name="index"/>: 0 = the board, i = the i-th node created (<c>Nodes[i - 1]</c> until nodes are removed).</summary>
    public ulong StationEui64(int index) => _stations[index];

    /// <summary>Hops from the board of every station as built (index as in <see cref="Links"/>).</summary>
    public int[] Depths() => MeshTopology.Depths(_stations.Length - 1, Links);

    /// <summary>Switches a node off: off the air, timers stopped. The root should see its route lapse.</summary>
    public async Task RemoveNodeAsync(SimulatedNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (!_nodes.Remove(node))
        {
            return;
        }

        Air.Detach(node.Radio);
        Air.Isolate(node.Device.ExtendedAddress);
        await node.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Moves a node: it loses every link and hears only <paramref name="newNeighbours"/> (station EUI-64s).</summary>
    public void MoveNode(SimulatedNode node, IEnumerable<ulong> newNeighbours)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(newNeighbours);
        ulong eui = node.Device.ExtendedAddress;
        Air.Isolate(eui);
        foreach (ulong neighbour in newNeighbours)
        {
            Air.Link(eui, neighbour, Options.LinkLoss);
        }
    }

    /// <summary>EUI-64 of node <paramref name="index"/> (from 1) of a kind: 00:12:4b:00:0a:KK:00:II.</summary>
    public static ulong NodeEui64(DeviceKind kind, int index) =>
        0x00124B000A000000UL | ((ulong)(kind == DeviceKind.ActivePlug ? 1 : 2) << 16) | (uint)index;

    /// <summary>Starts the nodes and the radio board.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (SimulatedNode node in _nodes)
        {
            await node.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_board is { } board)
        {
            _boardLoop = Task.Run(() => board.RunAsync(_stop.Token), cancellationToken);
        }
    }

    /// <summary>Human-readable description, one line per station.</summary>
    public IEnumerable<string> Describe()
    {
        yield return $"radio board {RadioLinkStatistics.FormatEui64(Options.RadioEui64)} on {DevicePath}{(_link is null ? string.Empty : $" (link {_link})")}, channel {Options.Channel}, PAN 0x{Options.PanId:x4}, prefix {Options.Prefix}";
        if (Links is not null || _rpl is not null)
        {
            int[] depths = Depths();
            yield return $"topology {Options.Topology.ToString().ToLowerInvariant()}, {Links?.Count ?? 0} links, max depth {depths.Max()} hops, link loss {Options.LinkLoss}, RPL {(_rpl is null ? "none" : _rpl.Mode == ActiveGate.SixLowpan.Rpl.RplMode.Storing ? "storing (Contiki 3.0, MOP 2)" : "non-storing (Contiki-NG RPL-Lite, MOP 1)")}";
        }
        foreach (SimulatedNode node in _nodes)
        {
            yield return $"{node.Name,-8} {DeviceModels.ModelName(node.Device.Kind),-10} {node.Device.Serial} {RadioLinkStatistics.FormatEui64(node.Device.ExtendedAddress)} {node.Network.LinkLocalAddress} {node.Network.GlobalAddress}";
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_boardLoop is not null)
        {
            await _boardLoop.ConfigureAwait(false);
        }

        foreach (SimulatedNode node in _nodes)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }

        if (_link is not null && _pty is not null && new FileInfo(_link).LinkTarget == _pty.SlavePath)
        {
            File.Delete(_link);
        }

        RootLink?.Dispose();
        _pty?.Dispose();
        _stop.Dispose();
    }

    private void AddNode(DeviceKind kind, int index, Ipv6Prefix prefix, TimeProvider time, ILoggerFactory loggers)
    {
        ulong eui = NodeEui64(kind, index);
        // Deterministic per (seed, node): HashCode.Combine is randomised per process, so mix by hand.
        int seed = unchecked((Options.Seed * 486_187_739) ^ (int)eui ^ (int)(eui >> 32));
        var device = new SimulatedDevice(kind, index, eui, time, seed);
        string name = $"{(kind == DeviceKind.ActivePlug ? "plug" : "din")}-{index}";
#pragma warning disable CA5394 // Simulated timer jitter, not security.
        _nodes.Add(new SimulatedNode(name, device, Air, Options.Channel, Options.PanId, prefix, Options.ReportInterval, Options.BlockSize, time, loggers, _rpl, _rpl is null ? null : new Random(seed)));
#pragma warning restore CA5394
    }
}
