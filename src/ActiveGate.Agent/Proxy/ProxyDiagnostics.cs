using System.Text.Json;
using System.Text.Json.Nodes;
using ActiveGate.Agent.Diagnostics;
using ActiveGate.Outbox;
using ActiveGate.OneM2m.Upstream;
using ActiveGate.Proxy.Upstream;

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
            ["refused"] = stats.Refused,
            ["lastStoreError"] = stats.LastAppendError,
            ["lastStoreErrorAt"] = stats.LastAppendErrorAt,
            ["segments"] = stats.Segments,
            ["truncatedBytesAtOpen"] = stats.TruncatedBytesAtOpen,
            ["consecutiveFailures"] = proxy.ConsecutiveFailures,
        };
        return ValueTask.FromResult<JsonNode?>(result);
    }
}

/// <summary><c>upstream</c>: each service's policy in force, who set it, its generation, state, cursor and swaps.</summary>
public sealed class UpstreamDiagnostics(ProxyService proxy) : IDiagnosticsCommand
{
    public string Name => "upstream";

    public async ValueTask<JsonNode?> ExecuteAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        await proxy.Started.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        var services = new JsonArray();
        foreach (UpstreamService service in proxy.Services)
        {
            services.Add(Describe(service));
        }

        return new JsonObject
        {
            ["policyFile"] = proxy.PolicyFile,
            ["commands"] = proxy.NotificationsReachable ? "notifications" : "polling",
            ["commandsExecuted"] = proxy.CommandsExecuted,
            ["services"] = services,
        };
    }

    internal static JsonObject Describe(UpstreamService service)
    {
        ServiceStatus status = service.Status;
        UpstreamPolicy desired = service.Desired;
        OutboxCursorStats cursor = service.Cursor.GetStats();
        var history = new JsonArray();
        foreach (SwapRecord swap in service.History)
        {
            history.Add(new JsonObject
            {
                ["generation"] = swap.Generation,
                ["from"] = swap.From,
                ["to"] = swap.To.Endpoint?.BaseUrl.ToString(),
                ["source"] = swap.To.Source.ToString().ToLowerInvariant(),
                ["requestedAt"] = swap.RequestedAt,
                ["outcome"] = swap.Outcome,
                ["switchMs"] = swap.Duration is TimeSpan d ? Math.Round(d.TotalMilliseconds, 1) : null,
                ["firstReadingMs"] = swap.FirstDeliveredAt is DateTimeOffset f ? Math.Round((f - swap.RequestedAt).TotalMilliseconds, 1) : null,
                ["requests"] = swap.Requests,
                ["roundTrips"] = swap.RoundTrips,
                ["readingsInFlight"] = swap.ReadingsInFlight,
            });
        }

        return new JsonObject
        {
            ["id"] = service.Id,
            ["name"] = service.Name,
            ["source"] = desired.Source.ToString().ToLowerInvariant(),
            ["state"] = status.State.ToString().ToLowerInvariant(),
            ["reason"] = status.Reason,
            ["policy"] = Endpoint(desired.Endpoint),
            ["generation"] = Generation(service.Current),
            ["preparing"] = service.Preparing is { } preparing ? Generation(preparing) : null,
            ["cursor"] = new JsonObject
            {
                ["name"] = cursor.Name,
                ["position"] = cursor.Position,
                ["depth"] = cursor.Depth,
                ["oldestAgeSeconds"] = cursor.OldestAge is TimeSpan age ? Math.Round(age.TotalSeconds, 1) : null,
                ["delivered"] = cursor.Delivered,
                ["dropped"] = cursor.Dropped,
                ["rejected"] = cursor.Rejected,
            },
            ["delivered"] = status.ReadingsDelivered,
            ["switches"] = status.SwitchCount,
            ["lastSwitchMs"] = status.LastSwitchMilliseconds,
            ["consecutiveFailures"] = service.ConsecutiveFailures,
            ["history"] = history,
        };
    }

    private static JsonObject? Endpoint(UpstreamEndpoint? endpoint) => endpoint is null ? null : new JsonObject
    {
        ["url"] = endpoint.BaseUrl.ToString(),
        ["cseId"] = endpoint.SpRelativeCseId,
        ["cseName"] = endpoint.CseBaseName,
        ["origin"] = endpoint.Origin,
        ["releaseVersion"] = endpoint.ReleaseVersion,
    };

    private static JsonObject Generation(UpstreamGeneration generation) => new()
    {
        ["number"] = generation.Number,
        ["state"] = generation.State.ToString().ToLowerInvariant(),
        ["reason"] = generation.Reason,
        ["endpoint"] = Endpoint(generation.Policy.Endpoint),
        ["since"] = generation.CreatedAt,
        ["delivered"] = generation.Delivered,
        ["requests"] = generation.Requests,
        ["roundTrips"] = generation.RoundTrips,
        ["commandsExecuted"] = generation.Interworking?.CommandsExecuted ?? 0,
    };
}

