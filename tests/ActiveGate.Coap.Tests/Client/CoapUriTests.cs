using System.Net;
using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Transport.Udp;

namespace ActiveGate.Coap.Tests.Client;

public sealed class CoapUriTests
{
    [Theory]
    [InlineData("coap://[::1]/time", "::1", 5683)]
    [InlineData("coap://[fd00::212:4b00:1:2]:61616/a", "fd00::212:4b00:1:2", 61616)]
    [InlineData("coap://127.0.0.1/x", "127.0.0.1", 5683)]
    [InlineData("coaps://10.0.0.1/x", "10.0.0.1", 5684)]
    [InlineData("coap://192.168.1.5:1234", "192.168.1.5", 1234)]
    public async Task Resolves_ip_literals_and_default_ports(string uri, string address, int port)
    {
        IPEndPoint endPoint = await CoapUri.ResolveAsync(new Uri(uri));

        Assert.Equal(IPAddress.Parse(address), endPoint.Address);
        Assert.Equal(port, endPoint.Port);
    }

    [Fact]
    public void Maps_path_query_and_host_to_options()
    {
        var message = new CoapMessage();
        CoapUri.ApplyTo(new Uri("coap://example.net/sensors/t%C3%A9mp?rt=a%20b&x"), message);

        Assert.Equal(["sensors", "témp"], message.UriPathSegments);
        Assert.Equal(["rt=a b", "x"], message.UriQuery);
        Assert.Equal("example.net", message.Options.GetString(CoapOptionNumber.UriHost));
    }

    [Fact]
    public void Ip_literal_hosts_send_no_uri_host()
    {
        var message = new CoapMessage();
        CoapUri.ApplyTo(new Uri("coap://[::1]:5683/a"), message);

        Assert.False(message.Options.Contains(CoapOptionNumber.UriHost));
        Assert.Equal("/a", message.UriPath);
    }

    [Theory]
    [InlineData("http://x/")]
    [InlineData("coap://x/#frag")]
    public async Task Rejects_non_coap_uris(string uri)
    {
        await Assert.ThrowsAsync<ArgumentException>(async () => await CoapUri.ResolveAsync(new Uri(uri)));
    }

    [Fact]
    public async Task Coaps_over_plain_udp_is_refused()
    {
        await using var client = new CoapClient();

        await Assert.ThrowsAsync<NotSupportedException>(() => client.GetAsync(new Uri("coaps://127.0.0.1/x")));
    }

    [Fact]
    public async Task Get_over_real_udp_on_ipv6_loopback()
    {
        await using var server = new CoapServer(new UdpDatagramTransport(new IPEndPoint(IPAddress.IPv6Loopback, 0)));
        server.Root.Add(new TextResource("time", "now"));
        await server.StartAsync();
        await using var client = new CoapClient();
        int port = ((IPEndPoint)server.LocalEndPoint).Port;

        CoapResponse response = await client.GetAsync(new Uri($"coap://[::1]:{port}/time"));

        Assert.Equal("now", response.PayloadAsString);
    }

    [Fact]
    public async Task Dual_stack_server_answers_ipv4_clients()
    {
        await using var server = new CoapServer(new UdpDatagramTransport(new IPEndPoint(IPAddress.IPv6Any, 0)));
        server.Root.Add(new TextResource("time", "v4"));
        await server.StartAsync();
        await using var client = new CoapClient();
        int port = ((IPEndPoint)server.LocalEndPoint).Port;

        CoapResponse response = await client.GetAsync(new Uri($"coap://127.0.0.1:{port}/time"));

        Assert.Equal("v4", response.PayloadAsString);
    }
}
