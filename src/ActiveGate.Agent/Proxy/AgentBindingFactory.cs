using System.Text;
using ActiveGate.Agent.Options;
using ActiveGate.Coap.Transport.Dtls;
using ActiveGate.Lwm2m.Registration;
using ActiveGate.OneM2m.Coap;
using ActiveGate.OneM2m.Http;
using ActiveGate.OneM2m.Primitives;
using ActiveGate.OneM2m.Upstream;
using ActiveGate.Proxy.Upstream;
using Microsoft.Extensions.Logging;

namespace ActiveGate.Agent.Proxy;

/// <summary>
/// The agent's bindings: HTTP (TS-0009) for http/https over one shared, pooled HttpClient (a binding per generation
/// costs nothing; connections to the same platform are reused when a swap comes back to it), and CoAP (TS-0008) for
/// coap/coaps, one UDP endpoint per generation (coaps with the configured PSK).
/// </summary>
internal sealed class AgentBindingFactory : IUpstreamBindingFactory, IDisposable
{
    private readonly UpstreamOptions _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly HttpClient _http = new(HttpBinding.CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan }; // the binding times requests

    public AgentBindingFactory(UpstreamOptions options, TimeProvider time, ILoggerFactory loggers)
    {
        _options = options;
        _time = time;
        _loggers = loggers;
    }

    /// <summary>Why <paramref name="endpoint"/> cannot be served, or null.</summary>
    public string? Refuses(UpstreamEndpoint endpoint) => endpoint.BaseUrl.Scheme switch
    {
        "http" or "https" or "coap" => null,
        "coaps" when !string.IsNullOrEmpty(_options.PskIdentity) && !string.IsNullOrEmpty(_options.PskKeyFile) => null,
        "coaps" => "coaps:// needs Upstream:PskIdentity and Upstream:PskKeyFile in the configuration",
        string scheme => $"scheme {scheme} is not supported by this agent",
    };

    public IOneM2mBinding Create(UpstreamEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (Refuses(endpoint) is { } reason)
        {
            throw new NotSupportedException(reason);
        }

        if (endpoint.BaseUrl.Scheme is "coap" or "coaps")
        {
            return new CoapBinding(new CoapBindingOptions
            {
                RequestTimeout = _options.RequestTimeout,
                PskCredential = endpoint.BaseUrl.Scheme == "coaps"
                    ? new PskCredential(Encoding.UTF8.GetBytes(_options.PskIdentity!), EndpointName.ReadPskKeyFile(_options.PskKeyFile!))
                    : null,
            }, _time, _loggers.CreateLogger<CoapBinding>());
        }

        return new HttpBinding(_http, new HttpBindingOptions { RequestTimeout = _options.RequestTimeout }, _time, _loggers.CreateLogger<HttpBinding>());
    }

    public void Dispose() => _http.Dispose();
}
