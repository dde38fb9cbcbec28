using System.Text.Json;
using System.Text.Json.Nodes;
using ActiveGate.Agent.Diagnostics;
using ActiveGate.Lwm2m.Registration;

namespace ActiveGate.Agent.Lwm2m;

/// <summary><c>lwm2m</c>: server in force and where it comes from, state and why, location, lifetime, next update, observations, counters. Never key material.</summary>
public sealed class Lwm2mDiagnostics(Lwm2mService service) : IDiagnosticsCommand
{
    public string Name => "lwm2m";

    public ValueTask<JsonNode?> ExecuteAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        Lwm2mClient? client = service.Client;
        Lwm2mClientStatus? status = client?.Status;
        if (client is null || status is null)
        {
            return ValueTask.FromResult<JsonNode?>(new JsonObject
            {
                ["state"] = service.Options.Enabled ? "starting" : "disabled",
                ["server"] = service.Options.ServerUri,
                ["bootstrap"] = service.Options.BootstrapUri,
            });
        }

        var overrides = new JsonArray();
        foreach (Lwm2mConfigurationOverride o in client.Overrides)
        {
            overrides.Add(new JsonObject { ["setting"] = o.Setting, ["configured"] = o.Configured, ["inForce"] = o.InForce });
        }

        var observations = new JsonArray();
        foreach (string path in status.Observations)
        {
            observations.Add(path);
        }

        JsonNode result = new JsonObject
        {
            ["state"] = status.State.ToString().ToLowerInvariant(),
            ["reason"] = status.Reason,
            ["endpoint"] = status.Endpoint,
            ["server"] = status.ServerUri?.ToString(),
            ["bootstrap"] = client.Security.BootstrapAccount?.ServerUri.ToString(),
            // Server-written state wins over the configuration until 'activegate lwm2m reset'.
            ["source"] = client.StateSource == Lwm2mStateSource.ServerWritten ? "server" : "configuration",
            ["overrides"] = overrides,
            ["location"] = status.Location,
            ["lifetimeSeconds"] = status.LifetimeSeconds,
            ["registeredAt"] = status.RegisteredAt?.ToString("O"),
            ["lastUpdate"] = status.LastUpdate?.ToString("O"),
            ["nextUpdate"] = status.NextUpdate?.ToString("O"),
            ["observations"] = observations,
            ["registrations"] = status.Registrations,
            ["updates"] = status.Updates,
            ["bootstraps"] = status.Bootstraps,
            ["malformedRequests"] = status.MalformedRequests,
            ["ignoredRequests"] = status.IgnoredRequests,
        };
        return ValueTask.FromResult<JsonNode?>(result);
    }
}
