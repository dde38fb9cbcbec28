using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ActiveGate.Agent.Options;

/// <summary>How the radio board is reached.</summary>
public enum RadioMode
{
    /// <summary>A slip-radio board on <see cref="RadioOptions.Port"/> (a real one, or the simulator's pseudo-terminal).</summary>
    Serial,

    /// <summary>No radio: the mesh side stays down (management and upstream still run).</summary>
    None,
}

/// <summary>The <c>Radio</c> section: the 802.15.4 radio board on the serial port.</summary>
public sealed class RadioOptions
{
    public const string SectionName = "Radio";

    public RadioMode Mode { get; set; } = RadioMode.Serial;

    /// <summary>Serial device of the radio board.</summary>
    [Required]
    public string Port { get; set; } = "/dev/ttyUSB0";

    [Range(9600, 921600)]
    public int Baud { get; set; } = 115200;

    /// <summary>IEEE 802.15.4 channel in the 2.4 GHz band.</summary>
    [Range(11, 26)]
    public int Channel { get; set; } = 26;

    /// <summary>PAN identifier; 0xFFFF is the broadcast PAN and cannot be used.</summary>
    [Range(0, 0xFFFE)]
    public int PanId { get; set; } = 0xABCD;
}

[OptionsValidator]
public sealed partial class RadioOptionsValidator : IValidateOptions<RadioOptions>;
