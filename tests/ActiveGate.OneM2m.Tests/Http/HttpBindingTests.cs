using System.Text;
using ActiveGate.OneM2m.Http;
using ActiveGate.OneM2m.Primitives;
using ActiveGate.OneM2m.Resources;
using ActiveGate.OneM2m.Upstream;
using ActiveGate.TestKit.OneM2m;

namespace ActiveGate.OneM2m.Tests.Http;

public sealed class HttpBindingTests
{
    private static ApplicationEntity Ae(string rn = "ActiveGate01") => new()
    {
        ResourceName = rn,
        AppId = "Nodroid.activegate",
        RequestReachability = false,
        SupportedReleaseVersions = ["3"],
    };

    [Theory]
    [InlineData("cse-in/AE/cnt", "/cse-in/AE/cnt")]
    [InlineData("/id-in/Cxyz", "/~/id-in/Cxyz")]
    [InlineData("//sp.example/id-in/cnt1", "/_/sp.example/id-in/cnt1")]
    [InlineData("cse-in/a b", "/cse-in/a%20b")]
    public void To_maps_to_http_path_and_back(string to, string path)
    {
        Assert.Equal(path, OneM2mHttpAddress.ToPath(to));
        Assert.Equal(to, OneM2mHttpAddress.FromPath(path));
    }

    [Fact]
    public void Uri_keeps_base_path_prefix_and_joins_multi_values_with_plus()
    {
        var request = new RequestPrimitive
        {
            Operation = Operation.Retrieve,
            To = "cse-in/AE",
            ResultContent = ResultContent.Nothing,
            Query = [new("fu", "1"), new("ty", "2+3")],
        };
        Uri uri = HttpBinding.BuildUri(new Uri("http://h:8080/onem2m/"), request);
        Assert.Equal("http://h:8080/onem2m/cse-in/AE?rcn=0&fu=1&ty=2+3", uri.ToString());
    }

