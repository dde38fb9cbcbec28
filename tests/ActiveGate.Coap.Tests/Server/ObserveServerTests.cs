using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Stack;
using ActiveGate.Coap.Transport.InMemory;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.Coap.Tests.Server;

/// <summary>Server side of RFC 7641 against a scripted observer.</summary>
public sealed class ObserveServerTests : IAsyncLifetime
{
    private readonly InMemoryNetwork _network = new();
    private readonly FakeTimeProvider _time = new();
    private CoapServer _server = null!;
    private RawPeer _observer = null!;
    private TextResource _resource = null!;

    public async Task InitializeAsync()
    {
        var options = new CoapServerOptions
        {
            Endpoint = new CoapEndpointOptions { TransmissionParameters = CoapTransmissionParameters.Default with { AckRandomFactor = 1 } },
        };
        _server = new CoapServer(_network.CreateTransport(), options, _time);
        _resource = _server.Root.Add(new TextResource("obs", "v0", observable: true));
        await _server.StartAsync();
        _observer = new RawPeer(_network.CreateTransport());
    }

    public async Task DisposeAsync()
    {
        await _observer.DisposeAsync();
        await _server.DisposeAsync();
    }

    private async Task<CoapMessage> RegisterAsync(ushort mid, uint observe = 0)
    {
        var get = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get, MessageId = mid, Token = CoapToken.FromBytes([0xAB]) };
        get.UriPath = "/obs";
        get.Observe = observe;
        await _observer.SendAsync(get, _server.LocalEndPoint);
        return await _observer.ReceiveAsync();
    }

    [Fact]
    public async Task Registration_response_carries_observe_and_notifications_follow_with_rising_sequence()
    {
        CoapMessage registered = await RegisterAsync(1);
        _resource.Value = "v1"u8.ToArray();
        CoapMessage first = await _observer.ReceiveAsync();
        _resource.Value = "v2"u8.ToArray();
        CoapMessage second = await _observer.ReceiveAsync();

        Assert.NotNull(registered.Observe);
        Assert.Equal(1, _server.ObserverCount);
        Assert.Equal(CoapMessageType.NonConfirmable, first.Type);
        Assert.Equal("v1", first.PayloadAsString);
        Assert.Equal("v2", second.PayloadAsString);
        Assert.Equal(CoapToken.FromBytes([0xAB]), second.Token);
        Assert.True(second.Observe > first.Observe && first.Observe > registered.Observe);
    }

    [Fact]
    public async Task Rst_to_a_notification_cancels_the_observation()
    {
        await RegisterAsync(2);
        _resource.Value = "v1"u8.ToArray();
        CoapMessage notification = await _observer.ReceiveAsync();

        await _observer.SendAsync(CoapMessage.CreateReset(notification.MessageId), _server.LocalEndPoint);
        await Eventually.TrueAsync(() => _server.ObserverCount == 0);
        _resource.Value = "v2"u8.ToArray();

        await Task.Delay(50);
        Assert.True(_observer.IsIdle);
    }

    [Fact]
    public async Task Get_with_observe_1_deregisters()
    {
        await RegisterAsync(3);
        CoapMessage response = await RegisterAsync(4, observe: 1);

        Assert.Equal(CoapCode.Content, response.Code);
        Assert.Null(response.Observe);
        Assert.Equal(0, _server.ObserverCount);
    }

    [Fact]
    public async Task A_con_notification_is_sent_at_least_every_24_hours()
    {
        await RegisterAsync(5);
        _resource.Value = "a"u8.ToArray();
        CoapMessage early = await _observer.ReceiveAsync();
        _time.Advance(TimeSpan.FromHours(24));
        _resource.Value = "b"u8.ToArray();
        CoapMessage late = await _observer.ReceiveAsync();
        await _observer.SendAsync(CoapMessage.CreateEmptyAck(late.MessageId), _server.LocalEndPoint);
        _resource.Value = "c"u8.ToArray();
        CoapMessage after = await _observer.ReceiveAsync();

        Assert.Equal(CoapMessageType.NonConfirmable, early.Type);
        Assert.Equal(CoapMessageType.Confirmable, late.Type);
        Assert.Equal(CoapMessageType.NonConfirmable, after.Type);
        Assert.Equal(1, _server.ObserverCount);
    }

    [Fact]
    public async Task An_unacknowledged_con_notification_ends_the_observation()
    {
        _resource.ConfirmableNotifications = true;
        await RegisterAsync(6);
        _resource.Value = "a"u8.ToArray();
        await _observer.ReceiveAsync();

        for (int i = 0; i < 10; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(40));
        }

        await Eventually.TrueAsync(() => _server.ObserverCount == 0);
        Assert.Equal(4, _observer.Drain()); // the four retransmissions
    }

    [Fact]
    public async Task Removing_the_resource_tells_observers_4_04()
    {
        await RegisterAsync(7);
        _server.Root.Remove("obs");
        CoapMessage gone = await _observer.ReceiveAsync();

        Assert.Equal(CoapCode.NotFound, gone.Code);
        Assert.Null(gone.Observe);
        Assert.Equal(0, _server.ObserverCount);
    }
}
