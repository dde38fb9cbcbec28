using ActiveGate.Radio.Capture;
using ActiveGate.Radio.SlipRadio;
using Microsoft.Extensions.Logging;

namespace ActiveGate.Radio.Serial;

/// <summary>
/// A Contiki slip-radio on a serial port: <see cref="SlipRadioLink"/> over <see cref="SerialPortConnector"/>.
/// Survives unplug and replug of the USB radio (reports Disconnected, backs off, reopens the same path).
/// </summary>
/// <example>
/// <code>
/// await using var radio = new SerialRadioLink(new SerialRadioOptions { Port = "/dev/ttyUSB0" }, TimeProvider.System, logger);
/// await radio.InitializeAsync(ct);            // ?M until !M: radio.ExtendedAddress is set
/// await radio.SetChannelAsync(26, ct);
/// await radio.SetPanIdAsync(0xABCD, ct);
/// TxResult r = await radio.TransmitAsync(mpduWithoutFcs, ct);
/// await foreach (RadioFrame f in radio.ReceivedFrames.ReadAllAsync(ct)) { ... }
/// </code>
/// </example>
public sealed class SerialRadioLink : SlipRadioLink
{
    /// <summary>Creates the link; the port is opened by <see cref="SlipRadioLink.InitializeAsync"/>.</summary>
    public SerialRadioLink(SerialRadioOptions options, TimeProvider? timeProvider = null, ILogger? logger = null, IRadioFrameTap? tap = null)
        : base(new SerialPortConnector(Validated(options)), options, timeProvider, logger, tap)
    {
        Options = options;
    }

    /// <summary>The options the link runs with.</summary>
    public SerialRadioOptions Options { get; }

    private static SerialRadioOptions Validated(SerialRadioOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }
}
