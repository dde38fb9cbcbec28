using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ActiveGate.Agent.Options;

/// <summary>The <c>Devices</c> section: how mesh devices are observed and switched.</summary>
public sealed class DevicesOptions
{
    public const string SectionName = "Devices";

    /// <summary>Poll period for devices that do not support Observe.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Consecutive failures after which a device is shown offline.</summary>
    [Range(1, 100)]
    public int FailuresBeforeOffline { get; set; } = 3;

    /// <summary>Our UDP port on the mesh for CoAP requests (61616–61631 compress to 4 bits in 6LoWPAN NHC).</summary>
    [Range(1, 65535)]
    public int CoapPort { get; set; } = 61616;
}

[OptionsValidator]
public sealed partial class DevicesOptionsValidator : IValidateOptions<DevicesOptions>;
