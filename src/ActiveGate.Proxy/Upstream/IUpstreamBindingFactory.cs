using ActiveGate.OneM2m.Primitives;
using ActiveGate.OneM2m.Upstream;

namespace ActiveGate.Proxy.Upstream;

/// <summary>Makes the protocol binding for an endpoint (HTTP for http/https, CoAP for coap/coaps).</summary>
public interface IUpstreamBindingFactory
{
    /// <summary>
    /// A binding for <paramref name="endpoint"/>; the generation that asked disposes it (if disposable) when it retires.
    /// Throws <see cref="NotSupportedException"/> with the reason for a scheme this agent cannot speak.
    /// </summary>
    IOneM2mBinding Create(UpstreamEndpoint endpoint);
}
