using System.Net;
using System.Net.Sockets;
using ActiveGate.Coap.Transport;
using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan.Mesh;

/// <summary>
/// CoAP's <see cref="IDatagramTransport"/> over a UDP port of the mesh interface, so a CoAP client or
/// server talks to mesh nodes by IPv6 address (e.g. <c>[fd00::212:4b00:60d:b2a1]:5683</c>).
/// </summary>
public sealed class MeshUdpTransport : IDatagramTransport
{
    private readonly MeshUdpSocket _socket;
    private readonly bool _ownsSocket;
    private int _disposed;

    /// <summary>Wraps a bound socket.</summary>
    /// <param name="socket">The UDP port to use.</param>
    /// <param name="ownsSocket">Dispose the socket with the transport.</param>
    /// <param name="maxDatagramSize">
    /// Largest CoAP message to send; defaults to what one IPv6 datagram carries. Smaller values
    /// (e.g. 64) make the CoAP layer use block-wise transfer instead of 6LoWPAN fragmentation,
    /// which small Contiki nodes handle far better.
    /// </param>
    public MeshUdpTransport(MeshUdpSocket socket, bool ownsSocket = true, int? maxDatagramSize = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _ownsSocket = ownsSocket;
        MaxDatagramSize = maxDatagramSize ?? socket.Interface.MaxUdpPayload;
        LocalEndPoint = new IPEndPoint(socket.Interface.MeshAddress.ToIPAddress(), socket.Port);
    }

    /// <summary>Binds <paramref name="port"/> on <paramref name="mesh"/> and wraps it.</summary>
    public static MeshUdpTransport Bind(MeshInterface mesh, ushort port, int? maxDatagramSize = null)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        return new MeshUdpTransport(mesh.BindUdp(port), ownsSocket: true, maxDatagramSize);
    }

    /// <inheritdoc />
    public EndPoint LocalEndPoint { get; }

    /// <inheritdoc />
    public int MaxDatagramSize { get; }

    /// <summary>The outcome of the last send (for diagnostics; CoAP retransmits on loss).</summary>
    public MeshSendStatus LastSendStatus { get; private set; }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The remote is not an IPv6 <see cref="IPEndPoint"/>.</exception>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint remote, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (remote is not IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } endPoint)
        {
            throw new ArgumentException("Mesh peers are IPv6 endpoints.", nameof(remote));
        }

        // A lost frame is like a lost UDP datagram: CoAP's own retransmission handles it, so the
        // status is recorded rather than thrown.
        LastSendStatus = await _socket.SendToAsync(datagram, Ipv6Address.FromIPAddress(endPoint.Address), (ushort)endPoint.Port, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<DatagramReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        MeshUdpDatagram datagram = await _socket.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        int length = Math.Min(buffer.Length, datagram.Payload.Length);
        datagram.Payload.Span[..length].CopyTo(buffer.Span);
        var remote = new IPEndPoint(datagram.Source.ToIPAddress(), datagram.SourcePort);
        return new DatagramReceiveResult(length, remote, length < datagram.Payload.Length);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _ownsSocket)
        {
            _socket.Dispose();
        }

        return ValueTask.CompletedTask;
    }
}
