using System.Threading.Channels;
using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan.Mesh;

/// <summary>
/// A UDP port bound on a <see cref="MeshInterface"/>. Received datagrams queue in a bounded channel
/// (the oldest is dropped when full); sends go through the interface.
/// </summary>
public sealed class MeshUdpSocket : IDisposable
{
    private readonly MeshInterface _mesh;
    private readonly Channel<MeshUdpDatagram> _queue;
    private readonly int _queueLength;
    private int _disposed;

    internal MeshUdpSocket(MeshInterface mesh, ushort port, int queueLength)
    {
        _mesh = mesh;
        Port = port;
        _queueLength = queueLength;
        _queue = Channel.CreateBounded<MeshUdpDatagram>(new BoundedChannelOptions(queueLength)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleWriter = true,
        });
    }

    /// <summary>The local port.</summary>
    public ushort Port { get; }

    /// <summary>The interface the socket is bound on.</summary>
    public MeshInterface Interface => _mesh;

    /// <summary>Waits for the next datagram.</summary>
    /// <exception cref="ChannelClosedException">The socket was disposed.</exception>
    public ValueTask<MeshUdpDatagram> ReceiveAsync(CancellationToken cancellationToken = default) =>
        _queue.Reader.ReadAsync(cancellationToken);

    /// <summary>Takes a queued datagram without waiting.</summary>
    public bool TryReceive(out MeshUdpDatagram? datagram) => _queue.Reader.TryRead(out datagram);

    /// <summary>Sends a datagram from this port.</summary>
    public ValueTask<MeshSendStatus> SendToAsync(ReadOnlyMemory<byte> payload, Ipv6Address destination, ushort destinationPort, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _mesh.SendUdpAsync(destination, Port, destinationPort, payload, cancellationToken);
    }

    /// <summary>Unbinds the port and completes pending receives.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _queue.Writer.TryComplete();
            _mesh.Unbind(this);
        }
    }

    /// <summary>Queues a datagram; false when the queue was full and the oldest was dropped (or the socket is closed).</summary>
    internal bool Deliver(MeshUdpDatagram datagram)
    {
        bool full = _queue.Reader.Count >= _queueLength;
        return _queue.Writer.TryWrite(datagram) && !full;
    }
}
