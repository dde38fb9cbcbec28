using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ActiveGate.Agent.Cli;

/// <summary><c>activegate devices</c>, <c>device ID</c>, <c>switch ID CH on|off</c>.</summary>
internal static class DeviceCommands
{
    public static Command CreateDevices()
    {
        var command = new Command("devices", "List the mesh devices with their latest readings and relay states") { AgentQuery.JsonOption };
        command.SetAction((parse, ct) => AgentQuery.RunAsync(parse, "devices", null, RenderList, ct));
        return command;
    }

    public static Command CreateDevice()
    {
        var id = new Argument<string>("id") { Description = "Device id (its EUI-64, as 'activegate devices' shows it)" };
        var command = new Command("device", "Show everything known of one device") { id, AgentQuery.JsonOption };
        command.SetAction((parse, ct) => AgentQuery.RunAsync(parse, "device", new JsonObject { ["id"] = parse.GetValue(id) }, RenderDevice, ct));
        return command;
    }

    public static Command CreateSwitch()
    {
        var id = new Argument<string>("id") { Description = "Device id" };
        var channel = new Argument<int>("channel") { Description = "Channel number, from 1" };
        var state = new Argument<string>("state") { Description = "on or off" };
        state.AcceptOnlyFromAmong("on", "off");
        var command = new Command("switch", "Switch a relay and confirm by reading it back") { id, channel, state, AgentQuery.JsonOption };
        command.SetAction(async (parse, ct) =>
        {
            bool success = false;
            int rc = await AgentQuery.RunAsync(parse, "switch", new JsonObject { ["id"] = parse.GetValue(id), ["channel"] = parse.GetValue(channel), ["on"] = parse.GetValue(state) == "on" }, (result, output) =>
            {
                success = result.GetProperty("success").GetBoolean();
                string relay = result.GetProperty("relay").ValueKind == JsonValueKind.String ? result.GetProperty("relay").GetString()! : "unknown";
                output.WriteLine(success
                    ? $"{result.GetProperty("id").GetString()} channel {result.GetProperty("channel").GetInt32()} is {relay}"
                    : $"switch failed: {result.GetProperty("detail").GetString()} (relay {relay})");
            }, ct, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            return rc == ExitCodes.Ok && !success ? ExitCodes.RemoteError : rc;
        });
        return command;
    }

    private static void RenderList(JsonElement result, TextWriter output)
    {
        output.WriteLine($"devices: {result.GetProperty("devices").GetArrayLength()} ({result.GetProperty("state").GetString()}), samples {result.GetProperty("samples").GetInt64()}, bad payloads {result.GetProperty("payloadErrors").GetInt64()}");
        foreach (JsonElement device in result.GetProperty("devices").EnumerateArray())
        {
            output.WriteLine($"{device.GetProperty("id").GetString()}  {device.GetProperty("kind").GetString(),-10} {(device.GetProperty("online").GetBoolean() ? "online " : "OFFLINE")}  {device.GetProperty("address").GetString()}");
            foreach (JsonElement channel in device.GetProperty("channels").EnumerateArray())
            {
                output.WriteLine($"    ch{channel.GetProperty("channel").GetInt32()}  relay {Text(channel, "relay"),-4} {Number(channel, "powerW", "0.0"),8} W {Number(channel, "energyWh", "0.0"),12} Wh {Number(channel, "currentA", "0.00"),7} A {Number(channel, "voltageV", "0.0"),7} V");
            }
        }
    }

    private static void RenderDevice(JsonElement device, TextWriter output)
    {
        output.WriteLine($"id:       {device.GetProperty("id").GetString()}");
        output.WriteLine($"kind:     {device.GetProperty("kind").GetString()} ({Text(device, "model")}, firmware {Text(device, "firmware")}, serial {Text(device, "serial")})");
        output.WriteLine($"address:  {device.GetProperty("address").GetString()}");
        output.WriteLine($"state:    {(device.GetProperty("online").GetBoolean() ? "online" : "offline: " + Text(device, "problem"))}, first seen {Text(device, "firstSeen")}, last seen {Text(device, "lastSeen")}");
        output.WriteLine($"links:    {Text(device, "links")}");
        foreach (JsonElement channel in device.GetProperty("channels").EnumerateArray())
        {
            output.WriteLine($"ch{channel.GetProperty("channel").GetInt32()}: relay {Text(channel, "relay")}, {Number(channel, "powerW", "0.0")} W, {Number(channel, "energyWh", "0.0")} Wh, {Number(channel, "currentA", "0.00")} A, {Number(channel, "voltageV", "0.0")} V at {Text(channel, "sampleAt")} (rated {Number(channel, "ratedA", "0")} A, {Text(channel, "meterPath")}, epoch {Number(channel, "epoch", "0")}, seq {Number(channel, "lastSequence", "0")})");
        }
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "-";

    private static string Number(JsonElement element, string name, string format) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble().ToString(format, CultureInfo.InvariantCulture) : "-";
}
