namespace ActiveGate.HotSwap.Bench.Harness;

/// <summary>
/// Baseline, and a check of the harness before hot swap exists: "swaps" by restarting the agent with the new platform
/// in its environment. The acknowledgement is the moment the new agent process was started (what a configuration
/// tool that restarts the service would report); everything after, startup included, counts against the swap.
/// </summary>
public sealed class RestartSwapDriver : ISwapDriver
{
    private readonly AgentRig _rig;

    public RestartSwapDriver(AgentRig rig) => _rig = rig;

    public string Description => "restart: SIGTERM the agent, start it with the new Upstream (baseline without hot swap)";

    public async Task<DateTimeOffset> SwitchAsync(PlatformAddress target, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        await _rig.RestartAgentAsync(target);
        return timeProvider.GetUtcNow();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
