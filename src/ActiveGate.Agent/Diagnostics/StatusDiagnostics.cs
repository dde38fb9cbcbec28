using System.Text.Json;
using System.Text.Json.Nodes;
using ActiveGate.Agent.Health;
using ActiveGate.Agent.Hosting;

namespace ActiveGate.Agent.Diagnostics;

/// <summary><c>status</c>: version, uptime, where the configuration came from, and every part's health.</summary>
public sealed class StatusDiagnostics : IDiagnosticsCommand
{
    private readonly AgentRuntimeInfo _runtime;
    private readonly HealthRegistry _health;
    private readonly TimeProvider _timeProvider;

    public StatusDiagnostics(AgentRuntimeInfo runtime, HealthRegistry health, TimeProvider timeProvider)
    {
        _runtime = runtime;
        _health = health;
        _timeProvider = timeProvider;
    }

    public string Name => "status";

    public ValueTask<JsonNode?> ExecuteAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        var parts = new JsonArray();
        foreach (HealthSnapshot part in _health.Snapshot())
        {
            parts.Add(new JsonObject
            {
                ["name"] = part.Name,
                ["status"] = part.Status.ToString().ToLowerInvariant(),
                ["detail"] = part.Detail,
                ["sinceProgressSeconds"] = Math.Round(part.SinceProgress.TotalSeconds, 3),
                ["stallAfterSeconds"] = part.StallAfter.TotalSeconds,
            });
        }

        var sources = new JsonArray();
        foreach (string source in _runtime.ConfigurationSources)
        {
            sources.Add(source);
        }

        JsonNode result = new JsonObject
        {
            ["version"] = AgentRuntimeInfo.Version,
            ["pid"] = Environment.ProcessId,
            ["startedAt"] = _runtime.StartedAt.ToString("O"),
            ["uptimeSeconds"] = Math.Round((_timeProvider.GetUtcNow() - _runtime.StartedAt).TotalSeconds, 1),
            ["configSources"] = sources,
            ["healthy"] = _health.AllProgressing(out _),
            ["parts"] = parts,
        };
        return ValueTask.FromResult<JsonNode?>(result);
    }
}
