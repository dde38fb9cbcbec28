using System.Net;
using System.Net.Sockets;

namespace ActiveGate.Coap.Tests.Transport.Dtls;

/// <summary>A one-client UDP relay on loopback whose return path can be cut, to simulate a peer that lost its state.</summary>
internal sealed class UdpRelay : IAsyncDisposable
{
    private readonly Socket _front = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket _back = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _forward;
    private readonly Task _reply;
    private volatile IPEndPoint? _client;

    public UdpRelay(IPEndPoint target)
    {
        _target = target;
        _front.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _back.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _forward = Task.Run(ForwardAsync);
        _reply = Task.Run(ReplyAsync);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_front.LocalEndPoint!;

    public volatile bool DropReplies;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _front.Dispose();
        _back.Dispose();
        await Task.WhenAll(_forward, _reply).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task ForwardAsync()
    {
        byte[] buffer = new byte[65536];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult result = await _front.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            _client = (IPEndPoint)result.RemoteEndPoint;
            await _back.SendToAsync(buffer.AsMemory(0, result.ReceivedBytes), SocketFlags.None, _target, _stop.Token);
        }
    }

    private async Task ReplyAsync()
    {
        byte[] buffer = new byte[65536];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult result = await _back.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            if (!DropReplies && _client is { } client)
            {
                await _front.SendToAsync(buffer.AsMemory(0, result.ReceivedBytes), SocketFlags.None, client, _stop.Token);
            }
        }
    }
}
