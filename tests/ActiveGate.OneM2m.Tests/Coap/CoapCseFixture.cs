using ActiveGate.OneM2m.Coap;
using ActiveGate.OneM2m.Upstream;
using ActiveGate.TestKit.OneM2m;

namespace ActiveGate.OneM2m.Tests.Coap;

/// <summary>A test CSE plus a client speaking the CoAP binding to its CoAP front.</summary>
internal sealed class CoapCseFixture : IAsyncDisposable
{
    public CoapCseFixture(string origin = "Cactivegate01", TimeSpan? timeout = null, TestCseOptions? cseOptions = null, CoapBindingOptions? bindingOptions = null)
    {
        Cse = TestCse.Start(cseOptions);
        Provider = new UpstreamEndpointProvider(EndpointFor(Cse, origin));
        bindingOptions ??= new CoapBindingOptions();
        bindingOptions.RequestTimeout = timeout ?? TimeSpan.FromSeconds(5);
        Binding = new CoapBinding(bindingOptions);
        Client = new OneM2mClient(Binding, Provider);
    }

    public TestCse Cse { get; }

    public UpstreamEndpointProvider Provider { get; }

    public CoapBinding Binding { get; }

    public OneM2mClient Client { get; }

    public static UpstreamEndpoint EndpointFor(TestCse cse, string origin = "Cactivegate01")
        => new(cse.CoapBaseUrl, cse.CseId, cse.CseBaseName, origin);

    public void AssertNoViolations() => Assert.Empty(Cse.Violations);

    public async ValueTask DisposeAsync()
    {
        await Binding.DisposeAsync();
        await Cse.DisposeAsync();
    }
}
