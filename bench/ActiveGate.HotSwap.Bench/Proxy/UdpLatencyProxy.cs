using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ActiveGate.HotSwap.Bench.Proxy;

/// <summary>
/// The UDP counterpart of <see cref="LatencyProxy"/> (for the oneM2M CoAP binding): each client endpoint gets its own
/// socket towards the target, so replies find their way back; datagrams are delayed by RTT/2 each way behind the
/// shared bandwidth cap, kept in order per client and direction, and dropped (counted) when the link queue is full.
/// There is no handshake to model. Mappings live until the proxy is disposed.
/// </summary>
public sealed class UdpLatencyProxy : IAsyncDisposable
{
    private const int MaxDatagram = 65_507;

    private readonly LatencyProxyOptions _options;
    private readonly LinkShaper _up;
    private readonly LinkShaper _down;
    private readonly ITrafficObserver[] _observers;
    private readonly Socket _front;
    private readonly CancellationTokenSource _cts = new();
    private readonly ConcurrentDictionary<IPEndPoint, Mapping> _mappings = new();
    private readonly Task _receiveLoop;
    private long _nextFlow;
    private int _disposed;

    public UdpLatencyProxy(IPEndPoint target, LatencyProxyOptions options, params ITrafficObserver[] observers)
    {
        Target = target;
        _options = options;
        _up = new LinkShaper(options.RoundTrip / 2, options.BitsPerSecond, options.TimeProvider);
        _down = new LinkShaper(options.RoundTrip / 2, options.BitsPerSecond, options.TimeProvider);
        _observers = [Log, .. observers];
        _front = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        // A burst of datagrams must wait in the kernel until the loop reads them, not be dropped there (rmem default ~208 KiB).
        _front.ReceiveBufferSize = 4 << 20;
        _front.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        EndPoint = (IPEndPoint)_front.LocalEndPoint!;
        _receiveLoop = ReceiveFromClientsAsync();
    }

    /// <summary>Where new client mappings send to.</summary>
    public IPEndPoint Target { get; set; }

    public IPEndPoint EndPoint { get; }

    public int Port => EndPoint.Port;

    public TrafficLog Log { get; } = new();

    private async Task ReceiveFromClientsAsync()
    {
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        byte[] scratch = new byte[MaxDatagram];
        while (!_cts.IsCancellationRequested)
        {
            SocketReceiveFromResult result;
            try
            {
                result = await _front.ReceiveFromAsync(scratch, SocketFlags.None, any, _cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (ex is SocketException && !_cts.IsCancellationRequested)
                {
                    continue; // an ICMP error for an earlier reply to a client that has gone
                }

                return;
            }

            var client = (IPEndPoint)result.RemoteEndPoint;
            Mapping mapping = _mappings.GetOrAdd(client, c => new Mapping(this, c, Interlocked.Increment(ref _nextFlow)));
            if (!mapping.Up.TryEnqueue(Copy(scratch, result.ReceivedBytes), result.ReceivedBytes, _options.TimeProvider.GetTimestamp()))
            {
                Log.Dropped();
            }
        }
    }

    /// <summary>A pooled copy sized to the datagram: a queue of thousands of small datagrams must not pin 64 KiB each.</summary>
    private static byte[] Copy(byte[] scratch, int length)
    {
        byte[] copy = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        scratch.AsSpan(0, length).CopyTo(copy);
        return copy;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _cts.CancelAsync().ConfigureAwait(false);
        _front.Dispose();
        await _receiveLoop.ConfigureAwait(false);
        foreach (Mapping m in _mappings.Values)
        {
            await m.DisposeAsync().ConfigureAwait(false);
        }

        _cts.Dispose();
    }

    /// <summary>One client endpoint: its own upstream socket and a delay line each way.</summary>
    private sealed class Mapping : IAsyncDisposable
    {
        private readonly UdpLatencyProxy _proxy;
        private readonly Socket _upstream;
        private readonly Task _upSender;
        private readonly Task _downSender;
        private readonly Task _receiver;
        private readonly long _flow;

        public Mapping(UdpLatencyProxy proxy, IPEndPoint client, long flow)
        {
            _proxy = proxy;
            _flow = flow;
            _upstream = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4 << 20 };
            _upstream.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _upstream.Connect(proxy.Target);
            CancellationToken ct = proxy._cts.Token;
            foreach (ITrafficObserver o in proxy._observers)
            {
                o.OnOpened(flow, proxy._options.TimeProvider.GetUtcNow());
            }

            Up = new DelayLine(proxy._up, proxy._options.QueueLimit, flow, FlowDirection.Upstream, proxy._observers,
                async (d, token) => await SendIgnoringRefusalAsync(_upstream, d, null, token).ConfigureAwait(false));
            Down = new DelayLine(proxy._down, proxy._options.QueueLimit, flow, FlowDirection.Downstream, proxy._observers,
                async (d, token) => await SendIgnoringRefusalAsync(proxy._front, d, client, token).ConfigureAwait(false));
            _upSender = Up.RunAsync(ct);
            _downSender = Down.RunAsync(ct);
            _receiver = ReceiveFromTargetAsync(ct);
        }

        public DelayLine Up { get; }

        public DelayLine Down { get; }

        private async Task ReceiveFromTargetAsync(CancellationToken ct)
        {
            byte[] scratch = new byte[MaxDatagram];
            while (!ct.IsCancellationRequested)
            {
                int n;
                try
                {
                    n = await _upstream.ReceiveAsync(scratch, SocketFlags.None, ct).ConfigureAwait(false);
                }
                catch (SocketException) when (!ct.IsCancellationRequested)
                {
                    // ICMP port unreachable from a target that is down: UDP has nothing to close; keep listening.
                    continue;
                }
                catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    return;
                }

                if (!Down.TryEnqueue(Copy(scratch, n), n, _proxy._options.TimeProvider.GetTimestamp()))
                {
                    _proxy.Log.Dropped();
                }
            }
        }

        private static async ValueTask SendIgnoringRefusalAsync(Socket socket, ReadOnlyMemory<byte> datagram, IPEndPoint? to, CancellationToken ct)
        {
            try
            {
                if (to is null)
                {
                    await socket.SendAsync(datagram, SocketFlags.None, ct).ConfigureAwait(false);
                }
                else
                {
                    await socket.SendToAsync(datagram, SocketFlags.None, to, ct).ConfigureAwait(false);
                }
            }
            catch (SocketException)
            {
                // A datagram to nowhere is lost, as on a real network.
            }
        }

        public async ValueTask DisposeAsync()
        {
            Up.Abort();
            Down.Abort();
            _upstream.Dispose();
            await Task.WhenAll(Swallow(_upSender), Swallow(_downSender), Swallow(_receiver)).ConfigureAwait(false);
            foreach (ITrafficObserver o in _proxy._observers)
            {
                o.OnClosed(_flow, _proxy._options.TimeProvider.GetUtcNow());
            }
        }

        private static async Task Swallow(Task t)
        {
            try
            {
                await t.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                // Shutting down.
            }
        }
    }
}
