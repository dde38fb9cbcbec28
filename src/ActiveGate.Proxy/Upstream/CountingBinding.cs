using ActiveGate.OneM2m.Primitives;
using ActiveGate.OneM2m.Upstream;

namespace ActiveGate.Proxy.Upstream;

/// <summary>
/// Counts what a generation costs the platform: requests, and round trips as the number of times a request started
/// while none was in flight (requests sent together, or while others are out, share their round trip). That is the
/// number a far platform multiplies by its RTT.
/// </summary>
internal sealed class CountingBinding(IOneM2mBinding inner) : IOneM2mBinding, IAsyncDisposable
{
    private long _requests;
    private long _roundTrips;
    private int _inFlight;

    public IOneM2mBinding Inner => inner;

    public long Requests => Interlocked.Read(ref _requests);

    public long RoundTrips => Interlocked.Read(ref _roundTrips);

    public async Task<ResponsePrimitive> SendAsync(UpstreamSnapshot upstream, RequestPrimitive request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _requests);
        if (Interlocked.Increment(ref _inFlight) == 1)
        {
            Interlocked.Increment(ref _roundTrips);
        }

        try
        {
            return await inner.SendAsync(upstream, request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public async ValueTask DisposeAsync()
    {
        switch (inner)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }
}
