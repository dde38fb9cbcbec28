using System.IO.Ports;
using ActiveGate.Radio.Transport;

namespace ActiveGate.Radio.Serial;

/// <summary>
/// Opens a serial port: <see cref="SerialPort"/> (the only System.IO.Ports user in the project) configures the line,
/// a <see cref="TerminalStream"/> on the same device carries the bytes (see there why not the port's own stream).
/// Disposing the stream closes both, so the next open after an unplug starts clean.
/// </summary>
public sealed class SerialPortConnector(SerialRadioOptions options) : IRadioStreamConnector
{
    private const int WriteTimeoutMilliseconds = 2000;

    private readonly SerialRadioOptions _options = options ?? throw new ArgumentNullException(nameof(options));

    /// <inheritdoc />
    public string Description => $"{_options.Port}@{_options.Baud}";

    /// <inheritdoc />
    public ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Our descriptor first: System.IO.Ports may make the device exclusive (TIOCEXCL) once it has opened it.
        TerminalStream terminal = TerminalStream.Open(_options.Port, TimeSpan.FromMilliseconds(WriteTimeoutMilliseconds));
        SerialPort port;
        try
        {
            try
            {
                port = Open(_options.Dtr);
            }
            catch (IOException) when (_options.Dtr)
            {
                // Pseudo-terminals (the simulator, socat) have no modem lines: setting DTR fails with ENOTTY.
                port = Open(dtr: false);
            }
        }
        catch
        {
            terminal.Dispose();
            throw;
        }

        terminal.CloseAfterwards(port);
        return ValueTask.FromResult<Stream>(terminal);
    }

    private SerialPort Open(bool dtr)
    {
        var port = new SerialPort(_options.Port, _options.Baud, Parity.None, 8, StopBits.One)
        {
            Handshake = _options.Handshake,
            DtrEnable = dtr,
            ReadTimeout = SerialPort.InfiniteTimeout,
            WriteTimeout = WriteTimeoutMilliseconds,
        };
        try
        {
            port.Open();
            return port;
        }
        catch
        {
            port.Dispose();
            throw;
        }
    }
}
