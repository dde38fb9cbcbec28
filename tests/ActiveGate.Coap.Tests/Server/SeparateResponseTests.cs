using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Stack;
using ActiveGate.Coap.Transport.InMemory;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.Coap.Tests.Server;

public sealed class SeparateResponseTests
{
    private sealed class SlowResource() : CoapResource("slow")
    {
        public TaskCompletionSource<string> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            return CoapResponse.FromText(CoapCode.Content, await Answer.Task);
        }
    }

    [Fact]
    public async Task Slow_handler_gets_an_empty_ack_then_a_confirmable_separate_response()
    {
        var time = new FakeTimeProvider();
        var network = new InMemoryNetwork();
        var parameters = new CoapEndpointOptions { TransmissionParameters = CoapTransmissionParameters.Default with { AckRandomFactor = 1 } };
        await using var server = new CoapServer(network.CreateTransport(), new CoapServerOptions { Endpoint = parameters }, time);
        SlowResource slow = server.Root.Add(new SlowResource());
        await server.StartAsync();
        await using var client = new CoapClient(network.CreateTransport(), new CoapClientOptions { Endpoint = parameters }, time);
        var sent = new List<CoapMessage>();
        network.DatagramSent += d => { lock (sent) { sent.Add(Serialization.CoapMessageCodecHelpers.Read(d.Data.ToArray())); } };

        Task<CoapResponse> pending = client.GetAsync(new Uri($"coap://{server.LocalEndPoint}/slow"));
        await slow.Entered.Task;

        // The server arms its 1 s SeparateResponseDelay timer once the handler has gone asynchronous;
        // step fake time (staying below the client's 2 s ACK timeout) until its empty ACK arrives.
        for (int step = 0; step < 19 && client.Endpoint.TrackedMessageCount != 0; step++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(20);
        }

        Assert.Equal(0, client.Endpoint.TrackedMessageCount);
        time.Advance(TimeSpan.FromSeconds(30)); // no retransmission after the empty ACK
        slow.Answer.SetResult("done");
        CoapResponse response = await pending;

        Assert.Equal("done", response.PayloadAsString);
        Assert.Equal(0, client.Endpoint.Counters.Retransmissions);
        await Eventually.TrueAsync(() => server.Endpoint.TrackedMessageCount == 0); // the client ACKed the separate CON
        lock (sent)
        {
            Assert.Equal(
                [(CoapMessageType.Confirmable, "GET"), (CoapMessageType.Acknowledgement, "0.00"), (CoapMessageType.Confirmable, "2.05"), (CoapMessageType.Acknowledgement, "0.00")],
                sent.Select(m => (m.Type, m.Code.Name)));
        }
    }

    [Fact]
    public async Task Handler_exception_becomes_5_00()
    {
        var network = new InMemoryNetwork();
        await using var server = new CoapServer(network.CreateTransport());
        server.Root.Add(new ThrowingResource());
        await server.StartAsync();
        await using var client = new CoapClient(network.CreateTransport());

        CoapResponse response = await client.GetAsync(new Uri($"coap://{server.LocalEndPoint}/boom"));

        Assert.Equal(CoapCode.InternalServerError, response.Code);
    }

    [Fact]
    public async Task Unsupported_method_is_4_05()
    {
        var network = new InMemoryNetwork();
        await using var server = new CoapServer(network.CreateTransport());
        server.Root.Add(new CoapResource("plain"));
        await server.StartAsync();
        await using var client = new CoapClient(network.CreateTransport());

        CoapResponse response = await client.PostAsync(new Uri($"coap://{server.LocalEndPoint}/plain"), "x"u8.ToArray());

        Assert.Equal(CoapCode.MethodNotAllowed, response.Code);
    }

    [Fact]
    public async Task Sub_path_resources_see_the_remaining_path()
    {
        var network = new InMemoryNetwork();
        await using var server = new CoapServer(network.CreateTransport());
        server.Root.Add(new EchoPathResource());
        await server.StartAsync();
        await using var client = new CoapClient(network.CreateTransport());

        CoapResponse response = await client.GetAsync(new Uri($"coap://{server.LocalEndPoint}/files/a/b.txt"));

        Assert.Equal("a/b.txt", response.PayloadAsString);
    }

    [Fact]
    public async Task Proxy_requests_get_5_05()
    {
        var network = new InMemoryNetwork();
        await using var server = new CoapServer(network.CreateTransport());
        server.Root.Add(new TextResource("r"));
        await server.StartAsync();
        await using var client = new CoapClient(network.CreateTransport());
        var request = new CoapRequest(CoapCode.Get, new Uri($"coap://{server.LocalEndPoint}/r"));
        request.Options.Add(CoapOptionNumber.ProxyUri, "coap://elsewhere/x");

        CoapResponse response = await client.SendAsync(request);

        Assert.Equal(CoapCode.ProxyingNotSupported, response.Code);
    }

    private sealed class ThrowingResource() : CoapResource("boom")
    {
        public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("boom");
    }

    private sealed class EchoPathResource : CoapResource
    {
        public EchoPathResource()
            : base("files") => HandlesSubPaths = true;

        public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken) =>
            ValueTask.FromResult(CoapResponse.FromText(CoapCode.Content, string.Join('/', request.RemainingPath)));
    }
}
