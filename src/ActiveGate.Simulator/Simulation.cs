using ActiveGate.Radio;
using ActiveGate.Simulator.Devices;
using ActiveGate.Simulator.Mesh;
using ActiveGate.Simulator.Pty;
using ActiveGate.Simulator.RadioBoard;
using ActiveGate.SixLowpan.Ipv6;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Simulator;

/// <summary>
/// The whole simulator: a pseudo-terminal, the radio board on its master side, the air, and the nodes.
/// Usable in-process (tests) and from <see cref="Program"/>.
/// </summary>
public sealed class Simulation : IAsyncDisposable
{
    private readonly PseudoTerminal _pty;
    private readonly List<SimulatedNode> _nodes = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly string? _link;
    private Task? _board;

    private Simulation(SimulatorOptions options, PseudoTerminal pty, TimeProvider time, ILoggerFactory loggers)
    {
        _pty = pty;
        Options = options;
        Ipv6Prefix prefix = Ipv6Prefix.TryParse(options.Prefix, out Ipv6Prefix parsed) && parsed.Length == 64
            ? parsed
            : throw new FormatException($"--prefix: expected an IPv6 /64 prefix, got '{options.Prefix}'");
        Air = new SimulatedAir(new AirOptions { LossRate = options.Loss, Delay = options.Delay, Seed = options.Seed }, time);
        Board = new SimulatedRadioBoard(pty, Air, options.RadioEui64, options.Channel, options.PanId, loggers.CreateLogger<SimulatedRadioBoard>())
        {
            Quirks = options.Quirks,
        };
        Air.Attach(Board);

        for (int i = 1; i <= options.Plugs; i++)
        {
            AddNode(DeviceKind.ActivePlug, i, prefix, time, loggers);
        }

        for (int i = 1; i <= options.Dins; i++)
        {
            AddNode(DeviceKind.ActiveDin, i, prefix, time, loggers);
        }

        if (options.LinkPath is { } link)
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

    /// <summary>The pty path the agent opens.</summary>
    public string DevicePath => _pty.SlavePath;

    /// <summary>Bytes the board could not write because nobody read the pty (no agent attached).</summary>
    public long BytesDroppedOnPty => _pty.BytesDropped;

    /// <summary>The radio board.</summary>
    public SimulatedRadioBoard Board { get; }

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

        _board = Task.Run(() => Board.RunAsync(_stop.Token), cancellationToken);
    }

    /// <summary>Human-readable description, one line per station.</summary>
    public IEnumerable<string> Describe()
    {
        yield return $"radio board {RadioLinkStatistics.FormatEui64(Board.ExtendedAddress)} on {DevicePath}{(_link is null ? string.Empty : $" (link {_link})")}, channel {Options.Channel}, PAN 0x{Options.PanId:x4}, prefix {Options.Prefix}";
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
        if (_board is not null)
        {
            await _board.ConfigureAwait(false);
        }

        foreach (SimulatedNode node in _nodes)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }

        if (_link is not null && new FileInfo(_link).LinkTarget == _pty.SlavePath)
        {
            File.Delete(_link);
        }

        _pty.Dispose();
        _stop.Dispose();
    }

    private void AddNode(DeviceKind kind, int index, Ipv6Prefix prefix, TimeProvider time, ILoggerFactory loggers)
    {
        ulong eui = NodeEui64(kind, index);
        // Deterministic per (seed, node): HashCode.Combine is randomised per process, so mix by hand.
        int seed = unchecked((Options.Seed * 486_187_739) ^ (int)eui ^ (int)(eui >> 32));
        var device = new SimulatedDevice(kind, index, eui, time, seed);
        string name = $"{(kind == DeviceKind.ActivePlug ? "plug" : "din")}-{index}";
        _nodes.Add(new SimulatedNode(name, device, Air, Options.Channel, Options.PanId, prefix, Options.ReportInterval, Options.BlockSize, time, loggers));
    }
}