    [Fact]
    public async Task Create_sends_mandatory_headers_and_exact_content_type()
    {
        await using var f = new CseFixture();
        ResponsePrimitive r = await f.Client.CreateAeAsync(Ae());
        Assert.Equal(ResponseStatusCode.Created, r.StatusCode);
        Assert.Equal(ResponseOutcome.Success, r.Outcome);
        ApplicationEntity? created = r.ReadResource(ApplicationEntity.RootKey, OneM2mJsonContext.Default.ApplicationEntity);
        Assert.Equal("Cactivegate01", created?.AeId);

        var req = Assert.Single(f.Cse.Requests);
        Assert.Equal("POST", req.Method);
        Assert.Equal("/cse-in", req.Path);
        Assert.Equal("application/json;ty=2", req.Header("Content-Type"));
        Assert.Equal("Cactivegate01", req.Header("X-M2M-Origin"));
        Assert.Equal("3", req.Header("X-M2M-RVI"));
        Assert.Equal(r.RequestIdentifier, req.Header("X-M2M-RI"));
        Assert.Contains("\"m2m:ae\":{", req.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("null", req.Body, StringComparison.Ordinal);
        f.AssertNoViolations();
    }

    [Fact]
    public async Task Request_ids_are_unique()
    {
        await using var f = new CseFixture();
        for (int i = 0; i < 5; i++)
        {
            await f.Client.RetrieveAsync("");
        }

        Assert.Equal(5, f.Cse.Requests.Select(r => r.Header("X-M2M-RI")).Distinct().Count());
    }

    [Fact]
    public async Task Full_tree_and_read_back_latest()
    {
        await using var f = new CseFixture();
        Assert.True((await f.Client.CreateAeAsync(Ae())).IsSuccess);
        Assert.True((await f.Client.CreateContainerAsync("ActiveGate01", new Container { ResourceName = "plug-1", Labels = ["type/smartplug"] })).IsSuccess);
        Assert.True((await f.Client.CreateContainerAsync("ActiveGate01/plug-1", new Container { ResourceName = "meas", MaxNrOfInstances = 3 })).IsSuccess);
        ResponsePrimitive first = await f.Client.CreateContentInstanceAsync("ActiveGate01/plug-1/meas", ContentInstance.FromText("{}", resourceName: "x"));
        Assert.True(first.IsSuccess, first + string.Join("; ", f.Cse.Violations));
        for (int i = 0; i < 5; i++)
        {
            ResponsePrimitive c = await f.Client.CreateContentInstanceAsync("ActiveGate01/plug-1/meas", ContentInstance.FromText($"{{\"p_W\":{i}}}", resourceName: $"r{i}"));
            Assert.Equal(ResponseStatusCode.Created, c.StatusCode);
            Assert.True(c.Content.IsEmpty); // rcn=0
        }

        ResponsePrimitive la = await f.Client.RetrieveAsync("ActiveGate01/plug-1/meas/la");
        ContentInstance? latest = la.ReadResource(ContentInstance.RootKey, OneM2mJsonContext.Default.ContentInstance);
        Assert.Equal("{\"p_W\":4}", latest?.ContentText);
        Assert.Equal(["{\"p_W\":2}", "{\"p_W\":3}", "{\"p_W\":4}"], f.Cse.ContentsOf("cse-in/ActiveGate01/plug-1/meas")); // mni=3
        ResponsePrimitive cnt = await f.Client.RetrieveAsync("ActiveGate01/plug-1/meas");
        Assert.Equal(3, cnt.ReadResource(Container.RootKey, OneM2mJsonContext.Default.Container)?.CurrentNrOfInstances);
        f.AssertNoViolations();
    }

    [Fact]
    public async Task Duplicate_name_is_already_exists_and_missing_parent_is_not_found()
    {
        await using var f = new CseFixture();
        await f.Client.CreateAeAsync(Ae());
        await f.Client.CreateContainerAsync("ActiveGate01", new Container { ResourceName = "meas" });
        var cin = ContentInstance.FromText("1", resourceName: "d1-c1-7");
        Assert.True((await f.Client.CreateContentInstanceAsync("ActiveGate01/meas", cin)).IsSuccess);
        ResponsePrimitive dup = await f.Client.CreateContentInstanceAsync("ActiveGate01/meas", cin);
        Assert.Equal(ResponseStatusCode.Conflict, dup.StatusCode);
        Assert.Equal(409, dup.TransportStatus);
        Assert.Equal(ResponseOutcome.AlreadyExists, dup.Outcome);
        Assert.Single(f.Cse.ContentsOf("cse-in/ActiveGate01/meas"));

        ResponsePrimitive missing = await f.Client.CreateContentInstanceAsync("ActiveGate01/nope", cin);
        Assert.Equal(ResponseOutcome.NotFound, missing.Outcome);
        Assert.False(missing.IsRetryable);
        Assert.Contains("not found", missing.Diagnostic, StringComparison.Ordinal);
        f.AssertNoViolations();
    }

    [Fact]
    public async Task Second_registration_is_already_registered_and_foreign_originator_is_rejected()
    {
        await using var f = new CseFixture();
        Assert.True((await f.Client.CreateAeAsync(Ae())).IsSuccess);
        ResponsePrimitive again = await f.Client.CreateAeAsync(Ae("Other"));
        Assert.Equal(ResponseOutcome.AlreadyRegistered, again.Outcome);
        Assert.Equal(ResponseStatusCode.OriginatorHasAlreadyRegistered, again.StatusCode);

        ResponsePrimitive foreign = await f.Client.CreateAsync("ActiveGate01", ResourceType.Container, Container.RootKey,
            new Container { ResourceName = "x" }, OneM2mJsonContext.Default.Container, from: "Cother");
        Assert.Equal(ResponseOutcome.OriginatorRejected, foreign.Outcome);
        Assert.Equal(ResponseStatusCode.OriginatorHasNoPrivilege, foreign.StatusCode);
    }

    [Fact]
    public async Task Test_cse_rejects_bad_requests_with_real_codes()
    {
        await using var f = new CseFixture();
        UpstreamSnapshot snap = f.Provider.Current;
        // Missing release version → 4001.
        ResponsePrimitive r1 = await f.Binding.SendAsync(snap, new RequestPrimitive { Operation = Operation.Retrieve, To = "cse-in", ReleaseVersion = "" }, default);
        Assert.Equal(ResponseStatusCode.ReleaseVersionNotSupported, r1.StatusCode);
        // Long attribute names → 4000.
        ResponsePrimitive r2 = await f.Binding.SendAsync(snap, new RequestPrimitive
        {
            Operation = Operation.Create, To = "cse-in", ResourceType = ResourceType.AE,
            Content = Encoding.UTF8.GetBytes("{\"m2m:ae\":{\"resourceName\":\"x\",\"api\":\"Nx\",\"rr\":false,\"srv\":[\"3\"]}}"),
        }, default);
        Assert.Equal(ResponseStatusCode.BadRequest, r2.StatusCode);
        Assert.Equal(ResponseOutcome.BadRequest, r2.Outcome);
        // api not starting with R/N → 4000.
        ResponsePrimitive r3 = await f.Client.CreateAeAsync(new ApplicationEntity { ResourceName = "x", AppId = "dummy", RequestReachability = false, SupportedReleaseVersions = ["3"] });
        Assert.Equal(ResponseStatusCode.BadRequest, r3.StatusCode);
        // ty vs root key mismatch → 4000.
        ResponsePrimitive r4 = await f.Client.CreateRawAsync("", ResourceType.Container, Encoding.UTF8.GetBytes("{\"m2m:ae\":{}}"));
        Assert.Equal(ResponseStatusCode.BadRequest, r4.StatusCode);
        Assert.Equal(4, f.Cse.Violations.Count);
    }

    [Fact]
    public async Task Server_errors_are_retryable_and_missing_rsc_falls_back_to_http_status()
    {
        await using var f = new CseFixture();
        f.Cse.FailNext(1, rsc: 5000, httpStatus: 500);
        ResponsePrimitive r = await f.Client.RetrieveAsync("");
        Assert.Equal(ResponseStatusCode.InternalServerError, r.StatusCode);
        Assert.True(r.IsRetryable);
        Assert.Equal("injected failure", r.Diagnostic);

        f.Cse.FailNext(1, rsc: 5103, httpStatus: 404);
        Assert.Equal(ResponseOutcome.ServerError, (await f.Client.RetrieveAsync("")).Outcome);
        Assert.Equal(ResponseStatusCode.Created, ResponseStatusCodes.FromHttpStatus(201, Operation.Create));
        Assert.Equal(ResponseStatusCode.Conflict, ResponseStatusCodes.FromHttpStatus(409, Operation.Create));
        Assert.Equal(ResponseStatusCode.Deleted, ResponseStatusCodes.FromHttpStatus(200, Operation.Delete));
    }

    [Fact]
    public async Task Outage_is_a_transport_failure_then_recovers()
    {
        await using var f = new CseFixture();
        f.Cse.Stop();
        ResponsePrimitive down = await f.Client.RetrieveAsync("");
        Assert.Equal(ResponseOutcome.TransportFailure, down.Outcome);
        Assert.True(down.IsLocal);
        Assert.True(down.IsRetryable);
        f.Cse.Restart();
        Assert.True((await f.Ping()).IsSuccess);
    }

    [Fact]
    public async Task Hung_cse_times_out_and_slow_cse_within_timeout_succeeds()
    {
        // Real (short) timeouts: the hang is in a real socket peer.
        await using var f = new CseFixture(timeout: TimeSpan.FromMilliseconds(300));
        f.Cse.Hang = true;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        ResponsePrimitive hung = await f.Client.RetrieveAsync("");
        Assert.Equal(ResponseOutcome.Timeout, hung.Outcome);
        Assert.Equal(ResponseStatusCode.RequestTimeout, hung.StatusCode);
        Assert.InRange(sw.ElapsedMilliseconds, 250, 5000);
        f.Cse.Hang = false;

        f.Cse.ResponseDelay = TimeSpan.FromMilliseconds(50);
        Assert.True((await f.Ping(TimeSpan.FromSeconds(5))).IsSuccess);
    }

    [Fact]
    public async Task Caller_cancellation_throws_instead_of_reporting_timeout()
    {
        await using var f = new CseFixture();
        f.Cse.Hang = true;
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => f.Client.RetrieveAsync("", cancellationToken: cts.Token));
        f.Cse.Hang = false;
    }

