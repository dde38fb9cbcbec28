using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Transport.InMemory;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.Coap.Tests.Client;

/// <summary>Client side of RFC 7641 against a scripted server.</summary>
public sealed class ObserveClientTests
{
    [Theory]
    [InlineData(1u, 2u, true)]
    [InlineData(2u, 1u, false)]
    [InlineData(5u, 5u, false)]
    [InlineData(0xFFFFFFu, 0u, true)]          // wrap-around
    [InlineData(0u, 0x7FFFFFu, true)]          // just under 2^23 ahead
    [InlineData(0u, 0x800000u, false)]         // 2^23 ahead counts as older
    [InlineData(0x900000u, 0x000010u, true)]   // V1 > V2 by more than 2^23
    public async Task Freshness_follows_rfc7641_section_3_4(uint previous, uint current, bool fresh)
    {
        var time = new FakeTimeProvider();
        await using var client = new CoapClient(new InMemoryNetwork().CreateTransport(), timeProvider: time);
        long then = time.GetTimestamp();

        Assert.Equal(fresh, client.IsFresh(previous, then, current, time.GetTimestamp()));
        time.Advance(TimeSpan.FromSeconds(129));
        Assert.True(client.IsFresh(previous, then, current, time.GetTimestamp())); // 128 s rule
    }

    [Fact]
    public async Task Stale_notifications_are_skipped_and_con_notifications_acknowledged()
    {
        var network = new InMemoryNetwork();
        await using var server = new RawPeer(network.CreateTransport());
        await using var client = new CoapClient(network.CreateTransport(), timeProvider: new FakeTimeProvider());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new List<string>();

        Task consume = Task.Run(async () =>
        {
            await foreach (CoapResponse n in client.ObserveAsync(new Uri($"coap://{server.Address}/obs"), cts.Token))
            {
                received.Add(n.PayloadAsString);
                if (received.Count == 3)
                {
                    break;
                }
            }
        });

        CoapMessage registration = await server.ReceiveAsync();
        Assert.Equal(0u, registration.Observe);
        await server.SendAsync(Notification(CoapMessageType.Acknowledgement, registration.MessageId, registration.Token, 10, "ten"), client.Endpoint.LocalEndPoint);
        await server.SendAsync(Notification(CoapMessageType.NonConfirmable, 900, registration.Token, 8, "eight (stale)"), client.Endpoint.LocalEndPoint);
        await server.SendAsync(Notification(CoapMessageType.Confirmable, 901, registration.Token, 11, "eleven"), client.Endpoint.LocalEndPoint);
        CoapMessage ack = await server.ReceiveAsync();
        await server.SendAsync(Notification(CoapMessageType.NonConfirmable, 902, registration.Token, 12, "twelve"), client.Endpoint.LocalEndPoint);
        await consume;

        Assert.Equal(["ten", "eleven", "twelve"], received);
        Assert.Equal(CoapMessageType.Acknowledgement, ack.Type);
        Assert.Equal(901, ack.MessageId);

        // Leaving the loop deregisters explicitly: GET, same token, Observe = 1.
        CoapMessage deregistration = await server.ReceiveAsync();
        Assert.Equal(1u, deregistration.Observe);
        Assert.Equal(registration.Token, deregistration.Token);
    }

    [Fact]
    public async Task Client_re_registers_when_max_age_passes_without_a_notification()
    {
        var time = new FakeTimeProvider();
        var network = new InMemoryNetwork();
        await using var server = new RawPeer(network.CreateTransport());
        await using var client = new CoapClient(network.CreateTransport(), new CoapClientOptions { ObserveReregistrationSlack = TimeSpan.FromSeconds(2) }, time);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int count = 0;
        Task consume = Task.Run(async () =>
        {
            await foreach (CoapResponse n in client.ObserveAsync(new Uri($"coap://{server.Address}/obs"), cts.Token))
            {
                if (++count == 2)
                {
                    break;
                }
            }
        });

        CoapMessage registration = await server.ReceiveAsync();
        CoapMessage first = Notification(CoapMessageType.Acknowledgement, registration.MessageId, registration.Token, 1, "a");
        first.MaxAge = 10;
        await server.SendAsync(first, client.Endpoint.LocalEndPoint);
        await Eventually.TrueAsync(() => count == 1);
        time.Advance(TimeSpan.FromSeconds(11));
        Assert.True(server.IsIdle);
        time.Advance(TimeSpan.FromSeconds(2));
        CoapMessage again = await server.ReceiveAsync();

        Assert.Equal(0u, again.Observe);
        Assert.Equal(registration.Token, again.Token);
        Assert.NotEqual(registration.MessageId, again.MessageId);
        await server.SendAsync(Notification(CoapMessageType.Acknowledgement, again.MessageId, again.Token, 2, "b"), client.Endpoint.LocalEndPoint);
        await consume;
    }

    [Fact]
    public async Task Large_observable_resource_notifications_arrive_whole_via_block2()
    {
        var network = new InMemoryNetwork();
        await using var server = new CoapServer(network.CreateTransport());
        byte[] big1 = Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray();
        byte[] big2 = Enumerable.Range(0, 2500).Select(i => (byte)(i * 7)).ToArray();
        TextResource resource = server.Root.Add(new TextResource("big", string.Empty, observable: true));
        resource.Value = big1;
        await server.StartAsync();
        await using var client = new CoapClient(network.CreateTransport());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var bodies = new List<byte[]>();
        await foreach (CoapResponse n in client.ObserveAsync(new Uri($"coap://{server.LocalEndPoint}/big"), cts.Token))
        {
            bodies.Add(n.Payload.ToArray());
            if (bodies.Count == 2)
            {
                break;
            }

            resource.Value = big2;
        }

        Assert.Equal(big1, bodies[0]);
        Assert.Equal(big2, bodies[1]);
    }

    [Fact]
    public async Task Observation_ends_when_the_server_sends_an_error()
    {
        var network = new InMemoryNetwork();
        await using var server = new CoapServer(network.CreateTransport());
        server.Root.Add(new TextResource("obs", "x", observable: true));
        await server.StartAsync();
        await using var client = new CoapClient(network.CreateTransport());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var codes = new List<CoapCode>();
        await foreach (CoapResponse n in client.ObserveAsync(new Uri($"coap://{server.LocalEndPoint}/obs"), cts.Token))
        {
            codes.Add(n.Code);
            if (codes.Count == 1)
            {
                server.Root.Remove("obs");
            }
        }

        Assert.Equal([CoapCode.Content, CoapCode.NotFound], codes);
    }

    private static CoapMessage Notification(CoapMessageType type, ushort mid, CoapToken token, uint sequence, string text) => new()
    {
        Type = type,
        Code = CoapCode.Content,
        MessageId = mid,
        Token = token,
        Observe = sequence,
        Payload = System.Text.Encoding.UTF8.GetBytes(text),
    };
}
