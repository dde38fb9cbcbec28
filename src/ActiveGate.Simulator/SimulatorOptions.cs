using System.Globalization;
using ActiveGate.Simulator.Mesh;
using ActiveGate.SixLowpan.Rpl;

namespace ActiveGate.Simulator;

/// <summary>Command line of <c>activegate-sim</c>.</summary>
public sealed class SimulatorOptions
{
    /// <summary>Usage text.</summary>
    public const string Usage = """
        activegate-sim: a slip-radio board on a pseudo-terminal with simulated ActivePlugs and ActiveDINs behind it.

        usage: activegate-sim [options]
          --link PATH             also create symlink PATH -> the pty (removed on exit)
          --plugs N               ActivePlugs (1 relay channel, 16 A)           default 2
          --dins M                ActiveDINs (3 relay channels, 20 A each)      default 1
          --channel C             802.15.4 channel of the mesh (11-26)          default 26
          --pan ID                PAN id, decimal or 0x hex                     default 0xABCD
          --prefix P/64           mesh prefix = IPHC context 0                  default fd00::/64
          --loss P                probability a transmission attempt is lost    default 0
          --delay MS              air delay per transmission attempt in ms      default 0
          --report-interval S     observe notification period in seconds       default 10
          --block-size B          CoAP block size (16..1024), Erbium-like       default 64
          --seed N                seed of loads and losses                      default 1
          --radio-eui64 EUI       EUI-64 of the radio board                     default 00:12:4b:00:00:00:00:01
          --quirks                behave like real Contiki slip-radio firmware: "EUnknown command"
                                  after every ?V reply, a '\r' debug line per sent frame

        multi-hop mesh (RPL):
          --topology T            single|line|tree|grid|random; single = everybody  default single
                                  hears everybody, no RPL (the nodes have their global address at once)
          --hops N                depth of line/tree (0 = one line of all nodes; trees 3)  default 0
          --link-loss P           loss per attempt on every link of the topology    default 0
          --rpl MODE              none|storing|non-storing: storing = Contiki 3.0 (MOP 2, DAO to the
                                  parent), non-storing = Contiki-NG RPL-Lite (MOP 1, DAO to the root,
                                  DAO-ACK required). Default: none for single, non-storing otherwise
          --dao-delay MS          node DAO delay after joining/parent change        default 4000
          --dis-interval S        node DIS interval while not joined                default 30 (60 storing)
          --dao-ack-timeout MS    non-storing DAO retransmission timeout            default 5000
          --measure-convergence   no pty: run an in-process agent-side RPL root (as the agent wires it)
                                  on the air, print the time until every node has a downward route, exit
          --dio-imin N            (measure) root DIOIntMin, Imin = 2^N ms           default 12
          --dio-doublings N       (measure) root DIOIntDoubl                        default 8
          --timeout S             (measure) give up after S seconds                 default 600
          -v, --verbose           debug logging on stderr
          -h, --help              this text

        The first line on stdout is the pty path (e.g. /dev/pts/5); the agent opens it as Radio:Port.
        SIGINT/SIGTERM end the simulator cleanly.
        """;

    /// <summary>Symlink to create to the pty slave, if any.</summary>
    public string? LinkPath { get; set; }

    /// <summary>Number of ActivePlugs.</summary>
    public int Plugs { get; set; } = 2;

    /// <summary>Number of ActiveDINs.</summary>
    public int Dins { get; set; } = 1;

    /// <summary>Channel of the nodes and the board's initial channel.</summary>
    public int Channel { get; set; } = 26;

    /// <summary>PAN id of the mesh.</summary>
    public ushort PanId { get; set; } = 0xABCD;

    /// <summary>Mesh prefix (/64), also IPHC context 0.</summary>
    public string Prefix { get; set; } = "fd00::/64";

    /// <summary>Loss probability per transmission attempt.</summary>
    public double Loss { get; set; }

    /// <summary>Air delay per attempt.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Observe notification period.</summary>
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Preferred CoAP block size of the nodes; Erbium's is 64, which keeps responses in one frame.</summary>
    public int BlockSize { get; set; } = 64;

    /// <summary>Seed of loads and losses.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>EUI-64 of the radio board (canonical order).</summary>
    public ulong RadioEui64 { get; set; } = 0x00124B0000000001UL;

    /// <summary>Emulate Contiki firmware quirks (EUnknown after ?V, debug lines).</summary>
    public bool Quirks { get; set; }

    /// <summary>Shape of the radio neighbourhood.</summary>
    public TopologyKind Topology { get; set; } = TopologyKind.Single;

    /// <summary>Depth of line and tree topologies (0 = default).</summary>
    public int Hops { get; set; }

    /// <summary>Loss per attempt on every link of a multi-hop topology.</summary>
    public double LinkLoss { get; set; }

    /// <summary>RPL flavour of the nodes; null = the default for the topology (none for single, non-storing otherwise).</summary>
    public RplMode? Rpl { get; set; }

    /// <summary>True when <see cref="Rpl"/> was given as <c>none</c>.</summary>
    public bool RplDisabled { get; set; }

    /// <summary>Node DAO delay (null = Contiki's 4 s).</summary>
    public TimeSpan? DaoDelay { get; set; }

    /// <summary>Node DIS interval while not joined (null = firmware default).</summary>
    public TimeSpan? DisInterval { get; set; }

    /// <summary>Node DAO-ACK timeout (null = RPL-Lite's 5 s).</summary>
    public TimeSpan? DaoAckTimeout { get; set; }

    /// <summary>Run the convergence measurement instead of serving a pty.</summary>
    public bool MeasureConvergence { get; set; }

