using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Stack;
using ActiveGate.Coap.Transport.InMemory;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.Coap.Tests.Stack;

/// <summary>Client and server over an in-memory link that drops, duplicates and reorders, on fake time.</summary>
public sealed class LossyLinkTests
{
    private static readonly CoapEndpointOptions Patient = new()
    {
        TransmissionParameters = CoapTransmissionParameters.Default with { MaxRetransmit = 8 },
    };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Every_request_completes_exactly_once_despite_loss_duplication_and_reordering(int seed)
    {
        var time = new FakeTimeProvider();
        var network = new InMemoryNetwork(seed) { LossRate = 0.2, DuplicationRate = 0.2, ReorderRate = 0.2 };
        await using var server = new CoapServer(network.CreateTransport(), new CoapServerOptions { Endpoint = Patient }, time);
        TextResource counter = server.Root.Add(new TextResource("c", "x"));
        await server.StartAsync();
        await using var client = new CoapClient(network.CreateTransport(), new CoapClientOptions { Endpoint = Patient }, time);
        var uri = new Uri($"coap://{server.LocalEndPoint}/c");

        Task<int> work = Task.Run(async () =>
        {
            int ok = 0;
            for (int i = 0; i < 20; i++)
            {
                CoapResponse response = await client.GetAsync(uri);
                ok += response.Code == CoapCode.Content && response.PayloadAsString == "x" ? 1 : 0;
            }

            return ok;
        });
        await DriveAsync(time, network, work);

        Assert.Equal(20, await work);
        Assert.Equal(20, counter.GetCount); // duplicates and retransmissions never re-run the handler
        Assert.True(network.Dropped > 0 && network.Duplicated > 0, "the link should have misbehaved");
    }

    [Fact]
    public async Task Block_wise_upload_and_download_survive_a_lossy_link()
    {
        var time = new FakeTimeProvider();
        var network = new InMemoryNetwork(11) { LossRate = 0.15, DuplicationRate = 0.1, ReorderRate = 0.1 };
        await using var server = new CoapServer(network.CreateTransport(), new CoapServerOptions { Endpoint = Patient }, time);
        TextResource blob = server.Root.Add(new TextResource("blob"));
        await server.StartAsync();
        await using var client = new CoapClient(network.CreateTransport(), new CoapClientOptions { Endpoint = Patient, PreferredBlockSize = 256 }, time);
        byte[] body = new byte[8000];
        new Random(5).NextBytes(body);
        var uri = new Uri($"coap://{server.LocalEndPoint}/blob");

        Task<CoapResponse> work = Task.Run(async () =>
        {
            CoapResponse put = await client.PutAsync(uri, body);
            Assert.Equal(CoapCode.Changed, put.Code);
            return await client.GetAsync(uri);
        });
        await DriveAsync(time, network, work);

        Assert.Equal(body, blob.Value);
        Assert.Equal(body, (await work).Payload.ToArray());
    }

    /// <summary>Advances fake time in small steps while the work runs (bounded in real time).</summary>
    private static async Task DriveAsync(FakeTimeProvider time, InMemoryNetwork network, Task work)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!work.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(1);
            network.FlushHeld();
            time.Advance(TimeSpan.FromMilliseconds(250));
        }

        Assert.True(work.IsCompleted, "the exchange did not finish");
    }
}
