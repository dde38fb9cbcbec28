using System.Text.Json;
using System.Text.Json.Nodes;
using ActiveGate.Agent.Diagnostics;
using ActiveGate.Outbox;
using ActiveGate.OneM2m.Upstream;

namespace ActiveGate.Agent.Proxy;

/// <summary><c>outbox</c>: depth, oldest age, delivery rate, drops.</summary>
public sealed class OutboxDiagnostics(ProxyService proxy) : IDiagnosticsCommand
{
    public string Name => "outbox";

    public ValueTask<JsonNode?> ExecuteAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        OutboxStats stats = proxy.Outbox.GetStats();
        JsonNode result = new JsonObject
        {
            ["depth"] = stats.Depth,
            ["pendingBytes"] = stats.PendingBytes,
            ["diskBytes"] = stats.DiskBytes,
            ["oldestAgeSeconds"] = stats.OldestAge is TimeSpan age ? Math.Round(age.TotalSeconds, 1) : null,
            ["appended"] = stats.Appended,
            ["commits"] = stats.Commits,
            ["delivered"] = stats.Delivered,
            ["deliveredPerSecond"] = Math.Round(stats.DeliveredPerSecond, 2),
            ["dropped"] = stats.Dropped,
            ["rejected"] = stats.Rejected,
            ["segments"] = stats.Segments,
            ["truncatedBytesAtOpen"] = stats.TruncatedBytesAtOpen,
            ["consecutiveFailures"] = proxy.ConsecutiveFailures,
        };
        return ValueTask.FromResult<JsonNode?>(result);
    }
}

/// <summary><c>upstream</c>: which platform, as whom, and how commands arrive.</summary>
public sealed class UpstreamDiagnostics(ProxyService proxy) : IDiagnosticsCommand
{
    public string Name => "upstream";

    public ValueTask<JsonNode?> ExecuteAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        UpstreamSnapshot current = proxy.Endpoints.Current;
        UpstreamEndpoint? endpoint = current.Endpoint;
        JsonNode result = new JsonObject
        {
            ["configured"] = endpoint is not null,
            ["url"] = endpoint?.BaseUrl.ToString(),
            ["cseId"] = endpoint?.SpRelativeCseId,
            ["cseName"] = endpoint?.CseBaseName,
            ["origin"] = endpoint?.Origin,
            ["releaseVersion"] = endpoint?.ReleaseVersion,
            ["generation"] = current.Generation,
            ["commands"] = endpoint is null ? "none" : proxy.NotificationsReachable ? "notifications" : "polling",
            ["commandsExecuted"] = proxy.CommandsExecuted,
            ["consecutiveFailures"] = proxy.ConsecutiveFailures,
        };
        return ValueTask.FromResult<JsonNode?>(result);
    }
}
