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

    /// <summary>RTS/CTS flow control, when the board wires it.</summary>
    public bool RtsCts { get; set; }

    /// <summary>Gap between frames written to the radio (slip-radio buffers two; Contiki waits 31 ms).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan InterFrameGap { get; set; } = TimeSpan.FromMilliseconds(31);

    /// <summary>How long a transmit waits for the radio's status report.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:10")]
    public TimeSpan TxStatusTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>When set, every frame in and out is appended to this pcap file or FIFO (Wireshark can follow it).</summary>
    public string? CaptureFile { get; set; }

    /// <summary>Capture with a computed FCS (link type 195) rather than without (230).</summary>
    public bool CaptureWithFcs { get; set; } = true;
}

[OptionsValidator]
public sealed partial class RadioOptionsValidator : IValidateOptions<RadioOptions>;
