using ActiveGate.OneM2m;
using ActiveGate.OneM2m.Http;
using ActiveGate.OneM2m.Upstream;
using Xunit;

namespace ActiveGate.TestKit.OneM2m;

/// <summary>A test CSE plus a client pointed at it.</summary>
public sealed class CseFixture : IAsyncDisposable
{
    public CseFixture(string origin = "Cactivegate01", TimeSpan? timeout = null, TestCseOptions? options = null)
    {
        Cse = TestCse.Start(options);
        Provider = new UpstreamEndpointProvider(EndpointFor(Cse, origin));
        Http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        Binding = new HttpBinding(Http, new HttpBindingOptions { RequestTimeout = timeout ?? TimeSpan.FromSeconds(5) });
        Client = new OneM2mClient(Binding, Provider);
    }

    public TestCse Cse { get; }

    public UpstreamEndpointProvider Provider { get; }

    public HttpClient Http { get; }

    public HttpBinding Binding { get; }

    public OneM2mClient Client { get; }

    public static UpstreamEndpoint EndpointFor(TestCse cse, string origin = "Cactivegate01")
        => new(cse.BaseUrl, cse.CseId, cse.CseBaseName, origin);

    /// <summary>RETRIEVE of the CSEBase as the admin (AEs may not read it, as on ACME).</summary>
    public Task<ActiveGate.OneM2m.Primitives.ResponsePrimitive> Ping(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => Client.SendAsync(ep => new ActiveGate.OneM2m.Primitives.RequestPrimitive
        {
            Operation = ActiveGate.OneM2m.Primitives.Operation.Retrieve,
            To = ep.CseBaseName,
            From = "CAdmin",
            Timeout = timeout,
        }, cancellationToken);

    public void AssertNoViolations() => Assert.Empty(Cse.Violations);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Cse.DisposeAsync();
    }
}
