using System.Net;
using System.Net.Sockets;

namespace ActiveGate.HotSwap.Bench.SelfTest;

/// <summary>A TCP server on 127.0.0.1:0 that runs <c>serve</c> for every connection; the targets of the proxy self-tests.</summary>
internal sealed class LoopbackTcpServer : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _cts = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accept;

    public LoopbackTcpServer(Func<Socket, CancellationToken, Task> serve)
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(512);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _accept = Task.Run(async () =>
        {
            while (true)
            {
                Socket s;
                try
                {
                    s = await _listener.AcceptAsync(_cts.Token);
                }
                catch (Exception)
                {
                    return;
                }

                s.NoDelay = true;
                lock (_connections)
                {
                    _connections.Add(Task.Run(async () =>
                    {
                        using (s)
                        {
                            try
                            {
                                await serve(s, _cts.Token);
                            }
                            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
                            {
                                // The test ended or the proxy reset the connection.
                            }
                        }
                    }));
                }
            }
        });
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Echoes until the client half-closes, then half-closes too.</summary>
    public static LoopbackTcpServer Echo() => new(async (s, ct) =>
    {
        byte[] buffer = new byte[64 * 1024];
        int n;
        while ((n = await s.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0)
        {
            await SendAllAsync(s, buffer.AsMemory(0, n), ct);
        }

        s.Shutdown(SocketShutdown.Send);
    });

    public static async Task SendAllAsync(Socket s, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        while (!data.IsEmpty)
        {
            data = data[await s.SendAsync(data, SocketFlags.None, ct)..];
        }
    }

    public static async Task<byte[]> ReceiveExactlyAsync(Socket s, int count, CancellationToken ct)
    {
        byte[] data = new byte[count];
        int got = 0;
        while (got < count)
        {
            int n = await s.ReceiveAsync(data.AsMemory(got), SocketFlags.None, ct);
            if (n == 0)
            {
                throw new EndOfStreamException($"closed after {got} of {count} bytes");
            }

            got += n;
        }

        return data;
    }

    /// <summary>A port nothing listens on (bound, then released).</summary>
    public static IPEndPoint UnusedEndPoint()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (IPEndPoint)s.LocalEndPoint!;
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        _listener.Dispose();
        await _accept;
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections);
        _cts.Dispose();
    }
}

/// <summary>A UDP echo server on 127.0.0.1:0.</summary>
internal sealed class LoopbackUdpEcho : IAsyncDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _loop;

    public LoopbackUdpEcho()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _loop = Task.Run(async () =>
        {
            byte[] buffer = new byte[65_536];
            EndPoint any = new IPEndPoint(IPAddress.Any, 0);
            while (!_cts.IsCancellationRequested)
            {
                try
                {
                    SocketReceiveFromResult r = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _cts.Token);
                    await _socket.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), SocketFlags.None, r.RemoteEndPoint, _cts.Token);
                }
                catch (Exception)
                {
                    if (_cts.IsCancellationRequested)
                    {
                        return;
                    }
                }
            }
        });
    }

    public IPEndPoint EndPoint { get; }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        _socket.Dispose();
        await _loop;
        _cts.Dispose();
    }
}