    [Fact]
    public async Task No_endpoint_is_a_local_failure()
    {
        using var http = new HttpClient();
        var client = new OneM2mClient(new HttpBinding(http), new UpstreamEndpointProvider());
        ResponsePrimitive r = await client.RetrieveAsync("x");
        Assert.Equal(ResponseOutcome.TransportFailure, r.Outcome);
    }

    [Fact]
    public async Task Retarget_sends_next_request_to_new_endpoint_while_in_flight_one_finishes_on_old()
    {
        await using var a = new CseFixture();
        await using var b = TestKit.OneM2m.TestCse.Start();
        a.Cse.ResponseDelay = TimeSpan.FromMilliseconds(300);
        Task<ResponsePrimitive> inFlight = a.Ping();
        await Task.Delay(50);
        UpstreamSnapshot next = a.Provider.Set(CseFixture.EndpointFor(b));
        Assert.Equal(2, next.Generation);
        ResponsePrimitive after = await a.Ping();
        Assert.True(after.IsSuccess);
        Assert.Equal(2, after.EndpointGeneration);
        ResponsePrimitive old = await inFlight;
        Assert.True(old.IsSuccess);
        Assert.Equal(1, old.EndpointGeneration);
        Assert.Single(a.Cse.Requests);
        Assert.Single(b.Requests);
    }

    [Fact]
    public async Task Release_is_negotiated_from_the_cse_base_srv()
    {
        await using var f = new CseFixture();
        Assert.Equal("4", await f.Client.NegotiateReleaseAsync(["2a", "3", "4"], from: "CAdmin"));
        Assert.Equal("2a", await f.Client.NegotiateReleaseAsync(["2a"], from: "CAdmin"));
        Assert.Null(await f.Client.NegotiateReleaseAsync(["9"], from: "CAdmin"));
        // An AE may not read the CSEBase (ACME: 403/4103): no negotiation, keep the configured release.
        Assert.Null(await f.Client.NegotiateReleaseAsync(["3"]));
    }
}
