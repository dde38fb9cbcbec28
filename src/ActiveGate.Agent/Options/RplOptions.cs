using System.ComponentModel.DataAnnotations;
using ActiveGate.SixLowpan.Rpl;
using Microsoft.Extensions.Options;

namespace ActiveGate.Agent.Options;

/// <summary>
/// The <c>Rpl</c> section: the agent is the DODAG root of the mesh. Contiki ≤ 3.0 nodes join only
/// storing mode (set <c>Mode</c> to <c>Storing</c>, usually with <c>Mesh:Prefix</c> aaaa::/64);
/// Contiki-NG RPL-Lite nodes join only non-storing mode (the default).
/// </summary>
public sealed class RplOptions
{
    public const string SectionName = "Rpl";

    /// <summary>Run the RPL root (off only for a single-hop mesh of nodes without RPL).</summary>
    public bool Enabled { get; set; } = true;

    public RplMode Mode { get; set; } = RplMode.NonStoring;

    [Range(0, 127)]
    public int InstanceId { get; set; } = 0x1E;

    /// <summary>DIOIntMin: Imin = 2^n ms (12 = 4.096 s, Contiki's default).</summary>
    [Range(1, 30)]
    public int DioIntervalMin { get; set; } = 12;

    /// <summary>DIOIntDoubl: Imax = Imin · 2^n (8 ≈ 17.5 min).</summary>
    [Range(0, 30)]
    public int DioIntervalDoublings { get; set; } = 8;

    /// <summary>Trickle redundancy constant k (0 = always send).</summary>
    [Range(0, 255)]
    public int DioRedundancy { get; set; } = 10;

    /// <summary>Route lifetime in lifetime units (30 × 60 s = 30 min).</summary>
    [Range(1, 254)]
    public int DefaultLifetime { get; set; } = 30;

    /// <summary>Seconds per lifetime unit.</summary>
    [Range(1, 65535)]
    public int LifetimeUnit { get; set; } = 60;
}

[OptionsValidator]
public sealed partial class RplOptionsValidator : IValidateOptions<RplOptions>;
