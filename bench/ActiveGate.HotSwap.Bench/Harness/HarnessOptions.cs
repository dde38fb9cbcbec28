using System.Globalization;

namespace ActiveGate.HotSwap.Bench.Harness;

/// <summary>Command line of the hot swap run (<c>bench/hotswap.sh [options]</c>).</summary>
public sealed record HarnessOptions
{
    public const string Usage = """
        bench/hotswap.sh [options]          (./build.sh bench hotswap [options])
          --rtt MS               round-trip time added in front of each CSE               default 0
          --bandwidth MBIT       cap of each direction of each CSE's link, Mbit/s (0 none) default 0
          --devices N            simulated devices, a third of them DINs (3 = 1 DIN + 2 plugs)  default 3
          --swaps N              swaps, alternating between platform A and B              default 100
          --interval S           seconds from one swap to the next                       default 3
          --report-interval S    simulator's notification period per channel             default 0.2 (x devices/5 above 5)
          --warmup S             readings to platform A before the first swap            default 5
          --fresh                every swap goes to a new, empty CSE (lanes A/B alternate), so each builds a tree
          --driver lwm2m|cli|restart   lwm2m: a scripted LwM2M server writes /26241/0, ack = its 2.04;
                                 cli: `activegate upstream switch SERVICE URL`;
                                 restart: restart the agent with the new Upstream (baseline)   default lwm2m
          --service NAME         the upstream service swapped (policy resource 0, cli SERVICE)  default readings
          --no-handshake         do not add one RTT for each new TCP connection
          --binding http|coap    oneM2M binding to the CSEs (coap: CoAP front of the CSEs)  default http
          --out DIR              timeline.svg, swaps.csv                                  default artifacts/hotswap
          --agent PATH, --simulator PATH   the binaries (bench/hotswap.sh passes the built ones)
          --drain S              after the devices stop, wait up to S s for the outbox to empty   default 60
          --keep                 keep the agent's scratch directory (logs, state)
        """;

    public double RttMs { get; init; }

    public double BandwidthMbit { get; init; }

    public int Devices { get; init; } = 3;

    public int Swaps { get; init; } = 100;

    public double IntervalSeconds { get; init; } = 3;

    public double? ReportIntervalSeconds { get; init; }

    public double WarmupSeconds { get; init; } = 5;

    public bool Fresh { get; init; }

    public string Driver { get; init; } = "lwm2m";

    public string Service { get; init; } = "readings";

    public bool ModelHandshake { get; init; } = true;

    public PlatformBinding Binding { get; init; } = PlatformBinding.Http;

    public string OutDirectory { get; init; } = "artifacts/hotswap";

    public string? AgentBinary { get; init; }

    public string? SimulatorBinary { get; init; }

    public bool Keep { get; init; }

    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(180);

    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public int Dins => Math.Max(1, Devices / 3);

    public int Plugs => Math.Max(0, Devices - Dins);

    /// <summary>Keeps the fleet's total rate near the seed's 45 readings/s as it grows, so the radio is not the bottleneck.</summary>
    public double EffectiveReportInterval => ReportIntervalSeconds ?? 0.2 * Math.Max(1.0, Devices / 5.0);

    public static HarnessOptions Parse(IReadOnlyList<string> args)
    {
        var o = new HarnessOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            double Number() => double.Parse(Value(), CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "--rtt" => o with { RttMs = Number() },
                "--bandwidth" => o with { BandwidthMbit = Number() },
                "--devices" => o with { Devices = (int)Number() },
                "--swaps" => o with { Swaps = (int)Number() },
                "--interval" => o with { IntervalSeconds = Number() },
                "--report-interval" => o with { ReportIntervalSeconds = Number() },
                "--warmup" => o with { WarmupSeconds = Number() },
                "--fresh" => o with { Fresh = true },
                "--driver" => o with { Driver = Value() is "lwm2m" or "cli" or "restart" ? args[i] : throw new ArgumentException("--driver lwm2m|cli|restart") },
                "--service" => o with { Service = Value() },
                "--no-handshake" => o with { ModelHandshake = false },
                "--binding" => o with { Binding = Enum.Parse<PlatformBinding>(Value(), ignoreCase: true) },
                "--out" => o with { OutDirectory = Value() },
                "--agent" => o with { AgentBinary = Value() },
                "--simulator" => o with { SimulatorBinary = Value() },
                "--keep" => o with { Keep = true },
                "--drain" => o with { DrainTimeout = TimeSpan.FromSeconds(Number()) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        if (o.Devices < 1 || o.Swaps < 1 || o.IntervalSeconds <= 0)
        {
            throw new ArgumentException("--devices, --swaps and --interval must be positive");
        }

        return o;
    }
}
