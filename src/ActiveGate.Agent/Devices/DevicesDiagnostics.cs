using System.Text.Json;
using System.Text.Json.Nodes;
using ActiveGate.Agent.Diagnostics;
using ActiveGate.Devices;
using ActiveGate.Devices.Model;

namespace ActiveGate.Agent.Devices;

/// <summary><c>devices</c>, <c>device</c> and <c>switch</c>.</summary>
public sealed class DevicesDiagnostics(DevicesService devices) : IDiagnosticsCommand
{
    public string Name => "devices";

    public ValueTask<JsonNode?> ExecuteAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        var list = new JsonArray();
        foreach (DeviceRecord device in devices.Registry.Snapshot())
        {
            list.Add(Describe(device, detailed: false));
        }

        DeviceManagerStatistics? stats = devices.Manager?.GetStatistics();
        JsonNode result = new JsonObject
        {
            ["devices"] = list,
            ["samples"] = stats?.Samples ?? 0,
            ["payloadErrors"] = stats?.PayloadErrors ?? 0,
            ["duplicates"] = stats?.Duplicates ?? 0,
            ["observeRestarts"] = stats?.ObserveRestarts ?? 0,
            ["state"] = devices.Manager is null ? "waiting for the mesh" : "running",
        };
        return ValueTask.FromResult<JsonNode?>(result);
    }

    internal static JsonObject Describe(DeviceRecord device, bool detailed)
    {
        var channels = new JsonArray();
        foreach (ChannelRecord channel in device.Channels)
        {
            ChannelSample? s = channel.LastSample;
            var entry = new JsonObject
            {
                ["channel"] = channel.Number,
                ["relay"] = channel.RelayOn is bool on ? (on ? "on" : "off") : null,
                ["ratedA"] = channel.RatedCurrentAmperes,
                ["powerW"] = s?.PowerWatts,
                ["energyWh"] = s?.EnergyWattHours,
                ["currentA"] = s?.CurrentAmperes,
                ["voltageV"] = s?.VoltageVolts,
                ["sampleAt"] = s?.Timestamp.ToString("O"),
            };
            if (detailed)
            {
                entry["meterPath"] = channel.MeterPath;
                entry["relayPath"] = channel.RelayPath;
                entry["epoch"] = channel.SequenceEpoch;
                entry["lastSequence"] = channel.LastSequence;
            }

            channels.Add(entry);
        }

        var result = new JsonObject
        {
            ["id"] = device.Id,
            ["kind"] = device.Kind.ToString(),
            ["address"] = device.Address.ToString(),
            ["online"] = device.Online,
            ["problem"] = device.Problem,
            ["lastSeen"] = device.LastSeen.ToString("O"),
            ["channels"] = channels,
        };
        if (detailed)
        {
            result["model"] = device.Model;
            result["firmware"] = device.Firmware;
            result["serial"] = device.Serial;
            result["firstSeen"] = device.FirstSeen.ToString("O");
            result["links"] = device.Links;
        }

        return result;
    }
}

/// <summary><c>device</c>: everything known of one device.</summary>
public sealed class DeviceDiagnostics(DevicesService devices) : IDiagnosticsCommand
{
    public string Name => "device";

    public ValueTask<JsonNode?> ExecuteAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        string id = arguments.TryGetProperty("id", out JsonElement value) ? value.GetString() ?? "" : "";
        return devices.Registry.TryGet(id, out DeviceRecord device)
            ? ValueTask.FromResult<JsonNode?>(DevicesDiagnostics.Describe(device, detailed: true))
            : throw new DiagnosticsCommandException("not-found", $"no device '{id}' (see 'activegate devices')");
    }
}

/// <summary><c>switch</c>: switches a relay and reports the state read back.</summary>
public sealed class SwitchDiagnostics(DevicesService devices) : IDiagnosticsCommand
{
    public string Name => "switch";

    public async ValueTask<JsonNode?> ExecuteAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        DeviceManager manager = devices.Manager ?? throw new DiagnosticsCommandException("unavailable", "the device layer is not running (no mesh)");
        string id = arguments.TryGetProperty("id", out JsonElement i) ? i.GetString() ?? "" : "";
        int channel = arguments.TryGetProperty("channel", out JsonElement c) && c.TryGetInt32(out int n) ? n : 0;
        bool on = arguments.TryGetProperty("on", out JsonElement o) && o.ValueKind == JsonValueKind.True;
        SwitchResult result = await manager.SwitchAsync(id, channel, on, cancellationToken).ConfigureAwait(false);
        if (!result.Success && result.RelayOn is null && result.Detail is { } detail && (detail.StartsWith("no device", StringComparison.Ordinal) || detail.Contains("no relay channel", StringComparison.Ordinal)))
        {
            throw new DiagnosticsCommandException("not-found", detail);
        }

        return new JsonObject
        {
            ["id"] = id,
            ["channel"] = channel,
            ["requested"] = on ? "on" : "off",
            ["success"] = result.Success,
            ["relay"] = result.RelayOn is bool state ? (state ? "on" : "off") : null,
            ["detail"] = result.Detail,
        };
    }
}
