using System.Text;
using ActiveGate.Coap.Messages;
using ActiveGate.OneM2m.Coap;
using ActiveGate.OneM2m.Primitives;
using ActiveGate.OneM2m.Resources;
using ActiveGate.OneM2m.Upstream;
using ActiveGate.TestKit.OneM2m;

namespace ActiveGate.OneM2m.Tests.Coap;

/// <summary>The CoAP binding against the test CSE's CoAP front: the same tree and strictness as over HTTP.</summary>
public sealed class CoapBindingTests
{
    private static ApplicationEntity Ae(string rn = "ActiveGate01") => new()
    {
        ResourceName = rn,
        AppId = "Nodroid.activegate",
        RequestReachability = false,
        SupportedReleaseVersions = ["3"],
    };

    /// <summary>RETRIEVE of the CSEBase as the admin (AEs may not read it, as on ACME).</summary>
    internal static Task<ResponsePrimitive> Ping(OneM2mClient client, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => client.SendAsync(ep => new RequestPrimitive { Operation = Operation.Retrieve, To = ep.CseBaseName, From = "CAdmin", Timeout = timeout }, cancellationToken);

    [Theory]
    [InlineData("cse-in/AE/cnt", new[] { "cse-in", "AE", "cnt" })]
    [InlineData("/id-in/Cxyz", new[] { "~", "id-in", "Cxyz" })]
    [InlineData("//sp.example/id-in/cnt1", new[] { "_", "sp.example", "id-in", "cnt1" })]
    [InlineData("cse-in/a b", new[] { "cse-in", "a b" })]
    public void To_maps_to_uri_path_segments(string to, string[] segments)
        => Assert.Equal(segments, CoapBinding.ToUriPath(to));

    [Fact]
    public void Message_carries_onem2m_options_uri_query_and_json_formats()
    {
        var endpoint = new UpstreamEndpoint(new Uri("coap://cse.example:5699/base/"), "/id-in", "cse-in", "Cgw");
        CoapMessage create = CoapBinding.BuildMessage(endpoint, new RequestPrimitive
        {
            Operation = Operation.Create,
            To = "cse-in/AE",
            ResourceType = ResourceType.ContentInstance,
            ResultContent = ResultContent.Nothing,
            Query = [new("ty", "2+3")],
            Content = "{}"u8.ToArray(),
        }, "rq1");
        Assert.Equal(CoapCode.Post, create.Code);
        Assert.Equal("cse.example", create.Options.GetString(CoapOptionNumber.UriHost));
        Assert.Equal(["base", "cse-in", "AE"], create.UriPathSegments);
        Assert.Equal(["rcn=0", "ty=2+3"], create.UriQuery);
        Assert.Equal(4u, create.Options.GetUInt(OneM2mCoapOption.ResourceType));
        Assert.Equal("Cgw", create.Options.GetString(OneM2mCoapOption.From));
        Assert.Equal("rq1", create.Options.GetString(OneM2mCoapOption.RequestIdentifier));
        Assert.Equal("3", create.Options.GetString(OneM2mCoapOption.ReleaseVersion));
        Assert.Equal(50, create.ContentFormat);
        Assert.Equal(50, create.Accept);

        // NOTIFY is a POST without TY; RETRIEVE has neither TY nor a body.
        CoapMessage notify = CoapBinding.BuildMessage(endpoint, new RequestPrimitive { Operation = Operation.Notify, To = "/id-in/Cgw", Content = "{}"u8.ToArray() }, "rq2");
        Assert.Equal(CoapCode.Post, notify.Code);
        Assert.False(notify.Options.Contains(OneM2mCoapOption.ResourceType));
        CoapMessage get = CoapBinding.BuildMessage(endpoint, new RequestPrimitive { Operation = Operation.Retrieve, To = "cse-in" }, "rq3");
        Assert.Equal(CoapCode.Get, get.Code);
        Assert.Null(get.ContentFormat);
        Assert.True(get.Payload.IsEmpty);
    }

    [Theory]
    [InlineData(2, 1, Operation.Create, ResponseStatusCode.Created)]
    [InlineData(2, 2, Operation.Delete, ResponseStatusCode.Deleted)]
    [InlineData(2, 4, Operation.Update, ResponseStatusCode.Updated)]
    [InlineData(2, 5, Operation.Retrieve, ResponseStatusCode.Ok)]
    [InlineData(4, 4, Operation.Retrieve, ResponseStatusCode.NotFound)]
    [InlineData(4, 3, Operation.Create, ResponseStatusCode.OriginatorHasNoPrivilege)]
    [InlineData(4, 2, Operation.Create, ResponseStatusCode.BadRequest)]
    [InlineData(5, 4, Operation.Retrieve, ResponseStatusCode.RequestTimeout)]
    [InlineData(5, 0, Operation.Retrieve, ResponseStatusCode.InternalServerError)]
    public void Coap_code_maps_to_rsc_when_307_is_absent(int cls, int detail, Operation op, ResponseStatusCode rsc)
        => Assert.Equal(rsc, CoapBinding.FromCoapCode(new CoapCode(cls, detail), op));

    [Fact]
    public async Task Create_sends_onem2m_options_that_the_cse_front_reads()
    {
        await using var f = new CoapCseFixture();
        ResponsePrimitive r = await f.Client.CreateAeAsync(Ae());
        Assert.Equal(ResponseStatusCode.Created, r.StatusCode);
        Assert.Equal(201, r.TransportStatus);
        Assert.Equal("3", r.ReleaseVersion);
        Assert.Equal("Cactivegate01", r.ReadResource(ApplicationEntity.RootKey, OneM2mJsonContext.Default.ApplicationEntity)?.AeId);

        TestCseRequest req = Assert.Single(f.Cse.Requests);
        Assert.Equal("coap", req.Binding);
        Assert.Equal("POST", req.Method);
        Assert.Equal("/cse-in", req.Path);
        Assert.Equal("application/json;ty=2", req.Header("Content-Type"));
        Assert.Equal("Cactivegate01", req.Header("X-M2M-Origin"));
        Assert.Equal(r.RequestIdentifier, req.Header("X-M2M-RI"));
        f.AssertNoViolations();
    }

    [Fact]
    public async Task Full_tree_retrieve_update_delete()
    {
        await using var f = new CoapCseFixture();
        Assert.True((await f.Client.CreateAeAsync(Ae())).IsSuccess);
        Assert.True((await f.Client.CreateContainerAsync("ActiveGate01", new Container { ResourceName = "plug-1" })).IsSuccess);
        Assert.True((await f.Client.CreateContainerAsync("ActiveGate01/plug-1", new Container { ResourceName = "meas", MaxNrOfInstances = 3 })).IsSuccess);
        for (int i = 0; i < 4; i++)
        {
            ResponsePrimitive c = await f.Client.CreateContentInstanceAsync("ActiveGate01/plug-1/meas", ContentInstance.FromText($"{{\"p_W\":{i}}}", resourceName: $"r{i}"));
            Assert.Equal(ResponseStatusCode.Created, c.StatusCode);
        }

        ResponsePrimitive la = await f.Client.RetrieveAsync("ActiveGate01/plug-1/meas/la");
        Assert.Equal(ResponseStatusCode.Ok, la.StatusCode);
        Assert.Equal(205, la.TransportStatus);
        Assert.Equal("{\"p_W\":3}", la.ReadResource(ContentInstance.RootKey, OneM2mJsonContext.Default.ContentInstance)?.ContentText);
        Assert.Equal(["{\"p_W\":1}", "{\"p_W\":2}", "{\"p_W\":3}"], f.Cse.ContentsOf("cse-in/ActiveGate01/plug-1/meas"));

        // SP-relative addressing by ri goes through the '~' segment.
        string ri = f.Cse.Find("cse-in/ActiveGate01/plug-1")!.Ri;
        ResponsePrimitive byRi = await f.Client.SendAsync(ep => new RequestPrimitive { Operation = Operation.Retrieve, To = ep.SpRelativeCseId + "/" + ri });
        Assert.Equal(ResponseStatusCode.Ok, byRi.StatusCode);
        Assert.Equal("/~/id-in/" + ri, f.Cse.Requests[^1].Path);

        ResponsePrimitive updated = await f.Client.UpdateAsync("ActiveGate01/plug-1", Container.RootKey, new Container { Labels = ["type/smartplug"] }, OneM2mJsonContext.Default.Container);
        Assert.Equal(ResponseStatusCode.Updated, updated.StatusCode);
        Assert.Equal(204, updated.TransportStatus);
        Assert.Equal("type/smartplug", (string?)f.Cse.Find("cse-in/ActiveGate01/plug-1")!.Attributes["lbl"]![0]);

        ResponsePrimitive deleted = await f.Client.DeleteAsync("ActiveGate01/plug-1/meas");
        Assert.Equal(ResponseStatusCode.Deleted, deleted.StatusCode);
        Assert.Equal(202, deleted.TransportStatus);
        Assert.Null(f.Cse.Find("cse-in/ActiveGate01/plug-1/meas"));
        f.AssertNoViolations();
    }

    [Fact]
    public async Task Duplicate_name_is_already_exists_and_missing_target_is_not_found()
    {
        await using var f = new CoapCseFixture();
        await f.Client.CreateAeAsync(Ae());
        await f.Client.CreateContainerAsync("ActiveGate01", new Container { ResourceName = "meas" });
        var cin = ContentInstance.FromText("1", resourceName: "d1-c1-7");
        Assert.True((await f.Client.CreateContentInstanceAsync("ActiveGate01/meas", cin)).IsSuccess);
        ResponsePrimitive dup = await f.Client.CreateContentInstanceAsync("ActiveGate01/meas", cin);
        Assert.Equal(ResponseStatusCode.Conflict, dup.StatusCode);
        Assert.Equal(403, dup.TransportStatus); // TS-0008: 4105 travels as 4.03
        Assert.Equal(ResponseOutcome.AlreadyExists, dup.Outcome);
        Assert.Single(f.Cse.ContentsOf("cse-in/ActiveGate01/meas"));

        ResponsePrimitive missing = await f.Client.RetrieveAsync("ActiveGate01/nope");
        Assert.Equal(ResponseStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(404, missing.TransportStatus);
        Assert.Contains("not found", missing.Diagnostic, StringComparison.Ordinal);
        f.AssertNoViolations();
    }

    [Fact]
    public async Task Cse_front_is_as_strict_as_over_http()
    {
        await using var f = new CoapCseFixture();
        UpstreamSnapshot snap = f.Provider.Current;
        ResponsePrimitive noRvi = await f.Binding.SendAsync(snap, new RequestPrimitive { Operation = Operation.Retrieve, To = "cse-in", ReleaseVersion = "" }, default);
        Assert.Equal(ResponseStatusCode.ReleaseVersionNotSupported, noRvi.StatusCode);
        Assert.Equal(501, noRvi.TransportStatus);
        ResponsePrimitive unknownRvi = await f.Binding.SendAsync(snap, new RequestPrimitive { Operation = Operation.Retrieve, To = "cse-in", ReleaseVersion = "9" }, default);
        Assert.Equal(ResponseStatusCode.ReleaseVersionNotSupported, unknownRvi.StatusCode);
        ResponsePrimitive noFrom = await f.Binding.SendAsync(snap, new RequestPrimitive { Operation = Operation.Retrieve, To = "cse-in", From = "" }, default);
        Assert.Equal(ResponseStatusCode.BadRequest, noFrom.StatusCode);
        Assert.Equal(400, noFrom.TransportStatus);
        ResponsePrimitive longNames = await f.Binding.SendAsync(snap, new RequestPrimitive
        {
            Operation = Operation.Create, To = "cse-in", ResourceType = ResourceType.AE,
            Content = Encoding.UTF8.GetBytes("{\"m2m:ae\":{\"resourceName\":\"x\",\"api\":\"Nx\",\"rr\":false,\"srv\":[\"3\"]}}"),
        }, default);
        Assert.Equal(ResponseStatusCode.BadRequest, longNames.StatusCode);
        Assert.Equal(4, f.Cse.Violations.Count);
        Assert.All(f.Cse.Requests, r => Assert.Equal("coap", r.Binding));
    }

    [Fact]
    public async Task Large_content_goes_block_wise_both_ways()
    {
        await using var f = new CoapCseFixture();
        await f.Client.CreateAeAsync(Ae());
        await f.Client.CreateContainerAsync("ActiveGate01", new Container { ResourceName = "blob" });
        string big = new string('x', 6000) + "-end";
        ResponsePrimitive created = await f.Client.SendAsync(ep => new RequestPrimitive
        {
            Operation = Operation.Create,
            To = ep.Structured("ActiveGate01/blob"),
            ResourceType = ResourceType.ContentInstance,
            ResultContent = ResultContent.Attributes,
            Content = Encoding.UTF8.GetBytes("{\"m2m:cin\":{\"rn\":\"big\",\"cnf\":\"text/plain:0\",\"con\":\"" + big + "\"}}"),
        });

        // The request went up in Block1 blocks and the answer (which echoes con) came back in Block2 blocks.
        Assert.Equal(ResponseStatusCode.Created, created.StatusCode);
        Assert.Equal(big, created.ReadResource(ContentInstance.RootKey, OneM2mJsonContext.Default.ContentInstance)?.ContentText);
        Assert.Equal([big], f.Cse.ContentsOf("cse-in/ActiveGate01/blob"));

        ResponsePrimitive read = await f.Client.RetrieveAsync("ActiveGate01/blob/big");
        Assert.Equal(big, read.ReadResource(ContentInstance.RootKey, OneM2mJsonContext.Default.ContentInstance)?.ContentText);

        // One logical request each: block follow-ups are not requests of their own.
        Assert.Equal(4, f.Cse.Requests.Count);
        f.AssertNoViolations();
    }

    [Fact]
    public async Task Long_poll_on_pcu_answers_when_a_notification_is_queued_or_after_the_cse_timeout()
    {
        await using var f = new CoapCseFixture(cseOptions: new TestCseOptions { LongPollTimeout = TimeSpan.FromSeconds(2) });
        Assert.True((await f.Client.CreateAeAsync(Ae())).IsSuccess);
        Assert.True((await f.Client.CreateContainerAsync("ActiveGate01", new Container { ResourceName = "cmd" })).IsSuccess);
        ResponsePrimitive pch = await f.Client.CreateRawAsync("ActiveGate01", ResourceType.PollingChannel, "{\"m2m:pch\":{\"rn\":\"pch\"}}"u8.ToArray());
        Assert.True(pch.IsSuccess, pch.ToString());
        ResponsePrimitive sub = await f.Client.CreateSubscriptionAsync("ActiveGate01/cmd", new Subscription
        {
            ResourceName = "sub",
            NotificationUris = ["Cactivegate01"],
            EventNotificationCriteria = new EventNotificationCriteria { NotificationEventTypes = [3] },
        });
        Assert.True(sub.IsSuccess, sub.ToString());

        // Nothing queued: the CSE answers 4008 after its own timeout (the request timeout is longer, as a 35 s poll's is).
        var sw = System.Diagnostics.Stopwatch.StartNew();
        ResponsePrimitive empty = await f.Client.SendAsync(ep => new RequestPrimitive { Operation = Operation.Retrieve, To = ep.Structured("ActiveGate01/pch/pcu"), Timeout = TimeSpan.FromSeconds(10) });
        Assert.Equal(ResponseStatusCode.RequestTimeout, empty.StatusCode);
        Assert.False(empty.IsLocal);
        Assert.InRange(sw.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(8));

        Task<ResponsePrimitive> poll = f.Client.SendAsync(ep => new RequestPrimitive { Operation = Operation.Retrieve, To = ep.Structured("ActiveGate01/pch/pcu"), Timeout = TimeSpan.FromSeconds(10) });
        await Task.Delay(300);
        Assert.False(poll.IsCompleted);
        f.Cse.PlatformCreateContentInstance("cse-in/ActiveGate01/cmd", "ON");
        ResponsePrimitive got = await poll;
        Assert.Equal(ResponseStatusCode.Ok, got.StatusCode);
        string json = Encoding.UTF8.GetString(got.Content.Span);
        Assert.Contains("m2m:rqp", json, StringComparison.Ordinal);
        Assert.Contains("\"ON\"", json, StringComparison.Ordinal);
        f.AssertNoViolations();
    }

    [Fact]
    public async Task Retarget_to_another_cse_and_an_ipv6_or_dns_endpoint_uses_each_snapshot()
    {
        await using var a = new CoapCseFixture();
        await using var b = TestCse.Start();
        Assert.True((await Ping(a.Client)).IsSuccess);
        UpstreamSnapshot next = a.Provider.Set(CoapCseFixture.EndpointFor(b));
        ResponsePrimitive after = await Ping(a.Client);
        Assert.True(after.IsSuccess, after.ToString());
        Assert.Equal(next.Generation, after.EndpointGeneration);
        Assert.Single(a.Cse.Requests);
        Assert.Single(b.Requests);

        // "localhost" resolves (to 127.0.0.1 first); the request then carries Uri-Host, which the CSE ignores.
        a.Provider.Set(new UpstreamEndpoint(new Uri($"coap://localhost:{b.CoapPort}/"), b.CseId, b.CseBaseName, "Cactivegate01"));
        Assert.True((await Ping(a.Client)).IsSuccess);
        Assert.Equal(2, b.Requests.Count);

        // Nothing listens on [::1] at that port: a bounded local failure, not an exception.
        a.Provider.Set(new UpstreamEndpoint(new Uri($"coap://[::1]:{b.CoapPort}/"), b.CseId, b.CseBaseName, "Cactivegate01"));
        ResponsePrimitive v6 = await a.Client.SendAsync(ep => new RequestPrimitive { Operation = Operation.Retrieve, To = ep.CseBaseName, From = "CAdmin", Timeout = TimeSpan.FromMilliseconds(500) });
        Assert.True(v6.IsLocal);
    }
}
