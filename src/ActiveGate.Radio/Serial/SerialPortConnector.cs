using System.IO.Ports;
using ActiveGate.Radio.Transport;

namespace ActiveGate.Radio.Serial;

/// <summary>
/// Opens a serial port with <see cref="SerialPort"/> (the only System.IO.Ports user in the project) and hands out
/// its stream; disposing that stream closes the port, so the next open after an unplug starts clean.
/// </summary>
public sealed class SerialPortConnector(SerialRadioOptions options) : IRadioStreamConnector
{
    private readonly SerialRadioOptions _options = options ?? throw new ArgumentNullException(nameof(options));

    /// <inheritdoc />
    public string Description => $"{_options.Port}@{_options.Baud}";

    /// <inheritdoc />
    public ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        SerialPort port;
        try
        {
            port = Open(_options.Dtr);
        }
        catch (IOException) when (_options.Dtr)
        {
            // Pseudo-terminals (the simulator, socat) have no modem lines: setting DTR fails with ENOTTY.
            port = Open(dtr: false);
        }

        return ValueTask.FromResult<Stream>(new SerialPortStream(port));
    }

    private SerialPort Open(bool dtr)
    {
        var port = new SerialPort(_options.Port, _options.Baud, Parity.None, 8, StopBits.One)
        {
            Handshake = _options.Handshake,
            DtrEnable = dtr,
            ReadTimeout = SerialPort.InfiniteTimeout,
            WriteTimeout = 2000,
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

    /// <summary>The port's <see cref="SerialPort.BaseStream"/>, owning the port.</summary>
    private sealed class SerialPortStream(SerialPort port) : Stream
    {
        private readonly Stream _inner = port.BaseStream;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => _inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => _inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
            => _inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => _inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Flush() => _inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
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
