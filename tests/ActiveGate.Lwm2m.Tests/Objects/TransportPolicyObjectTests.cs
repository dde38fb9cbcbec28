using System.Text.Json;
using ActiveGate.Coap.Messages;
using ActiveGate.Lwm2m.ContentFormats;
using ActiveGate.Lwm2m.Model;
using ActiveGate.Lwm2m.Objects;
using ActiveGate.Lwm2m.Registration;
using ActiveGate.Lwm2m.Tests.Registration;

namespace ActiveGate.Lwm2m.Tests.Objects;

/// <summary>
/// The Transport Management Policy object end to end: a real <see cref="Lwm2mClient"/> registered at
/// the scripted server over loopback UDP, which writes, creates, deletes, reads and observes /26241.
/// </summary>
#pragma warning disable CA1001 // Disposed in DisposeAsync (IAsyncLifetime).
public sealed class TransportPolicyObjectTests : IAsyncLifetime
{
    private const int Obj = TransportPolicyObject.PolicyObjectId;

    private static readonly TransportPolicy s_initial = new("metering", "http", "10.0.0.5", 8080, "/id-in", "cse-in", "CActiveGate01", "3");

    private readonly string _stateDir = Path.Combine(Path.GetTempPath(), "ag-lwm2m-policy-" + Guid.NewGuid().ToString("N"));
    private readonly List<TransportPolicyWrittenEventArgs> _written = [];
    private readonly List<TransportPolicyDeletedEventArgs> _deleted = [];
    private ScriptedLwm2mServer _server = null!;
    private Lwm2mClient _client = null!;
    private TransportPolicyObject _policy = null!;

