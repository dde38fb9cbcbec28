using System.Text;
using ActiveGate.Coap.Messages;
using ActiveGate.Lwm2m.ContentFormats;
using ActiveGate.Lwm2m.Objects;
using ActiveGate.Lwm2m.Registration;

namespace ActiveGate.Lwm2m.Tests.Registration;

/// <summary>Bootstrap sequences against a scripted bootstrap server and a scripted management server.</summary>
public sealed class BootstrapTests : IAsyncDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ag-lwm2m-bs-" + Guid.NewGuid().ToString("N"));
    private readonly ScriptedLwm2mServer _bootstrap = new();
    private readonly ScriptedLwm2mServer _management = new();

    public async ValueTask DisposeAsync()
    {
        await _bootstrap.DisposeAsync();
        await _management.DisposeAsync();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, true);
        }
    }

    private Lwm2mClient Client(Lwm2mClientOptions options) => new(
        options with { Endpoint = "urn:dev:bs-test", WatchAddressChanges = false, Device = TestModel.Info, StateDirectory = _dir, RetryInitialDelay = TimeSpan.FromMilliseconds(100), BootstrapTimeout = TimeSpan.FromSeconds(20) },
        network: new TestModel.FakeNetwork(),
        memory: new TestModel.FixedMemory());

    private static byte[] Json(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>What a bootstrap server does: wipe, look, provision the management account, finish.</summary>
    private async Task ProvisionAsync(int lifetime = 120)
    {
        Assert.Equal(CoapCode.Deleted, (await _bootstrap.SendAsync(CoapCode.Delete, "/")).Code);
        var discover = await _bootstrap.SendAsync(CoapCode.Get, "/", accept: Lwm2mContentFormat.LinkFormat);
        Assert.StartsWith("</>;lwm2m=1.1,</0>;ver=1.1,</0/1>;uri=", discover.PayloadAsString, StringComparison.Ordinal);
        Assert.Equal(CoapCode.MethodNotAllowed, (await _bootstrap.SendAsync(CoapCode.Get, "/3/0")).Code);

        var account = Json($$"""[{"bn":"/0/5/","n":"0","vs":"{{_management.Uri}}"},{"n":"1","vb":false},{"n":"2","v":3},{"n":"10","v":7}]""");
        Assert.Equal(CoapCode.Changed, (await _bootstrap.SendAsync(CoapCode.Put, "/0/5", payload: account, contentFormat: Lwm2mContentFormat.SenmlJson)).Code);

        // Finish before /1 exists: the configuration is inconsistent, so 4.06 (Core TS 6.1.7.7).
        Assert.Equal(CoapCode.NotAcceptable, (await _bootstrap.SendAsync(CoapCode.Post, "/bs")).Code);

        var server = Json($$"""[{"bn":"/1/0/","n":"0","v":7},{"n":"1","v":{{lifetime}}},{"n":"6","vb":false},{"n":"7","vs":"U"}]""");
        Assert.Equal(CoapCode.Changed, (await _bootstrap.SendAsync(CoapCode.Put, "/1/0", payload: server, contentFormat: Lwm2mContentFormat.SenmlJson)).Code);
        var read = await _bootstrap.SendAsync(CoapCode.Get, "/1", accept: Lwm2mContentFormat.SenmlJson);
        Assert.Contains("\"v\":7", read.PayloadAsString, StringComparison.Ordinal);
        Assert.Equal(CoapCode.Changed, (await _bootstrap.SendAsync(CoapCode.Post, "/bs")).Code);
    }

    [Fact]
    public async Task Client_initiated_bootstrap_then_registers_with_the_provisioned_server()
    {
        await using var client = Client(new Lwm2mClientOptions { BootstrapUri = _bootstrap.Uri });
        await client.StartAsync();
        var request = await _bootstrap.NextAsync("bootstrap");
        Assert.Equal(["ep=urn:dev:bs-test", "pct=110"], request.Query);
        Assert.Equal(Lwm2mClientState.Bootstrapping, client.Status.State);
        await ProvisionAsync();
        var register = await _management.NextAsync("register");
        Assert.Contains("lt=120", register.Query);
        await Lwm2mClientTests.WaitForAsync(() => client.Status.State == Lwm2mClientState.Registered);
        Assert.Equal(1, client.Status.Bootstraps);
        Assert.Equal(7, client.Security.ServerAccount(7)!.ShortServerId);
        Assert.NotNull(client.Security.BootstrapAccount);   // Bootstrap-Delete kept the bootstrap account
        Assert.True(File.Exists(Path.Combine(_dir, "lwm2m-state.json")));
    }

    [Fact]
    public async Task Bootstrap_Request_Trigger_re_bootstraps_a_registered_client()
    {
        await using var client = Client(new Lwm2mClientOptions { ServerUri = _management.Uri, BootstrapUri = _bootstrap.Uri });
        await client.StartAsync();
        await _management.NextAsync("register");
        await Lwm2mClientTests.WaitForAsync(() => client.Status.State == Lwm2mClientState.Registered);
        Assert.Equal(CoapCode.Changed, (await _management.SendAsync(CoapCode.Post, "/1/0/9")).Code);
        await _management.NextAsync("deregister");
        await _bootstrap.NextAsync("bootstrap");
        await ProvisionAsync(lifetime: 90);
        var register = await _management.NextAsync("register");
        Assert.Contains("lt=90", register.Query);
    }

    [Fact]
    public async Task Repeated_registration_failures_fall_back_to_bootstrap()
    {
        _management.RegisterAnswer = CoapCode.Forbidden;
        await using var client = Client(new Lwm2mClientOptions { ServerUri = _management.Uri, BootstrapUri = _bootstrap.Uri, RegistrationAttempts = 2 });
        await client.StartAsync();
        await _management.NextAsync("register");
        await _management.NextAsync("register");
        await _bootstrap.NextAsync("bootstrap");
        Assert.Contains("falling back to bootstrap", client.Status.Reason ?? string.Empty, StringComparison.Ordinal);
        _management.RegisterAnswer = CoapCode.Created;
        await ProvisionAsync();
        await Lwm2mClientTests.WaitForAsync(() => client.Status.State == Lwm2mClientState.Registered);
    }

    [Fact]
    public async Task A_bootstrap_server_that_never_finishes_is_retried()
    {
        await using var client = new Lwm2mClient(
            new Lwm2mClientOptions { Endpoint = "urn:dev:bs-test", BootstrapUri = _bootstrap.Uri, WatchAddressChanges = false, Device = TestModel.Info, RetryInitialDelay = TimeSpan.FromMilliseconds(100), BootstrapTimeout = TimeSpan.FromMilliseconds(500) },
            network: new TestModel.FakeNetwork(),
            memory: new TestModel.FixedMemory());
        await client.StartAsync();
        await _bootstrap.NextAsync("bootstrap");
        await _bootstrap.NextAsync("bootstrap");
        Assert.Equal(Lwm2mClientState.Bootstrapping, client.Status.State);
        Assert.Contains("no Bootstrap-Finish", client.Status.Reason ?? string.Empty, StringComparison.Ordinal);
    }
}
