using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Rpl.Messages;
using ActiveGate.SixLowpan.Rpl.Trickle;

namespace ActiveGate.SixLowpan.Rpl.Root;

/// <summary>
/// Configuration of the DODAG root. The defaults are chosen so that both Contiki 3.0 (storing,
/// set <see cref="Mode"/> = <see cref="RplMode.Storing"/> and usually <c>aaaa::/64</c>) and
/// Contiki-NG RPL-Lite (non-storing, the default) nodes join: MRHOF, Imin 2^12 ms = 4.096 s,
/// 8 doublings (Imax ≈ 17.5 min), k = 10, MinHopRankIncrease 128, MaxRankIncrease 1024 and
/// routes of 30 × 60 s — the Contiki-NG values, which Contiki 3.0 nodes also adopt from the
/// DODAG Configuration option.
/// </summary>
public sealed class RplRootOptions
{
    /// <summary>RPLInstanceID (Contiki 3.0 and RPL-Classic use 0x1E; nodes adopt the root's).</summary>
    public byte InstanceId { get; init; } = 0x1E;

    /// <summary>The DODAG id: the agent's global mesh address. Required.</summary>
    public Ipv6Address DodagId { get; init; }

    /// <summary>The root's link-local address (DIO source); derived from the DODAG id's IID when unspecified.</summary>
    public Ipv6Address LinkLocalAddress { get; init; }

    /// <summary>The mesh prefix advertised in the Prefix Information option (IPHC context 0).</summary>
    public Ipv6Prefix Prefix { get; init; } = Ipv6Prefix.DefaultMesh;

    /// <summary>Mode of operation: 1 non-storing (Contiki-NG RPL-Lite) or 2 storing (Contiki ≤ 3.0).</summary>
    public RplMode Mode { get; init; } = RplMode.NonStoring;

    /// <summary>The first DODAG version (lollipop start 240).</summary>
    public byte InitialVersion { get; init; } = RplConstants.LollipopInit;

    /// <summary>DIOIntMin: Imin = 2^value ms.</summary>
    public byte DioIntervalMin { get; init; } = 12;

    /// <summary>DIOIntDoubl.</summary>
    public byte DioIntervalDoublings { get; init; } = 8;

    /// <summary>DIORedundancy (k).</summary>
    public byte DioRedundancy { get; init; } = 10;

    /// <summary>MinHopRankIncrease; the root's rank equals it.</summary>
    public ushort MinHopRankIncrease { get; init; } = 128;

    /// <summary>MaxRankIncrease.</summary>
    public ushort MaxRankIncrease { get; init; } = 1024;

    /// <summary>Objective Code Point (1 = MRHOF).</summary>
    public ushort ObjectiveCodePoint { get; init; } = RplConstants.OcpMrhof;

    /// <summary>Default route lifetime in lifetime units (0xFF = infinite).</summary>
    public byte DefaultLifetime { get; init; } = 30;

    /// <summary>Seconds per lifetime unit.</summary>
    public ushort LifetimeUnit { get; init; } = 60;

    /// <summary>DODAG preference (0-7).</summary>
    public byte Preference { get; init; }

    /// <summary>G flag: the root is grounded (reaches the backbone).</summary>
    public bool Grounded { get; init; } = true;

    /// <summary>Valid lifetime of the advertised prefix, seconds.</summary>
    public uint PrefixValidLifetime { get; init; } = uint.MaxValue;

    /// <summary>Preferred lifetime of the advertised prefix, seconds.</summary>
    public uint PrefixPreferredLifetime { get; init; } = uint.MaxValue;

    /// <summary>Most nodes the table holds; DAOs beyond it are rejected with status 128.</summary>
    public int MaxNodes { get; init; } = 1024;

    /// <summary>Longest downward path accepted (hops); longer parent chains are treated as loops.</summary>
    public int MaxPathLength { get; init; } = 32;

    /// <summary>The root's rank (RFC 6550: ROOT_RANK = MinHopRankIncrease).</summary>
    public ushort RootRank => MinHopRankIncrease;

    /// <summary>Trickle parameters from the DIO fields.</summary>
    public TrickleParameters Trickle => TrickleParameters.FromDio(DioIntervalMin, DioIntervalDoublings, DioRedundancy);

    /// <summary>The lifetime a DAO path lifetime value stands for; null = infinite.</summary>
    public TimeSpan? PathLifetime(byte lifetime) =>
        lifetime == RplConstants.InfiniteLifetime ? null : TimeSpan.FromSeconds(lifetime * (double)LifetimeUnit);

    /// <summary>The link-local address in force.</summary>
    public Ipv6Address EffectiveLinkLocal =>
        LinkLocalAddress.IsUnspecified ? new Ipv6Address(Ipv6Address.LinkLocalHigh, DodagId.Low) : LinkLocalAddress;

    /// <summary>The DODAG Configuration option these options advertise.</summary>
    public DodagConfigurationOption ToDodagConfiguration() => new()
    {
        DioIntervalDoublings = DioIntervalDoublings,
        DioIntervalMin = DioIntervalMin,
        DioRedundancyConstant = DioRedundancy,
        MaxRankIncrease = MaxRankIncrease,
        MinHopRankIncrease = MinHopRankIncrease,
        ObjectiveCodePoint = ObjectiveCodePoint,
        DefaultLifetime = DefaultLifetime,
        LifetimeUnit = LifetimeUnit,
    };

    /// <summary>The Prefix Information option these options advertise (A set: nodes autoconfigure from it).</summary>
    public PrefixInformationOption ToPrefixInformation() => new()
    {
        Prefix = Prefix,
        Autonomous = true,
        ValidLifetime = PrefixValidLifetime,
        PreferredLifetime = PrefixPreferredLifetime,
        PrefixField = Prefix.Address,
    };

    /// <summary>Throws <see cref="ArgumentException"/> for settings no node could join.</summary>
    public void Validate()
    {
        if (DodagId.IsUnspecified || DodagId.IsMulticast || DodagId.IsLinkLocal)
        {
            throw new ArgumentException("DodagId must be the root's global (or ULA) unicast address.");
        }

        if (Mode is not (RplMode.NonStoring or RplMode.Storing))
        {
            throw new ArgumentException("Mode must be NonStoring (1) or Storing (2).");
        }

        if (MinHopRankIncrease == 0 || DioIntervalMin is < 1 or > 30 || DioIntervalDoublings > 30 || LifetimeUnit == 0 || DefaultLifetime == 0)
        {
            throw new ArgumentException("MinHopRankIncrease, DIOIntMin (1-30), DIOIntDoubl (≤ 30), LifetimeUnit and DefaultLifetime must be usable.");
        }

        if (Preference > 7 || MaxNodes < 1 || MaxPathLength < 1)
        {
            throw new ArgumentException("Preference must be 0-7; MaxNodes and MaxPathLength positive.");
        }
    }
}
