namespace ActiveGate.OneM2m.Upstream;

/// <summary>A mutable, thread-safe <see cref="IUpstreamEndpointProvider"/>: config sets it at start, LwM2M re-targets it.</summary>
public sealed class UpstreamEndpointProvider : IUpstreamEndpointProvider
{
    private readonly Lock _gate = new();
    private UpstreamSnapshot _current;

    public UpstreamEndpointProvider(UpstreamEndpoint? initial = null)
    {
        _current = new UpstreamSnapshot(initial, initial is null ? 0 : 1);
    }

    public UpstreamSnapshot Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    public event EventHandler<UpstreamSnapshot>? Changed;

    /// <summary>Re-targets the upstream. Setting an equal endpoint is a no-op (no generation bump).</summary>
    public UpstreamSnapshot Set(UpstreamEndpoint? endpoint)
    {
        UpstreamSnapshot next;
        lock (_gate)
        {
            if (Equals(_current.Endpoint, endpoint))
            {
                return _current;
            }

            next = new UpstreamSnapshot(endpoint, _current.Generation + 1);
            _current = next;
        }

        Changed?.Invoke(this, next);
        return next;
    }
}
