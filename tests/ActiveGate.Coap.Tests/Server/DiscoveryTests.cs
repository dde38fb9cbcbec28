using ActiveGate.Coap.Client;
using ActiveGate.Coap.LinkFormat;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Transport.InMemory;

namespace ActiveGate.Coap.Tests.Server;

public sealed class DiscoveryTests
{
    [Fact]
    public async Task Well_known_core_lists_visible_resources_with_attributes_and_filters()
    {
        var network = new InMemoryNetwork();
        await using var server = new CoapServer(network.CreateTransport());
        var sensors = server.Root.Add(new CoapResource("sensors"));
        var temp = sensors.Add(new TextResource("temp", "21", observable: true));
        temp.ResourceTypes.Add("temperature-c");
        temp.InterfaceDescriptions.Add("sensor");
        sensors.Add(new TextResource("light")).InterfaceDescriptions.Add("sensor");
        server.Root.Add(new TextResource("hidden")).IsVisible = false;
        await server.StartAsync();
        await using var client = new CoapClient(network.CreateTransport());
        var uri = new Uri($"coap://{server.LocalEndPoint}/");

        IReadOnlyList<CoapLink> all = await client.DiscoverAsync(uri);
        IReadOnlyList<CoapLink> byType = await client.DiscoverAsync(uri, "rt=temperature*");
        IReadOnlyList<CoapLink> byInterface = await client.DiscoverAsync(uri, "if=sensor");
        IReadOnlyList<CoapLink> byHref = await client.DiscoverAsync(uri, "href=/sensors/l*");

        Assert.Equal(["/sensors", "/sensors/light", "/sensors/temp"], all.Select(l => l.Target));
        Assert.True(all[2].IsObservable);
        Assert.Equal(["/sensors/temp"], byType.Select(l => l.Target));
        Assert.Equal(["/sensors/light", "/sensors/temp"], byInterface.Select(l => l.Target));
        Assert.Equal(["/sensors/light"], byHref.Select(l => l.Target));
    }
}
