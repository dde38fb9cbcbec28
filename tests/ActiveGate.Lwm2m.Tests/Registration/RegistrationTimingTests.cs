using System.Net;
using ActiveGate.Coap.Transport.InMemory;
using ActiveGate.Lwm2m.ContentFormats;
using ActiveGate.Lwm2m.Model;
using ActiveGate.Lwm2m.Registration;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.Lwm2m.Tests.Registration;

/// <summary>Update timing and lost datagrams, on an in-memory network with the client on fake time.</summary>
public sealed class RegistrationTimingTests : IAsyncDisposable
{
    private static readonly IPEndPoint s_serverAddress = new(IPAddress.Parse("10.0.0.1"), 5683);
    private readonly InMemoryNetwork _network = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
    private readonly ScriptedLwm2mServer _server;

    public RegistrationTimingTests() =>
        _server = new ScriptedLwm2mServer(_network.CreateTransport(s_serverAddress), new Uri("coap://10.0.0.1:5683"));

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private Lwm2mClient Client(int lifetime, TimeSpan? updatePeriod = null) => new(
        new Lwm2mClientOptions { Endpoint = "urn:dev:timing", ServerUri = _server.Uri, LifetimeSeconds = lifetime, UpdatePeriod = updatePeriod, WatchAddressChanges = false, Device = TestModel.Info },
        _time,
        transportFactory: _ => _network.CreateTransport(),
        network: new TestModel.FakeNetwork(),
        memory: new TestModel.FixedMemory());

    private async Task AdvanceUntilAsync(Func<bool> condition, TimeSpan step, int maxSteps)
    {
        for (int i = 0; i < maxSteps && !condition(); i++)
        {
            _time.Advance(step);
            await Task.Delay(30);
        }

        Assert.True(condition());
    }

    [Theory]
    [InlineData(300, 53)]      // lifetime − EXCHANGE_LIFETIME (247 s)
    [InlineData(86400, 86153)]
    [InlineData(100, 50)]      // shorter than EXCHANGE_LIFETIME: half the lifetime
    public async Task Periodic_update_is_sent_before_lifetime_minus_exchange_lifetime(int lifetime, int expectedSeconds)
    {
        await using var client = Client(lifetime);
        await client.StartAsync();
        await _server.NextAsync("register");
        await Lwm2mClientTests.WaitForAsync(() => client.Status.State == Lwm2mClientState.Registered);
        var registeredAt = client.Status.RegisteredAt!.Value;
        Assert.Equal(registeredAt.AddSeconds(expectedSeconds), client.Status.NextUpdate);
        await Task.Delay(100);
        _time.Advance(TimeSpan.FromSeconds(expectedSeconds - 1));
        await Task.Delay(200);
        Assert.False(_server.TryNext(out _));
        _time.Advance(TimeSpan.FromSeconds(1));
        var update = await _server.NextAsync("update");
        Assert.Empty(update.Query);
        await Lwm2mClientTests.WaitForAsync(() => client.Status.Updates == 1);
        Assert.Equal(_time.GetUtcNow().AddSeconds(expectedSeconds), client.Status.NextUpdate);
    }

    [Fact]
    public async Task Update_period_caps_the_interval_for_NAT_bindings()
    {
        await using var client = Client(86400, TimeSpan.FromSeconds(60));
        await client.StartAsync();
        await _server.NextAsync("register");
        await Lwm2mClientTests.WaitForAsync(() => client.Status.State == Lwm2mClientState.Registered);
        Assert.Equal(client.Status.RegisteredAt!.Value.AddSeconds(60), client.Status.NextUpdate);
    }

    [Fact]
    public async Task A_lost_Register_is_retransmitted()
    {
        int dropped = 0;
        _network.Filter = d => d.To.Equals(s_serverAddress) && Interlocked.Increment(ref dropped) <= 2;   // true drops
        await using var client = Client(300);
        await client.StartAsync();
        await AdvanceUntilAsync(() => _server.RegisterCount == 1, TimeSpan.FromSeconds(1), 60);
        Assert.Equal(3, dropped);   // two copies lost, the third arrived
        await Lwm2mClientTests.WaitForAsync(() => client.Status.State == Lwm2mClientState.Registered);
    }

    [Fact]
    public async Task Lost_Update_responses_lead_to_a_new_Register()
    {
        await using var client = Client(300);
        await client.StartAsync();
        await _server.NextAsync("register");
        await Lwm2mClientTests.WaitForAsync(() => client.Status.State == Lwm2mClientState.Registered);
        _network.Filter = d => d.From.Equals(s_serverAddress);   // every answer from the server is lost
        client.RequestUpdate();
        await _server.NextAsync("update");
        await AdvanceUntilAsync(() => client.Status.State != Lwm2mClientState.Registered, TimeSpan.FromSeconds(5), 60);
        _network.Filter = null;
        await AdvanceUntilAsync(() => client.Status.State == Lwm2mClientState.Registered && client.Status.Registrations == 2, TimeSpan.FromSeconds(5), 120);
    }

    [Fact]
    public async Task Send_posts_SenML_with_absolute_names_to_dp()
    {
        await using var client = Client(300);
        await client.StartAsync();
        await _server.NextAsync("register");
        await Lwm2mClientTests.WaitForAsync(() => client.Status.State == Lwm2mClientState.Registered);
        Assert.True(await client.SendAsync([Lwm2mPath.Parse("/3/0/0"), Lwm2mPath.Parse("/4/0/0")]));
        var send = await _server.NextAsync("send");
        Assert.Equal(Lwm2mContentFormat.SenmlJson, send.ContentFormat);
        Assert.Equal($$"""[{"bt":{{_time.GetUtcNow().ToUnixTimeSeconds()}},"n":"/3/0/0","vs":"ActiveGate Labs"},{"n":"/4/0/0","v":41}]""", send.Payload);
    }
}
