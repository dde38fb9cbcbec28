using System.Text.Json;
using System.Text.Json.Nodes;
using ActiveGate.Agent.Diagnostics;
using ActiveGate.SixLowpan.Rpl.Root;

namespace ActiveGate.Agent.Mesh;

/// <summary><c>routes</c>: the DODAG as the root sees it (node, rank, parent, hops, last heard, path lifetime).</summary>
public sealed class RoutesDiagnostics(MeshService mesh, TimeProvider timeProvider) : IDiagnosticsCommand
{
    public string Name => "routes";

    public ValueTask<JsonNode?> ExecuteAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        RplRoot root = mesh.Root ?? throw new DiagnosticsCommandException("unavailable", mesh.Interface is null ? "the mesh is not up (no radio)" : "the RPL root is disabled (Rpl:Enabled=false)");
        DateTimeOffset now = timeProvider.GetUtcNow();
        var nodes = new JsonArray();
        foreach (RplNodeInfo node in root.GetNodes())
        {
            nodes.Add(new JsonObject
            {
                ["address"] = node.Address.ToString(),
                ["parent"] = node.Parent?.ToString(),
                ["nextHop"] = node.NextHop?.ToString(),
                ["rank"] = node.Rank,
                ["hops"] = node.HopCount,
                ["linkQuality"] = node.LinkQuality,
                ["lastHeardSeconds"] = Math.Round((now - node.LastHeard).TotalSeconds, 1),
                ["expiresInSeconds"] = node.ExpiresAt is DateTimeOffset expires ? Math.Round((expires - now).TotalSeconds, 1) : null,
                ["reachable"] = node.Reachable,
                ["daos"] = node.DaoCount,
            });
        }

        RplRootStatistics stats = root.Statistics;
        JsonNode result = new JsonObject
        {
            ["mode"] = root.Mode.ToString(),
            ["version"] = root.Version,
            ["nodes"] = nodes,
            ["diosSent"] = stats.MulticastDiosSent + stats.UnicastDiosSent,
            ["daosReceived"] = stats.DaosReceived,
            ["disReceived"] = stats.DisReceived,
            ["globalRepairs"] = stats.GlobalRepairs,
            ["tree"] = RplDodagView.Format(root, now),
        };
        return ValueTask.FromResult<JsonNode?>(result);
    }
}

/// <summary><c>mesh-repair</c>: global repair (new DODAG version); every node rejoins.</summary>
public sealed class MeshRepairDiagnostics(MeshService mesh) : IDiagnosticsCommand
{
    public string Name => "mesh-repair";

    public ValueTask<JsonNode?> ExecuteAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        RplRoot root = mesh.Root ?? throw new DiagnosticsCommandException("unavailable", "no RPL root is running");
        byte version = root.Repair();
        return ValueTask.FromResult<JsonNode?>(new JsonObject { ["version"] = version });
    }
}
