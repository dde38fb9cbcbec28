using ActiveGate.OneM2m.Upstream;

namespace ActiveGate.OneM2m.Primitives;

/// <summary>A protocol binding (HTTP TS-0009, CoAP TS-0008) that carries one request primitive to one endpoint.</summary>
public interface IOneM2mBinding
{
    /// <summary>
    /// Sends <paramref name="request"/> to <paramref name="upstream"/>. Never throws for CSE errors, timeouts or
    /// transport failures (they come back as a <see cref="ResponsePrimitive"/>); throws
    /// <see cref="OperationCanceledException"/> only when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    Task<ResponsePrimitive> SendAsync(UpstreamSnapshot upstream, RequestPrimitive request, CancellationToken cancellationToken);
}