/// <summary>
/// <c>upstream-switch</c>: a technician's (or the bench's) swap, through the same path as an LwM2M policy write.
/// Arguments: <c>service</c> (name or instance ID; a new name makes a new service), <c>url</c>, and optionally
/// <c>cseId</c>, <c>cseName</c>, <c>origin</c>, <c>rvi</c> (default: those of the service's policy, else the configuration).
/// </summary>
public sealed class UpstreamSwitchDiagnostics(ProxyService proxy) : IDiagnosticsCommand
{
    public string Name => "upstream-switch";

    public async ValueTask<JsonNode?> ExecuteAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        await proxy.Started.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        string serviceArgument = Text(arguments, "service") ?? throw new DiagnosticsCommandException("invalid", "a service (name or instance ID) is required");
        string url = Text(arguments, "url") ?? throw new DiagnosticsCommandException("invalid", "a URL is required");
        bool byNumber = int.TryParse(serviceArgument, System.Globalization.CultureInfo.InvariantCulture, out int number);
        UpstreamService? service = byNumber
            ? proxy.Service(number)
            : proxy.Services.FirstOrDefault(s => string.Equals(s.Name, serviceArgument, StringComparison.Ordinal));
        int id = service?.Id ?? (byNumber ? number : NextFreeId());
        string name = service?.Name ?? (byNumber ? "service-" + serviceArgument : serviceArgument);
        UpstreamEndpoint? basis = service?.Desired.Endpoint ?? proxy.Readings?.Desired.Endpoint;
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri))
        {
            throw new DiagnosticsCommandException("invalid", $"'{url}' is not an absolute URL");
        }

        var endpoint = new UpstreamEndpoint(uri,
            Text(arguments, "cseId") ?? basis?.CseId ?? "/id-in",
            Text(arguments, "cseName") ?? basis?.CseBaseName ?? "cse-in",
            Text(arguments, "origin") ?? basis?.Origin ?? "Cactivegate01",
            Text(arguments, "rvi") ?? basis?.ReleaseVersion ?? "3");
        if (proxy.RequestSwitch(id, new UpstreamPolicy(name, endpoint, PolicySource.Operator)) is { } refused)
        {
            throw new DiagnosticsCommandException("invalid", refused);
        }

        return new JsonObject { ["id"] = id, ["name"] = name, ["url"] = uri.ToString(), ["accepted"] = true };
    }

    private int NextFreeId()
    {
        int id = 1;
        while (proxy.Service(id) is not null)
        {
            id++;
        }

        return id;
    }

    private static string? Text(JsonElement arguments, string name)
        => arguments.ValueKind == JsonValueKind.Object && arguments.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String
            && !string.IsNullOrEmpty(v.GetString()) ? v.GetString() : null;
}

/// <summary><c>upstream-reset</c>: forget the runtime policies; the configuration's upstream applies again.</summary>
public sealed class UpstreamResetDiagnostics(ProxyService proxy) : IDiagnosticsCommand
{
    public string Name => "upstream-reset";

    public async ValueTask<JsonNode?> ExecuteAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        await proxy.Started.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        await proxy.ResetAsync().ConfigureAwait(false);
        return new JsonObject { ["reset"] = true, ["url"] = proxy.Readings?.Desired.Endpoint?.BaseUrl.ToString() };
    }
}
