using System.Text;
using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Transport.InMemory;

namespace ActiveGate.Coap.Tests.Client;

public sealed class ClientServerSmokeTests
{
    [Fact]
    public async Task Get_over_in_memory_link_returns_resource_value()
    {
        var network = new InMemoryNetwork();
        await using var server = new CoapServer(network.CreateTransport());
        server.Root.Add(new TextResource("hello", "world"));
        await server.StartAsync();
        await using var client = new CoapClient(network.CreateTransport());

        CoapResponse response = await client.GetAsync(new Uri($"coap://{server.LocalEndPoint}/hello"));

        Assert.Equal(CoapCode.Content, response.Code);
        Assert.Equal("world", response.PayloadAsString);
    }

    [Fact]
    public async Task Unknown_path_is_404()
    {
        var network = new InMemoryNetwork();
        await using var server = new CoapServer(network.CreateTransport());
        await server.StartAsync();
        await using var client = new CoapClient(network.CreateTransport());

        CoapResponse response = await client.GetAsync(new Uri($"coap://{server.LocalEndPoint}/nothing"));

        Assert.Equal(CoapCode.NotFound, response.Code);
    }

    [Fact]
    public async Task Large_put_and_get_round_trip_block_wise()
    {
        var network = new InMemoryNetwork();
        await using var server = new CoapServer(network.CreateTransport());
        var resource = server.Root.Add(new TextResource("big"));
        await server.StartAsync();
        await using var client = new CoapClient(network.CreateTransport());
        byte[] body = new byte[100_000];
        new Random(7).NextBytes(body);
        var uri = new Uri($"coap://{server.LocalEndPoint}/big");

        CoapResponse put = await client.PutAsync(uri, body);
        CoapResponse get = await client.GetAsync(uri);

        Assert.Equal(CoapCode.Changed, put.Code);
        Assert.Equal(body, resource.Value);
        Assert.Equal(CoapCode.Content, get.Code);
        Assert.Equal(body, get.Payload.ToArray());
        Assert.Null(get.Message.Block2);
    }

    [Fact]
    public async Task Observe_yields_registration_then_notifications()
    {
        var network = new InMemoryNetwork();
        await using var server = new CoapServer(network.CreateTransport());
        var resource = server.Root.Add(new TextResource("obs", "v0", observable: true));
        await server.StartAsync();
        await using var client = new CoapClient(network.CreateTransport());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var seen = new List<string>();
        await foreach (CoapResponse notification in client.ObserveAsync(new Uri($"coap://{server.LocalEndPoint}/obs"), cts.Token))
        {
            seen.Add(notification.PayloadAsString);
            if (seen.Count == 3)
            {
                break;
            }

            resource.Value = Encoding.UTF8.GetBytes("v" + seen.Count);
        }

        Assert.Equal(["v0", "v1", "v2"], seen);
    }

    [Fact]
    public async Task Observation_survives_a_notification_whose_blocks_kept_changing()
    {
        var network = new InMemoryNetwork();
        await using var server = new CoapServer(network.CreateTransport());
        var meter = server.Root.Add(new ChurningResource("meter"));
        await server.StartAsync();
        await using var client = new CoapClient(network.CreateTransport());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var seen = new List<string>();
        await foreach (CoapResponse notification in client.ObserveAsync(new Uri($"coap://{server.LocalEndPoint}/meter"), cts.Token))
        {
            string body = notification.PayloadAsString;
            Assert.Equal(ChurningResource.Size, body.Length);
            Assert.All(body, c => Assert.Equal(body[0], c)); // one representation, never blocks of two
            seen.Add(body[..1]);
            if (seen.Count == 1)
            {
                // The next notification's follow-up blocks all see a newer representation, so the client gives up on
                // it; 300 ms later the meter settles and notifies again. (The iterator runs while this body is away.)
                meter.ChurnGets = 20;
                meter.Publish();
                _ = Task.Run(async () =>
                {
                    await Task.Delay(300, cts.Token);
                    meter.ChurnGets = 0;
                    meter.Publish();
                }, cts.Token);
            }
            else
            {
                break;
            }
        }

        Assert.Equal(2, seen.Count);
        Assert.NotEqual(seen[0], seen[1]);
    }

    /// <summary>An observable representation larger than a block; while ChurnGets > 0 every GET finds a newer one.</summary>
    private sealed class ChurningResource : CoapResource
    {
        public const int Size = 3000;
        private int _version;

        public ChurningResource(string name)
            : base(name)
        {
            IsObservable = true;
        }

        public int ChurnGets { get; set; }

        public void Publish()
        {
            _version++;
            NotifyChanged();
        }

        public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken)
        {
            if (ChurnGets > 0)
            {
                ChurnGets--;
                _version++;
            }

            byte[] body = Encoding.ASCII.GetBytes(new string((char)('a' + (_version % 26)), Size));
            return ValueTask.FromResult(new CoapResponse(CoapCode.Content, body, CoapContentFormat.TextPlain));
        }
    }
}
