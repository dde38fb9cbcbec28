using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Serialization;

namespace ActiveGate.Coap.Benchmarks;

/// <summary>
/// A lean load generator that keeps the client side cheap so the server is what gets measured:
/// per connected UDP socket one thread keeps a window of outstanding CON GETs (pre-encoded, only
/// message ID and token patched), counting each 2.05 piggybacked ACK and immediately sending the
/// next request in its slot. Lost exchanges (none on loopback in practice) are re-issued after 200 ms.
/// </summary>
internal static class RawLoadGenerator
{
    public static (long Completed, long Failed, TimeSpan Elapsed) Run(Uri uri, IPEndPoint target, TimeSpan duration, int sockets, int window)
    {
        var template = CoapMessage.CreateRequest(CoapCode.Get);
        template.Token = CoapToken.FromBytes([0, 0]);
        CoapUri.ApplyTo(uri, template);
        byte[] encoded = CoapMessageCodec.Encode(template);

        long completed = 0;
        long failed = 0;
        var stopwatch = Stopwatch.StartNew();
        var threads = new List<Thread>();
        for (int s = 0; s < sockets; s++)
        {
            var thread = new Thread(() =>
            {
                (long ok, long bad) = RunSocket(target, encoded, window, stopwatch, duration);
                Interlocked.Add(ref completed, ok);
                Interlocked.Add(ref failed, bad);
            })
            { IsBackground = true };
            thread.Start();
            threads.Add(thread);
        }

        threads.ForEach(t => t.Join());
        return (completed, failed, stopwatch.Elapsed);
    }

    private static (long Completed, long Failed) RunSocket(IPEndPoint target, byte[] template, int window, Stopwatch clock, TimeSpan duration)
    {
        using var socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(target);
        socket.ReceiveTimeout = 200;
        byte[] request = (byte[])template.Clone();
        byte[] response = new byte[2048];
        ushort[] slotMessageIds = new ushort[window];
#pragma warning disable CA5394 // Benchmark message IDs, not security.
        ushort nextMessageId = (ushort)Random.Shared.Next(65536);
#pragma warning restore CA5394
        long completed = 0;
        long failed = 0;

        void Send(int slot)
        {
            slotMessageIds[slot] = nextMessageId;
            BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(2), nextMessageId++);
            BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(4), (ushort)slot);
            socket.Send(request);
        }

        for (int slot = 0; slot < window; slot++)
        {
            Send(slot);
        }

        while (clock.Elapsed < duration)
        {
            int length;
            try
            {
                length = socket.Receive(response);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock or SocketError.ConnectionRefused)
            {
                failed += window;
                for (int slot = 0; slot < window; slot++)
                {
                    Send(slot);
                }

                continue;
            }

            // ACK (type 2) with a 2-byte token naming the slot.
            if (length < 6 || (response[0] & 0x0F) != 2 || ((response[0] >> 4) & 0x03) != 2)
            {
                continue;
            }

            int responseSlot = BinaryPrimitives.ReadUInt16BigEndian(response.AsSpan(4));
            if (responseSlot >= window || BinaryPrimitives.ReadUInt16BigEndian(response.AsSpan(2)) != slotMessageIds[responseSlot])
            {
                continue;
            }

            if (response[1] == CoapCode.Content.Value)
            {
                completed++;
            }
            else
            {
                failed++;
            }

            Send(responseSlot);
        }

        return (completed, failed);
    }
}
