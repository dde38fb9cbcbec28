namespace ActiveGate.OneM2m.Upstream;

/// <summary>A versioned snapshot of the upstream endpoint.</summary>
/// <param name="Endpoint">Null when no upstream is configured.</param>
/// <param name="Generation">Increments on every change; lets users notice a re-target (re-register, re-create the tree).</param>
public readonly record struct UpstreamSnapshot(UpstreamEndpoint? Endpoint, long Generation);

/// <summary>
/// The single source of the upstream CSE (URL, CSE-ID, origin). It may change at runtime (LwM2M policy write):
/// each request reads <see cref="Current"/> once, so the next request after a change goes to the new endpoint
/// while requests already in flight finish on the old one.
/// </summary>
public interface IUpstreamEndpointProvider
{
    UpstreamSnapshot Current { get; }

    /// <summary>Raised after <see cref="Current"/> changed (on the thread that changed it).</summary>
    event EventHandler<UpstreamSnapshot>? Changed;
}
