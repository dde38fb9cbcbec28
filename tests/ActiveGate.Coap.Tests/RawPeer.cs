using System.Net;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Serialization;
using ActiveGate.Coap.Transport.InMemory;

namespace ActiveGate.Coap.Tests;

/// <summary>A scripted peer on an in-memory network (Californium's lockstep idea): send raw messages, expect raw messages.</summary>
internal sealed class RawPeer(InMemoryDatagramTransport transport) : IAsyncDisposable
{
    public InMemoryDatagramTransport Transport { get; } = transport;

    public EndPoint Address => Transport.LocalEndPoint;

    public async Task SendAsync(CoapMessage message, EndPoint to) =>
        await Transport.SendAsync(CoapMessageCodec.Encode(message), to, CancellationToken.None);

    public async Task SendRawAsync(string hex, EndPoint to) =>
        await Transport.SendAsync(Convert.FromHexString(hex), to, CancellationToken.None);

    /// <summary>Waits (real time, bounded) for the next datagram.</summary>
    public async Task<byte[]> ReceiveRawAsync(int timeoutMs = 5000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        byte[] buffer = new byte[70_000];
        var result = await Transport.ReceiveAsync(buffer, cts.Token);
        return buffer[..result.Length];
    }

    public async Task<CoapMessage> ReceiveAsync(int timeoutMs = 5000) => CoapMessageCodec.Read(await ReceiveRawAsync(timeoutMs));

    /// <summary>True when nothing is waiting right now.</summary>
    public bool IsIdle => !Transport.TryReceive(out _);

    public int Drain()
    {
        int count = 0;
        while (Transport.TryReceive(out _))
        {
            count++;
        }

        return count;
    }

    public ValueTask DisposeAsync() => Transport.DisposeAsync();
}

internal static class Eventually
{
    /// <summary>Waits (real time, bounded) until a condition set by another thread holds; the logic under test runs on fake time.</summary>
    public static async Task TrueAsync(Func<bool> condition, int timeoutMs = 5000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("Condition not met in time.");
            }

            await Task.Delay(2);
        }
    }
}
