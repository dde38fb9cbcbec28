using ActiveGate.OneM2m.Upstream;
using ActiveGate.Proxy.Upstream;
using ActiveGate.TestKit.OneM2m;

namespace ActiveGate.Proxy.Tests.Upstream;

/// <summary>A policy a server or technician gets wrong is refused at once, with a reason, and changes nothing.</summary>
public sealed class PolicyValidationTests
{
    private static UpstreamPolicy With(string url = "http://127.0.0.1:8080/", string origin = "Cactivegate01", string name = "readings",
        string cseId = "/id-in", string cseName = "cse-in")
        => new(name, new UpstreamEndpoint(new Uri(url), cseId, cseName, origin), PolicySource.Lwm2m);

    public static TheoryData<string, UpstreamPolicy, string> Invalid => new()
    {
        { "port 0", With(url: "http://127.0.0.1:0/"), "port 0" },
        { "coap port 0", With(url: "coap://127.0.0.1:0/"), "port 0" },
        { "unknown scheme", With(url: "mqtt://127.0.0.1:1883/"), "scheme" },
        { "file URL", With(url: "file:///etc/passwd"), "scheme" },
        { "empty originator", With(origin: ""), "originator" },
        { "empty CSE-ID", With(cseId: ""), "CSE-ID" },
        { "empty CSEBase name", With(cseName: ""), "CSEBase" },
        { "65-character name", With(name: new string('s', 65)), "service name" },
        { "empty name", With(name: ""), "service name" },
        { "blank name", With(name: "   "), "service name" },
        { "control character in name", With(name: "read\nings"), "service name" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_names_what_is_wrong(string why, UpstreamPolicy policy, string mentions)
    {
        string? problem = policy.Validate();
        Assert.NotNull(problem);
        Assert.Contains(mentions, problem, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(why));
    }

    [Theory]
    [InlineData("http://127.0.0.1:1/")]
    [InlineData("https://cse.example:65535/onem2m/")]
    [InlineData("coap://[::1]:5683/")]
    [InlineData("coap://cse.example/")] // no port: CoAP's default, as the CoAP client resolves it
    [InlineData("coaps://cse.example/")]
    [InlineData("http://cse.example/")]
    public void Valid_endpoints_pass(string url) => Assert.Null(With(url: url).Validate());

    [Fact]
    public void Boundaries_of_the_name_and_the_log_policy_pass()
    {
        Assert.Null(With(name: new string('s', 64)).Validate());
        Assert.Null(new UpstreamPolicy("readings", null, PolicySource.Configuration).Validate()); // the log needs no endpoint
    }

    [Fact]
    public void SameTarget_ignores_who_set_it_but_not_where_or_as_whom()
    {
        UpstreamPolicy p = With();
        Assert.True(p.SameTarget(p with { Source = PolicySource.Operator }));
        Assert.False(p.SameTarget(With(url: "http://127.0.0.1:8081/")));
        Assert.False(p.SameTarget(With(origin: "Cother")));
        Assert.False(p.SameTarget(null));
        Assert.False(p.SameTarget(p with { Endpoint = null }));
    }

    [Fact]
    public async Task RequestSwitch_refuses_each_invalid_policy_and_nothing_changes()
    {
        await using TestCse a = TestCse.Start();
        await using SwapHarness h = await SwapHarness.StartAsync(a);
        UpstreamGeneration current = h.Service.Current;
        UpstreamPolicy desired = h.Service.Desired;

        foreach (UpstreamPolicy bad in Invalid.Select(row => (UpstreamPolicy)row[1]))
        {
            Assert.NotNull(h.Service.RequestSwitch(bad));
        }

        // Readings still flow to A, and by then the swap loop would have acted on anything it was given.
        List<long> after = await h.AppendAsync(10);
        await h.UntilDrained();
        Assert.Superset(after.ToHashSet(), SwapHarness.Stored(a).ToHashSet());
        Assert.Same(current, h.Service.Current);
        Assert.Same(desired, h.Service.Desired);
        Assert.Null(h.Service.Preparing);
        Assert.Empty(h.Service.History);
        Assert.Equal(new ServiceStatus(ServiceState.Active, null, null, h.Appended, 0), h.Service.Status);
        Assert.Single(h.Bindings.Created); // no generation was even created
        Assert.False(h.Service.Cursor.PersistEveryAcknowledgement);
    }
}
