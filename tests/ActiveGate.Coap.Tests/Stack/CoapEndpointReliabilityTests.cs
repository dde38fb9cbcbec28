using System.Net;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Serialization;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Stack;
using ActiveGate.Coap.Transport.InMemory;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.Coap.Tests.Stack;

public sealed class CoapEndpointReliabilityTests
{
    private static readonly CoapEndpointOptions DeterministicTiming = new()
    {
        TransmissionParameters = CoapTransmissionParameters.Default with { AckRandomFactor = 1.0 },
    };

    [Fact]
    public async Task Con_is_retransmitted_with_exponential_back_off_then_times_out()
    {
        var time = new FakeTimeProvider();
        var network = new InMemoryNetwork();
        await using var peer = new RawPeer(network.CreateTransport());
        await using var endpoint = new CoapEndpoint(network.CreateTransport(), DeterministicTiming, time);
        var request = CoapMessage.CreateRequest(CoapCode.Get);
        request.UriPath = "/x";

        Task<CoapMessage> pending = endpoint.SendRequestAsync(request, peer.Address);

        var seen = new List<(double At, ushort Mid)>();
        void Collect(double at)
        {
            while (peer.Transport.TryReceive(out InMemoryDatagram? d))
            {
                seen.Add((at, CoapMessageCodec.Read(d!.Data.Span).MessageId));
            }
        }

        Collect(0);
        foreach (double second in new[] { 1.9, 2, 5.9, 6, 13.9, 14, 29.9, 30, 61.9 })
        {
            time.SetUtcNow(time.Start + TimeSpan.FromSeconds(second));
            Collect(second);
        }

        Assert.False(pending.IsCompleted);
        time.SetUtcNow(time.Start + TimeSpan.FromSeconds(62));

        await Assert.ThrowsAsync<CoapTimeoutException>(() => pending);
        Assert.Equal([0, 2, 6, 14, 30], seen.Select(s => s.At));
        Assert.Single(seen.Select(s => s.Mid).Distinct());
        Assert.Equal(4, endpoint.Counters.Retransmissions);
        Assert.Equal(1, endpoint.Counters.TransmissionTimeouts);
        Assert.Equal(0, endpoint.TrackedMessageCount);
        Assert.Equal(0, endpoint.PendingTokenCount);
    }

    [Fact]
    public async Task Message_ids_are_sequential_and_tokens_unique()
    {
        var network = new InMemoryNetwork();
        await using var peer = new RawPeer(network.CreateTransport());
        await using var endpoint = new CoapEndpoint(network.CreateTransport(), new CoapEndpointOptions { TransmissionParameters = CoapTransmissionParameters.Default with { NStart = 4 } }, new FakeTimeProvider());

        _ = endpoint.SendRequestAsync(CoapMessage.CreateRequest(CoapCode.Get), peer.Address);
        _ = endpoint.SendRequestAsync(CoapMessage.CreateRequest(CoapCode.Get), peer.Address);
        CoapMessage first = await peer.ReceiveAsync();
        CoapMessage second = await peer.ReceiveAsync();

        Assert.Equal((ushort)(first.MessageId + 1), second.MessageId);
        Assert.NotEqual(first.Token, second.Token);
        Assert.Equal(4, first.Token.Length);
    }

    [Fact]
    public async Task Nstart_1_holds_the_second_request_until_the_first_is_acknowledged()
    {
        var network = new InMemoryNetwork();
        await using var peer = new RawPeer(network.CreateTransport());
        await using var endpoint = new CoapEndpoint(network.CreateTransport(), DeterministicTiming, new FakeTimeProvider());

        Task<CoapMessage> first = endpoint.SendRequestAsync(CoapMessage.CreateRequest(CoapCode.Get), peer.Address);
        Task<CoapMessage> second = endpoint.SendRequestAsync(CoapMessage.CreateRequest(CoapCode.Get), peer.Address);
        CoapMessage firstOnWire = await peer.ReceiveAsync();
        Assert.True(peer.IsIdle);

        await peer.SendAsync(new CoapMessage { Type = CoapMessageType.Acknowledgement, Code = CoapCode.Content, MessageId = firstOnWire.MessageId, Token = firstOnWire.Token }, endpoint.LocalEndPoint);
        CoapMessage secondOnWire = await peer.ReceiveAsync();
        await peer.SendAsync(new CoapMessage { Type = CoapMessageType.Acknowledgement, Code = CoapCode.Valid, MessageId = secondOnWire.MessageId, Token = secondOnWire.Token }, endpoint.LocalEndPoint);

        Assert.Equal(CoapCode.Content, (await first).Code);
        Assert.Equal(CoapCode.Valid, (await second).Code);
    }

