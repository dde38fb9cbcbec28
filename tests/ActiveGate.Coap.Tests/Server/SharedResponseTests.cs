using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Serialization;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Transport.InMemory;

namespace ActiveGate.Coap.Tests.Server;

/// <summary>
/// A handler may return the same response object every time. The server sends it without copying
/// when nothing has to change (no Observe, Block1 or Block2 work) and must then never modify it.
/// </summary>
public sealed class SharedResponseTests : IAsyncLifetime
{
    private static readonly byte[] s_etag = [0xE7, 0x01];
    private readonly InMemoryNetwork _network = new();
    private CoapServer _server = null!;
    private RawPeer _peer = null!;
    private CachedResource _small = null!;
    private CachedResource _large = null!;
    private CachedResource _withObserve = null!;

    public async Task InitializeAsync()
    {
        _server = new CoapServer(_network.CreateTransport());
        _small = _server.Root.Add(new CachedResource("small", Response("0123456789abcdef"u8.ToArray())) { IsObservable = true });
        _large = _server.Root.Add(new CachedResource("large", Response(Enumerable.Range(0, 2000).Select(i => (byte)i).ToArray())));
        CoapResponse observed = Response("x"u8.ToArray());
        observed.Message.Observe = 77;
        _withObserve = _server.Root.Add(new CachedResource("with-observe", observed));
        await _server.StartAsync();
        _peer = new RawPeer(_network.CreateTransport());
    }

    public async Task DisposeAsync()
    {
        await _peer.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Theory]
    [InlineData(CoapMessageType.Confirmable, CoapMessageType.Acknowledgement)]
    [InlineData(CoapMessageType.NonConfirmable, CoapMessageType.NonConfirmable)]
    public async Task Shared_response_goes_out_with_each_requests_header_and_stays_untouched(CoapMessageType requestType, CoapMessageType responseType)
    {
        string before = _small.Response.Message.ToString();
        for (ushort mid = 10; mid < 13; mid++)
        {
            CoapMessage request = Get("/small", mid, (byte)mid, requestType);
            await _peer.SendAsync(request, _server.LocalEndPoint);
            byte[] wire = await _peer.ReceiveRawAsync();

            // What the copying path produced: the handler's message with the request's header fields.
            CoapMessage expected = _small.Response.Message.Clone();
            expected.Type = responseType;
            expected.MessageId = responseType == CoapMessageType.Acknowledgement ? mid : CoapMessageCodec.Read(wire).MessageId;
            expected.Token = request.Token;
            Assert.Equal(CoapMessageCodec.Encode(expected), wire);
        }

        Assert.Equal(before, _small.Response.Message.ToString());
        Assert.Equal(3, _small.Calls);
    }

    [Fact]
    public async Task Duplicate_CON_gets_the_same_bytes_again_without_calling_the_handler()
    {
        await _peer.SendAsync(Get("/small", 500, 5), _server.LocalEndPoint);
        byte[] first = await _peer.ReceiveRawAsync();
        await _peer.SendAsync(Get("/small", 500, 5), _server.LocalEndPoint);
        byte[] second = await _peer.ReceiveRawAsync();

        Assert.Equal(first, second);
        Assert.Equal(1, _small.Calls);
        Assert.Equal(1, _server.Endpoint.Counters.DuplicatesReceived);
    }

    [Fact]
    public async Task Block2_slices_a_copy()
    {
        CoapMessage request = Get("/large", 20, 1);
        request.Block2 = new BlockOption(1, false, 4);
        await _peer.SendAsync(request, _server.LocalEndPoint);
        CoapMessage response = await _peer.ReceiveAsync();

        Assert.Equal(new BlockOption(1, true, 4), response.Block2);
        Assert.Equal(_large.Response.Payload.Slice(256, 256).ToArray(), response.Payload.ToArray());
        Assert.Equal(s_etag, response.ETag!.Value.ToArray());
        Assert.Equal(2000, _large.Response.Payload.Length);
        Assert.Null(_large.Response.Message.Block2);
        Assert.Equal(default, _large.Response.Message.Token);
    }

    [Fact]
    public async Task Observe_registration_numbers_a_copy()
    {
        CoapMessage request = Get("/small", 30, 3);
        request.Observe = 0;
        await _peer.SendAsync(request, _server.LocalEndPoint);
        CoapMessage response = await _peer.ReceiveAsync();

        Assert.NotNull(response.Observe);
        Assert.Equal(1, _server.ObserverCount);
        Assert.Null(_small.Response.Message.Observe);
    }

    [Fact]
    public async Task Observe_option_of_a_response_to_a_plain_GET_is_left_out_but_kept_in_the_handlers_message()
    {
        await _peer.SendAsync(Get("/with-observe", 40, 4), _server.LocalEndPoint);
        CoapMessage response = await _peer.ReceiveAsync();

        Assert.Null(response.Observe);
        Assert.Equal("x", response.PayloadAsString);
        Assert.Equal(77u, _withObserve.Response.Message.Observe);
    }

    private static CoapResponse Response(byte[] payload)
    {
        var response = new CoapResponse(CoapCode.Content, payload, CoapContentFormat.TextPlain);
        response.Message.ETag = s_etag;
        response.Message.MaxAge = 30;
        return response;
    }

    private static CoapMessage Get(string path, ushort mid, byte token, CoapMessageType type = CoapMessageType.Confirmable)
    {
        var message = new CoapMessage { Type = type, Code = CoapCode.Get, MessageId = mid, Token = CoapToken.FromBytes([token, 0x42]) };
        message.UriPath = path;
        return message;
    }

    private sealed class CachedResource(string name, CoapResponse response) : CoapResource(name)
    {
        public CoapResponse Response { get; } = response;

        public int Calls { get; private set; }

        public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken)
        {
            Calls++;
            return ValueTask.FromResult(Response);
        }
    }
}
