using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Transport.InMemory;

namespace ActiveGate.Coap.Tests.Server;

/// <summary>Uri-Path routing (segments are matched without making strings; the handler's path is made on demand).</summary>
public sealed class RoutingTests : IAsyncLifetime
{
    private readonly InMemoryNetwork _network = new();
    private CoapServer _server = null!;
    private RawPeer _peer = null!;

    public async Task InitializeAsync()
    {
        _server = new CoapServer(_network.CreateTransport());
        _server.Root.Add(new CoapResource("sensors")).Add(new PathEcho("température"));
        _server.Root.Add(new PathEcho("files") { HandlesSubPaths = true });
        await _server.StartAsync();
        _peer = new RawPeer(_network.CreateTransport());
    }

    public async Task DisposeAsync()
    {
        await _peer.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Theory]
    [InlineData("/sensors/température", "2.05", "sensors/température|")]
    [InlineData("/files/a/b", "2.05", "files/a/b|a/b")]
    [InlineData("/files", "2.05", "files|")]
    [InlineData("/sensors/temperature", "4.04", "")]
    [InlineData("/sensors/température/deeper", "4.04", "")]
    [InlineData("/nothing", "4.04", "")]
    public async Task Request_reaches_the_deepest_matching_resource(string path, string code, string echo)
    {
        var get = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get, MessageId = 1, Token = CoapToken.FromBytes([9]) };
        get.UriPath = path;
        await _peer.SendAsync(get, _server.LocalEndPoint);
        CoapMessage response = await _peer.ReceiveAsync();

        Assert.Equal(code, response.Code.Name);
        Assert.Equal(echo, response.Code == CoapCode.Content ? response.PayloadAsString : string.Empty);
    }

    private sealed class PathEcho(string name) : CoapResource(name)
    {
        public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken) =>
            ValueTask.FromResult(CoapResponse.FromText(CoapCode.Content, string.Join('/', request.Path) + "|" + string.Join('/', request.RemainingPath)));
    }
}
