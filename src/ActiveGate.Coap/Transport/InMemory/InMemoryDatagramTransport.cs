using System.Net;
using System.Threading.Channels;

namespace ActiveGate.Coap.Transport.InMemory;

/// <summary>An <see cref="IDatagramTransport"/> on an <see cref="InMemoryNetwork"/>; also usable directly by tests as a scripted raw peer.</summary>
public sealed class InMemoryDatagramTransport : IDatagramTransport
{
    private readonly InMemoryNetwork _network;
    private readonly Channel<InMemoryDatagram> _inbox = Channel.CreateUnbounded<InMemoryDatagram>(new UnboundedChannelOptions { SingleReader = false });
    private int _disposed;

    internal InMemoryDatagramTransport(InMemoryNetwork network, EndPoint localEndPoint, int maxDatagramSize)
    {
        _network = network;
        LocalEndPoint = localEndPoint;
        MaxDatagramSize = maxDatagramSize;
    }

    /// <inheritdoc/>
    public EndPoint LocalEndPoint { get; }

    /// <inheritdoc/>
    public int MaxDatagramSize { get; }

    /// <inheritdoc/>
    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint remote, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ArgumentNullException.ThrowIfNull(remote);
        _network.Route(new InMemoryDatagram(LocalEndPoint, remote, datagram.ToArray()));
        return default;
    }

    /// <inheritdoc/>
    public async ValueTask<DatagramReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        InMemoryDatagram datagram;
        try
        {
            datagram = await _inbox.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new ObjectDisposedException(nameof(InMemoryDatagramTransport), ex);
        }

        int length = Math.Min(buffer.Length, datagram.Data.Length);
        datagram.Data.Span[..length].CopyTo(buffer.Span);
        return new DatagramReceiveResult(length, datagram.From, datagram.Data.Length > buffer.Length);
    }

    /// <summary>Takes a received datagram if one is waiting (for scripted tests).</summary>
    public bool TryReceive(out InMemoryDatagram? datagram) => _inbox.Reader.TryRead(out datagram);

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _inbox.Writer.TryComplete();
            _network.Detach(this);
        }

        return default;
    }

    internal bool Enqueue(InMemoryDatagram datagram) => _disposed == 0 && _inbox.Writer.TryWrite(datagram);
}
