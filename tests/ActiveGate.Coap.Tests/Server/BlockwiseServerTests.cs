using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Transport.InMemory;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.Coap.Tests.Server;

/// <summary>RFC 7959 on the server, driven message by message.</summary>
public sealed class BlockwiseServerTests : IAsyncLifetime
{
    private readonly InMemoryNetwork _network = new();
    private CoapServer _server = null!;
    private RawPeer _client = null!;
    private TextResource _resource = null!;
    private ushort _mid = 1000;

    public async Task InitializeAsync()
    {
        _server = new CoapServer(_network.CreateTransport(), new CoapServerOptions { MaxRequestBodySize = 4096, PreferredBlockSize = 256, MaxConcurrentBlockTransfers = 2 }, new FakeTimeProvider());
        _resource = _server.Root.Add(new TextResource("r"));
        await _server.StartAsync();
        _client = new RawPeer(_network.CreateTransport());
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    private async Task<CoapMessage> SendAsync(CoapCode method, string path, Action<CoapMessage> configure, byte[]? payload = null, byte token = 1)
    {
        var message = new CoapMessage { Type = CoapMessageType.Confirmable, Code = method, MessageId = _mid++, Token = CoapToken.FromBytes([token]), Payload = payload ?? [] };
        message.UriPath = path;
        configure(message);
        await _client.SendAsync(message, _server.LocalEndPoint);
        return await _client.ReceiveAsync();
    }

    [Fact]
    public async Task Block1_blocks_get_2_31_continue_and_the_handler_sees_the_whole_body()
    {
        byte[] body = Enumerable.Range(0, 600).Select(i => (byte)i).ToArray();

        CoapMessage r0 = await SendAsync(CoapCode.Put, "/r", m => m.Block1 = new BlockOption(0, true, 4), body[..256]);
        CoapMessage r1 = await SendAsync(CoapCode.Put, "/r", m => m.Block1 = new BlockOption(1, true, 4), body[256..512]);
        CoapMessage r2 = await SendAsync(CoapCode.Put, "/r", m => m.Block1 = new BlockOption(2, false, 4), body[512..]);

        Assert.Equal(CoapCode.Continue, r0.Code);
        Assert.Equal(new BlockOption(0, true, 4), r0.Block1);
        Assert.Equal(CoapCode.Continue, r1.Code);
        Assert.Equal(CoapCode.Changed, r2.Code);
        Assert.Equal(new BlockOption(2, false, 4), r2.Block1);
        Assert.Equal(body, _resource.Value);
    }

    [Fact]
    public async Task Block1_with_larger_szx_is_negotiated_down_by_the_server()
    {
        CoapMessage r0 = await SendAsync(CoapCode.Put, "/r", m => m.Block1 = new BlockOption(0, true, 6), new byte[1024]);

        Assert.Equal(CoapCode.Continue, r0.Code);
        Assert.Equal(4, r0.Block1!.Value.SizeExponent); // the server prefers 256-byte blocks
    }

    [Fact]
    public async Task Out_of_order_block1_gives_4_08()
    {
        CoapMessage r = await SendAsync(CoapCode.Put, "/r", m => m.Block1 = new BlockOption(3, true, 4), new byte[256]);

        Assert.Equal(CoapCode.RequestEntityIncomplete, r.Code);
    }

    [Fact]
    public async Task Too_large_body_gives_4_13_with_size1()
    {
        CoapMessage announced = await SendAsync(CoapCode.Put, "/r", m => { m.Block1 = new BlockOption(0, true, 4); m.Size1 = 100_000; }, new byte[256]);
        CoapMessage whole = await SendAsync(CoapCode.Put, "/r", m => m.Size1 = 5000, new byte[10]);

        Assert.Equal(CoapCode.RequestEntityTooLarge, announced.Code);
        Assert.Equal(4096u, announced.Size1);
        Assert.Equal(CoapCode.RequestEntityTooLarge, whole.Code);
    }

    [Fact]
    public async Task Body_growing_past_the_limit_gives_4_13()
    {
        CoapMessage last = new();
        for (uint n = 0; n < 17; n++)
        {
            last = await SendAsync(CoapCode.Put, "/r", m => m.Block1 = new BlockOption(n, true, 4), new byte[256]);
            if (last.Code != CoapCode.Continue)
            {
                break;
            }
        }

        Assert.Equal(CoapCode.RequestEntityTooLarge, last.Code);
        Assert.Equal(4096u, last.Size1);
        Assert.Equal(0, _server.ActiveBlockTransfers);
    }

    [Fact]
    public async Task Reassembly_buffers_are_bounded()
    {
        for (byte t = 1; t <= 3; t++)
        {
            string path = "/r";
            await SendAsync(CoapCode.Post, path, m => { m.Block1 = new BlockOption(0, true, 4); m.Options.Add(CoapOptionNumber.UriQuery, $"t={t}"); }, new byte[256], t);
        }

        Assert.Equal(2, _server.ActiveBlockTransfers);
        CoapMessage evicted = await SendAsync(CoapCode.Post, "/r", m => { m.Block1 = new BlockOption(1, false, 4); m.Options.Add(CoapOptionNumber.UriQuery, "t=1"); }, new byte[10]);
        Assert.Equal(CoapCode.RequestEntityIncomplete, evicted.Code);
    }

    [Fact]
    public async Task Block2_slices_with_size2_etag_and_the_clients_smaller_szx()
    {
        _resource.Value = Enumerable.Range(0, 700).Select(i => (byte)i).ToArray();

        CoapMessage b0 = await SendAsync(CoapCode.Get, "/r", _ => { });
        CoapMessage b1 = await SendAsync(CoapCode.Get, "/r", m => m.Block2 = new BlockOption(1, false, 4));
        CoapMessage small = await SendAsync(CoapCode.Get, "/r", m => m.Block2 = new BlockOption(21, false, 1));
        CoapMessage beyond = await SendAsync(CoapCode.Get, "/r", m => m.Block2 = new BlockOption(9, false, 4));

        Assert.Equal(new BlockOption(0, true, 4), b0.Block2);
        Assert.Equal(700u, b0.Size2);
        Assert.Equal(256, b0.Payload.Length);
        Assert.NotNull(b0.ETag);
        Assert.Equal(b0.ETag!.Value.ToArray(), b1.ETag!.Value.ToArray());
        Assert.Equal(new BlockOption(1, true, 4), b1.Block2);
        Assert.Equal(new BlockOption(21, false, 1), small.Block2);
        Assert.Equal(700 - (21 * 32), small.Payload.Length);
        Assert.Equal(CoapCode.BadOption, beyond.Code);
    }
}

public sealed class BlockwiseClientTests
{
    [Fact]
    public async Task Client_restarts_block2_transfer_when_the_etag_changes()
    {
        var network = new InMemoryNetwork();
        await using var server = new CoapServer(network.CreateTransport(), new CoapServerOptions { PreferredBlockSize = 64 });
        TextResource resource = server.Root.Add(new TextResource("r"));
        byte[] first = Enumerable.Repeat((byte)'a', 300).ToArray();
        byte[] second = Enumerable.Repeat((byte)'b', 300).ToArray();
        resource.Value = first;
        int blocksServed = 0;
        network.DatagramSent += d =>
        {
            // After the server sent block 1 of the first version, the resource changes.
            if (d.From.Equals(server.LocalEndPoint) && ++blocksServed == 2)
            {
                resource.Value = second;
            }
        };
        await server.StartAsync();
        await using var client = new CoapClient(network.CreateTransport());

        CoapResponse response = await client.GetAsync(new Uri($"coap://{server.LocalEndPoint}/r"));

        Assert.Equal(second, response.Payload.ToArray());
    }