    /// <summary>DIOIntMin of the measurement's root.</summary>
    public byte DioIntervalMin { get; set; } = 12;

    /// <summary>DIOIntDoubl of the measurement's root.</summary>
    public byte DioIntervalDoublings { get; set; } = 8;

    /// <summary>Measurement time limit.</summary>
    public TimeSpan MeasureTimeout { get; set; } = TimeSpan.FromSeconds(600);

    /// <summary>The RPL mode the nodes run, or null for none.</summary>
    public RplMode? EffectiveRpl => RplDisabled ? null : Rpl ?? (Topology == TopologyKind.Single ? null : RplMode.NonStoring);

    /// <summary>Debug logging.</summary>
    public bool Verbose { get; set; }

    /// <summary>Help requested.</summary>
    public bool Help { get; set; }

    /// <summary>Parses the command line; throws <see cref="FormatException"/> with a message for the user.</summary>
    public static SimulatorOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new SimulatorOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new FormatException($"{arg} needs a value");
            switch (arg)
            {
                case "--link":
                    options.LinkPath = Value();
                    break;
                case "--plugs":
                    options.Plugs = Int(arg, Value(), 0, 200);
                    break;
                case "--dins":
                    options.Dins = Int(arg, Value(), 0, 200);
                    break;
                case "--channel":
                    options.Channel = Int(arg, Value(), 11, 26);
                    break;
                case "--pan":
                    options.PanId = (ushort)Int(arg, Value(), 0, 0xFFFE);
                    break;
                case "--prefix":
                    options.Prefix = Value();
                    break;
                case "--loss":
                    options.Loss = Double(arg, Value(), 0, 1);
                    break;
                case "--delay":
                    options.Delay = TimeSpan.FromMilliseconds(Double(arg, Value(), 0, 10_000));
                    break;
                case "--report-interval":
                    options.ReportInterval = TimeSpan.FromSeconds(Double(arg, Value(), 0, 86_400));
                    break;
                case "--block-size":
                    options.BlockSize = Int(arg, Value(), 16, 1024);
                    if (!int.IsPow2(options.BlockSize))
                    {
                        throw new FormatException("--block-size: expected a power of two");
                    }

                    break;
                case "--seed":
                    options.Seed = Int(arg, Value(), int.MinValue, int.MaxValue);
                    break;
                case "--radio-eui64":
                    options.RadioEui64 = Eui64(arg, Value());
                    break;
                case "--quirks":
                    options.Quirks = true;
                    break;
                case "--topology":
                    options.Topology = Value() switch
                    {
                        "single" => TopologyKind.Single,
                        "line" => TopologyKind.Line,
                        "tree" => TopologyKind.Tree,
                        "grid" => TopologyKind.Grid,
                        "random" => TopologyKind.Random,
                        string other => throw new FormatException($"--topology: expected single, line, tree, grid or random, got '{other}'"),
                    };
                    break;
                case "--hops":
                    options.Hops = Int(arg, Value(), 0, 64);
                    break;
                case "--link-loss":
                    options.LinkLoss = Double(arg, Value(), 0, 1);
                    break;
                case "--rpl":
                    string mode = Value();
                    options.RplDisabled = mode == "none";
                    options.Rpl = mode switch
                    {
                        "none" => null,
                        "storing" => RplMode.Storing,
                        "non-storing" or "nonstoring" => RplMode.NonStoring,
                        _ => throw new FormatException($"--rpl: expected none, storing or non-storing, got '{mode}'"),
                    };
                    break;
                case "--dao-delay":
                    options.DaoDelay = TimeSpan.FromMilliseconds(Double(arg, Value(), 0, 600_000));
                    break;
                case "--dao-ack-timeout":
                    options.DaoAckTimeout = TimeSpan.FromMilliseconds(Double(arg, Value(), 1, 600_000));
                    break;
                case "--measure-convergence":
                    options.MeasureConvergence = true;
                    break;
                case "--dio-imin":
                    options.DioIntervalMin = (byte)Int(arg, Value(), 1, 30);
                    break;
                case "--dio-doublings":
                    options.DioIntervalDoublings = (byte)Int(arg, Value(), 0, 30);
                    break;
                case "--timeout":
                    options.MeasureTimeout = TimeSpan.FromSeconds(Double(arg, Value(), 1, 86_400));
                    break;
                case "--dis-interval":
                    options.DisInterval = TimeSpan.FromSeconds(Double(arg, Value(), 0.01, 3600));
                    break;
                case "-v":
                case "--verbose":
                    options.Verbose = true;
                    break;
                case "-h":
                case "--help":
                    options.Help = true;
                    break;
                default:
                    throw new FormatException($"unknown option {arg}");
            }
        }

        if (options.Plugs + options.Dins > 200)
        {
            throw new FormatException("at most 200 nodes");
        }

        return options;
    }

    private static int Int(string name, string text, int min, int max)
    {
        bool ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? int.TryParse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int value)
            : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);
        return ok && value >= min && value <= max ? value : throw new FormatException($"{name}: expected an integer in {min}..{max}, got '{text}'");
    }

    private static double Double(string name, string text, double min, double max) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= min && value <= max
            ? value
            : throw new FormatException($"{name}: expected a number in {min}..{max}, got '{text}'");

    private static ulong Eui64(string name, string text)
    {
        string hex = text.Replace(":", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
        return hex.Length == 16 && ulong.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong value)
            ? value
            : throw new FormatException($"{name}: expected 8 hex bytes like 00:12:4b:00:00:00:00:01, got '{text}'");
    }
}
