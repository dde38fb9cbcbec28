using System.Net;
using System.Text;
using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Transport.InMemory;
using ActiveGate.Devices.Discovery;
using ActiveGate.Devices.Transport;

namespace ActiveGate.Devices.Tests.Transport;

/// <summary>The adapter against our real CoAP server and client over an in-memory network.</summary>
public sealed class CoapDeviceClientTests
{
    private static readonly IPAddress s_device = IPAddress.Parse("fd00::212:4b00:60d:b2a1");

    private sealed class TextResource : CoapResource
    {
        private string _value;

        public TextResource(string name, string rt, string initial)
            : base(name)
        {
            _value = initial;
            ResourceTypes.Add(rt);
            IsObservable = true;
        }

        public string Value
        {
            get => _value;
            set
            {
                _value = value;
                NotifyChanged();
            }
        }

        public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken) =>
            ValueTask.FromResult(CoapResponse.FromText(CoapCode.Content, _value));

        public override ValueTask<CoapResponse> HandlePutAsync(CoapRequestContext request, CancellationToken cancellationToken)
        {
            Value = Encoding.UTF8.GetString(request.Payload.Span);
            return ValueTask.FromResult(new CoapResponse(CoapCode.Changed));
        }
    }

    [Fact]
    public async Task Discovery_get_put_and_observe_map_onto_CoAP()
    {
        var network = new InMemoryNetwork();
        await using var server = new CoapServer(network.CreateTransport(new IPEndPoint(s_device, 5683)));
        CoapResource channel = server.Root.Add(new CoapResource("ch")).Add(new CoapResource("1"));
        TextResource meter = channel.Add(new TextResource("meter", "ag.meter", """{"seq":1}"""));
        channel.Add(new TextResource("relay", "ag.relay", "1"));
        await server.StartAsync();
        await using var coap = new CoapClient(network.CreateTransport(new IPEndPoint(IPAddress.Parse("fd00::1"), 40000)));
        var client = new CoapDeviceClient(coap);

        IReadOnlyList<DiscoveredLink> links = await client.DiscoverAsync(s_device, CancellationToken.None);
        DiscoveredLink meterLink = Assert.Single(links, l => l.Href == "/ch/1/meter");
        Assert.Equal(["ag.meter"], meterLink.ResourceTypes);
        Assert.True(meterLink.Observable);

        DeviceResponse put = await client.PutAsync(s_device, "/ch/1/relay", "0"u8.ToArray(), CancellationToken.None);
        Assert.Equal(204, put.Code);
        DeviceResponse get = await client.GetAsync(s_device, "/ch/1/relay", CancellationToken.None);
        Assert.Equal((205, "0"), (get.Code, Encoding.UTF8.GetString(get.Payload.Span)));
        Assert.Equal(404, (await client.GetAsync(s_device, "/nope", CancellationToken.None)).Code);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var seen = new List<string>();
        await foreach (DeviceResponse notification in client.ObserveAsync(s_device, "/ch/1/meter", cts.Token))
        {
            seen.Add(Encoding.UTF8.GetString(notification.Payload.Span));
            if (seen.Count == 1)
            {
                meter.Value = """{"seq":2}""";
            }
            else
            {
                break;
            }
        }

        Assert.Equal(["""{"seq":1}""", """{"seq":2}"""], seen);
    }

    [Fact]
    public async Task A_silent_device_is_a_device_timeout()
    {
        var network = new InMemoryNetwork { LossRate = 1.0 };
        await using var coap = new CoapClient(network.CreateTransport(new IPEndPoint(IPAddress.Parse("fd00::1"), 40001)), new CoapClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        var client = new CoapDeviceClient(coap);

        await Assert.ThrowsAsync<DeviceTimeoutException>(() => client.GetAsync(s_device, "/dev/info", CancellationToken.None));
    }
}
