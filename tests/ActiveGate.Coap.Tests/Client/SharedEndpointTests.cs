using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Stack;
using ActiveGate.Coap.Transport.InMemory;

namespace ActiveGate.Coap.Tests.Client;

/// <summary>LwM2M needs client and server on one socket: both directions over shared endpoints.</summary>
public sealed class SharedEndpointTests
{
    [Fact]
    public async Task Client_and_server_share_one_endpoint_in_both_directions()
    {
        var network = new InMemoryNetwork();
        await using var deviceEndpoint = new CoapEndpoint(network.CreateTransport());
        await using var managerEndpoint = new CoapEndpoint(network.CreateTransport());
        await using var deviceServer = new CoapServer(deviceEndpoint);
        await using var managerServer = new CoapServer(managerEndpoint);
        deviceServer.Root.Add(new TextResource("3", "device object"));
        managerServer.Root.Add(new TextResource("rd", "registered"));
        await deviceServer.StartAsync();
        await managerServer.StartAsync();
        await using var deviceClient = new CoapClient(deviceEndpoint);
        await using var managerClient = new CoapClient(managerEndpoint);

        Task<CoapResponse> register = deviceClient.GetAsync(new Uri($"coap://{managerEndpoint.LocalEndPoint}/rd"));
        Task<CoapResponse> read = managerClient.GetAsync(new Uri($"coap://{deviceEndpoint.LocalEndPoint}/3"));

        Assert.Equal("registered", (await register).PayloadAsString);
        Assert.Equal("device object", (await read).PayloadAsString);
    }
}
