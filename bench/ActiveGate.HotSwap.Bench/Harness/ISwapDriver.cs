namespace ActiveGate.HotSwap.Bench.Harness;

/// <summary>The platform an agent is told to move to: what a Transport Management Policy carries.</summary>
/// <param name="Upstream">Scheme, address and port (here the delay proxy in front of the CSE), e.g. <c>http://127.0.0.1:40123/</c>.</param>
/// <param name="CseId">The CSE-ID, e.g. <c>/id-in</c>.</param>
/// <param name="CseName">The CSEBase resource name, e.g. <c>cse-in</c>.</param>
public sealed record PlatformAddress(Uri Upstream, string CseId, string CseName);

/// <summary>
/// THE SEAM the benchmark drives the agent through (the only agent-specific part of a swap). The intended implementation
/// is a device-management server writing a new Transport Management Policy over LwM2M and waiting for the write's
/// acknowledgement; <see cref="CliSwapDriver"/> is a stand-in over the agent's CLI.
/// </summary>
public interface ISwapDriver : IAsyncDisposable
{
    /// <summary>Shown in the report.</summary>
    string Description { get; }

    /// <summary>
    /// Tells the running agent to deliver to <paramref name="target"/> from now on, and returns when the agent
    /// acknowledged it: the moment the benchmark measures from (take it from <see cref="TimeProvider.GetUtcNow"/> of
    /// <paramref name="timeProvider"/>, the proxies' clock). Throws if the agent refused or did not answer.
    /// </summary>
    Task<DateTimeOffset> SwitchAsync(PlatformAddress target, TimeProvider timeProvider, CancellationToken cancellationToken);
}
