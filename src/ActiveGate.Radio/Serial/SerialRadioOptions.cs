using System.IO.Ports;
using ActiveGate.Radio.SlipRadio;

namespace ActiveGate.Radio.Serial;

/// <summary>Options of a slip-radio on a serial port (config section <c>Radio</c>).</summary>
public sealed class SerialRadioOptions : SlipRadioOptions
{
    /// <summary>Device path, e.g. /dev/ttyUSB0, /dev/ttyACM0 or a pty symlink from the simulator.</summary>
    public string Port { get; set; } = "/dev/ttyUSB0";

    /// <summary>Line speed; Contiki's slip-radio default is 115200 8N1.</summary>
    public int Baud { get; set; } = 115200;

    /// <summary>RTS/CTS hardware flow control, when the board wires it (recommended against UART overruns).</summary>
    public bool RtsCts { get; set; }

    /// <summary>Raise DTR like Contiki's host does. Ignored on devices without modem lines (pseudo-terminals).</summary>
    public bool Dtr { get; set; } = true;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        ArgumentException.ThrowIfNullOrWhiteSpace(Port, nameof(Port));
        ArgumentOutOfRangeException.ThrowIfLessThan(Baud, 1200, nameof(Baud));
    }

    internal Handshake Handshake => RtsCts ? Handshake.RequestToSend : Handshake.None;
}
