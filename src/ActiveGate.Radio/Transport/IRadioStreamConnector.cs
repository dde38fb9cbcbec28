using System.Net.Sockets;

namespace ActiveGate.Radio.Transport;

/// <summary>
/// Opens the byte stream to the radio. Called again after every disconnect, so an implementation must be
/// able to open the device many times (a serial port, a TCP socket like Cooja's port 60001, a test pipe).
/// </summary>
public interface IRadioStreamConnector
{
    /// <summary>Human-readable location, e.g. "/dev/ttyUSB0@115200".</summary>
    string Description { get; }

    /// <summary>Opens a fresh stream; throws when the device is not there (the link backs off and retries).</summary>
    ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken);
}

/// <summary>A connector built from a delegate; for tests and custom transports.</summary>
public sealed class DelegateStreamConnector(string description, Func<CancellationToken, ValueTask<Stream>> connect) : IRadioStreamConnector
{
    /// <inheritdoc />
    public string Description { get; } = description;

    /// <inheritdoc />
    public ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken) => connect(cancellationToken);
}

/// <summary>Connects to a slip-radio served over TCP (Cooja's serial socket server, ser2net).</summary>
public sealed class TcpStreamConnector(string host, int port) : IRadioStreamConnector
{
    /// <inheritdoc />
    public string Description => $"tcp://{host}:{port}";

    /// <inheritdoc />
    public async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