    [Fact]
    public async Task Client_refuses_bodies_over_its_limit()
    {
        var network = new InMemoryNetwork();
        await using var server = new CoapServer(network.CreateTransport());
        server.Root.Add(new TextResource("r")).Value = new byte[5000];
        await server.StartAsync();
        await using var client = new CoapClient(network.CreateTransport(), new CoapClientOptions { MaxResponseBodySize = 4000 });

        await Assert.ThrowsAsync<CoapException>(() => client.GetAsync(new Uri($"coap://{server.LocalEndPoint}/r")));
    }

    [Fact]
    public async Task Client_uses_a_smaller_requested_block_size()
    {
        var network = new InMemoryNetwork();
        await using var server = new CoapServer(network.CreateTransport());
        TextResource resource = server.Root.Add(new TextResource("r"));
        await server.StartAsync();
        await using var client = new CoapClient(network.CreateTransport());
        byte[] body = new byte[1000];
        new Random(1).NextBytes(body);
        int requests = 0;
        network.DatagramSent += d => requests += d.To.Equals(server.LocalEndPoint) ? 1 : 0;

        var put = new CoapRequest(CoapCode.Put, new Uri($"coap://{server.LocalEndPoint}/r")) { Payload = body, BlockSize = 64 };
        CoapResponse response = await client.SendAsync(put);

        Assert.Equal(CoapCode.Changed, response.Code);
        Assert.Equal(body, resource.Value);
        Assert.Equal(16, requests); // ceil(1000 / 64)
    }
}
