using System.Net;
using System.Net.Sockets;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Serialization;

namespace ActiveGate.OneM2m.Tests.Coap;

/// <summary>
/// A CSE stand-in on a raw UDP socket: each received request goes to a script that returns the datagrams to send
/// back (well-formed or not). Lets tests produce answers our own CoAP server never would.
/// </summary>
internal sealed class ScriptedCoapPeer : IAsyncDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Func<CoapMessage, IEnumerable<byte[]>> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _requests;

    public ScriptedCoapPeer(Func<CoapMessage, IEnumerable<byte[]>> script)
    {
        _script = script;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _loop = Task.Run(LoopAsync);
    }

    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    public Uri BaseUrl => new($"coap://127.0.0.1:{Port}/");

    /// <summary>Requests received (retransmissions included).</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>A piggybacked response (ACK) to <paramref name="request"/>, encoded.</summary>
    public static byte[] Ack(CoapMessage request, CoapCode code, Action<CoapMessage>? shape = null, ReadOnlyMemory<byte> payload = default)
    {
        var response = new CoapMessage
        {
            Type = CoapMessageType.Acknowledgement,
            Code = code,
            MessageId = request.MessageId,
            Token = request.Token,
            Payload = payload,
        };
        shape?.Invoke(response);
        return CoapMessageCodec.Encode(response);
    }

    private async Task LoopAsync()
    {
        byte[] buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (!CoapMessageCodec.TryRead(buffer.AsSpan(0, received.ReceivedBytes), out CoapMessage? request, out _) || !request!.Code.IsRequest)
            {
                continue;
            }

            Interlocked.Increment(ref _requests);
            foreach (byte[] datagram in _script(request))
            {
                await _socket.SendToAsync(datagram, SocketFlags.None, received.RemoteEndPoint);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _loop;
        _stop.Dispose();
    }
}
