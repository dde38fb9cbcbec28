using System.Net;
using System.Net.Sockets;

namespace ActiveGate.Coap.Transport.Udp;

/// <summary>
/// CoAP over plain UDP (IPv4 and IPv6). Bound to <c>[::]</c> the socket is dual-mode and IPv4
/// peers appear as plain IPv4 addresses (IPv4-mapped IPv6 addresses are unmapped), so matching by
/// peer works whichever way an address was written.
/// </summary>
/// <example><code>await using var udp = new UdpDatagramTransport(new IPEndPoint(IPAddress.IPv6Any, 5683));</code></example>
public sealed partial class UdpDatagramTransport : IDatagramTransport
{
    /// <summary>The default CoAP port (RFC 7252 §6.1).</summary>
    public const int DefaultPort = 5683;

    private readonly Socket _socket;
    private readonly EndPoint _anyRemote;
    [ThreadStatic]
    private static SocketAddress? t_receiveAddress;
    private readonly AddressCache _addresses = new();
    private int _disposed;

    /// <summary>Binds a UDP socket to <paramref name="localEndPoint"/> (port 0 for an ephemeral port).</summary>
    /// <param name="localEndPoint">Address and port to bind; <c>[::]</c> accepts IPv4 and IPv6.</param>
    /// <param name="maxDatagramSize">Largest datagram to send (default 1152, RFC 7252 §4.6).</param>
    public UdpDatagramTransport(IPEndPoint localEndPoint, int maxDatagramSize = 1152)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDatagramSize, 64);
        _socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (localEndPoint.AddressFamily == AddressFamily.InterNetworkV6 && localEndPoint.Address.Equals(IPAddress.IPv6Any))
            {
                _socket.DualMode = true;
            }

            _socket.ReceiveBufferSize = 1 << 20;
            _socket.ReceiveTimeout = 250;
            _socket.SendBufferSize = 1 << 20;
            _socket.Bind(localEndPoint);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        _anyRemote = localEndPoint.AddressFamily == AddressFamily.InterNetworkV6
            ? new IPEndPoint(IPAddress.IPv6Any, 0)
            : new IPEndPoint(IPAddress.Any, 0);
        MaxDatagramSize = maxDatagramSize;
        LocalEndPoint = _socket.LocalEndPoint!;
    }

    /// <summary>A dual-mode transport on an ephemeral port, for clients.</summary>
    public static UdpDatagramTransport CreateClient() =>
        Socket.OSSupportsIPv6 ? new UdpDatagramTransport(new IPEndPoint(IPAddress.IPv6Any, 0)) : new UdpDatagramTransport(new IPEndPoint(IPAddress.Any, 0));

    /// <inheritdoc/>
    public EndPoint LocalEndPoint { get; }

    /// <inheritdoc/>
    public int MaxDatagramSize { get; }

    /// <inheritdoc/>
    /// <remarks>
    /// With <see cref="BlockingReceive"/> (the default) the call waits in the kernel's recvfrom on
    /// the calling thread (the endpoint runs its receive loop on a dedicated thread), waking every
    /// 250 ms to observe cancellation: per datagram that costs one system call and no thread hop,
    /// which is what a single-threaded C server such as libcoap does with epoll. Otherwise queued
    /// datagrams are taken synchronously and the socket is awaited asynchronously when empty.
    /// </remarks>
    public ValueTask<DatagramReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (BlockingReceive || _socket.Available > 0)
        {
            // Per-thread scratch address: several receive loops may share one socket.
            SocketAddress receiveAddress = t_receiveAddress is { } cached && cached.Family == _socket.AddressFamily
                ? cached
                : t_receiveAddress = new SocketAddress(_socket.AddressFamily);
            {
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    try
                    {
                        int length = _socket.ReceiveFrom(buffer.Span, SocketFlags.None, receiveAddress);
                        return new ValueTask<DatagramReceiveResult>(new DatagramReceiveResult(length, _addresses.ToEndPoint(receiveAddress)));
                    }
                    catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
                    {
                        // Receive timeout: look at the cancellation token and wait again.
                    }
                }
            }
        }

        return ReceiveSlowAsync(buffer, cancellationToken);
    }

    /// <summary>
    /// True (default): receives block the calling thread (cheapest per datagram; the endpoint's
    /// receive loop has its own thread). False: asynchronous receives when the socket is empty.
    /// </summary>
    public bool BlockingReceive { get; init; } = true;

    private async ValueTask<DatagramReceiveResult> ReceiveSlowAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        SocketReceiveFromResult result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, _anyRemote, cancellationToken).ConfigureAwait(false);
        return new DatagramReceiveResult(result.ReceivedBytes, Normalize(result.RemoteEndPoint));
    }

    /// <inheritdoc/>
    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint remote, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ArgumentNullException.ThrowIfNull(remote);
        SocketAddress target = _addresses.ToSocketAddress(remote, _socket.AddressFamily);

        // A UDP send only copies into the kernel's socket buffer, so a synchronous call is the cheapest.
        try
        {
            _ = _socket.SendTo(datagram.Span, SocketFlags.None, target);
            return default;
        }
        catch (SocketException ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();
        }

        return default;
    }

    private static EndPoint Normalize(EndPoint remote) =>
        remote is IPEndPoint { Address.IsIPv4MappedToIPv6: true } mapped
            ? new IPEndPoint(mapped.Address.MapToIPv4(), mapped.Port)
            : remote;

    /// <summary>
    /// Bounded two-way cache between socket addresses and (normalised) endpoints, so that steady
    /// traffic with a set of peers allocates neither on receive nor on send.
    /// </summary>
    private sealed class AddressCache
    {
        private const int Capacity = 4096;
        private readonly Dictionary<SocketAddress, EndPoint> _endPoints = [];
        private readonly Dictionary<EndPoint, SocketAddress> _socketAddresses = [];
        private readonly Lock _lock = new();

        public EndPoint ToEndPoint(SocketAddress address)
        {
            lock (_lock)
            {
                if (_endPoints.TryGetValue(address, out EndPoint? known))
                {
                    return known;
                }

                if (_endPoints.Count >= Capacity)
                {
                    _endPoints.Clear();
                }

                var copy = new SocketAddress(address.Family, address.Size);
                address.Buffer.Span[..address.Size].CopyTo(copy.Buffer.Span);
                EndPoint endPoint = Normalize(new IPEndPoint(address.Family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0).Create(copy));
                _endPoints[copy] = endPoint;
                return endPoint;
            }
        }

        public SocketAddress ToSocketAddress(EndPoint remote, AddressFamily socketFamily)
        {
            lock (_lock)
            {
                if (_socketAddresses.TryGetValue(remote, out SocketAddress? known))
                {
                    return known;
                }

                if (_socketAddresses.Count >= Capacity)
                {
                    _socketAddresses.Clear();
                }

                EndPoint target = remote;
                if (remote is IPEndPoint ip)
                {
                    if (socketFamily == AddressFamily.InterNetworkV6 && ip.AddressFamily == AddressFamily.InterNetwork)
                    {
                        target = new IPEndPoint(ip.Address.MapToIPv6(), ip.Port);
                    }
                    else if (socketFamily == AddressFamily.InterNetwork && ip.Address.IsIPv4MappedToIPv6)
                    {
                        target = new IPEndPoint(ip.Address.MapToIPv4(), ip.Port);
                    }
                }

                SocketAddress address = target.Serialize();
                _socketAddresses[remote] = address;
                return address;
            }
        }
    }
}
