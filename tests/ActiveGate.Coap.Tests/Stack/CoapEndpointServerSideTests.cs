using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Stack;
using ActiveGate.Coap.Transport.InMemory;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.Coap.Tests.Stack;

public sealed class CoapEndpointServerSideTests : IAsyncLifetime
{
    private readonly InMemoryNetwork _network = new();
    private readonly FakeTimeProvider _time = new();
    private CoapServer _server = null!;
    private RawPeer _peer = null!;
    private TextResource _resource = null!;

    public async Task InitializeAsync()
    {
        _server = new CoapServer(_network.CreateTransport(), new CoapServerOptions { Endpoint = new CoapEndpointOptions { MaxDeduplicationEntries = 8 } }, _time);
        _resource = _server.Root.Add(new TextResource("r", "value"));
        await _server.StartAsync();
        _peer = new RawPeer(_network.CreateTransport());
    }

    public async Task DisposeAsync()
    {
        await _peer.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static CoapMessage Get(ushort mid, CoapMessageType type = CoapMessageType.Confirmable)
    {
        var message = new CoapMessage { Type = type, Code = CoapCode.Get, MessageId = mid, Token = CoapToken.FromBytes([1, 2]) };
        message.UriPath = "/r";
        return message;
    }

    [Fact]
    public async Task Duplicate_con_gets_the_cached_response_without_running_the_handler_again()
    {
        await _peer.SendAsync(Get(100), _server.LocalEndPoint);
        byte[] first = await _peer.ReceiveRawAsync();
        _resource.Value = "changed"u8.ToArray();
        await _peer.SendAsync(Get(100), _server.LocalEndPoint);
        byte[] second = await _peer.ReceiveRawAsync();

        Assert.Equal(first, second);
        Assert.Equal(1, _resource.GetCount);
        Assert.Equal(1, _server.Endpoint.Counters.DuplicatesReceived);
        CoapMessage response = Serialization.CoapMessageCodecHelpers.Read(first);
        Assert.Equal(CoapMessageType.Acknowledgement, response.Type);
        Assert.Equal(100, response.MessageId);
        Assert.Equal("value", response.PayloadAsString);
    }

    [Fact]
    public async Task Duplicate_is_processed_again_after_exchange_lifetime()
    {
        await _peer.SendAsync(Get(101), _server.LocalEndPoint);
        await _peer.ReceiveAsync();
        _time.Advance(CoapTransmissionParameters.Default.ExchangeLifetime + TimeSpan.FromSeconds(1));
        await _peer.SendAsync(Get(101), _server.LocalEndPoint);
        await _peer.ReceiveAsync();

        Assert.Equal(2, _resource.GetCount);
    }

    [Fact]
    public async Task Deduplication_cache_is_bounded()
    {
        for (ushort mid = 1; mid <= 20; mid++)
        {
            await _peer.SendAsync(Get(mid, CoapMessageType.NonConfirmable), _server.LocalEndPoint);
            await _peer.ReceiveAsync();
        }

        Assert.True(_server.Endpoint.DeduplicationCount <= 8);
        Assert.Equal(12, _server.Endpoint.Counters.DeduplicationEvictions);
    }

    [Fact]
    public async Task Non_request_gets_a_non_response()
    {
        await _peer.SendAsync(Get(200, CoapMessageType.NonConfirmable), _server.LocalEndPoint);
        CoapMessage response = await _peer.ReceiveAsync();

        Assert.Equal(CoapMessageType.NonConfirmable, response.Type);
        Assert.Equal(CoapCode.Content, response.Code);
        Assert.Equal(CoapToken.FromBytes([1, 2]), response.Token);
    }

    [Fact]
    public async Task Malformed_con_is_answered_with_rst_and_counted()
    {
        // CON, MID 0x0A0B, option delta nibble 15 (reserved).
        await _peer.SendRawAsync("40010A0BF0", _server.LocalEndPoint);
        CoapMessage reply = await _peer.ReceiveAsync();

        Assert.Equal(CoapMessageType.Reset, reply.Type);
        Assert.Equal(0x0A0B, reply.MessageId);
        Assert.Equal(1, _server.Endpoint.Counters.MalformedRejected);
    }

    [Fact]
    public async Task Malformed_non_is_dropped_and_counted()
    {
        await _peer.SendRawAsync("50010A0BF0", _server.LocalEndPoint);
        await Eventually.TrueAsync(() => _server.Endpoint.Counters.MalformedDropped == 1);

        await _peer.SendAsync(Get(5), _server.LocalEndPoint);
        CoapMessage next = await _peer.ReceiveAsync();
        Assert.Equal(5, next.MessageId); // nothing was sent for the malformed NON
    }

    [Fact]
    public async Task Unknown_critical_option_gives_4_02_and_unknown_elective_is_ignored()
    {
        CoapMessage critical = Get(300);
        critical.Options.Add(new CoapOption((CoapOptionNumber)9999, new byte[] { 1 }));
        CoapMessage elective = Get(301);
        elective.Options.Add(new CoapOption((CoapOptionNumber)9998, new byte[] { 1 }));

        await _peer.SendAsync(critical, _server.LocalEndPoint);
        CoapMessage badOption = await _peer.ReceiveAsync();
        await _peer.SendAsync(elective, _server.LocalEndPoint);
        CoapMessage content = await _peer.ReceiveAsync();

        Assert.Equal(CoapCode.BadOption, badOption.Code);
        Assert.Equal(CoapCode.Content, content.Code);
        Assert.Equal(1, _server.Endpoint.Counters.BadOptionRejected);
    }

    [Fact]
    public async Task Ping_is_answered_with_rst()
    {
        await _peer.SendRawAsync("40001234", _server.LocalEndPoint);
        CoapMessage reply = await _peer.ReceiveAsync();

        Assert.Equal(CoapMessageType.Reset, reply.Type);
        Assert.Equal(0x1234, reply.MessageId);
    }

    [Fact]
    public async Task No_response_option_suppresses_success_responses()
    {
        CoapMessage request = Get(400, CoapMessageType.NonConfirmable);
        request.Options.Add(CoapOptionNumber.NoResponse, 0x02);
        await _peer.SendAsync(request, _server.LocalEndPoint);
        await Eventually.TrueAsync(() => _resource.GetCount == 1);

        await _peer.SendAsync(Get(401), _server.LocalEndPoint);
        Assert.Equal(401, (await _peer.ReceiveAsync()).MessageId);
    }
}
