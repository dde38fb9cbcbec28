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

        return ValueTask.FromResult<Stream>(new SerialPortStream(port, terminal));
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

    /// <summary>The terminal's stream, owning the configured port (closed after the stream).</summary>
    private sealed class SerialPortStream(SerialPort port, TerminalStream terminal) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => terminal.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => terminal.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => terminal.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => terminal.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
            => terminal.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => terminal.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Flush() => terminal.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => terminal.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                terminal.Dispose();
                try
                {
                    port.Dispose();
                }
                catch (IOException)
                {
                    // The device is already gone (unplug); nothing left to close.
                }
            }

            base.Dispose(disposing);
        }
    }
}
