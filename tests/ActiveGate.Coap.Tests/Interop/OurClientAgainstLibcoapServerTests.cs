using ActiveGate.Coap.Client;
using ActiveGate.Coap.LinkFormat;
using ActiveGate.Coap.Messages;

namespace ActiveGate.Coap.Tests.Interop;

/// <summary>Our <see cref="CoapClient"/> against libcoap's coap-server-notls on loopback.</summary>
[Trait("Category", "Interop")]
public sealed class OurClientAgainstLibcoapServerTests
{
    [Fact]
    public async Task Get_time_returns_content()
    {
        await using LibcoapServer server = await LibcoapServer.StartAsync();
        await using var client = new CoapClient();

        CoapResponse response = await client.GetAsync(new Uri(server.BaseUri, "/time"));

        Assert.Equal(CoapCode.Content, response.Code);
        Assert.False(string.IsNullOrWhiteSpace(response.PayloadAsString));
    }

    [Fact]
    public async Task Discovery_lists_the_observable_clock()
    {
        await using LibcoapServer server = await LibcoapServer.StartAsync();
        await using var client = new CoapClient();

        IReadOnlyList<CoapLink> links = await client.DiscoverAsync(server.BaseUri);

        CoapLink time = Assert.Single(links, l => l.Target == "/time");
        Assert.Contains("ticks", time.ResourceTypes);
        Assert.Contains("clock", time.InterfaceDescriptions);
        Assert.True(time.IsObservable);
        Assert.Contains(links, l => l.Target == "/example_data");
    }

    [Fact]
    public async Task Observe_time_delivers_several_notifications_with_rising_sequence()
    {
        await using LibcoapServer server = await LibcoapServer.StartAsync();
        await using var client = new CoapClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        var notifications = new List<CoapResponse>();
        await foreach (CoapResponse notification in client.ObserveAsync(new Uri(server.BaseUri, "/time"), cts.Token))
        {
            notifications.Add(notification);
            if (notifications.Count == 4)
            {
                break;
            }
        }

        Assert.All(notifications, n => Assert.Equal(CoapCode.Content, n.Code));
        Assert.All(notifications, n => Assert.NotNull(n.ObserveSequence));
        Assert.True(notifications.Select(n => n.PayloadAsString).Distinct().Count() >= 3, "the clock should tick between notifications");
    }

    [Fact]
    public async Task Block_wise_put_of_100_kB_then_get_returns_identical_bytes()
    {
        await using LibcoapServer server = await LibcoapServer.StartAsync();
        await using var client = new CoapClient();
        byte[] body = new byte[100 * 1024];
        new Random(42).NextBytes(body);
        var uri = new Uri(server.BaseUri, "/upload");

        CoapResponse put = await client.PutAsync(uri, body, CoapContentFormat.OctetStream);
        CoapResponse get = await client.GetAsync(uri);

        Assert.True(put.Code == CoapCode.Created || put.Code == CoapCode.Changed, $"PUT answered {put.Code}");
        Assert.Equal(CoapCode.Content, get.Code);
        Assert.Equal(body.Length, get.Payload.Length);
        Assert.True(body.AsSpan().SequenceEqual(get.Payload.Span), "downloaded body differs");
    }

    [Fact]
    public async Task Get_of_missing_resource_is_404()
    {
        await using LibcoapServer server = await LibcoapServer.StartAsync();
        await using var client = new CoapClient();

        CoapResponse response = await client.GetAsync(new Uri(server.BaseUri, "/does/not/exist"));

        Assert.Equal(CoapCode.NotFound, response.Code);
    }
}
