using System.Buffers;
using System.Text;
using System.Text.Json;
using ActiveGate.Coap.Messages;
using ActiveGate.Lwm2m.ContentFormats;
using ActiveGate.Lwm2m.Model;
using ActiveGate.Lwm2m.Objects;
using ActiveGate.Lwm2m.Registration;

namespace ActiveGate.Lwm2m.Tests.Registration;

/// <summary>The client against the scripted server over UDP loopback.</summary>
#pragma warning disable CA1001 // Disposed in DisposeAsync (IAsyncLifetime).
public sealed class Lwm2mClientTests : IAsyncLifetime
{
    private readonly string _stateDir = Path.Combine(Path.GetTempPath(), "ag-lwm2m-client-" + Guid.NewGuid().ToString("N"));
    private ScriptedLwm2mServer _server = null!;
    private Lwm2mClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = new ScriptedLwm2mServer();
        _client = CreateClient(new Lwm2mClientOptions { Endpoint = "urn:dev:test-1", ServerUri = _server.Uri });
        await _client.StartAsync();
        await _server.NextAsync("register");
        await WaitForAsync(() => _client.Status.State == Lwm2mClientState.Registered);
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
        if (Directory.Exists(_stateDir))
        {
            Directory.Delete(_stateDir, true);
        }
    }

    internal Lwm2mClient CreateClient(Lwm2mClientOptions options) => new(
        options with { WatchAddressChanges = false, Device = TestModel.Info, StateDirectory = options.StateDirectory ?? _stateDir },
        network: new TestModel.FakeNetwork(),
        memory: new TestModel.FixedMemory());

    internal static async Task WaitForAsync(Func<bool> condition, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20);
        }
    }

    private static Lwm2mRecord[] DecodeSenml(CoapResponse response, string path)
    {
        var codec = new Lwm2mCodec(new TestModel().Model);
        return codec.Decode((ushort)response.ContentFormat!.Value, response.Payload, Lwm2mPath.Parse(path)).ToArray();
    }

    [Fact]
    public async Task Register_carries_endpoint_lifetime_version_binding_and_links()
    {
        await _client.StopAsync();
        await _server.NextAsync("deregister");
        await using var client = CreateClient(new Lwm2mClientOptions { Endpoint = "urn:dev:test-2", ServerUri = _server.Uri, LifetimeSeconds = 120 });
        await client.StartAsync();
        var register = await _server.NextAsync("register");
        Assert.Equal(["ep=urn:dev:test-2", "lt=120", "lwm2m=1.1", "b=U"], register.Query);
        Assert.Equal(Lwm2mContentFormat.LinkFormat, register.ContentFormat);
        Assert.StartsWith("</>;rt=\"oma.lwm2m\";ct=110,</1>;ver=1.1,</1/0>,</3>;ver=1.2,</3/0>,</4>;ver=1.3,</4/0>", register.Payload, StringComparison.Ordinal);
        Assert.DoesNotContain("</0", register.Payload, StringComparison.Ordinal);
        await WaitForAsync(() => client.Status.State == Lwm2mClientState.Registered);
        Assert.StartsWith("/rd/c", client.Status.Location, StringComparison.Ordinal);
        Assert.NotNull(client.Status.NextUpdate);
    }

    [Fact]
    public async Task Server_reads_device_in_SenML_JSON_TLV_and_text()
    {
        var json = await _server.SendAsync(CoapCode.Get, "/3/0", accept: Lwm2mContentFormat.SenmlJson);
        Assert.Equal(CoapCode.Content, json.Code);
        Assert.Equal(Lwm2mContentFormat.SenmlJson, json.ContentFormat);
        using (var doc = JsonDocument.Parse(json.Payload))
        {
            Assert.Equal("/3/0/", doc.RootElement[0].GetProperty("bn").GetString());
            Assert.Equal("ActiveGate Labs", doc.RootElement[0].GetProperty("vs").GetString());
        }

        var tlv = await _server.SendAsync(CoapCode.Get, "/3/0", accept: Lwm2mContentFormat.Tlv);
        var records = DecodeSenml(tlv, "/3/0");
        Assert.Contains(records, r => r.Path == Lwm2mPath.Parse("/3/0/2") && r.Value.AsString() == "SN-0001");
        Assert.Contains(records, r => r.Path == Lwm2mPath.Parse("/3/0/16") && r.Value.AsString() == "UQ");

        var text = await _server.SendAsync(CoapCode.Get, "/3/0/3");
        Assert.Equal(Lwm2mContentFormat.PlainText, text.ContentFormat);
        Assert.Equal("1.2.3", text.PayloadAsString);

        var cbor = await _server.SendAsync(CoapCode.Get, "/4/0/4", accept: Lwm2mContentFormat.SenmlCbor);
        Assert.Equal(3, DecodeSenml(cbor, "/4/0/4").Length);
    }

    [Fact]
    public async Task Errors_are_4xx_with_reasons_and_the_client_keeps_serving()
    {
        Assert.Equal(CoapCode.Unauthorized, (await _server.SendAsync(CoapCode.Get, "/0/0")).Code);
        Assert.Equal(CoapCode.NotFound, (await _server.SendAsync(CoapCode.Get, "/3/7")).Code);
        Assert.Equal(CoapCode.NotFound, (await _server.SendAsync(CoapCode.Get, "/42")).Code);
        Assert.Equal(CoapCode.NotAcceptable, (await _server.SendAsync(CoapCode.Get, "/3/0", accept: 50)).Code);
        Assert.Equal(CoapCode.UnsupportedContentFormat, (await _server.SendAsync(CoapCode.Put, "/1/0/1", payload: "x"u8.ToArray(), contentFormat: 50)).Code);
        Assert.Equal(CoapCode.MethodNotAllowed, (await _server.SendAsync(CoapCode.Put, "/3/0/0", payload: "x"u8.ToArray(), contentFormat: 0)).Code);

        var badTlv = await _server.SendAsync(CoapCode.Put, "/1/0", payload: Convert.FromHexString("C805414243"), contentFormat: Lwm2mContentFormat.Tlv);
        Assert.Equal(CoapCode.BadRequest, badTlv.Code);
        Assert.Contains("TLV", badTlv.PayloadAsString, StringComparison.Ordinal);

        var deep = "[" + string.Concat(Enumerable.Repeat("[", 200)) + string.Concat(Enumerable.Repeat("]", 200)) + "]";
        var badJson = await _server.SendAsync(CoapCode.Put, "/1/0", payload: Encoding.UTF8.GetBytes(deep), contentFormat: Lwm2mContentFormat.SenmlJson);
        Assert.Equal(CoapCode.BadRequest, badJson.Code);

        var wrongType = await _server.SendAsync(CoapCode.Put, "/1/0", payload: """[{"bn":"/1/0/","n":"1","vs":"long"}]"""u8.ToArray(), contentFormat: Lwm2mContentFormat.SenmlJson);
        Assert.Equal(CoapCode.BadRequest, wrongType.Code);
        Assert.Contains("Integer", wrongType.PayloadAsString, StringComparison.Ordinal);

        var huge = await _server.SendAsync(CoapCode.Put, "/1/0", payload: new byte[300_000], contentFormat: Lwm2mContentFormat.SenmlCbor);
        Assert.Equal(CoapCode.BadRequest, huge.Code);

        Assert.True(_client.Status.MalformedRequests >= 3);
        Assert.Equal("1.2.3", (await _server.SendAsync(CoapCode.Get, "/3/0/3")).PayloadAsString);
        Assert.Equal(Lwm2mClientState.Registered, _client.Status.State);
    }

    [Fact]
    public async Task Writing_lifetime_triggers_an_Update_with_lt()
    {
        var write = await _server.SendAsync(CoapCode.Put, "/1/0/1", payload: "600"u8.ToArray(), contentFormat: Lwm2mContentFormat.PlainText);
        Assert.Equal(CoapCode.Changed, write.Code);
        var update = await _server.NextAsync("update");
        Assert.Equal(["lt=600"], update.Query);
        Assert.Equal(string.Empty, update.Payload);
        await WaitForAsync(() => _client.Status.LifetimeSeconds == 600);
    }

    [Fact]
    public async Task Execute_1_0_8_sends_an_Update_and_create_delete_send_links()
    {
        Assert.Equal(CoapCode.Changed, (await _server.SendAsync(CoapCode.Post, "/1/0/8")).Code);
        var update = await _server.NextAsync("update");
        Assert.Empty(update.Query);

        var create = await _server.SendAsync(CoapCode.Post, "/1", payload: """[{"bn":"/1/5/","n":"0","v":5},{"n":"1","v":60},{"n":"6","vb":true},{"n":"7","vs":"U"}]"""u8.ToArray(), contentFormat: Lwm2mContentFormat.SenmlJson);
        Assert.Equal(CoapCode.Created, create.Code);
        Assert.Equal(["1", "5"], create.LocationPath);
        var withLinks = await _server.NextAsync("update");
        Assert.Contains("</1/5>", withLinks.Payload, StringComparison.Ordinal);

        Assert.Equal(CoapCode.Deleted, (await _server.SendAsync(CoapCode.Delete, "/1/5")).Code);
        var afterDelete = await _server.NextAsync("update");
        Assert.DoesNotContain("</1/5>", afterDelete.Payload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_with_arguments_and_device_events()
    {
        int reboots = 0;
        _client.Device.RebootRequested += (_, _) => Interlocked.Increment(ref reboots);
        Assert.Equal(CoapCode.Changed, (await _server.SendAsync(CoapCode.Post, "/3/0/4", payload: "0='now'"u8.ToArray(), contentFormat: 0)).Code);
        Assert.Equal(1, reboots);
        Assert.Equal(CoapCode.BadRequest, (await _server.SendAsync(CoapCode.Post, "/3/0/4", payload: "0=now"u8.ToArray(), contentFormat: 0)).Code);
        Assert.Equal(1, reboots);
    }

    [Fact]
    public async Task Write_replace_and_partial_update_in_TLV_and_SenML_CBOR()
    {
        var codec = new Lwm2mCodec(_client.Model);
        var buffer = new ArrayBufferWriter<byte>();
        codec.Encode(Lwm2mContentFormat.Tlv, Lwm2mPath.Parse("/1/0"), [new(Lwm2mPath.Parse("/1/0/2"), Lwm2mValue.FromInteger(7))], buffer);
        Assert.Equal(CoapCode.Changed, (await _server.SendAsync(CoapCode.Post, "/1/0", payload: buffer.WrittenMemory.ToArray(), contentFormat: Lwm2mContentFormat.Tlv)).Code);
        Assert.Equal(7, _client.Server.GetServer(1)!.DefaultMinPeriod);
        Assert.Equal(300, _client.Server.GetServer(1)!.Lifetime.TotalSeconds);

        buffer.Clear();
        codec.Encode(Lwm2mContentFormat.SenmlCbor, Lwm2mPath.Parse("/1/0"), [new(Lwm2mPath.Parse("/1/0/1"), Lwm2mValue.FromInteger(300)), new(Lwm2mPath.Parse("/1/0/6"), Lwm2mValue.FromBoolean(false)), new(Lwm2mPath.Parse("/1/0/7"), Lwm2mValue.FromString("U"))], buffer);
        Assert.Equal(CoapCode.Changed, (await _server.SendAsync(CoapCode.Put, "/1/0", payload: buffer.WrittenMemory.ToArray(), contentFormat: Lwm2mContentFormat.SenmlCbor)).Code);
        Assert.Null(_client.Server.GetServer(1)!.DefaultMinPeriod);
    }

    [Fact]
    public async Task Discover_and_write_attributes()
    {
        _client.Device.GetInstance(0)!.SetValue(9, Lwm2mValue.FromInteger(80));
        Assert.Equal(CoapCode.Changed, (await _server.SendAsync(CoapCode.Put, "/3/0/9?pmin=1&pmax=5&gt=50")).Code);
        Assert.Equal(CoapCode.BadRequest, (await _server.SendAsync(CoapCode.Put, "/3/0/0?gt=5")).Code);
        Assert.Equal(CoapCode.NotFound, (await _server.SendAsync(CoapCode.Put, "/3/9?pmin=5")).Code);
        var discover = await _server.SendAsync(CoapCode.Get, "/3/0", accept: Lwm2mContentFormat.LinkFormat);
        Assert.Equal(Lwm2mContentFormat.LinkFormat, discover.ContentFormat);
        Assert.StartsWith("</3/0>,</3/0/0>", discover.PayloadAsString, StringComparison.Ordinal);
        Assert.Contains("</3/0/9>;pmin=1;pmax=5;gt=50,", discover.PayloadAsString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Observe_notifies_on_change_honours_gt_and_cancels()
    {
        _client.Device.GetInstance(0)!.SetValue(9, Lwm2mValue.FromInteger(40));
        Assert.Equal(CoapCode.Changed, (await _server.SendAsync(CoapCode.Put, "/3/0/9?gt=50")).Code);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var values = new List<string>();
        var observing = Task.Run(async () =>
        {
            await foreach (var n in _server.ObserveAsync("/3/0/9", Lwm2mContentFormat.PlainText, cts.Token))
            {
                lock (values)
                {
                    values.Add(n.PayloadAsString);
                }

                if (values.Count == 3)
                {
                    break;
                }
            }
        });
        await WaitForAsync(() => _client.Status.Observations.Count == 1);
        var battery = _client.Device.GetInstance(0)!;
        battery.SetValue(9, Lwm2mValue.FromInteger(45));   // below gt: no notification
        battery.SetValue(9, Lwm2mValue.FromInteger(60));   // crosses gt
        await WaitForAsync(() => { lock (values) { return values.Count >= 2; } });
        battery.SetValue(9, Lwm2mValue.FromInteger(20));   // crosses back
        await observing.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(["40", "60", "20"], values);
    }

    [Fact]
    public async Task An_observer_that_goes_away_is_dropped()
    {
        var battery = _client.Device.GetInstance(0)!;
        battery.SetValue(9, Lwm2mValue.FromInteger(10));
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await foreach (var n in _server.ObserveAsync("/3/0/9", Lwm2mContentFormat.PlainText, cts.Token))
            {
                Assert.Equal("10", n.PayloadAsString);
                break;   // the server forgets the observation: the next notification gets an RST or a cancel
            }
        }

        for (int i = 0; i < 50 && _client.Status.Observations.Count > 0; i++)
        {
            battery.SetValue(9, Lwm2mValue.FromInteger(11 + i));
            await Task.Delay(100);
        }

        Assert.Empty(_client.Status.Observations);
        Assert.Equal(Lwm2mClientState.Registered, _client.Status.State);
    }

    [Fact]
    public async Task Composite_read_returns_absolute_names()
    {
        var response = await _server.SendAsync(CoapCode.Fetch, "/", accept: Lwm2mContentFormat.SenmlJson, payload: """[{"n":"/3/0/0"},{"n":"/4/0/0"},{"n":"/3/0/99"}]"""u8.ToArray(), contentFormat: Lwm2mContentFormat.SenmlJson);
        Assert.Equal(CoapCode.Content, response.Code);
        Assert.Equal("""[{"n":"/3/0/0","vs":"ActiveGate Labs"},{"n":"/4/0/0","v":41}]""", response.PayloadAsString);
        var write = await _server.SendAsync(CoapCode.IPatch, "/", payload: """[{"n":"/1/0/2","v":3},{"n":"/3/0/15","vs":"Europe/Berlin"}]"""u8.ToArray(), contentFormat: Lwm2mContentFormat.SenmlJson);
        Assert.Equal(CoapCode.Changed, write.Code);
        Assert.Equal("Europe/Berlin", _client.Device.GetInstance(0)!.Current.GetString(15));
    }

    [Fact]
    public async Task Server_that_forgot_the_registration_gets_a_new_Register()
    {
        _server.ForgetRegistrations();
        _client.RequestUpdate();
        var update = await _server.NextAsync("update");
        Assert.Contains("</3/0>", update.Payload, StringComparison.Ordinal);
        await _server.NextAsync("register");
        await WaitForAsync(() => _client.Status.State == Lwm2mClientState.Registered && _client.Status.Registrations == 2);
    }

    [Fact]
    public async Task Stop_deregisters_and_server_written_config_survives_restart()
    {
        Assert.Equal(CoapCode.Changed, (await _server.SendAsync(CoapCode.Put, "/1/0/1", payload: "777"u8.ToArray(), contentFormat: 0)).Code);
        await _server.NextAsync("update");
        string location = _client.Status.Location!;
        await _client.StopAsync();
        var deregister = await _server.NextAsync("deregister");
        Assert.Equal(location, deregister.Path);
        Assert.Equal(Lwm2mClientState.Stopped, _client.Status.State);
        Assert.True(File.Exists(Path.Combine(_stateDir, "lwm2m-state.json")));

        await using var again = CreateClient(new Lwm2mClientOptions { Endpoint = "urn:dev:test-1", ServerUri = _server.Uri, LifetimeSeconds = 60 });
        await again.StartAsync();
        var register = await _server.NextAsync("register");
        Assert.Contains("lt=777", register.Query);
    }

    [Fact]
    public async Task Register_failure_backs_off_and_reports_the_reason()
    {
        await _client.StopAsync();
        _server.RegisterAnswer = CoapCode.Forbidden;
        await using var client = CreateClient(new Lwm2mClientOptions { Endpoint = "urn:dev:test-3", ServerUri = _server.Uri, RetryInitialDelay = TimeSpan.FromMilliseconds(100), RegistrationAttempts = 2, StateDirectory = _stateDir + "-3" });
        await client.StartAsync();
        await _server.NextAsync("register");
        await _server.NextAsync("register");
        await WaitForAsync(() => client.Status.State == Lwm2mClientState.Failed);
        Assert.Contains("4.03", client.Status.Reason, StringComparison.Ordinal);
        _server.RegisterAnswer = CoapCode.Created;
        await WaitForAsync(() => client.Status.State == Lwm2mClientState.Registered);
    }
}