    [Fact]
    public async Task Separate_response_after_empty_ack_stops_retransmission_and_is_acknowledged()
    {
        var network = new InMemoryNetwork();
        await using var peer = new RawPeer(network.CreateTransport());
        await using var endpoint = new CoapEndpoint(network.CreateTransport(), DeterministicTiming, new FakeTimeProvider());

        Task<CoapMessage> pending = endpoint.SendRequestAsync(CoapMessage.CreateRequest(CoapCode.Get), peer.Address);
        CoapMessage request = await peer.ReceiveAsync();
        await peer.SendAsync(CoapMessage.CreateEmptyAck(request.MessageId), endpoint.LocalEndPoint);
        await Eventually.TrueAsync(() => endpoint.TrackedMessageCount == 0);
        Assert.False(pending.IsCompleted);

        await peer.SendAsync(new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Content, MessageId = 0x5555, Token = request.Token, Payload = "late"u8.ToArray() }, endpoint.LocalEndPoint);
        CoapMessage ack = await peer.ReceiveAsync();

        Assert.Equal("late", (await pending).PayloadAsString);
        Assert.Equal(CoapMessageType.Acknowledgement, ack.Type);
        Assert.True(ack.IsEmpty);
        Assert.Equal(0x5555, ack.MessageId);
    }

    [Fact]
    public async Task Rst_for_a_request_fails_it_with_CoapResetException()
    {
        var network = new InMemoryNetwork();
        await using var peer = new RawPeer(network.CreateTransport());
        await using var endpoint = new CoapEndpoint(network.CreateTransport(), DeterministicTiming, new FakeTimeProvider());

        Task<CoapMessage> pending = endpoint.SendRequestAsync(CoapMessage.CreateRequest(CoapCode.Get), peer.Address);
        CoapMessage request = await peer.ReceiveAsync();
        await peer.SendAsync(CoapMessage.CreateReset(request.MessageId), endpoint.LocalEndPoint);

        await Assert.ThrowsAsync<CoapResetException>(() => pending);
        Assert.Equal(1, endpoint.Counters.ResetsReceived);
    }

    [Fact]
    public async Task Cancellation_stops_retransmission_and_frees_the_token()
    {
        var time = new FakeTimeProvider();
        var network = new InMemoryNetwork();
        await using var peer = new RawPeer(network.CreateTransport());
        await using var endpoint = new CoapEndpoint(network.CreateTransport(), DeterministicTiming, time);
        using var cts = new CancellationTokenSource();

        Task<CoapMessage> pending = endpoint.SendRequestAsync(CoapMessage.CreateRequest(CoapCode.Get), peer.Address, cts.Token);
        await peer.ReceiveAsync();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        time.Advance(TimeSpan.FromSeconds(100));
        Assert.True(peer.IsIdle);
        Assert.Equal(0, endpoint.PendingTokenCount);
        Assert.Equal(0, endpoint.TrackedMessageCount);
    }

    [Fact]
    public async Task Unmatched_separate_response_is_answered_with_rst()
    {
        var network = new InMemoryNetwork();
        await using var peer = new RawPeer(network.CreateTransport());
        await using var endpoint = new CoapEndpoint(network.CreateTransport(), DeterministicTiming, new FakeTimeProvider());
        endpoint.Start();

        await peer.SendAsync(new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Content, MessageId = 77, Token = CoapToken.FromBytes([9]) }, endpoint.LocalEndPoint);
        CoapMessage reply = await peer.ReceiveAsync();

        Assert.Equal(CoapMessageType.Reset, reply.Type);
        Assert.Equal(77, reply.MessageId);
    }
}
