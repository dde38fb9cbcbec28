using System.ComponentModel.DataAnnotations;
using ActiveGate.SixLowpan.Ipv6;
using Microsoft.Extensions.Options;

namespace ActiveGate.Agent.Options;

/// <summary>The <c>Mesh</c> section: the 6LoWPAN side of the radio.</summary>
public sealed class MeshOptions : IValidatableObject
{
    public const string SectionName = "Mesh";

    /// <summary>Mesh prefix and IPHC context 0: <c>fd00::/64</c> (Contiki-NG) or <c>aaaa::/64</c> (Contiki 2.x/3.0).</summary>
    [Required]
    public string Prefix { get; set; } = "fd00::/64";

    /// <summary>The validated <see cref="Prefix"/>.</summary>
    public Ipv6Prefix ParsedPrefix => Ipv6Prefix.TryParse(Prefix, out Ipv6Prefix prefix) ? prefix : Ipv6Prefix.DefaultMesh;

    /// <summary>Partial 6LoWPAN datagrams are dropped after this long (RFC 4944 allows at most 60 s).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan ReassemblyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the agent asks every node on the link to answer (ICMPv6 echo to ff02::1), to find nodes that never speak first.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00")]
    public TimeSpan DiscoveryInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A node not heard for this long is considered gone.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan NodeLifetime { get; set; } = TimeSpan.FromMinutes(30);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Ipv6Prefix.TryParse(Prefix, out Ipv6Prefix prefix) || prefix.Length != 64)
        {
            yield return new ValidationResult("The field MeshOptions.Prefix must be an IPv6 /64 prefix such as fd00::/64", [nameof(Prefix)]);
        }
    }
}

[OptionsValidator]
public sealed partial class MeshOptionsValidator : IValidateOptions<MeshOptions>;