    public async Task InitializeAsync()
    {
        _server = new ScriptedLwm2mServer();
        _client = new Lwm2mClient(
            new Lwm2mClientOptions { Endpoint = "urn:dev:policy-1", ServerUri = _server.Uri, WatchAddressChanges = false, Device = TestModel.Info, StateDirectory = _stateDir },
            network: new TestModel.FakeNetwork(),
            memory: new TestModel.FixedMemory());
        _policy = _client.AddObject(new TransportPolicyObject());
        _policy.Show(0, s_initial);
        _policy.PolicyWritten += (_, e) =>
        {
            lock (_written)
            {
                _written.Add(e);
            }
        };
        _policy.PolicyDeleted += (_, e) =>
        {
            lock (_deleted)
            {
                _deleted.Add(e);
            }
        };
        await _client.StartAsync();
        await _server.WaitForRegistrationAsync();
        await Lwm2mClientTests.WaitForAsync(() => _client.Status.State == Lwm2mClientState.Registered);
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

    private TransportPolicyWrittenEventArgs[] Written()
    {
        lock (_written)
        {
            return _written.ToArray();
        }
    }

    private static Dictionary<int, WriteValue> Values(TransportPolicy p)
    {
        var values = new Dictionary<int, WriteValue>
        {
            [0] = p.ServiceName,
            [1] = p.Scheme,
            [2] = p.Address,
            [3] = p.Port,
            [4] = p.CseId,
            [5] = p.CseBaseName,
            [6] = p.Originator,
        };
        if (p.ReleaseVersion is { } rvi)
        {
            values[7] = rvi;
        }

        return values;
    }

    /// <summary>Reads /26241/i as SenML JSON and maps resource id → value text (independent JSON parsing).</summary>
    private async Task<Dictionary<int, string>> ReadInstanceAsync(int instanceId)
    {
        var response = await _server.ReadAsync($"/{Obj}/{instanceId}", Lwm2mContentFormat.SenmlJson);
        Assert.Equal(CoapCode.Content, response.Code);
        var values = new Dictionary<int, string>();
        string baseName = string.Empty;
        using var doc = JsonDocument.Parse(response.Payload);
        foreach (var record in doc.RootElement.EnumerateArray())
        {
            if (record.TryGetProperty("bn", out var bn))
            {
                baseName = bn.GetString()!;
            }

            string name = baseName + (record.TryGetProperty("n", out var n) ? n.GetString() : string.Empty);
            int id = int.Parse(name.Split('/', StringSplitOptions.RemoveEmptyEntries)[2]);
            values[id] = record.TryGetProperty("vs", out var vs) ? vs.GetString()! : record.GetProperty("v").GetRawText();
        }

        return values;
    }

    /// <summary>The next Update whose links match (an Update for the instance shown before Register may come first).</summary>
    private async Task NextUpdateAsync(Func<string, bool> links)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var update = await _server.NextAsync("update", deadline - DateTime.UtcNow);
            if (links(update.Payload))
            {
                return;
            }
        }
    }

    private async Task AssertUnchangedAsync(TransportPolicy expected)
    {
        Assert.Equal(expected, _policy.GetPolicy(0));
        var read = await ReadInstanceAsync(0);
        Assert.Equal(expected.ServiceName, read[0]);
        Assert.Equal(expected.Scheme, read[1]);
        Assert.Equal(expected.Address, read[2]);
        Assert.Equal(expected.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), read[3]);
        Assert.Equal(expected.CseId, read[4]);
        Assert.Equal(expected.ReleaseVersion, read.GetValueOrDefault(7));
        Assert.Empty(Written());
    }

    [Fact]
    public void Register_payload_announces_the_object_without_ver_because_it_is_version_1_0()
    {
        // An object with no instance is announced by its object link, one with instances by those (Core TS 6.2.1).
        var model = new Lwm2mDataModel();
        model.Add(new TransportPolicyObject());
        string empty = RegistrationPayload.Build(model, Lwm2mContentFormat.SenmlJson);
        Assert.Equal("</>;rt=\"oma.lwm2m\";ct=110,</26241>", empty);
    }

    [Fact]
    public async Task Register_payload_lists_the_instances_shown_at_start()
    {
        var register = await _server.WaitForRegistrationAsync();
        Assert.EndsWith(",</26241/0>", register.Payload, StringComparison.Ordinal);
        Assert.DoesNotContain("</26241>", register.Payload, StringComparison.Ordinal);
        Assert.DoesNotContain("ver=1.0", register.Payload, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(WriteFormat.Tlv)]
    [InlineData(WriteFormat.SenmlJson)]
    public async Task Writing_a_whole_instance_raises_PolicyWritten_once_with_the_full_policy(WriteFormat format)
    {
        var target = new TransportPolicy("metering", "coaps", "fd00::20", 5684, "/id-mn", "cse-mn", "CActiveGate02", "2a");
        var response = await _server.WriteInstanceAsync(Obj, 0, Values(target), format);
        Assert.Equal(CoapCode.Changed, response.Code);
        var e = Assert.Single(Written());
        Assert.Equal(0, e.InstanceId);
        Assert.Equal(target, e.Policy);
        Assert.True(e.Changed);
        Assert.False(e.Created);
        Assert.Equal(Lwm2mOrigin.DeviceManagement, e.Origin);
        Assert.Equal(target, _policy.GetPolicy(0));
        Assert.Equal(new Uri("coaps://[fd00::20]:5684/"), e.Policy.GetBaseUri());
        Assert.Equal("pending", (await _server.ReadAsync($"/{Obj}/0/8")).PayloadAsString);
    }

    [Fact]
    public async Task Replace_without_the_optional_release_version_removes_it()
    {
        var target = s_initial with { ReleaseVersion = null, Port = 8081 };
        Assert.Equal(CoapCode.Changed, (await _server.WriteInstanceAsync(Obj, 0, Values(target))).Code);
        Assert.Equal(target, Assert.Single(Written()).Policy);
        Assert.Equal(CoapCode.NotFound, (await _server.ReadAsync($"/{Obj}/0/7")).Code);
    }

    [Fact]
    public async Task Writing_only_the_port_raises_an_event_with_the_other_values_unchanged()
    {
        var put = await _server.WriteResourceAsync(Obj, 0, TransportPolicyObject.Port, 9090);
        Assert.Equal(CoapCode.Changed, put.Code);
        Assert.Equal(s_initial with { Port = 9090 }, Assert.Single(Written()).Policy);

        var partial = await _server.WriteInstanceAsync(Obj, 0, new Dictionary<int, WriteValue> { [3] = 9191 }, WriteFormat.Tlv, replace: false);
        Assert.Equal(CoapCode.Changed, partial.Code);
        Assert.Equal(s_initial with { Port = 9191 }, Written()[^1].Policy);
        Assert.Equal(2, Written().Length);
    }

    [Fact]
    public async Task Several_resources_in_one_write_give_one_event_and_rewriting_the_same_values_reports_no_change()
    {
        var partial = await _server.WriteInstanceAsync(Obj, 0, new Dictionary<int, WriteValue> { [2] = "platform.example.net", [3] = 443, [1] = "https" }, WriteFormat.SenmlJson, replace: false);
        Assert.Equal(CoapCode.Changed, partial.Code);
        var e = Assert.Single(Written());
        Assert.Equal(s_initial with { Scheme = "https", Address = "platform.example.net", Port = 443 }, e.Policy);

        // A retry of the same upstream still reaches the agent, marked as no change.
        Assert.Equal(CoapCode.Changed, (await _server.WriteResourceAsync(Obj, 0, TransportPolicyObject.Port, 443)).Code);
        Assert.False(Written()[^1].Changed);
    }

    [Theory]
    [InlineData(3, null, 0L, "Port")]
    [InlineData(3, null, 70000L, "Port")]
    [InlineData(3, null, -1L, "Port")]
    [InlineData(2, "", null, "Address")]
    [InlineData(2, "upstream host", null, "Address")]
    [InlineData(2, "10.0.0.256", null, "Address")]
    [InlineData(2, "[fd00::1]", null, "Address")]
    [InlineData(2, "-bad.example", null, "Address")]
    [InlineData(1, "ftp", null, "Scheme")]
    [InlineData(1, "HTTP", null, "Scheme")]
    [InlineData(4, "id-in", null, "CSE-ID")]
    [InlineData(4, "/", null, "CSE-ID")]
    [InlineData(5, "cse in", null, "CSEBase Name")]
    [InlineData(6, "C\u0001x", null, "Originator")]
    [InlineData(7, "three", null, "Release Version")]
    [InlineData(0, "", null, "Service Name")]
    public async Task Invalid_values_are_refused_with_the_reason_and_nothing_changes(int resourceId, string? text, long? number, string reasonMentions)
    {
        WriteValue value = text is not null ? text : number!.Value;
        // With a valid port beside it: the valid part must not be applied either.
        var update = new Dictionary<int, WriteValue> { [3] = 1234 };
        update[resourceId] = value;
        var partial = await _server.WriteInstanceAsync(Obj, 0, update, WriteFormat.Tlv, replace: false);
        Assert.Equal(CoapCode.BadRequest, partial.Code);
        Assert.Contains(reasonMentions, partial.PayloadAsString, StringComparison.Ordinal);

        // The same value in a whole-instance replace: nothing applied, not even the release version removal.
        var whole = Values(s_initial with { ReleaseVersion = null });
        whole[resourceId] = value;
        var replace = await _server.WriteInstanceAsync(Obj, 0, whole, WriteFormat.SenmlJson);
        Assert.Equal(CoapCode.BadRequest, replace.Code);
        Assert.Contains(reasonMentions, replace.PayloadAsString, StringComparison.Ordinal);

        await AssertUnchangedAsync(s_initial);
    }

    [Fact]
    public async Task A_replace_missing_a_mandatory_resource_is_refused()
    {
        var values = Values(s_initial);
        values.Remove(TransportPolicyObject.Originator);
        var response = await _server.WriteInstanceAsync(Obj, 0, values);
        Assert.Equal(CoapCode.BadRequest, response.Code);
        Assert.Contains("Originator", response.PayloadAsString, StringComparison.Ordinal);
        await AssertUnchangedAsync(s_initial);
    }

    [Fact]
    public async Task Read_only_status_resources_are_refused_for_server_writes()
    {
        var put = await _server.WriteResourceAsync(Obj, 0, TransportPolicyObject.State, "active");
        Assert.Equal(CoapCode.MethodNotAllowed, put.Code);
        var inReplace = Values(s_initial with { Port = 1 });
        inReplace[TransportPolicyObject.SwitchCount] = 5;
        Assert.Equal(CoapCode.MethodNotAllowed, (await _server.WriteInstanceAsync(Obj, 0, inReplace)).Code);
        Assert.Equal(CoapCode.MethodNotAllowed, (await _server.WriteCompositeAsync(new Dictionary<string, WriteValue> { [$"/{Obj}/0/3"] = 1, [$"/{Obj}/0/8"] = "active" })).Code);

        var create = Values(s_initial with { ServiceName = "other" });
        create[TransportPolicyObject.State] = "active";
        var created = await _server.CreateInstanceAsync(Obj, 1, create);
        Assert.Equal(CoapCode.BadRequest, created.Code);
        Assert.Contains("read-only", created.PayloadAsString, StringComparison.Ordinal);
        Assert.Equal(CoapCode.NotFound, (await _server.ReadAsync($"/{Obj}/1")).Code);
        Assert.Equal("pending", (await _server.ReadAsync($"/{Obj}/0/8")).PayloadAsString);
        await AssertUnchangedAsync(s_initial);
    }

    [Fact]
    public async Task Service_names_are_unique_across_instances()
    {
        var duplicate = await _server.CreateInstanceAsync(Obj, 1, Values(s_initial with { Port = 9000 }));
        Assert.Equal(CoapCode.BadRequest, duplicate.Code);
        Assert.Contains("already used by instance 0", duplicate.PayloadAsString, StringComparison.Ordinal);
        Assert.Equal(CoapCode.NotFound, (await _server.ReadAsync($"/{Obj}/1")).Code);

        Assert.Equal(CoapCode.Created, (await _server.CreateInstanceAsync(Obj, 1, Values(s_initial with { ServiceName = "alarms" }))).Code);
        var rename = await _server.WriteResourceAsync(Obj, 1, TransportPolicyObject.ServiceName, "metering");
        Assert.Equal(CoapCode.BadRequest, rename.Code);
        Assert.Equal("alarms", _policy.GetPolicy(1)!.ServiceName);

        // Two instances renamed to the same new name in one Write-Composite: each alone looks fine.
        var both = await _server.WriteCompositeAsync(new Dictionary<string, WriteValue> { [$"/{Obj}/0/0"] = "shared", [$"/{Obj}/1/0"] = "shared" });
        Assert.Equal(CoapCode.BadRequest, both.Code);
        Assert.Equal("metering", _policy.GetPolicy(0)!.ServiceName);

        // Swapping names in one transaction is fine, and each instance gets its event.
        var swap = await _server.WriteCompositeAsync(new Dictionary<string, WriteValue> { [$"/{Obj}/0/0"] = "alarms", [$"/{Obj}/1/0"] = "metering" });
        Assert.Equal(CoapCode.Changed, swap.Code);
        var events = Written();
        Assert.Equal(3, events.Length);   // the Create, then one per swapped instance
        Assert.Equal(["alarms", "metering"], events[1..].OrderBy(e => e.InstanceId).Select(e => e.Policy.ServiceName));

        Assert.Throws<ArgumentException>(() => _policy.Show(2, s_initial with { ServiceName = "alarms" }));
    }

    [Fact]
    public async Task Create_raises_PolicyWritten_and_Delete_raises_PolicyDeleted_with_registration_updates()
    {
        var second = new TransportPolicy("alarms", "coap", "alarms.example.org", 5683, "/id-in", "cse-in", "CActiveGate01", null);
        var created = await _server.CreateInstanceAsync(Obj, null, Values(second));
        Assert.Equal(CoapCode.Created, created.Code);
        Assert.Equal(["26241", "1"], created.LocationPath);
        var e = Assert.Single(Written());
        Assert.Equal((1, second, true), (e.InstanceId, e.Policy, e.Created));
        await NextUpdateAsync(links => links.Contains("</26241/1>", StringComparison.Ordinal));
        Assert.Equal([0, 1], _policy.InstanceIds);

        Assert.Equal(CoapCode.Deleted, (await _server.DeleteInstanceAsync(Obj, 1)).Code);
        lock (_deleted)
        {
            Assert.Equal(1, Assert.Single(_deleted).InstanceId);
        }

        Assert.Null(_policy.GetPolicy(1));
        await NextUpdateAsync(links => links.Contains("</26241/0>", StringComparison.Ordinal) && !links.Contains("</26241/1>", StringComparison.Ordinal));
        Assert.Equal(CoapCode.NotFound, (await _server.DeleteInstanceAsync(Obj, 1)).Code);
        Assert.Single(_deleted);
    }

    [Fact]
    public async Task Create_in_SenML_JSON_with_an_explicit_instance_id()
    {
        var created = await _server.CreateInstanceAsync(Obj, 7, Values(s_initial with { ServiceName = "billing" }), WriteFormat.SenmlJson);
        Assert.Equal(CoapCode.Created, created.Code);
        Assert.Equal(7, Assert.Single(Written()).InstanceId);
        Assert.Equal("billing", (await ReadInstanceAsync(7))[0]);
    }

    [Fact]
    public async Task Show_is_what_a_server_reads_and_raises_no_event()
    {
        var inForce = new TransportPolicy("metering", "https", "2001:db8::7", 8443, "/id-cloud", "cse-cloud", "/id-in/CActiveGate01", null);
        _policy.Show(0, inForce);
        var read = await ReadInstanceAsync(0);
        Assert.Equal(["metering", "https", "2001:db8::7", "8443", "/id-cloud", "cse-cloud", "/id-in/CActiveGate01", "pending", "0", "0"], read.OrderBy(kv => kv.Key).Select(kv => kv.Value));
        Assert.False(read.ContainsKey(7));
        _policy.Show(3, inForce with { ServiceName = "alarms" });
        Assert.Equal("alarms", (await ReadInstanceAsync(3))[0]);
        _policy.Remove(3);
        Assert.Equal(CoapCode.NotFound, (await _server.ReadAsync($"/{Obj}/3")).Code);
        Assert.Empty(Written());
        lock (_deleted)
        {
            Assert.Empty(_deleted);
        }

        Assert.Throws<ArgumentException>(() => _policy.Show(0, inForce with { Port = 0 }));
        Assert.Equal(inForce, _policy.GetPolicy(0));
    }

    [Fact]
    public async Task ReportStatus_notifies_an_observer_of_the_state()
    {
        await using var state = await _server.StartObserveAsync($"/{Obj}/0/8", Lwm2mContentFormat.PlainText);
        Assert.Equal(CoapCode.Content, state.First.Code);
        Assert.Equal("pending", state.First.PayloadAsString);

        _policy.ReportStatus(0, new TransportPolicyStatus(TransportPolicyState.Preparing, null, null, 0, 0));
        Assert.Equal("preparing", (await state.NextAsync()).PayloadAsString);
        _policy.ReportStatus(0, new TransportPolicyStatus(TransportPolicyState.Active, "switched", 420, 17, 1));
        Assert.Equal("active", (await state.NextAsync()).PayloadAsString);

        var read = await ReadInstanceAsync(0);
        Assert.Equal(("switched", "420", "17", "1"), (read[9], read[10], read[11], read[12]));

        // Counters only: the state observer hears nothing.
        _policy.ReportStatus(0, new TransportPolicyStatus(TransportPolicyState.Active, "switched", 420, 18, 1));
        await Task.Delay(300);
        Assert.False(state.TryNext(out _));
        Assert.Equal("18", (await _server.ReadAsync($"/{Obj}/0/11")).PayloadAsString);

        // A server write sets the state back to pending until the agent reports again.
        Assert.Equal(CoapCode.Changed, (await _server.WriteResourceAsync(Obj, 0, TransportPolicyObject.Port, 8090)).Code);
        Assert.Equal("pending", (await state.NextAsync()).PayloadAsString);
        Assert.Equal(18, _policy.GetStatus(0)!.ReadingsDelivered);

        // A status for an instance that does not exist is dropped.
        _policy.ReportStatus(9, new TransportPolicyStatus(TransportPolicyState.Failed, "gone", null, 0, 0));
        Assert.Null(_policy.GetStatus(9));
    }

    [Fact]
    public async Task Garbage_is_refused_and_leaves_the_policy_and_the_client_intact()
    {
        // TLV: three bytes of text where the model wants an integer (1, 2, 4 or 8 bytes).
        var wrongType = await _server.WriteInstanceAsync(Obj, 0, new Dictionary<int, WriteValue> { [3] = WriteValue.Raw("abc"u8.ToArray()) }, WriteFormat.Tlv, replace: false);
        Assert.Equal(CoapCode.BadRequest, wrongType.Code);
        Assert.Contains("integer", wrongType.PayloadAsString, StringComparison.OrdinalIgnoreCase);

        // TLV: an integer of 9 bytes does not exist.
        var nineBytes = await _server.WriteResourceAsync(Obj, 0, TransportPolicyObject.Port, WriteValue.Raw(new byte[9]), WriteFormat.Tlv);
        Assert.Equal(CoapCode.BadRequest, nineBytes.Code);

        // A 10 KB string, as TLV (16-bit length) and as text.
        string huge = new('a', 10 * 1024);
        Assert.Equal(CoapCode.BadRequest, (await _server.WriteInstanceAsync(Obj, 0, new Dictionary<int, WriteValue> { [2] = huge }, WriteFormat.Tlv, replace: false)).Code);
        Assert.Equal(CoapCode.BadRequest, (await _server.WriteResourceAsync(Obj, 0, TransportPolicyObject.ServiceName, huge)).Code);

        // Bytes that are not UTF-8, in text, TLV and SenML JSON.
        byte[] notUtf8 = [0x6D, 0xC3, 0x28, 0xFF];
        Assert.Equal(CoapCode.BadRequest, (await _server.WriteResourceAsync(Obj, 0, TransportPolicyObject.ServiceName, WriteValue.Raw(notUtf8))).Code);
        Assert.Equal(CoapCode.BadRequest, (await _server.WriteInstanceAsync(Obj, 0, new Dictionary<int, WriteValue> { [0] = WriteValue.Raw(notUtf8) }, WriteFormat.Tlv, replace: false)).Code);
        byte[] senml = [.. "[{\"bn\":\"/26241/0/\",\"n\":\"0\",\"vs\":\""u8, .. notUtf8, .. "\"}]"u8];
        Assert.Equal(CoapCode.BadRequest, (await _server.SendAsync(CoapCode.Post, $"/{Obj}/0", payload: senml, contentFormat: Lwm2mContentFormat.SenmlJson)).Code);

        // Truncated TLV and a resource id the object does not have.
        Assert.Equal(CoapCode.BadRequest, (await _server.SendAsync(CoapCode.Post, $"/{Obj}/0", payload: new byte[] { 0xC8, 0x02, 0x10, 0x41 }, contentFormat: Lwm2mContentFormat.Tlv)).Code);
        Assert.Equal(CoapCode.NotFound, (await _server.WriteInstanceAsync(Obj, 0, new Dictionary<int, WriteValue> { [42] = "x" }, WriteFormat.Tlv, replace: false)).Code);

        await AssertUnchangedAsync(s_initial);
        Assert.Equal(Lwm2mClientState.Registered, _client.Status.State);
        Assert.Equal(CoapCode.Changed, (await _server.WriteResourceAsync(Obj, 0, TransportPolicyObject.Port, 8081)).Code);
        Assert.Equal(8081, _policy.GetPolicy(0)!.Port);
    }

    [Fact]
    public async Task The_object_is_not_persisted_in_the_LwM2M_state_store()
    {
        Assert.False(_policy.Persistent);
        Assert.Equal(CoapCode.Changed, (await _server.WriteResourceAsync(Obj, 0, TransportPolicyObject.Port, 9999)).Code);
        Assert.Equal(CoapCode.Changed, (await _server.WriteResourceAsync(1, 0, 1, 700)).Code);   // a persistent write, so the file exists
        await _client.StopAsync();
        using var state = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(_stateDir, "lwm2m-state.json")));
        var saved = state.RootElement.GetProperty("objects").EnumerateArray().Select(o => o.GetProperty("id").GetInt32()).ToArray();
        Assert.Contains(1, saved);
        Assert.DoesNotContain(Obj, saved);
    }

    [Fact]
    public void Bootstrap_delete_of_everything_removes_the_instances_and_says_so()
    {
        // Documents the behaviour: a re-bootstrap that deletes "/" takes the shown policy away (Origin Bootstrap);
        // the agent decides whether to show the policy in force again.
        var model = new Lwm2mDataModel();
        var policy = model.Add(new TransportPolicyObject());
        policy.Show(0, s_initial);
        var deleted = new List<(int, Lwm2mOrigin)>();
        policy.PolicyDeleted += (_, e) => deleted.Add((e.InstanceId, e.Origin));
        model.Delete(Lwm2mPath.Root, Lwm2mOrigin.Bootstrap);
        Assert.Equal([(0, Lwm2mOrigin.Bootstrap)], deleted);
        Assert.Empty(policy.InstanceIds);
    }

    [Fact]
    public void A_refused_transaction_over_several_instances_applies_nothing()
    {
        var model = new Lwm2mDataModel();
        var policy = model.Add(new TransportPolicyObject());
        policy.Show(0, s_initial);
        policy.Show(1, s_initial with { ServiceName = "alarms" });
        int commits = 0;
        policy.Committed += (_, _) => commits++;
        using (var transaction = model.BeginTransaction(Lwm2mOrigin.DeviceManagement))
        {
            transaction.Write(new Lwm2mPath(Obj, 1), [new(new Lwm2mPath(Obj, 1, 3), Lwm2mValue.FromInteger(1111))], WriteMode.PartialUpdate);
            transaction.Write(new Lwm2mPath(Obj, 0), [new(new Lwm2mPath(Obj, 0, 0), Lwm2mValue.FromString("alarms"))], WriteMode.PartialUpdate);
            var refused = Assert.Throws<Lwm2mException>(() => transaction.Commit());
            Assert.Equal(Lwm2mStatus.BadRequest, refused.Status);
        }

        Assert.Equal(s_initial, policy.GetPolicy(0));
        Assert.Equal(8080, policy.GetPolicy(1)!.Port);
        Assert.Equal(0, commits);
    }

    [Fact]
    public void Status_text_covers_every_state() =>
        Assert.Equal(["pending", "preparing", "active", "failed"], Enum.GetValues<TransportPolicyState>().Select(TransportPolicyObject.StateText));

    [Fact]
    public void Show_needs_the_object_in_a_model()
    {
        var alone = new TransportPolicyObject();
        Assert.Throws<InvalidOperationException>(() => alone.Show(0, s_initial));
    }
}
