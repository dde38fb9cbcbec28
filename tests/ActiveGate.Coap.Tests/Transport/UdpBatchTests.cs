using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Serialization;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Stack;
using ActiveGate.Coap.Transport;
using ActiveGate.Coap.Transport.Udp;

namespace ActiveGate.Coap.Tests.Transport;

/// <summary>recvmmsg/sendmmsg batches of the UDP transport, and the endpoint's batched receive loop.</summary>
public sealed class UdpBatchTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Batch_receives_queued_datagrams_with_their_senders_and_sends_replies_in_order(bool ipv6DualMode)
    {
        await using var transport = new UdpDatagramTransport(ipv6DualMode ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Loopback, 0));
        using IDatagramBatch? batch = transport.CreateBatch(8, 2048);
        if (!OperatingSystem.IsLinux())
        {
            Assert.Null(batch);
            return;
        }

        Assert.NotNull(batch);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var server = new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)transport.LocalEndPoint).Port);
        for (byte i = 0; i < 5; i++)
        {
            peer.SendTo(new byte[] { i, i, i }, server);
        }

        var received = new List<byte[]>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (received.Count < 5)
        {
            int count = batch!.Receive(timeout.Token);
            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<byte> datagram = batch.GetReceived(i, out EndPoint remote, out bool truncated);
                Assert.False(truncated);
                Assert.Equal(peer.LocalEndPoint, remote);
                received.Add(datagram.ToArray());
            }
        }

        Assert.Equal(Enumerable.Range(0, 5).Select(i => new[] { (byte)i, (byte)i, (byte)i }), received);

        // Replies: more than the capacity, so the queue flushes on its own once in between.
        for (byte i = 0; i < 10; i++)
        {
            Assert.True(batch!.TryQueueSend(new byte[] { 0xA0, i }, peer.LocalEndPoint!));
        }

        Assert.Equal(0, batch!.Flush());
        peer.ReceiveTimeout = 5000;
        byte[] buffer = new byte[16];
        for (byte i = 0; i < 10; i++)
        {
            int length = peer.Receive(buffer);
            Assert.Equal(new byte[] { 0xA0, i }, buffer[..length]);
        }
    }

    [Fact]
    public async Task Portable_fallback_receives_one_datagram_per_call_and_sends_the_queue()
    {
        await using var transport = new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, 0));
        using IDatagramBatch batch = transport.CreatePortableBatch(4, 2048);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        peer.SendTo(new byte[] { 1 }, transport.LocalEndPoint);
        peer.SendTo(new byte[] { 2, 2 }, transport.LocalEndPoint);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        for (byte expected = 1; expected <= 2; expected++)
        {
            Assert.Equal(1, batch.Receive(timeout.Token));
            ReadOnlySpan<byte> datagram = batch.GetReceived(0, out EndPoint remote, out bool truncated);
            Assert.Equal(Enumerable.Repeat(expected, expected).ToArray(), datagram.ToArray());
            Assert.Equal(peer.LocalEndPoint, remote);
            Assert.False(truncated);
        }

        Assert.True(batch.TryQueueSend(new byte[] { 9 }, peer.LocalEndPoint!));
        Assert.True(batch.TryQueueSend(new byte[] { 8, 8 }, peer.LocalEndPoint!));
        Assert.Equal(0, batch.Flush());
        peer.ReceiveTimeout = 5000;
        byte[] buffer = new byte[16];
        Assert.Equal(new byte[] { 9 }, buffer[..peer.Receive(buffer)]);
        Assert.Equal(new byte[] { 8, 8 }, buffer[..peer.Receive(buffer)]);
    }

    [Fact]
    public async Task Oversized_datagram_is_flagged_truncated_and_an_oversized_send_is_refused()
    {
        await using var transport = new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, 0));
        using IDatagramBatch? batch = transport.CreateBatch(4, 16);
        if (!OperatingSystem.IsLinux())
        {
            Assert.Null(batch);
            return;
        }

        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.SendTo(new byte[40], transport.LocalEndPoint);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        Assert.Equal(1, batch!.Receive(timeout.Token));
        ReadOnlySpan<byte> datagram = batch.GetReceived(0, out _, out bool truncated);
        Assert.True(truncated);
        Assert.Equal(16, datagram.Length);
        Assert.False(batch.TryQueueSend(new byte[4096], peer.LocalEndPoint!));
    }

    [Fact]
    public async Task Receive_notices_cancellation_while_the_socket_is_empty()
    {
        await using var transport = new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, 0));
        using IDatagramBatch? batch = transport.CreateBatch(4, 2048);
        if (!OperatingSystem.IsLinux())
        {
            Assert.Null(batch);
            return;
        }

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var watch = Stopwatch.StartNew();
        Assert.ThrowsAny<OperationCanceledException>(() => batch!.Receive(cancel.Token));
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Asynchronous_receive_mode_offers_no_batch()
    {
        await using var transport = new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, 0)) { BlockingReceive = false };
        Assert.Null(transport.CreateBatch(8, 2048));
    }

    [Fact]
    public async Task Batched_server_answers_a_burst_of_CON_GETs_and_replays_the_cached_reply_for_a_duplicate()
    {
        await using var server = new CoapServer(new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, 0)));
        server.Root.Add(new FixedResource("bench", "0123456789abcdef"u8.ToArray()));
        await server.StartAsync();
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Connect(server.LocalEndPoint);
        peer.ReceiveTimeout = 5000;

        // A burst (so the loop gets several per recvmmsg), with message 7 sent twice.
        var sent = new List<ushort>();
        for (ushort id = 1; id <= 20; id++)
        {
            peer.Send(Get(id));
            sent.Add(id);
            if (id == 7)
            {
                peer.Send(Get(id));
                sent.Add(id);
            }
        }

        var replies = new Dictionary<ushort, List<byte[]>>();
        byte[] buffer = new byte[2048];
        for (int i = 0; i < sent.Count; i++)
        {
            int length = peer.Receive(buffer);
            CoapMessage reply = CoapMessageCodec.Read(buffer.AsSpan(0, length));
            Assert.Equal(CoapMessageType.Acknowledgement, reply.Type);
            Assert.Equal(CoapCode.Content, reply.Code);
            Assert.Equal("0123456789abcdef"u8.ToArray(), reply.Payload.ToArray());
            if (!replies.TryGetValue(reply.MessageId, out List<byte[]>? list))
            {
                replies[reply.MessageId] = list = [];
            }

            list.Add(buffer[..length]);
        }

        Assert.Equal(20, replies.Count);
        Assert.Equal(2, replies[7].Count);
        Assert.Equal(replies[7][0], replies[7][1]);
        Assert.Equal(1, server.Endpoint.Counters.DuplicatesReceived);
        Assert.Equal(20, server.Endpoint.Counters.RequestsReceived);

        static byte[] Get(ushort id)
        {
            var get = CoapMessage.CreateRequest(CoapCode.Get);
            get.MessageId = id;
            get.Token = CoapToken.FromBytes([(byte)id]);
            get.UriPath = "/bench";
            return CoapMessageCodec.Encode(get);
        }
    }

    private sealed class FixedResource(string name, byte[] payload) : CoapResource(name)
    {
        public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new CoapResponse(CoapCode.Content, payload, CoapContentFormat.TextPlain));
    }
}
