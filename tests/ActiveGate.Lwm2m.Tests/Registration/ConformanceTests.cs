using System.Collections.Concurrent;
using System.Net;
using System.Text;
using ActiveGate.Coap;
using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Lwm2m.ContentFormats;
using ActiveGate.Lwm2m.Registration;
using Microsoft.Extensions.Logging;

namespace ActiveGate.Lwm2m.Tests.Registration;

/// <summary>
/// Conformance defects found against an independent server (issue 12), each driven on the wire by
/// the scripted server: Execute status codes, Bootstrap-Delete, the bootstrap trigger without a
/// bootstrap account, serving only the registered server, the observation bound, clearing
/// thresholds, announced object versions and method names in the log.
/// </summary>
public sealed class ConformanceTests : IAsyncDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ag-lwm2m-conf-" + Guid.NewGuid().ToString("N"));
    private readonly ScriptedLwm2mServer _server = new();
    private readonly ScriptedLwm2mServer _bootstrap = new();
    private readonly CapturingLoggerFactory _logs = new();

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _bootstrap.DisposeAsync();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, true);
        }
    }

    private Lwm2mClient Client(Lwm2mClientOptions options, TimeSpan? bootstrapTimeout = null) => new(
        options with { Endpoint = "urn:dev:conformance", WatchAddressChanges = false, Device = TestModel.Info, StateDirectory = _dir, RetryInitialDelay = TimeSpan.FromMilliseconds(100), BootstrapTimeout = bootstrapTimeout ?? TimeSpan.FromSeconds(20) },
        loggerFactory: _logs,
        network: new TestModel.FakeNetwork(),
        memory: new TestModel.FixedMemory());

    private async Task<Lwm2mClient> RegisteredAsync(Lwm2mClientOptions? options = null)
    {
        var client = Client((options ?? new Lwm2mClientOptions()) with { ServerUri = _server.Uri });
        await client.StartAsync();
        await _server.NextAsync("register");
        await Lwm2mClientTests.WaitForAsync(() => client.Status.State == Lwm2mClientState.Registered);
        return client;
    }

    [Fact]
    public async Task Execute_on_a_resource_that_is_not_executable_is_405_and_on_a_missing_one_404()
    {
        await using var client = await RegisteredAsync();
        var readable = await _server.SendAsync(CoapCode.Post, "/3/0/0");            // Manufacturer: R only
        Assert.Equal(CoapCode.MethodNotAllowed, readable.Code);
        Assert.Contains("not executable", readable.PayloadAsString, StringComparison.Ordinal);
        Assert.Equal(CoapCode.MethodNotAllowed, (await _server.SendAsync(CoapCode.Post, "/1/0/1")).Code);   // Lifetime: RW
        Assert.Equal(CoapCode.NotFound, (await _server.SendAsync(CoapCode.Post, "/3/0/999")).Code);        // no such resource
        Assert.Equal(CoapCode.NotFound, (await _server.SendAsync(CoapCode.Post, "/3/7/4")).Code);          // no such instance
        Assert.Equal(CoapCode.NotFound, (await _server.SendAsync(CoapCode.Post, "/1/9/8")).Code);
        Assert.Equal(CoapCode.Changed, (await _server.SendAsync(CoapCode.Post, "/1/0/8")).Code);           // executable still executes
        await _server.NextAsync("update");
    }

    /// <summary>
    /// Delete of / or /0 and then what an independent bootstrap server writes. Wakaama's numbers the
    /// Security instances by Short Server ID and so writes the management account to /0/1, where the
    /// factory bootstrap account lives; Leshan-style servers pick a free id (5 here).
    /// </summary>
    [Theory]
    [InlineData("/", 1)]
    [InlineData("/0", 1)]
    [InlineData("/", 5)]
    [InlineData("/0", 5)]
    public async Task Bootstrap_Delete_keeps_the_bootstrap_account_and_a_later_trigger_bootstraps_again(string target, int securityInstance)
    {
        await using var client = Client(new Lwm2mClientOptions { BootstrapUri = _bootstrap.Uri });
        await client.StartAsync();
        await _bootstrap.NextAsync("bootstrap");
        Assert.Equal(CoapCode.Deleted, (await _bootstrap.SendAsync(CoapCode.Delete, target)).Code);
        Assert.NotNull(client.Security.BootstrapAccount);
        var discover = await _bootstrap.SendAsync(CoapCode.Get, "/0", accept: Lwm2mContentFormat.LinkFormat);
        Assert.Contains(";uri=\"" + _bootstrap.Uri, discover.PayloadAsString, StringComparison.Ordinal);

        await ProvisionAsync(securityInstance);
        await _server.NextAsync("register");
        await Lwm2mClientTests.WaitForAsync(() => client.Status.State == Lwm2mClientState.Registered);
        Assert.Equal(_bootstrap.Uri, client.Security.BootstrapAccount?.ServerUri);
        Assert.Equal(_server.Uri, client.Security.ServerAccount(7)?.ServerUri);
        Assert.Equal(CoapCode.Changed, (await _server.SendAsync(CoapCode.Post, "/1/0/9")).Code);
        await _bootstrap.NextAsync("bootstrap");
        Assert.NotEqual(Lwm2mClientState.Failed, client.Status.State);
    }

    /// <summary>What a bootstrap server writes after its Delete: the management account, /1, Finish.</summary>
    private async Task ProvisionAsync(int securityInstance)
    {
        var account = Encoding.UTF8.GetBytes($$"""[{"bn":"/0/{{securityInstance}}/","n":"0","vs":"{{_server.Uri}}"},{"n":"1","vb":false},{"n":"2","v":3},{"n":"10","v":7}]""");
        Assert.Equal(CoapCode.Changed, (await _bootstrap.SendAsync(CoapCode.Put, $"/0/{securityInstance}", payload: account, contentFormat: Lwm2mContentFormat.SenmlJson)).Code);
        var server = Encoding.UTF8.GetBytes("""[{"bn":"/1/0/","n":"0","v":7},{"n":"1","v":120},{"n":"6","vb":false},{"n":"7","vs":"U"}]""");
        Assert.Equal(CoapCode.Changed, (await _bootstrap.SendAsync(CoapCode.Put, "/1/0", payload: server, contentFormat: Lwm2mContentFormat.SenmlJson)).Code);
        Assert.Equal(CoapCode.Changed, (await _bootstrap.SendAsync(CoapCode.Post, "/bs")).Code);
    }

    [Fact]
    public async Task Bootstrap_trigger_without_a_bootstrap_account_is_refused_and_the_client_stays_registered()
    {
        await using var client = await RegisteredAsync();
        var trigger = await _server.SendAsync(CoapCode.Post, "/1/0/9");
        Assert.Equal(CoapCode.MethodNotAllowed, trigger.Code);
        Assert.Contains("Bootstrap-Server account", trigger.PayloadAsString, StringComparison.Ordinal);
        await Task.Delay(300);
        Assert.Equal(Lwm2mClientState.Registered, client.Status.State);
        Assert.Equal(CoapCode.Content, (await _server.ReadAsync("/3/0/0")).Code);
        Assert.False(_server.TryNext(out var e) && e!.Kind == "deregister");
    }

    [Fact]
    public async Task A_bootstrap_the_server_triggered_that_fails_goes_back_to_the_server_it_had()
    {
        await using var client = Client(new Lwm2mClientOptions { ServerUri = _server.Uri, BootstrapUri = _bootstrap.Uri }, bootstrapTimeout: TimeSpan.FromMilliseconds(500));
        await client.StartAsync();
        await _server.NextAsync("register");
        await Lwm2mClientTests.WaitForAsync(() => client.Status.State == Lwm2mClientState.Registered);
        Assert.Equal(CoapCode.Changed, (await _server.SendAsync(CoapCode.Post, "/1/0/9")).Code);
        await _bootstrap.NextAsync("bootstrap");                 // the bootstrap server never finishes
        await _server.NextAsync("register");                     // so the client returns to its server
        await Lwm2mClientTests.WaitForAsync(() => client.Status.State == Lwm2mClientState.Registered);
        Assert.Equal(_server.Uri, client.Status.ServerUri);
    }

    [Fact]
    public async Task Requests_from_another_address_or_port_are_not_answered_and_are_counted()
    {
        await using var client = await RegisteredAsync();
        var port = ((IPEndPoint)client.LocalEndPoint!).Port;
        await using (var stranger = new CoapClient(new CoapClientOptions { RequestTimeout = TimeSpan.FromSeconds(1.5) }))
        {
            var read = new CoapRequest(CoapCode.Get, new Uri($"coap://127.0.0.1:{port}/3/0"));
            await Assert.ThrowsAsync<CoapTimeoutException>(() => stranger.SendAsync(read));
            var reboot = new CoapRequest(CoapCode.Post, new Uri($"coap://127.0.0.1:{port}/3/0/4"));
            await Assert.ThrowsAsync<CoapTimeoutException>(() => stranger.SendAsync(reboot));
        }

        Assert.True(client.Status.IgnoredRequests >= 2, $"ignored {client.Status.IgnoredRequests}");
        Assert.Equal(CoapCode.Content, (await _server.ReadAsync("/3/0/0")).Code);   // the server itself is still served
        Assert.Equal(Lwm2mClientState.Registered, client.Status.State);
    }

    [Fact]
    public async Task Observations_beyond_the_bound_are_refused_with_5_03()
    {
        await using var client = await RegisteredAsync(new Lwm2mClientOptions { MaxObservations = 2 });
        await using var first = await _server.StartObserveAsync("/3/0/13");
        await using var second = await _server.StartObserveAsync("/3/0/10");
        Assert.Equal(CoapCode.Content, first.First.Code);
        Assert.Equal(CoapCode.Content, second.First.Code);
        await using var third = await _server.StartObserveAsync("/4/0/2");
        Assert.Equal(CoapCode.ServiceUnavailable, third.First.Code);
        Assert.Contains("observations", third.First.PayloadAsString, StringComparison.Ordinal);
        Assert.Equal(2, client.Status.Observations.Count);
    }

    [Theory]
    [InlineData("/3/0/13?gt")]      // Current Time (Time)
    [InlineData("/3/0/0?lt")]       // Manufacturer (String)
    [InlineData("/3/0/13?st&pmin=5")]
    [InlineData("/3?gt&lt&st")]     // object level
    [InlineData("/3/0?st")]         // instance level
    public async Task Write_Attributes_that_clear_thresholds_are_always_allowed(string target)
    {
        await using var client = await RegisteredAsync();
        var response = await _server.SendAsync(CoapCode.Put, target);
        Assert.True(response.Code == CoapCode.Changed, $"{target}: {response.Code} {response.PayloadAsString}");
    }

    [Fact]
    public async Task Write_Attributes_that_set_thresholds_stay_type_checked()
    {
        await using var client = await RegisteredAsync();
        Assert.Equal(CoapCode.BadRequest, (await _server.SendAsync(CoapCode.Put, "/3/0/0?gt=5")).Code);
        Assert.Equal(CoapCode.BadRequest, (await _server.SendAsync(CoapCode.Put, "/3?lt=1")).Code);
        Assert.Equal(CoapCode.Changed, (await _server.SendAsync(CoapCode.Put, "/3/0/10?gt=50")).Code);
    }

    [Fact]
    public async Task Core_objects_are_announced_at_the_registered_LwM2M_version()
    {
        await using var client = await RegisteredAsync();
        var register = _server.LastRegistration!;
        Assert.Contains("lwm2m=1.1", register.Query);
        Assert.Contains("</1>;ver=1.1,", register.Payload, StringComparison.Ordinal);
        Assert.DoesNotContain("</1>;ver=1.2", register.Payload, StringComparison.Ordinal);
        var discover = await _server.SendAsync(CoapCode.Get, "/1", accept: Lwm2mContentFormat.LinkFormat);
        Assert.StartsWith("</1>;ver=1.1,", discover.PayloadAsString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_log_names_CoAP_methods()
    {
        await using var client = await RegisteredAsync();
        var malformed = await _server.SendAsync(CoapCode.Put, "/1/0/1", payload: "x"u8.ToArray());
        Assert.Equal(CoapCode.BadRequest, malformed.Code);
        var line = _logs.Lines.FirstOrDefault(l => l.Contains("Rejected malformed", StringComparison.Ordinal));
        Assert.NotNull(line);
        Assert.Contains("PUT 1/0/1", line, StringComparison.Ordinal);
        Assert.DoesNotContain("0.03", line, StringComparison.Ordinal);
    }

    /// <summary>
    /// Server-written state wins over the configuration until a reset, and the client says so: the
    /// status names the server it is trying (not null), the override is logged with both values, and
    /// a reset registers with the configured server.
    /// </summary>
    [Fact]
    public async Task Server_written_state_wins_over_a_changed_ServerUri_until_reset_and_the_status_says_so()
    {
        await using (var first = await RegisteredAsync())
        {
            Assert.Equal(CoapCode.Changed, (await _server.WriteResourceAsync(1, 0, 1, 77)).Code);   // the server writes /1
            await _server.NextAsync("update");
            await Lwm2mClientTests.WaitForAsync(() => first.Status.Updates >= 1);   // the Update's answer arrived: stop after it
        }

        await using var other = new ScriptedLwm2mServer();
        _server.RegisterAnswer = CoapCode.ServiceUnavailable;   // the old server is down for now
        await using var client = Client(new Lwm2mClientOptions { ServerUri = other.Uri });
        await client.StartAsync();
        await _server.NextAsync("register");
        Assert.Equal(_server.Uri, client.Status.ServerUri);     // the server it tries, not null, not the configured one
        Assert.Equal(Lwm2mStateSource.ServerWritten, client.StateSource);
        Assert.Contains(new Lwm2mConfigurationOverride("Lwm2m:ServerUri", other.Uri.ToString(), _server.Uri.ToString()), client.Overrides);
        Assert.Contains(new Lwm2mConfigurationOverride("Lwm2m:Lifetime", "300", "77"), client.Overrides);
        Assert.Contains(_logs.Lines, l => l.Contains(other.Uri.ToString(), StringComparison.Ordinal) && l.Contains(_server.Uri.ToString(), StringComparison.Ordinal));

        await client.ResetToConfigurationAsync();
        var register = await other.NextAsync("register");
        Assert.Contains("lt=300", register.Query);
        await Lwm2mClientTests.WaitForAsync(() => client.Status.State == Lwm2mClientState.Registered);
        Assert.Equal(other.Uri, client.Status.ServerUri);
        Assert.Equal(Lwm2mStateSource.Configuration, client.StateSource);
        Assert.Empty(client.Overrides);
        Assert.False(File.Exists(Path.Combine(_dir, "lwm2m-state.json")));
    }

    private sealed class CapturingLoggerFactory : ILoggerFactory, ILogger
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception));

        public void Dispose()
        {
        }
    }
}
