using System.Text.Json;
using System.Text.Json.Nodes;
using ActiveGate.Agent.Diagnostics;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Mesh;
using ActiveGate.SixLowpan.Neighbors;

namespace ActiveGate.Agent.Mesh;

/// <summary><c>mesh</c>: our addresses, frame and datagram counters, nodes and neighbours.</summary>
public sealed class MeshDiagnostics(MeshService mesh, TimeProvider timeProvider) : IDiagnosticsCommand
{
    public string Name => "mesh";

    public ValueTask<JsonNode?> ExecuteAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        MeshInterface? face = mesh.Interface;
        if (face is null)
        {
            return ValueTask.FromResult<JsonNode?>(new JsonObject { ["state"] = "waiting for the radio", ["prefix"] = mesh.Options.Prefix });
        }

        MeshCounters counters = face.GetCounters();
        DateTimeOffset now = timeProvider.GetUtcNow();
        var neighbors = new JsonArray();
        foreach (NeighborInfo n in face.Neighbors.Snapshot())
        {
            neighbors.Add(new JsonObject
            {
                ["mac"] = n.MacAddress.ToString(),
                ["address"] = Ipv6Address.FromPrefix(face.MeshPrefix, n.MacAddress).ToString(),
                ["lastHeardSeconds"] = n.LastHeard is DateTimeOffset heard ? Math.Round((now - heard).TotalSeconds, 1) : null,
                ["framesIn"] = n.FramesReceived,
                ["txOk"] = n.TransmitOk,
                ["txFailed"] = n.TransmitFailed,
                ["rssi"] = n.Rssi,
                ["lqi"] = n.Lqi,
            });
        }

        var errors = new JsonObject();
        foreach ((var reason, long count) in counters.MacErrors.Where(e => e.Value > 0))
        {
            errors["mac." + reason] = count;
        }

        foreach ((var reason, long count) in counters.LowpanErrors.Where(e => e.Value > 0))
        {
            errors["lowpan." + reason] = count;
        }

        JsonNode result = new JsonObject
        {
            ["state"] = "up",
            ["mac"] = face.LocalMacAddress.ToString(),
            ["linkLocal"] = face.LinkLocalAddress.ToString(),
            ["address"] = face.MeshAddress.ToString(),
            ["prefix"] = mesh.Options.Prefix,
            ["panId"] = $"0x{face.PanId:X4}",
            ["nodes"] = mesh.Nodes.Count,
            ["framesIn"] = counters.FramesIn,
            ["framesOut"] = counters.FramesOut,
            ["framesFailed"] = counters.FramesFailed,
            ["duplicates"] = counters.Duplicates,
            ["datagramsIn"] = counters.DatagramsIn,
            ["datagramsOut"] = counters.DatagramsOut,
            ["notForUs"] = counters.NotForUs,
            ["noSocket"] = counters.NoSocket,
            ["errors"] = errors,
            ["neighbors"] = neighbors,
        };
        return ValueTask.FromResult<JsonNode?>(result);
    }
}

/// <summary><c>ping</c>: ICMPv6 echo to a mesh address.</summary>
public sealed class PingDiagnostics(MeshService mesh) : IDiagnosticsCommand
{
    public string Name => "ping";

    public async ValueTask<JsonNode?> ExecuteAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        MeshInterface face = mesh.Interface ?? throw new DiagnosticsCommandException("unavailable", "the mesh is not up (no radio)");
        string? text = arguments.TryGetProperty("address", out JsonElement a) ? a.GetString() : null;
        if (!Ipv6Address.TryParse(text, out Ipv6Address destination))
        {
            throw new DiagnosticsCommandException("bad-request", $"'{text}' is not an IPv6 address");
        }

        int size = arguments.TryGetProperty("size", out JsonElement s) && s.TryGetInt32(out int n) ? n : 8;
        if (size is < 0 or > 1000)
        {
            throw new DiagnosticsCommandException("bad-request", "size must be between 0 and 1000 bytes");
        }

        PingResult result = await face.PingAsync(destination, size, TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);
        return new JsonObject
        {
            ["address"] = destination.ToString(),
            ["replied"] = result.Replied,
            ["roundTripMs"] = result.RoundTrip?.TotalMilliseconds,
            ["sendStatus"] = result.SendStatus.ToString(),
            ["sequence"] = result.Sequence,
        };
    }
}
